package kpi

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// zonesConfig is the configuration of testdata/teams_zones.yaml: team East
// reports in Asia/Tokyo, team West in America/Los_Angeles, the rest in
// kpi.tz = UTC.
func zonesConfig() Config {
	c := DefaultConfig()
	c.MinSample = ptr(1)
	c.FlowWindowsWeeks = []int{4}
	c.MCTrials = ptr(100)
	c.Teams = []Team{
		{Name: "East", Components: []string{"east"}, Program: "Shop"},
		{Name: "West", Components: []string{"west"}, Program: "Shop"},
	}
	c.Scopes = []ScopeConfig{
		{Kind: ScopeTeam, Name: "East", TZ: "Asia/Tokyo"},
		{Kind: ScopeTeam, Name: "West", TZ: "America/Los_Angeles"},
	}
	return c
}

// TestTeamZones holds the roll-up across time zones (kpis.md C1: one team
// = one tz; a roll-up sums per-team daily values, never re-buckets UTC
// instants in a different tz) on testdata/teams_zones.yaml:
//   - every value of a team equals the team's value when the whole
//     organisation reports in the team's zone;
//   - the program, its project and the portfolio count each team's items
//     on the team's local days: the hand-computed values, and the additive
//     counts (throughput, WIP, its daily average, created, resolved) are the
//     sums of the teams' (and project OPS's, for the portfolio);
//   - explain recomputes the roll-ups' flow values from the items it lists.
func TestTeamZones(t *testing.T) {
	f := loadFixture(t, "teams_zones.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		ctx := context.Background()
		cfg := zonesConfig()
		snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, team := range []struct{ name, tz string }{{"East", "Asia/Tokyo"}, {"West", "America/Los_Angeles"}} {
			ref := zonesConfig()
			ref.TZ, ref.Scopes = team.tz, nil
			rs, err := Compute(ctx, w, ref, f.AsOf, ScopeFilter{Kind: ScopeTeam, Name: team.name})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, want := range rs.Values {
				got, ok := snap.Find(ScopeTeam, team.name, want.KPI, want.Window, want.Labels.String())
				n++
				if !ok || fmtPtr(got.Value) != fmtPtr(want.Value) || got.N != want.N {
					t.Errorf("team %s %s{%s} %s = %s (n %d), with kpi.tz %s %s (n %d)", team.name, want.KPI, want.Labels, want.Window,
						fmtPtr(got.Value), got.N, team.tz, fmtPtr(want.Value), want.N)
				}
			}
			if n < 50 {
				t.Errorf("team %s: only %d values compared", team.name, n)
			}
		}
		shop := []want{
			{"throughput", "4w", "measure=count", 4, 4},                     // WEB-11, WEB-12, WEB-21, WEB-22
			{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", 4, 4},    // 4, 4, 3, 4
			{"cycle_time", "4w", "method=nr,quantile=0.85,unit=dc", 4, 4},   //
			{"work_item_age", "snapshot", "measure=mean_age,unit=dc", 3, 1}, // WEB-13 on Tokyo's days
			{"wip", "snapshot", "measure=count", 1, 1},                      // WEB-13
			{"created_vs_resolved", "4w", "measure=created", 4, -1},         // WEB-12, WEB-13, WEB-22, WEB-23
			{"created_vs_resolved", "4w", "measure=resolved", 4, -1},        // as throughput
			{"arrival_departure_ratio", "4w", "measure=arrivals", 3, -1},    // WEB-12, WEB-13, WEB-22 started in their windows
		}
		checkValues(t, snap, ScopeProgram, "Shop", shop)
		checkValues(t, snap, ScopeProject, "jira/WEB", shop)
		checkValues(t, snap, ScopePortfolio, "all", []want{{"throughput", "4w", "measure=count", 5, 5}}) // + OPS-1
		// The roll-up rule for the additive counts.
		val := func(kind, scope, kpi, win, labels string) float64 {
			v, ok := snap.Find(kind, scope, kpi, win, labels)
			if !ok || v.Value == nil {
				return 0
			}
			return *v.Value
		}
		for _, c := range []struct{ kpi, window, labels string }{
			{"throughput", "4w", "measure=count"},
			{"wip", "snapshot", "measure=count"},
			{"wip", "4w", "measure=daily_average"},
			{"created_vs_resolved", "4w", "measure=created"},
			{"created_vs_resolved", "4w", "measure=resolved"},
		} {
			teams := val(ScopeTeam, "East", c.kpi, c.window, c.labels) + val(ScopeTeam, "West", c.kpi, c.window, c.labels)
			ops := val(ScopeProject, "jira/OPS", c.kpi, c.window, c.labels)
			for _, s := range []struct {
				kind, name string
				want       float64
			}{{ScopeProgram, "Shop", teams}, {ScopeProject, "jira/WEB", teams}, {ScopePortfolio, "all", teams + ops}} {
				if got := val(s.kind, s.name, c.kpi, c.window, c.labels); math.Abs(got-s.want) > 1e-9 {
					t.Errorf("%s %s %s{%s} %s = %v, the sum of its parts is %v", s.kind, s.name, c.kpi, c.labels, c.window, got, s.want)
				}
			}
		}
		if w.Engine() != "chdb" {
			return // explain is the same models on the other engine (the CI budget)
		}
		var rollups Snapshot
		rollups.AsOf = snap.AsOf
		for _, v := range snap.Values {
			if v.ScopeKind == ScopeProgram || v.ScopeKind == ScopePortfolio {
				rollups.Values = append(rollups.Values, v)
			}
		}
		if n := checkRecompute(t, w, cfg, rollups, "throughput", "cycle_time", "wip", "work_item_age", "created_vs_resolved"); n == 0 {
			t.Error("no roll-up value was recomputed by explain")
		}
		// The program's throughput lists each team's items done in the
		// team's own window, and says which zones count.
		x := NewExplainer(w, cfg, f.AsOf)
		defer x.Close(ctx)
		e, err := x.Explain(ctx, "throughput", "program:Shop", "4w")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, it := range e.Items {
			keys = append(keys, it.Key)
		}
		if got := strings.Join(keys, " "); got != "WEB-11 WEB-12 WEB-21 WEB-22" {
			t.Errorf("explain throughput program:Shop 4w lists %s", got)
		}
		if got := fmt.Sprint(e.Zones); got != "[UTC Asia/Tokyo America/Los_Angeles]" {
			t.Errorf("explain throughput program:Shop: zones %s", got)
		}
	})
}

