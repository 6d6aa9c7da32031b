package config

import (
	"bytes"
	"strings"
	"testing"
)

// nestedDoc has a subsection (sec.sub) added by a field of the document,
// as pipeline.Config adds kpi.raid to the KPI engine's kpi section.
type nestedDoc struct {
	Sec struct {
		A int `yaml:"a"`
	} `yaml:"sec"`
	Sub struct {
		B int    `yaml:"b"`
		C string `yaml:"c"`
	} `yaml:"sec.sub"`
}

func (*nestedDoc) Validate() []error { return nil }

// TestNestedSection: the subsection's keys decode into its field, strictly
// and with their full path in messages; the section keeps its own keys;
// the subsection is not a top-level key; Print puts it back in its section;
// KeyPaths lists it under the section.
func TestNestedSection(t *testing.T) {
	cases := []struct {
		name, yaml string
		a, b       int
		problem    string // "" = no error; else a substring of it
	}{
		{name: "both", yaml: "sec:\n  a: 1\n  sub:\n    b: 2\n", a: 1, b: 2},
		{name: "sub before the section's keys", yaml: "sec:\n  sub: {b: 3}\n  a: 4\n", a: 4, b: 3},
		{name: "no sub", yaml: "sec:\n  a: 5\n", a: 5},
		{name: "unknown key in sub", yaml: "sec:\n  sub:\n    bb: 2\n", problem: `3:5: sec.sub.bb: unknown key (did you mean "b"?); expected one of: b, c`},
		{name: "unknown key in the section", yaml: "sec:\n  x: 1\n", problem: "expected one of: a, sub"},
		{name: "the dotted name is not a key", yaml: "sec.sub:\n  b: 1\n", problem: "sec.sub: unknown key"},
		{name: "sub twice", yaml: "sec:\n  sub: {b: 1}\n  sub: {b: 2}\n", problem: "sec.sub: key is set twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d nestedDoc
			err := Parse([]byte(c.yaml), "x.yaml", &d, Options{})
			if c.problem != "" {
				if err == nil || !strings.Contains(err.Error(), c.problem) {
					t.Fatalf("error %v, want one containing %q", err, c.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Sec.A != c.a || d.Sub.B != c.b {
				t.Errorf("a=%d b=%d, want a=%d b=%d", d.Sec.A, d.Sub.B, c.a, c.b)
			}
		})
	}
	var d nestedDoc
	d.Sec.A, d.Sub.B, d.Sub.C = 1, 2, "x"
	var buf bytes.Buffer
	if err := Print(&buf, &d); err != nil {
		t.Fatal(err)
	}
	if want := "sec:\n  a: 1\n  sub:\n    b: 2\n    c: x\n"; buf.String() != want {
		t.Errorf("Print:\n%s\nwant\n%s", buf.String(), want)
	}
	if got := strings.Join(KeyPaths(nestedDoc{}), " "); got != "sec sec.a sec.sub sec.sub.b sec.sub.c" {
		t.Errorf("KeyPaths = %s", got)
	}
}
