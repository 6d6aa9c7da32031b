package kpi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// teamsConfig is the configuration of testdata/teams.yaml: two teams
// sharing project WEB by component, one team by board.
func teamsConfig(multi bool) Config {
	c := DefaultConfig()
	c.MinSample = ptr(1)
	c.FlowWindowsWeeks = []int{4}
	c.MCTrials = ptr(100) // the forecast is not the subject
	c.Teams = []Team{
		{Name: "Checkout", Components: []string{"checkout"}, Program: "Shop"},
		{Name: "Catalog", Components: []string{"catalog"}, Program: "Shop"},
		{Name: "Ops", Boards: []string{"Ops board"}, Program: "Infra"},
	}
	c.MultiTeam = multi
	return c
}

// TestTeamScope: the team values of testdata/teams.yaml equal the values
// computed by hand, with the first matching team (WEB-6, both components,
// is Checkout's) and with kpi.multi_team (WEB-6 counts in both); explain
// recomputes the team values of the flow KPIs; with one team per issue the program and the
// portfolio are the sums of their teams' counts (the roll-up rule).
func TestTeamScope(t *testing.T) {
	f := loadFixture(t, "teams.yaml")
	cases := []struct {
		name  string
		multi bool
		want  map[string][]want // team → values
	}{
		{"first team wins", false, map[string][]want{
			"Checkout": {
				{"throughput", "4w", "measure=count", 3, 3},                // WEB-1, WEB-2, WEB-6
				{"cycle_time", "4w", "method=mean,unit=days", 13.0 / 3, 3}, // 2, 4, 7 days
				{"wip", "snapshot", "measure=count", 0, 0},
				{"created_vs_resolved", "4w", "measure=created", 4, -1}, // WEB-1, 2, 5, 6
			},
			"Catalog": {
				{"throughput", "4w", "measure=count", 1, 1},             // WEB-3
				{"cycle_time", "4w", "method=mean,unit=days", 1, 1},     // WEB-3: 1 day
				{"wip", "snapshot", "measure=count", 1, 1},              // WEB-4
				{"created_vs_resolved", "4w", "measure=created", 2, -1}, // WEB-3, WEB-4
			},
			"Ops": {
				{"throughput", "4w", "measure=count", 1, 1}, // OPS-1 (by the board's project)
				{"cycle_time", "4w", "method=mean,unit=days", 2, 1},
				{"created_vs_resolved", "4w", "measure=created", 2, -1},
				// the sprint of its board
				{"sprint_velocity", "sprint", "sprint=Ops-1,variant=points", 3, 1},
				{"say_do_ratio", "sprint", "sprint=Ops-1,variant=count", 1, 1},
			},
		}},
		{"multi_team", true, map[string][]want{
			"Checkout": {
				{"throughput", "4w", "measure=count", 3, 3},
				{"cycle_time", "4w", "method=mean,unit=days", 13.0 / 3, 3},
			},
			"Catalog": {
				{"throughput", "4w", "measure=count", 2, 2},             // WEB-3, WEB-6
				{"cycle_time", "4w", "method=mean,unit=days", 4, 2},     // 1 and 7 days
				{"created_vs_resolved", "4w", "measure=created", 3, -1}, // WEB-3, 4, 6
			},
		}},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		ctx := context.Background()
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				cfg := teamsConfig(tc.multi)
				snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for team, wants := range tc.want {
					checkValues(t, snap, ScopeTeam, team, wants)
				}
				known, err := ConfigScopes(ctx, w, cfg, f.AsOf)
				if err != nil {
					t.Fatal(err)
				}
				if got := known[len(known)-3:]; !slices.Equal(got, []string{"team:Checkout", "team:Catalog", "team:Ops"}) {
					t.Errorf("the last scopes are %v, want the three teams in config order", got)
				}
				// Explain lists the items that recompute every team value.
				var teams Snapshot
				teams.AsOf = snap.AsOf
				for _, v := range snap.Values {
					if v.ScopeKind == ScopeTeam {
						teams.Values = append(teams.Values, v)
					}
				}
				if !tc.multi {
					// The flow KPIs (the CI budget: explain costs a query per value).
					if n := checkRecompute(t, w, cfg, teams, "throughput", "cycle_time", "wip"); n == 0 {
						t.Error("no team value was recomputed by explain")
					}
					checkRollUp(t, snap, cfg)
				}
			})
		}
		if w.Engine() != "chdb" {
			return // the rest is Go on the same models: one engine (the CI budget)
		}
		// A one-team filter computes that team alone, its sprints too.
		fl, err := ParseScopeFilter("team:Ops")
		if err != nil {
			t.Fatal(err)
		}
		one, err := Compute(ctx, w, teamsConfig(false), f.AsOf, fl)
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, one, ScopeTeam, "Ops", []want{{"throughput", "4w", "measure=count", 1, 1}, {"sprint_velocity", "sprint", "sprint=Ops-1,variant=points", 3, 1}})
		for _, v := range one.Values {
			if v.ScopeKind != ScopeTeam || v.Scope != "Ops" {
				t.Fatalf("team:Ops computed %s:%s %s too", v.ScopeKind, v.Scope, v.KPI)
			}
		}
		// The sprint KPIs of a team explain the sprints of its boards.
		x := NewExplainer(w, teamsConfig(false), f.AsOf)
		defer x.Close(ctx)
		e, err := x.Explain(ctx, "sprint_velocity", "team:Ops", "")
		if err != nil {
			t.Fatal(err)
		}
		var items []string
		for _, it := range e.Items {
			items = append(items, it.Sprint+" "+it.Key+" "+it.Role)
		}
		if got := strings.Join(items, ", "); got != "Ops-1 OPS-1 committed, Ops-1 OPS-1 completed" {
			t.Errorf("explain sprint_velocity team:Ops lists %q", got)
		}
		// team:NAME parses and names a known scope; team:Nobody does not.
		known, err := ConfigScopes(ctx, w, teamsConfig(false), f.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		for scope, ok := range map[string]bool{"team:Catalog": true, "team:Nobody": false} {
			fl, err := ParseScopeFilter(scope)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckScope(fl, known, f.AsOf); (err == nil) != ok {
				t.Errorf("CheckScope(%s) = %v, want ok %v", scope, err, ok)
			}
		}
	})
}

