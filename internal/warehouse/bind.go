package warehouse

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// quoteIdent quotes a ClickHouse identifier with backquotes.
func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}

// quoteString renders s as a ClickHouse string literal.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// literal renders a Go value as a ClickHouse literal for `?` binding.
func literal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		return quoteString(x), nil
	case time.Time:
		return timeLiteral(x), nil
	case model.Date:
		return "toDate(" + quoteString(x.String()) + ")", nil
	case time.Duration:
		return strconv.FormatInt(int64(x/time.Second), 10), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return floatLiteral(float64(x)), nil
	case float64:
		return floatLiteral(x), nil
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quoteString(s)
		}
		if len(parts) == 0 {
			return "CAST([] AS Array(String))", nil
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case []int64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatInt(n, 10)
		}
		if len(parts) == 0 {
			return "CAST([] AS Array(Int64))", nil
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case [][]int64:
		// Per-zone sample lists and the like: an array of arrays.
		parts := make([]string, len(x))
		for i, xs := range x {
			parts[i], _ = literal(xs)
		}
		if len(parts) == 0 {
			return "CAST([] AS Array(Array(Int64)))", nil
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case []time.Time:
		parts := make([]string, len(x))
		for i, t := range x {
			parts[i] = timeLiteral(t)
		}
		if len(parts) == 0 {
			return "CAST([] AS Array(DateTime('UTC')))", nil
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case []float64:
		parts := make([]string, len(x))
		for i, f := range x {
			parts[i] = floatLiteral(f)
		}
		if len(parts) == 0 {
			return "CAST([] AS Array(Float64))", nil
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case *string:
		if x == nil {
			return "NULL", nil
		}
		return literal(*x)
	case *int64:
		if x == nil {
			return "NULL", nil
		}
		return literal(*x)
	case *float64:
		if x == nil {
			return "NULL", nil
		}
		return literal(*x)
	case *time.Time:
		if x == nil {
			return "NULL", nil
		}
		return timeLiteral(*x), nil
	case *model.Date:
		if x == nil {
			return "NULL", nil
		}
		return literal(*x)
	}
	if st, ok := v.(fmt.Stringer); ok {
		return quoteString(st.String()), nil
	}
	// Named types such as model.StatusCategory.
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.String:
		return quoteString(rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return floatLiteral(rv.Float()), nil
	case reflect.Bool:
		return literal(rv.Bool())
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.String {
			ss := make([]string, rv.Len())
			for i := range ss {
				ss[i] = rv.Index(i).String()
			}
			return literal(ss)
		}
	}
	return "", fmt.Errorf("cannot bind a %T as a query argument", v)
}

func timeLiteral(t time.Time) string {
	return "toDateTime('" + t.UTC().Format(time.DateTime) + "', 'UTC')"
}

func floatLiteral(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// bind replaces each `?` outside string literals, quoted identifiers and
// comments with the literal of the next argument.
func bind(query string, args []any) (string, error) {
	if len(args) == 0 {
		return query, nil
	}
	n := 0
	out, err := rewrite(query, func(rest string) (string, int, error) {
		if rest[0] != '?' {
			return "", 0, nil
		}
		if n >= len(args) {
			return "", 0, fmt.Errorf("binding query arguments: more ? placeholders than the %d arguments given", len(args))
		}
		lit, err := literal(args[n])
		if err != nil {
			return "", 0, fmt.Errorf("binding query argument %d: %w", n+1, err)
		}
		n++
		return lit, 1, nil
	})
	if err != nil {
		return "", err
	}
	if n != len(args) {
		return "", fmt.Errorf("binding query arguments: %d ? placeholders but %d arguments", n, len(args))
	}
	return out, nil
}

// BindNamed replaces each {name} outside string literals, quoted
// identifiers and comments with the literal of params[name] (the same
// literals as `?` binding). It is how SQL model files take their
// parameters: values are never spliced into SQL as text. A placeholder
// without a parameter is an error.
func BindNamed(query string, params map[string]any) (string, error) {
	return rewrite(query, func(rest string) (string, int, error) {
		if rest[0] != '{' {
			return "", 0, nil
		}
		j := strings.IndexByte(rest, '}')
		if j < 2 || strings.TrimLeft(rest[1:j], "abcdefghijklmnopqrstuvwxyz_0123456789") != "" {
			return "", 0, nil
		}
		name := rest[1:j]
		v, ok := params[name]
		if !ok {
			return "", 0, fmt.Errorf("binding query parameters: no value for {%s}", name)
		}
		lit, err := literal(v)
		if err != nil {
			return "", 0, fmt.Errorf("binding query parameter {%s}: %w", name, err)
		}
		return lit, j + 1, nil
	})
}

// rewrite copies query, letting sub replace what starts at each position
// outside string literals, quoted identifiers and -- comments: sub returns
// the replacement and how many bytes it replaces (0: none).
func rewrite(query string, sub func(rest string) (string, int, error)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(query) && query[j] != c {
				if query[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(query) {
				j = len(query) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
			continue
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
			continue
		}
		lit, n, err := sub(query[i:])
		if err != nil {
			return "", err
		}
		if n > 0 {
			b.WriteString(lit)
			i += n - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}
