package warehouse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rowIter yields result rows as normalised values: nil, string, int64,
// uint64, float64, bool, time.Time (UTC), []any of those, or — arrays of
// plain strings and numbers from the embedded engine — []string, []int64,
// []uint64 or []float64 (Scan converts either form).
type rowIter interface {
	columns() []string
	next() ([]any, error) // io.EOF at the end
	close() error
}

// Rows is the result of Query. Use it like database/sql's Rows:
//
//	for rows.Next() { rows.Scan(&a, &b) }; err := rows.Err(); rows.Close()
type Rows struct {
	it     rowIter
	query  string
	cur    []any
	err    error
	closed bool
}

// Columns returns the result's column names.
func (r *Rows) Columns() []string { return r.it.columns() }

// Next advances to the next row; false at the end or on error (see Err).
func (r *Rows) Next() bool {
	if r.closed || r.err != nil {
		return false
	}
	row, err := r.it.next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = fmt.Errorf("reading rows of %s: %w", shortQuery(r.query), err)
		}
		r.cur = nil
		return false
	}
	r.cur = row
	return true
}

// Scan copies the current row into dest: *string, *int64, *uint64, *int,
// *float64, *bool, *time.Time (UTC), *[]string, *[]float64, *[]int64, *any,
// or a pointer to a pointer of those scalars for Nullable columns (nil means
// NULL). A nil dest skips the column.
func (r *Rows) Scan(dest ...any) error {
	if r.cur == nil {
		return errors.New("Scan called without a row: call Next first")
	}
	if len(dest) != len(r.cur) {
		return fmt.Errorf("scanning a row of %d columns into %d destinations", len(r.cur), len(dest))
	}
	for i, d := range dest {
		if d == nil {
			continue
		}
		if err := assign(d, r.cur[i]); err != nil {
			return fmt.Errorf("scanning column %s: %w", r.it.columns()[i], err)
		}
	}
	return nil
}

// Err returns the error that stopped Next, if any.
func (r *Rows) Err() error { return r.err }

// Close releases the result. It is safe to call twice.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.it.close()
}

func shortQuery(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return strconv.Quote(q)
}

// assign stores the normalised value v into the pointer d.
func assign(d any, v any) error {
	switch p := d.(type) {
	case *any:
		*p = v
		return nil
	case *string:
		switch x := v.(type) {
		case string:
			*p = x
		case nil:
			*p = ""
		case time.Time:
			*p = x.Format(time.DateTime)
		default:
			*p = fmt.Sprint(x)
		}
		return nil
	case *int64:
		n, err := toInt(v)
		*p = n
		return err
	case *int:
		n, err := toInt(v)
		*p = int(n)
		return err
	case *uint64:
		switch x := v.(type) {
		case uint64:
			*p = x
			return nil
		}
		n, err := toInt(v)
		if err == nil && n < 0 {
			return fmt.Errorf("negative value %d into *uint64", n)
		}
		*p = uint64(n)
		return err
	case *float64:
		f, err := toFloat(v)
		*p = f
		return err
	case *bool:
		switch x := v.(type) {
		case bool:
			*p = x
			return nil
		case nil:
			*p = false
			return nil
		}
		n, err := toInt(v)
		*p = n != 0
		return err
	case *time.Time:
		switch x := v.(type) {
		case time.Time:
			*p = x
		case nil:
			*p = time.Time{}
		default:
			return fmt.Errorf("cannot store %T into *time.Time", v)
		}
		return nil
	case *[]string:
		if x, ok := v.([]string); ok {
			*p = x
			return nil
		}
		a, err := toSlice(v)
		if err != nil {
			return err
		}
		out := make([]string, len(a))
		for i, x := range a {
			if err := assign(&out[i], x); err != nil {
				return err
			}
		}
		*p = out
		return nil
	case *[]float64:
		switch x := v.(type) {
		case []float64:
			*p = x
			return nil
		case []int64:
			*p = convert[int64, float64](x)
			return nil
		case []uint64:
			*p = convert[uint64, float64](x)
			return nil
		}
		a, err := toSlice(v)
		if err != nil {
			return err
		}
		out := make([]float64, len(a))
		for i, x := range a {
			if err := assign(&out[i], x); err != nil {
				return err
			}
		}
		*p = out
		return nil
	case *[]int64:
		switch x := v.(type) {
		case []int64:
			*p = x
			return nil
		case []uint64:
			if slices.ContainsFunc(x, func(u uint64) bool { return u > math.MaxInt64 }) {
				return fmt.Errorf("a value of %v overflows int64", x)
			}
			*p = convert[uint64, int64](x)
			return nil
		}
		a, err := toSlice(v)
		if err != nil {
			return err
		}
		out := make([]int64, len(a))
		for i, x := range a {
			if err := assign(&out[i], x); err != nil {
				return err
			}
		}
		*p = out
		return nil
	}
	// Pointer to pointer: nil for NULL, else a fresh value.
	rv := reflect.ValueOf(d)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Pointer {
		if v == nil {
			rv.Elem().Set(reflect.Zero(rv.Elem().Type()))
			return nil
		}
		nv := reflect.New(rv.Elem().Type().Elem())
		if err := assign(nv.Interface(), v); err != nil {
			return err
		}
		rv.Elem().Set(nv)
		return nil
	}
	return fmt.Errorf("unsupported Scan destination %T", d)
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("value %d overflows int64", x)
		}
		return int64(x), nil
	case float64:
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case nil:
		return 0, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("cannot store %T as an integer", v)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case nil:
		return 0, nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("cannot store %T as a float", v)
}

