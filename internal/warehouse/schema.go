package warehouse

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"

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
// and appendTSVValue encodes): string, int64, uint8, uint64, float64, time.Time,
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