// checkRollUp holds the catalog's roll-up rule (kpis.md C1: a roll-up sums
// per-team daily values) for the additive counts: each program's value is
// the sum of its teams' (kpi.teams[].program), the portfolio's the sum of
// every team's, when each issue belongs to exactly one team.
func checkRollUp(t *testing.T, snap Snapshot, cfg Config) {
	t.Helper()
	counts := []struct{ kpi, window, labels string }{
		{"throughput", "4w", "measure=count"},
		{"wip", "snapshot", "measure=count"},
		{"wip", "4w", "measure=daily_average"},
		{"created_vs_resolved", "4w", "measure=created"},
		{"created_vs_resolved", "4w", "measure=resolved"},
	}
	val := func(kind, scope string, c struct{ kpi, window, labels string }) float64 {
		v, ok := snap.Find(kind, scope, c.kpi, c.window, c.labels)
		if !ok || v.Value == nil {
			return 0
		}
		return *v.Value
	}
	for _, c := range counts {
		sums := map[string]float64{}
		all := 0.0
		for _, tm := range cfg.Teams {
			x := val(ScopeTeam, tm.Name, c)
			sums[tm.Program] += x
			all += x
		}
		for prog, sum := range sums {
			if got := val(ScopeProgram, prog, c); got != sum {
				t.Errorf("program %s %s{%s} %s = %v, its teams sum to %v", prog, c.kpi, c.labels, c.window, got, sum)
			}
		}
		if got := val(ScopePortfolio, "all", c); got != all {
			t.Errorf("portfolio %s{%s} %s = %v, the teams sum to %v", c.kpi, c.labels, c.window, got, all)
		}
	}
}
