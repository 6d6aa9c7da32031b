package sqlmodel

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		kinds   []string
		want    []Entry
		wantErr string
	}{
		{"models and comments", "-- header\n\n-- model a: the a\nSELECT 1\n-- a comment\nFROM x\n\n-- model b: the b\nSELECT 2\n",
			[]string{"model"}, []Entry{{"model", "a", "SELECT 1\nFROM x"}, {"model", "b", "SELECT 2"}}, ""},
		{"other kinds are skipped", "-- set s: a set\nx = 1\n-- model m: m\nSELECT 1\n-- value v: after\ny\n", []string{"model"},
			[]Entry{{"model", "m", "SELECT 1"}}, ""},
		{"several kinds", "-- set s: a set\nx = 1\n-- value v: a value\ny\n", []string{"set", "value"},
			[]Entry{{"set", "s", "x = 1"}, {"value", "v", "y"}}, ""},
		{"marker without a description", "-- model a\nSELECT 1\n-- models are read below\n", []string{"model"}, []Entry{{"model", "a", "SELECT 1"}}, ""},
		{"defined twice", "-- model a: x\nSELECT 1\n-- model a: y\nSELECT 2\n", []string{"model"}, nil, "model a is defined twice"},
		{"no SQL", "-- model a: x\n-- just a comment\n", []string{"model"}, nil, "model a has no SQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, tt.kinds...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSetSQL(t *testing.T) {
	fsys := fstest.MapFS{
		"models/a.sql": {Data: []byte("-- model base: rows\nSELECT id FROM t WHERE d < {as_of}\n-- model top: over base\nSELECT count() FROM {{base}} WHERE k = {k}\n")},
		"models/b.sql": {Data: []byte("-- model loop1: x\nSELECT * FROM {{loop2}}\n-- model loop2: y\nSELECT * FROM {{loop1}}\n-- model missing: z\nSELECT * FROM {{nope}}\n")},
	}
	s, err := Load("test", fsys, "models/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Names(), []string{"base", "loop1", "loop2", "missing", "top"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	tests := []struct {
		name    string
		model   string
		rels    map[string]string
		params  map[string]any
		want    string
		wantErr string
	}{
		{"inlined", "top", nil, map[string]any{"as_of": 5, "k": "x'y"},
			"SELECT count() FROM (SELECT id FROM t WHERE d < 5) WHERE k = 'x\\'y'", ""},
		{"materialized", "top", map[string]string{"base": "(SELECT * FROM tmp)"}, map[string]any{"k": "a"},
			"SELECT count() FROM (SELECT * FROM tmp) WHERE k = 'a'", ""},
		{"cycle", "loop1", nil, nil, "", "test: model loop1 refers to itself through loop1 → loop2"},
		{"unknown reference", "missing", nil, nil, "", `test: no model "nope"`},
		{"unknown model", "nope", nil, nil, "", `test: no model "nope"`},
		{"unbound parameter", "top", nil, map[string]any{"k": 1}, "", "as_of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SQL(tt.model, tt.rels, tt.params)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if _, err := Load("test", fstest.MapFS{"a.sql": {Data: []byte("-- model m: x\nSELECT 1\n")}, "b.sql": {Data: []byte("-- model m: y\nSELECT 2\n")}}, "*.sql"); err == nil ||
		!strings.Contains(err.Error(), "model m is defined in a.sql and b.sql") {
		t.Errorf("a model in two files: err = %v", err)
	}
	if got := Refs("SELECT * FROM {{a}} JOIN {{b}} USING (x) WHERE y IN {{a}}"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Refs = %v", got)
	}
}
