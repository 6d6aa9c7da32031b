package kpi

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the errors, in order
	}{
		{"defaults", ``, nil},
		{"bad tz", "tz: Europ/Berlin", []string{`kpi.tz: unknown time zone "Europ/Berlin"`}},
		{"scope tz", "scopes: [{kind: project, name: A, tz: Europ/Berlin}]", []string{`kpi.scopes[0].tz: unknown time zone "Europ/Berlin"`}},
		{"scope kind and name", "scopes: [{kind: team}]", []string{`kpi.scopes[0].kind: "team" is not a scope kind`, `kpi.scopes[0].name: missing`}},
		{"knobs", "start_policy: middle\nsle: {days: -1, percentile: 1.5}\nmin_sample: 0\nflow_windows_weeks: [0]",
			[]string{`kpi.flow_windows_weeks[0]: 0 weeks`, `kpi.min_sample: 0 must be at least 1`, `kpi.sle.days: -1 is negative`, `kpi.sle.percentile: 1.5 is outside (0, 1)`, `kpi.start_policy: "middle" is not a policy`}},
		{"duplicate scope", "scopes: [{kind: project, name: A}, {kind: project, name: A}]", []string{`kpi.scopes[1]: duplicates kpi.scopes[0]`}},
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
