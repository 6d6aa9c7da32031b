package kpi

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCSVFormulaInjection: tracker text in `pmo kpi --format csv` and
// `pmo kpi explain --format csv` cannot run as a spreadsheet formula, and the
// numbers pmo writes (negative ones included) are left as they are.
func TestCSVFormulaInjection(t *testing.T) {
	at := time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC)
	neg, days, pts := -0.5, -1.25, -3.0
	dc := int64(-2)
	snap := Snapshot{AsOf: at, ComputedAt: at, Values: []Value{
		{ScopeKind: ScopeProject, Scope: "=HYPERLINK(\"http://evil\",\"x\")", KPI: "velocity", Window: "sprint",
			Labels: Labels{"sprint": "@SUM(1)"}, AsOf: at, Value: &neg, N: 1, ComputedAt: at},
		{ScopeKind: ScopeProgram, Scope: "+Core", KPI: "scope_growth", Window: "4w", Labels: Labels{}, AsOf: at, Value: &neg, ComputedAt: at},
		{ScopeKind: ScopeProject, Scope: "-X", KPI: "scope_growth", Window: "4w", Labels: Labels{}, AsOf: at, ComputedAt: at},
	}}
	expl := Explanation{KPI: "velocity", Scope: "project:A", Window: "sprint", AsOf: at, TZ: "UTC", Items: []ExplainItem{
		{Key: "=1+2", Sprint: "-Sprint 9", Role: "@committed", Days: &days, DayCount: &dc, Points: &pts},
		{Key: "A-1", Sprint: "\tSprint", Role: "committed"},
	}}
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		col   string // the column to check
		want  []string
	}{
		{"kpi scope", func(b *bytes.Buffer) error { return Write(b, snap, "csv") }, "scope",
			[]string{`'=HYPERLINK("http://evil","x")`, "'+Core", "'-X"}},
		{"kpi labels", func(b *bytes.Buffer) error { return Write(b, snap, "csv") }, "labels", []string{"sprint=@SUM(1)", "", ""}},
		{"kpi value", func(b *bytes.Buffer) error { return Write(b, snap, "csv") }, "value", []string{"-0.5", "-0.5", ""}},
		{"explain key", func(b *bytes.Buffer) error { return WriteExplanation(b, expl, "csv") }, "key", []string{"'=1+2", "A-1"}},
		{"explain sprint", func(b *bytes.Buffer) error { return WriteExplanation(b, expl, "csv") }, "sprint", []string{"'-Sprint 9", "'\tSprint"}},
		{"explain role", func(b *bytes.Buffer) error { return WriteExplanation(b, expl, "csv") }, "role", []string{"'@committed", "committed"}},
		{"explain days", func(b *bytes.Buffer) error { return WriteExplanation(b, expl, "csv") }, "days", []string{"-1.250000", ""}},
		{"explain day_count", func(b *bytes.Buffer) error { return WriteExplanation(b, expl, "csv") }, "day_count", []string{"-2", ""}},
		{"explain points", func(b *bytes.Buffer) error { return WriteExplanation(b, expl, "csv") }, "points", []string{"-3", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v\n%s", err, b.String())
			}
			col := slices.Index(recs[0], tc.col)
			if col < 0 {
				t.Fatalf("no column %q in %q", tc.col, recs[0])
			}
			var got []string
			for _, r := range recs[1:] {
				got = append(got, r[col])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("column %s = %q, want %q", tc.col, got, tc.want)
			}
			for _, line := range strings.Split(b.String(), "\n") {
				for _, cell := range strings.Split(line, ",") {
					if cell != "" && strings.ContainsAny(cell[:1], "=@") {
						t.Errorf("a cell starts with a formula character: %q in line %q", cell, line)
					}
				}
			}
		})
	}
}
