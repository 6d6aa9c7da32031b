package warehouse

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// appendTSVRow appends one TabSeparated line for chDB (about 1.5× faster
// for chDB to parse than JSONEachRow, measured on 200k changes).
func appendTSVRow(b []byte, cols []column, row []any) []byte {
	for i, c := range cols {
		if i > 0 {
			b = append(b, '\t')
		}
		b = appendTSVValue(b, c.typ, row[i])
	}
	return append(b, '\n')
}

func appendTSVValue(b []byte, typ string, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendTSVString(b, x)
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
		if typ == "" || strings.Contains(typ, "DateTime") {
			return x.UTC().AppendFormat(b, time.DateTime)
		}
		return x.AppendFormat(b, time.DateOnly)
	case *time.Time:
		if x == nil {
			return append(b, `\N`...)
		}
		return appendTSVValue(b, typ, *x)
	case dateValue:
		return x.t.AppendFormat(b, time.DateOnly)
	case *dateValue:
		if x == nil {
			return append(b, `\N`...)
		}
		return x.t.AppendFormat(b, time.DateOnly)
	case *float64:
		if x == nil {
			return append(b, `\N`...)
		}
		return append(b, floatLiteral(*x)...)
	case *int64:
		if x == nil {
			return append(b, `\N`...)
		}
		return strconv.AppendInt(b, *x, 10)
	case *string:
		if x == nil {
			return append(b, `\N`...)
		}
		return appendTSVString(b, *x)
	case []string:
		// An array is its literal; quoteString already escapes tabs and
		// newlines, and TSV reads the quoted elements without unescaping twice.
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, quoteString(s)...)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("warehouse: no TabSeparated encoding for %T", v)) // insertValue produces only the types above
}

// appendTSVString escapes s for TabSeparated.
func appendTSVString(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case 0:
			esc = '0'
		case '\b':
			esc = 'b'
		case '\f':
			esc = 'f'
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, '\\', esc)
		start = i + 1
	}
	return append(b, s[start:]...)
}