func toSlice(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case nil:
		return nil, nil
	case []string:
		return anys(x), nil
	case []int64:
		return anys(x), nil
	case []uint64:
		return anys(x), nil
	case []float64:
		return anys(x), nil
	}
	return nil, fmt.Errorf("cannot store %T as a slice", v)
}

// convert converts a slice of numbers element by element.
func convert[F, T int64 | uint64 | float64](xs []F) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = T(x)
	}
	return out
}

// anys boxes a typed slice (the binary reader's arrays) element by element.
func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// normalize converts a value scanned by clickhouse-go to the normalised form.
func normalize(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t.UTC()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i))
		}
		return out
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v.Interface())
}

// jsonRows reads chDB's JSONCompactEachRowWithNamesAndTypes output.
type jsonRows struct {
	cols  []string
	types []string
	convs []jsonConv // one per column, built once from its type
	data  []byte
	loc   *time.Location
}

func newJSONRows(out []byte, loc *time.Location) (*jsonRows, error) {
	r := &jsonRows{data: out, loc: loc}
	line := func() []byte {
		i := bytes.IndexByte(r.data, '\n')
		if i < 0 {
			l := r.data
			r.data = nil
			return l
		}
		l := r.data[:i]
		r.data = r.data[i+1:]
		return l
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return r, nil // a statement without a result
	}
	if err := json.Unmarshal(line(), &r.cols); err != nil {
		return nil, fmt.Errorf("parsing chDB result header: %w", err)
	}
	if err := json.Unmarshal(line(), &r.types); err != nil {
		return nil, fmt.Errorf("parsing chDB result types: %w", err)
	}
	r.convs = make([]jsonConv, len(r.types))
	for i, t := range r.types {
		r.convs[i] = newJSONConv(t, loc)
	}
	return r, nil
}

func (r *jsonRows) columns() []string { return r.cols }
func (r *jsonRows) close() error      { r.data = nil; return nil }

