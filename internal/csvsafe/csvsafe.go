// Package csvsafe writes CSV that a spreadsheet opens without running
// formulas hidden in text that came from a tracker (CSV or formula injection,
// OWASP "CSV Injection").
//
// A Writer is told which columns hold such text (issue keys, sprint and
// project names, labels). A cell of those columns that starts with '=', '+',
// '-', '@', a tab or a carriage return gets a single quote in front and is
// always written quoted, so Excel, LibreOffice and Google Sheets read it as
// text. Other columns (numbers and dates pmo formats itself, such as -0.5)
// are written as they are. Otherwise the output is RFC 4180 CSV as
// encoding/csv writes it, and encoding/csv reads it back.
package csvsafe

import (
	"bufio"
	"io"
	"strings"
)

// Neutralize returns s with a single quote in front when a spreadsheet would
// read s as a formula (it starts with '=', '+', '-', '@', a tab or a carriage
// return), and whether it did.
func Neutralize(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s, true
	}
	return s, false
}

// Writer writes CSV records, protecting the text columns.
type Writer struct {
	w    *bufio.Writer
	text map[int]bool
	err  error
}

// NewWriter returns a Writer to w; textColumns are the indexes (from 0) of the
// columns that hold text from outside pmo.
func NewWriter(w io.Writer, textColumns ...int) *Writer {
	t := make(map[int]bool, len(textColumns))
	for _, c := range textColumns {
		t[c] = true
	}
	return &Writer{w: bufio.NewWriter(w), text: t}
}

// Write writes one record. The first error sticks: later writes do nothing
// and Flush returns it.
func (w *Writer) Write(record []string) error {
	if w.err != nil {
		return w.err
	}
	for i, f := range record {
		if i > 0 {
			w.w.WriteByte(',')
		}
		quote := needsQuotes(f)
		if w.text[i] {
			var changed bool
			if f, changed = Neutralize(f); changed {
				quote = true
			}
		}
		if !quote {
			w.w.WriteString(f)
			continue
		}
		w.w.WriteByte('"')
		w.w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		w.w.WriteByte('"')
	}
	_, w.err = w.w.WriteString("\n")
	return w.err
}

// Flush writes what is buffered and returns the first error met.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); w.err == nil {
		w.err = err
	}
	return w.err
}

// needsQuotes follows encoding/csv: a field is quoted when it holds a comma,
// a quote or a line break, starts with a space or tab, or is `\.` (which
// Postgres would read as the end of data).
func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	return f[0] == ' ' || f[0] == '\t'
}
