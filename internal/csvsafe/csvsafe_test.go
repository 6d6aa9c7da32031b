package csvsafe

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNeutralize(t *testing.T) {
	tests := []struct {
		in, want string
		changed  bool
	}{
		{"", "", false},
		{"ABC-12", "ABC-12", false},
		{"Sprint 49", "Sprint 49", false},
		{"=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")", true},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0", true},
		{"-2+3", "'-2+3", true},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)", true},
		{"\t=1", "'\t=1", true},
		{"\r=1", "'\r=1", true},
		{"a=1", "a=1", false},
		{"'=1", "'=1", false}, // already text to a spreadsheet
		{" =1", " =1", false}, // quoted by the writer; spreadsheets read it as text
	}
	for _, tc := range tests {
		got, changed := Neutralize(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("Neutralize(%q) = %q, %v; want %q, %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
}

func TestWriter(t *testing.T) {
	// Columns 0 and 2 hold tracker text; 1 is a number pmo formats.
	tests := []struct {
		name   string
		record []string
		want   string
		read   []string // what encoding/csv reads back
	}{
		{"plain", []string{"ABC-1", "0.5", "Sprint 3"}, "ABC-1,0.5,Sprint 3\n", nil},
		{"negative number is not text", []string{"ABC-1", "-0.5", "x"}, "ABC-1,-0.5,x\n", nil},
		{"formula in a text column", []string{"=1+2", "-1", "@cmd"}, `"'=1+2",-1,"'@cmd"` + "\n", []string{"'=1+2", "-1", "'@cmd"}},
		{"minus and plus", []string{"-ABC", "+3", "+ABC"}, `"'-ABC",+3,"'+ABC"` + "\n", []string{"'-ABC", "+3", "'+ABC"}},
		{"tab and CR", []string{"\tx", "1", "\rx"}, "\"'\tx\",1,\"'\rx\"\n", []string{"'\tx", "1", "'\rx"}},
		{"quotes inside a formula", []string{`=HYPERLINK("http://evil","click")`, "1", ""},
			`"'=HYPERLINK(""http://evil"",""click"")",1,` + "\n", []string{`'=HYPERLINK("http://evil","click")`, "1", ""}},
		{"comma and quote as encoding/csv", []string{`a,b`, `"q"`, " lead"}, `"a,b","""q"""," lead"` + "\n", nil},
		{"empty", []string{"", "", ""}, ",,\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewWriter(&b, 0, 2)
			if err := w.Write(tc.record); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("wrote %q, want %q", b.String(), tc.want)
			}
			read := tc.read
			if read == nil {
				read = tc.record
			}
			got, err := csv.NewReader(strings.NewReader(b.String())).Read()
			if err != nil {
				t.Fatalf("encoding/csv cannot read %q: %v", b.String(), err)
			}
			if !slices.Equal(got, read) {
				t.Errorf("read back %q, want %q", got, read)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	w := NewWriter(failWriter{})
	_ = w.Write([]string{"a"})
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Flush = %v, want the write error", err)
	}
}