func (r *jsonRows) next() ([]any, error) {
	for len(r.data) > 0 {
		i := bytes.IndexByte(r.data, '\n')
		var l []byte
		if i < 0 {
			l, r.data = r.data, nil
		} else {
			l, r.data = r.data[:i], r.data[i+1:]
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.UseNumber()
		var raw []any
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("parsing chDB result row: %w", err)
		}
		if len(raw) != len(r.types) {
			return nil, fmt.Errorf("chDB result row has %d values for %d columns", len(raw), len(r.types))
		}
		out := make([]any, len(raw))
		for j, v := range raw {
			x, err := r.convs[j](v)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", r.cols[j], err)
			}
			out[j] = x
		}
		return out, nil
	}
	return nil, io.EOF
}

// unwrapType strips one wrapper such as Nullable(...) from a type name.
func unwrapType(t, wrapper string) (string, bool) {
	if strings.HasPrefix(t, wrapper+"(") && strings.HasSuffix(t, ")") {
		return t[len(wrapper)+1 : len(t)-1], true
	}
	return t, false
}

// jsonConv converts one JSON value of a column to its Go value.
type jsonConv func(v any) (any, error)

// newJSONConv builds the converter of ClickHouse type typ once per result
// (parsing the type name, and loading a DateTime's zone, per value cost
// more than the query itself on large results).
func newJSONConv(typ string, loc *time.Location) jsonConv {
	for _, w := range []string{"Nullable", "LowCardinality", "SimpleAggregateFunction"} {
		if in, ok := unwrapType(typ, w); ok {
			return nullable(newJSONConv(in, loc))
		}
	}
	if in, ok := unwrapType(typ, "Array"); ok {
		elem := newJSONConv(in, loc)
		return nullable(func(v any) (any, error) {
			a, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("want an array for %s, got %T", typ, v)
			}
			out := make([]any, len(a))
			for i, x := range a {
				y, err := elem(x)
				if err != nil {
					return nil, err
				}
				out[i] = y
			}
			return out, nil
		})
	}
	switch {
	case strings.HasPrefix(typ, "UInt"):
		return nullable(func(v any) (any, error) { return strconv.ParseUint(jsonText(v), 10, 64) })
	case strings.HasPrefix(typ, "Int"):
		return nullable(func(v any) (any, error) { return strconv.ParseInt(jsonText(v), 10, 64) })
	case strings.HasPrefix(typ, "Float"), strings.HasPrefix(typ, "Decimal"):
		return nullable(func(v any) (any, error) {
			s := jsonText(v)
			switch s {
			case "nan", "NaN":
				return math.NaN(), nil
			case "inf", "+inf":
				return math.Inf(1), nil
			case "-inf":
				return math.Inf(-1), nil
			}
			return strconv.ParseFloat(s, 64)
		})
	case typ == "Bool":
		return nullable(func(v any) (any, error) {
			if b, ok := v.(bool); ok {
				return b, nil
			}
			s := jsonText(v)
			return s == "1" || s == "true", nil
		})
	case typ == "Date" || typ == "Date32":
		return nullable(func(v any) (any, error) { return time.ParseInLocation(time.DateOnly, jsonText(v), time.UTC) })
	case strings.HasPrefix(typ, "DateTime"):
		l := loc
		if i := strings.IndexByte(typ, '\''); i >= 0 {
			name := strings.TrimSuffix(strings.TrimSuffix(typ[i+1:], ")"), "'")
			if z, err := time.LoadLocation(name); err == nil {
				l = z
			}
		}
		return nullable(func(v any) (any, error) {
			s := jsonText(v)
			layout := time.DateTime
			if strings.Contains(s, ".") {
				layout = "2006-01-02 15:04:05.999999999"
			}
			t, err := time.ParseInLocation(layout, s, l)
			if err != nil {
				return nil, err
			}
			return t.UTC(), nil
		})
	}
	return nullable(func(v any) (any, error) {
		if a, ok := v.([]any); ok { // tuples
			return a, nil
		}
		return jsonText(v), nil
	})
}

// nullable passes JSON null through as nil.
func nullable(c jsonConv) jsonConv {
	return func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		return c(v)
	}
}

// jsonText is the text of a JSON scalar (numbers were decoded as
// json.Number).
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}
