package kpi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the errors, in order
	}{
		{"defaults", ``, nil},
		{"removed story_points_fields", "scopes: [{kind: project, name: A, story_points_fields: [Points]}]",
			[]string{`kpi.scopes[0].story_points_fields: no longer read: the collector decides which tracker fields carry story points`}},
		{"bad tz", "tz: Europ/Berlin", []string{`kpi.tz: unknown time zone "Europ/Berlin"`}},
		{"scope tz", "scopes: [{kind: project, name: A, tz: Europ/Berlin}]", []string{`kpi.scopes[0].tz: unknown time zone "Europ/Berlin"`}},
		{"scope kind and name", "scopes: [{kind: board}]", []string{`kpi.scopes[0].kind: "board" is not a scope kind`, `kpi.scopes[0].name: missing`}},
		{"teams", "teams: [{name: A, components: [api]}, {name: A, projects: ['']}, {name: 'x:y'}, {boards: [B]}]",
			[]string{`kpi.teams[1].name: "A" is also kpi.teams[0].name; team names must be unique`, `kpi.teams[1].projects[0]: empty`,
				`kpi.teams[2].name: "x:y" contains ':' or ','`, `kpi.teams[2]: selects no issue; give boards, projects, components or assignees`,
				`kpi.teams[3].name: missing`}},
		{"team scope override", "teams: [{name: A, assignees: [bob]}]\nscopes: [{kind: team, name: A, tz: UTC}]", nil},
		{"knobs", "start_policy: middle\nsle: {days: -1, percentile: 1.5}\nmin_sample: 0\nflow_windows_weeks: [0]",
			[]string{`kpi.flow_windows_weeks[0]: 0 weeks`, `kpi.min_sample: 0 must be at least 1`, `kpi.sle.days: -1 is negative`, `kpi.sle.percentile: 1.5 is outside (0, 1)`, `kpi.start_policy: "middle" is not a policy`}},
		{"part 2 knobs", "risk_severity_weights: {High: -1}\nblocking_link_types: ['']\ncapacity: {working_days: [Funday], hours_per_day: 0, fte: 1, holidays: [2025-13-01]}\nmc_trials: 5\nmc_confidence: 1",
			[]string{`kpi.blocking_link_types[0]: empty link type name`, `kpi.capacity.holidays[0]: "2025-13-01" is not a date`, `kpi.capacity.hours_per_day: 0 is outside (0, 24]`,
				`kpi.capacity.working_days[0]: "Funday" is not a weekday`, `kpi.mc_confidence: 1 is outside (0, 1)`, `kpi.mc_trials: 5 is outside 100..1000000`, `kpi.risk_severity_weights.High: -1 is negative`}},
		{"estimated_by", "estimated_by: points\nscopes: [{kind: project, name: A, estimated_by: Story_Points}, {kind: project, name: B, estimated_by: original_estimate}]",
			[]string{`kpi.estimated_by: "points" is not a way to count an item as estimated; use either (default), story_points or original_estimate`,
				`kpi.scopes[0].estimated_by: "Story_Points" is not a way`}},
		{"duplicate scope", "scopes: [{kind: project, name: A}, {kind: project, name: A}]", []string{`kpi.scopes[1]: duplicates kpi.scopes[0]`}},
		{"nine zones", "scopes: [" + func() string {
			var b []string
			for i, z := range []string{"Europe/Paris", "Europe/London", "Asia/Kolkata", "Australia/Sydney", "America/New_York", "Asia/Tokyo", "America/Chicago", "Europe/Berlin"} {
				b = append(b, fmt.Sprintf("{kind: project, name: P%d, tz: %s}", i, z))
			}
			return strings.Join(b, ", ")
		}() + "]", []string{`kpi.scopes[].tz: 9 time zones [UTC Europe/Paris Europe/London Asia/Kolkata Australia/Sydney America/New_York Asia/Tokyo America/Chicago Europe/Berlin] with kpi.tz; pmo computes in at most 8: give some scopes the same tz`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			dec := yaml.NewDecoder(strings.NewReader(tt.yaml))
			dec.KnownFields(true)
			if err := dec.Decode(&c); err != nil && tt.yaml != "" {
				t.Fatal(err)
			}
			errs := c.Validate()
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestTeamWarnings(t *testing.T) {
	tests := []struct {
		name  string
		teams []Team
		multi bool
		want  []string
	}{
		{"by component", []Team{{Name: "A", Components: []string{"a"}}, {Name: "B", Components: []string{"b"}}}, false, nil},
		{"same project", []Team{{Name: "A", Projects: []string{"WEB"}}, {Name: "B", Projects: []string{"WEB"}}}, false,
			[]string{`kpi.teams: "A" and "B" both select project "WEB"; an issue belongs to the first, "A" (set kpi.multi_team: true to count it in both)`}},
		{"project and component", []Team{{Name: "A", Assignees: []string{"bob"}}, {Name: "B", Projects: []string{"jira/WEB"}}}, false,
			[]string{`kpi.teams: "A" (assignee "bob") and "B" (project "jira/WEB") may share issues; an issue that matches both belongs to the first, "A" (set kpi.multi_team: true to count it in both)`}},
		{"multi_team", []Team{{Name: "A", Projects: []string{"WEB"}}, {Name: "B", Projects: []string{"WEB"}}}, true, nil},
		// Teams in other zones than their program roll up exactly (kpis.md C1): no warning.
		{"team zone", []Team{{Name: "NY", Projects: []string{"WEB"}, Program: "Core"}, {Name: "B", Projects: []string{"API"}}}, false, nil},
		// An issue two teams share counts its days in the first team's zone.
		{"multi_team across zones", []Team{{Name: "NY", Projects: []string{"WEB"}}, {Name: "B", Components: []string{"api"}, Program: "Core"}}, true,
			[]string{`kpi.teams: "NY" reports in America/New_York, "B" in Europe/Berlin: an issue both select (kpi.multi_team) counts its days (windows, daily WIP, day counts) in the first team's zone, America/New_York, in both teams (kpis.md C1: one team = one tz)`}},
		{"multi_team one zone", []Team{{Name: "NY", Projects: []string{"WEB"}}, {Name: "B", Components: []string{"api"}, Program: "US"}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Teams, c.MultiTeam = tt.teams, tt.multi
			c.Scopes = []ScopeConfig{{Kind: ScopeTeam, Name: "NY", TZ: "America/New_York"},
				{Kind: ScopeProgram, Name: "Core", TZ: "Europe/Berlin"}, {Kind: ScopeProgram, Name: "US", TZ: "America/New_York"}}
			if got := c.TeamWarnings(); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warnings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfigResolve(t *testing.T) {
	c := DefaultConfig()
	c.TZ = "Europe/Berlin"
	c.Scopes = []ScopeConfig{
		{Kind: ScopeProgram, Name: "Core", Knobs: Knobs{StartPolicy: "first", MinSample: ptr(3)}},
		{Kind: ScopeProject, Name: "ALPHA", TZ: "America/New_York", Knobs: Knobs{MinSample: ptr(1)}},
	}
	s, err := c.resolve(ScopeProject, "jira/ALPHA", "Core", "jira")
	if err != nil {
		t.Fatal(err)
	}
	if s.TZ != "America/New_York" || s.StartPolicy != "first" || *s.MinSample != 1 || *s.VelocityWindowSprints != 5 {
		t.Errorf("project ALPHA resolved to tz %s policy %s min %d velocity %d", s.TZ, s.StartPolicy, *s.MinSample, *s.VelocityWindowSprints)
	}
	p, _ := c.resolve(ScopePortfolio, "all", "", "")
	if p.TZ != "Europe/Berlin" || p.StartPolicy != "last" || p.key() == s.key() {
		t.Errorf("portfolio resolved to tz %s policy %s", p.TZ, p.StartPolicy)
	}
}

func TestCapacityCalendar(t *testing.T) {
	c := &Capacity{WorkingDays: []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, HoursPerDay: 8, FTE: 1, Holidays: []string{"2025-03-03"},
		People: map[string]PersonCapacity{"bob": {FTE: ptr(0.5), Holidays: []string{"2025-03-04", "2025-03-08"}}}}
	from, to := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	// March 2025: 21 working days (kpis.md §4.3); a holiday on Monday 03-03.
	if got := c.hours("alice", from, to); got != 20*8 {
		t.Errorf("alice: %v h, want 160", got)
	}
	// bob: also on leave Tuesday 03-04 (the Saturday leave changes nothing), half time.
	if got := c.hours("bob", from, to); got != 19*8*0.5 {
		t.Errorf("bob: %v h, want 76", got)
	}
}
