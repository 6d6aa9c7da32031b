package warehouse

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pmo-oss/pmo/internal/model"
)

// Column types by Go field type.
var (
	typeTime  = reflect.TypeFor[time.Time]()
	typePTime = reflect.TypeFor[*time.Time]()
	typePDate = reflect.TypeFor[*model.Date]()
)

// kindSchema maps one record kind to its table.
type kindSchema struct {
	table string
	typ   reflect.Type
	cols  []column // the model's columns, then _version
}

// snake converts a Go field name to its column name: ProjectID → project_id,
// FixVersionIDs → fix_version_ids, URL → url.
func snake(name string) string {
	name = strings.ReplaceAll(name, "IDs", "Ids")
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// chType is the ClickHouse column type of a model field.
func chType(t reflect.Type) (string, error) {
	switch t {
	case typeTime:
		return "DateTime('UTC')", nil
	case typePTime:
		return "Nullable(DateTime('UTC'))", nil
	case typePDate:
		return "Nullable(Date)", nil
	}
	switch t.Kind() {
	case reflect.String:
		return "String", nil
	case reflect.Bool:
		return "UInt8", nil
	case reflect.Int, reflect.Int64:
		return "Int64", nil
	case reflect.Float64:
		return "Float64", nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "Array(String)", nil
		}
	case reflect.Pointer:
		switch t.Elem().Kind() {
		case reflect.Float64:
			return "Nullable(Float64)", nil
		case reflect.Int64, reflect.Int:
			return "Nullable(Int64)", nil
		case reflect.String:
			return "Nullable(String)", nil
		}
	}
	return "", fmt.Errorf("no ClickHouse type for Go type %s", t)
}

var recordTypes = map[model.Kind]model.Record{
	model.KindProject: model.Project{}, model.KindStatus: model.Status{}, model.KindBoard: model.Board{},
	model.KindSprint: model.Sprint{}, model.KindVersion: model.Version{}, model.KindIssue: model.Issue{},
	model.KindChange: model.Change{}, model.KindWorklog: model.Worklog{}, model.KindLink: model.Link{},
	model.KindIssueDeleted: model.IssueDeleted{},
}

// schemas is derived once from the model; migrations are checked against it
// by a test.
var schemas = func() map[model.Kind]*kindSchema {
	m := make(map[model.Kind]*kindSchema, len(recordTypes))
	for k, r := range recordTypes {
		t := reflect.TypeOf(r)
		s := &kindSchema{table: string(k), typ: t}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			ct, err := chType(f.Type)
			if err != nil {
				panic(fmt.Sprintf("warehouse: field %s.%s: %v", t.Name(), f.Name, err)) // programming error in model
			}
			s.cols = append(s.cols, column{name: snake(f.Name), typ: ct})
		}
		s.cols = append(s.cols, column{name: "_version", typ: "UInt64"})
		m[k] = s
	}
	return m
}()

// row converts a record into column values (Go types clickhouse-go appends
// and appendJSON encodes): string, int64, uint8, uint64, float64, time.Time,
// *time.Time, *float64, *int64, []string.
func (s *kindSchema) row(rv reflect.Value, version uint64) []any {
	out := make([]any, 0, len(s.cols))
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		switch f.Type() {
		case typeTime:
			out = append(out, f.Interface().(time.Time).UTC())
			continue
		case typePTime:
			p := f.Interface().(*time.Time)
			if p == nil {
				out = append(out, (*time.Time)(nil))
			} else {
				t := p.UTC()
				out = append(out, &t)
			}
			continue
		case typePDate:
			p := f.Interface().(*model.Date)
			if p == nil {
				out = append(out, (*time.Time)(nil))
			} else {
				t := p.Time()
				out = append(out, &t)
			}
			continue
		}
		switch f.Kind() {
		case reflect.String:
			out = append(out, f.String())
		case reflect.Bool:
			var b uint8
			if f.Bool() {
				b = 1
			}
			out = append(out, b)
		case reflect.Int, reflect.Int64:
			out = append(out, f.Int())
		case reflect.Float64:
			out = append(out, f.Float())
		case reflect.Slice:
			ss := f.Interface().([]string)
			if ss == nil {
				ss = []string{}
			}
			out = append(out, ss)
		case reflect.Pointer:
			switch p := f.Interface().(type) {
			case *float64:
				out = append(out, p)
			case *int64:
				out = append(out, p)
			case *string:
				out = append(out, p)
			}
		}
	}
	return append(out, version)
}

// appendJSONValue appends v as a JSON value of ClickHouse type typ.
func appendJSONValue(b []byte, typ string, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendJSONString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		return append(b, floatLiteral(x)...)
	case time.Time:
		return appendJSONTime(b, typ, x)
	case *time.Time:
		if x == nil {
			return append(b, "null"...)
		}
		return appendJSONTime(b, typ, *x)
	case *float64:
		if x == nil {
			return append(b, "null"...)
		}
		return append(b, floatLiteral(*x)...)
	case *int64:
		if x == nil {
			return append(b, "null"...)
		}
		return strconv.AppendInt(b, *x, 10)
	case *string:
		if x == nil {
			return append(b, "null"...)
		}
		return appendJSONString(b, *x)
	case dateValue:
		b = append(b, '"')
		b = x.t.AppendFormat(b, time.DateOnly)
		return append(b, '"')
	case *dateValue:
		if x == nil {
			return append(b, "null"...)
		}
		return appendJSONValue(b, typ, *x)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("warehouse: no JSON encoding for %T", v)) // row() produces only the types above
}

func appendJSONTime(b []byte, typ string, t time.Time) []byte {
	b = append(b, '"')
	if strings.Contains(typ, "DateTime") {
		b = t.UTC().AppendFormat(b, time.DateTime)
	} else {
		b = t.AppendFormat(b, time.DateOnly)
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Columns returns the column names of a record kind's table, in order,
// _version last (nil for an unknown kind).
func Columns(kind model.Kind) []string {
	s, ok := schemas[kind]
	if !ok {
		return nil
	}
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.name
	}
	return out
}
