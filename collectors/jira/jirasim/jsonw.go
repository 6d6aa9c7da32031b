package jirasim

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends JSON to a byte slice without reflection. Commas are placed by
// tracking whether the current object or array already has an element.
type jw struct {
	b        []byte
	first    bool
	afterKey bool
}

func (w *jw) pre() {
	if w.afterKey {
		w.afterKey = false
		return
	}
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
}

func (w *jw) obj()  { w.pre(); w.b = append(w.b, '{'); w.first = true }
func (w *jw) end()  { w.b = append(w.b, '}'); w.first = false }
func (w *jw) arr()  { w.pre(); w.b = append(w.b, '['); w.first = true }
func (w *jw) aend() { w.b = append(w.b, ']'); w.first = false }

func (w *jw) key(k string) {
	w.pre()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.afterKey = true
}

func (w *jw) str(s string) { w.pre(); w.b = appendJSONString(w.b, s) }
func (w *jw) int(v int64)  { w.pre(); w.b = strconv.AppendInt(w.b, v, 10) }
func (w *jw) istr(v int64) {
	w.pre()
	w.b = append(w.b, '"')
	w.b = strconv.AppendInt(w.b, v, 10)
	w.b = append(w.b, '"')
}
func (w *jw) null()          { w.pre(); w.b = append(w.b, "null"...) }
func (w *jw) boolean(v bool) { w.pre(); w.b = strconv.AppendBool(w.b, v) }
func (w *jw) float(v float64) {
	w.pre()
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
	if v == float64(int64(v)) {
		w.b = append(w.b, ".0"...)
	}
}

// raw appends a complete JSON value.
func (w *jw) raw(s string) { w.pre(); w.b = append(w.b, s...) }

func (w *jw) kstr(k, v string)        { w.key(k); w.str(v) }
func (w *jw) kint(k string, v int64)  { w.key(k); w.int(v) }
func (w *jw) kistr(k string, v int64) { w.key(k); w.istr(v) }
func (w *jw) kbool(k string, v bool)  { w.key(k); w.boolean(v) }

// ktime writes a Jira REST timestamp: 2025-01-06T08:00:00.000+0000.
func (w *jw) ktime(k string, ms int64, loc *time.Location) {
	w.key(k)
	w.pre()
	w.b = append(w.b, '"')
	w.b = time.UnixMilli(ms).In(loc).AppendFormat(w.b, "2006-01-02T15:04:05.000-0700")
	w.b = append(w.b, '"')
}

// kisotime writes an agile API timestamp: 2025-01-06T08:00:00.000Z.
func (w *jw) kisotime(k string, ms int64) {
	w.key(k)
	w.pre()
	w.b = append(w.b, '"')
	w.b = time.UnixMilli(ms).UTC().AppendFormat(w.b, "2006-01-02T15:04:05.000Z07:00")
	w.b = append(w.b, '"')
}

// kdate writes a civil date YYYY-MM-DD.
func (w *jw) kdate(k string, ms int64) {
	w.key(k)
	w.pre()
	w.b = append(w.b, '"')
	w.b = time.UnixMilli(ms).UTC().AppendFormat(w.b, time.DateOnly)
	w.b = append(w.b, '"')
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
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
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
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