// TestZonePlan: the zones of a configuration, each team's and the
// overrides', and the limit of maxZones with an error that names the zones.
func TestZonePlan(t *testing.T) {
	c := zonesConfig()
	c.Scopes = append(c.Scopes, ScopeConfig{Kind: ScopeProgram, Name: "Shop", TZ: "Europe/Berlin"})
	p, err := c.zones()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(p.names); got != "[UTC Asia/Tokyo America/Los_Angeles Europe/Berlin]" {
		t.Errorf("zones %s", got)
	}
	params, err := c.zoneParams(p)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"zone_team_zi":       "[2 3]",
		"zone_program_names": "[ Shop]",
		"zone_program_zi":    "[1 4]",
		"zone_project_keys":  "[]",
		"tz_1":               "UTC",
		"tz_4":               "Europe/Berlin",
		"tz_5":               "UTC",
	} {
		if got := fmt.Sprint(params[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	for i, tz := range []string{"Europe/Paris", "Europe/London", "Asia/Kolkata", "Australia/Sydney", "America/New_York"} {
		c.Scopes = append(c.Scopes, ScopeConfig{Kind: ScopeProject, Name: fmt.Sprintf("P%d", i), TZ: tz})
	}
	p, err = c.zones()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.zoneParams(p); err == nil || err.Error() != "kpi: 9 time zones in kpi.tz and kpi.scopes[].tz ([UTC Asia/Tokyo America/Los_Angeles Europe/Berlin Europe/Paris Europe/London Asia/Kolkata Australia/Sydney America/New_York]); pmo computes at most 8: give some scopes the same tz" {
		t.Errorf("9 zones: %v", err)
	}
}
