package kpi

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCheckScope: the one scope check of kpi, report and email matches a
// project by its key or source/KEY, a program or source by name, and names
// an unknown scope with the known ones (at most 15, then how many).
func TestCheckScope(t *testing.T) {
	known := []string{"portfolio", "source:jira", "program:Core", "project:jira/ALPHA", "project:jira/BETA"}
	asOf := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		scope string
		want  string // "" = found
	}{
		{"", ""},
		{"portfolio", ""},
		{"project", ""},
		{"project:ALPHA", ""},
		{"project:jira/BETA", ""},
		{"program:Core", ""},
		{"source:jira", ""},
		{"project:NOPE", `no scope "project:NOPE" with issues created before 2025-07-01; known scopes: portfolio, source:jira, program:Core, project:jira/ALPHA, project:jira/BETA`},
		{"program:core", `no scope "program:core"`},
		{"source:gitlab", `no scope "source:gitlab"`},
		{"project:ALPHA/x", `no scope "project:ALPHA/x"`},
	} {
		f, err := ParseScopeFilter(tt.scope)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckScope(f, known, asOf)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v, want found", tt.scope, err)
		case tt.want != "" && (err == nil || !errors.Is(err, ErrNoScope) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want ErrNoScope with %q", tt.scope, err, tt.want)
		}
	}
	var many []string
	for i := range 40 {
		many = append(many, "project:jira/P"+string(rune('A'+i%26))+string(rune('A'+i/26)))
	}
	if err := NoScopeError("project:X", many, time.Time{}); !strings.Contains(err.Error(), "project:jira/PAA, ") || !strings.HasSuffix(err.Error(), "… (40 in all)") {
		t.Errorf("long list: %v", err)
	}
}

// TestScopeFilterHolds: which issues each scope kind holds (the registers —
// RAID log, dependencies, change log, scorecard — filter by it).
func TestScopeFilterHolds(t *testing.T) {
	const project, program = "jira/ALPHA", "Core"
	teams := []string{"Payments", "Web"}
	for _, tc := range []struct {
		filter string
		teams  []string
		want   bool
	}{
		{"", nil, true},
		{"portfolio", nil, true},
		{"source", nil, true},
		{"source:jira", nil, true},
		{"source:gitlab", nil, false},
		{"program", nil, true},
		{"program:Core", nil, true},
		{"program:Edge", nil, false},
		{"project:ALPHA", nil, true},
		{"project:jira/ALPHA", nil, true},
		{"project:BETA", nil, false},
		{"team:Payments", teams, true},
		{"team:Web", teams, true},
		{"team:Ops", teams, false},
		{"team:Payments", nil, false},
		{"team", teams, true},
		{"team", nil, false},
	} {
		f, err := ParseScopeFilter(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Holds(project, program, tc.teams); got != tc.want {
			t.Errorf("%q.Holds(%s, %s, %v) = %v, want %v", tc.filter, project, program, tc.teams, got, tc.want)
		}
	}
}
