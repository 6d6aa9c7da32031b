package report

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// burnupFixture: five flow items over three weeks ending Wed 2026-03-18
// (as_of, UTC): A done in week 1, B created week 1 done week 2, C discarded
// (left out of scope and done), D created week 2 and open, E created week
// 3 and done on the as_of day's eve; F is done after as_of (open at as_of).
func burnupFixture() ([]*issue, time.Time) {
	d := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	return []*issue{
		{Key: "A", created: d(2, 9), start: d(3, 9), done: d(5, 12)},
		{Key: "B", created: d(4, 9), start: d(9, 9), done: d(11, 16)},
		{Key: "C", created: d(4, 10), done: d(10, 10), discarded: true},
		{Key: "D", created: d(10, 9)},
		{Key: "E", created: d(16, 9), start: d(16, 10), done: d(17, 23)},
		{Key: "F", created: d(17, 9)},
	}, d(18, 0)
}

func TestBurnupSeries(t *testing.T) {
	is, asOf := burnupFixture()
	s := series(is, asOf, time.UTC, 3, 0)
	wantEnds := []time.Time{
		time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),  // Mon 2 Mar + 7
		time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), // Mon 9 Mar + 7
		asOf, // current week, cut at as_of
	}
	if !slices.EqualFunc(s.BurnEnds, wantEnds, time.Time.Equal) {
		t.Errorf("burn-up week ends %v, want %v", s.BurnEnds, wantEnds)
	}
	if want := []int{2, 3, 5}; !slices.Equal(s.BurnScope, want) {
		t.Errorf("scope %v, want %v", s.BurnScope, want)
	}
	if want := []int{1, 2, 3}; !slices.Equal(s.BurnDone, want) {
		t.Errorf("done %v, want %v", s.BurnDone, want)
	}
}

// TestSeriesZones: each issue counts on the weeks of its own zone (kpis.md
// C1), so a roll-up's weekly series is the sum of its teams' series, each
// computed in the team's zone. Tokyo's week 2 starts Sun 8 Mar 15:00 UTC
// and Los Angeles' Mon 9 Mar 07:00 UTC (PDT from 8 Mar).
func TestSeriesZones(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	la, _ := time.LoadLocation("America/Los_Angeles")
	d := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	asOf := d(18, 0)
	east := []*issue{
		{Key: "E1", created: d(2, 9), start: d(3, 9), done: d(8, 16), loc: tokyo}, // Mon 9 Mar 01:00 in Tokyo: week 2 (week 1 in UTC)
		{Key: "E2", created: d(8, 20), loc: tokyo},                                // created Mon 9 Mar in Tokyo
	}
	west := []*issue{
		{Key: "W1", created: d(2, 9), start: d(3, 9), done: d(9, 5), loc: la}, // Sun 8 Mar 22:00 in Los Angeles: week 1 (week 2 in UTC)
		{Key: "W2", created: d(4, 9), start: d(9, 9), done: d(11, 16), loc: la},
	}
	all := append(slices.Clone(east), west...)
	for _, tt := range []struct {
		name               string
		is                 []*issue
		tp, created, burnD []int
	}{
		{"east", east, []int{0, 1, 0}, []int{1, 1, 0}, []int{0, 1, 1}},
		{"west", west, []int{1, 1, 0}, []int{2, 0, 0}, []int{1, 2, 2}},
		{"program", all, []int{1, 2, 0}, []int{3, 1, 0}, []int{1, 3, 3}},
	} {
		s := series(tt.is, asOf, time.UTC, 3, 0)
		if !slices.Equal(s.Throughput, tt.tp) || !slices.Equal(s.Created, tt.created) || !slices.Equal(s.BurnDone, tt.burnD) {
			t.Errorf("%s: throughput %v created %v burn-up done %v, want %v %v %v", tt.name, s.Throughput, s.Created, s.BurnDone, tt.tp, tt.created, tt.burnD)
		}
	}
}

func TestSnapshotForecastAndEVM(t *testing.T) {
	is, asOf := burnupFixture()
	f := func(x float64) *float64 { return &x }
	snap := kpi.Snapshot{AsOf: asOf, Values: []kpi.Value{
		{ScopeKind: "project", Scope: "j/P", KPI: "monte_carlo_forecast", Window: "90d", Labels: kpi.Labels{"measure": "when_days"}, Value: f(12), AsOf: asOf},
		{ScopeKind: "project", Scope: "j/P", KPI: "monte_carlo_forecast", Window: "90d", Labels: kpi.Labels{"measure": "backlog"}, Value: f(2), AsOf: asOf},
		{ScopeKind: "project", Scope: "j/Q", KPI: "monte_carlo_forecast", Window: "90d", Labels: kpi.Labels{"measure": "when_days"}, AsOf: asOf},
		{ScopeKind: "project", Scope: "j/P", KPI: "evm_spi", Window: "to_date", Labels: kpi.Labels{"variant": "agile"}, Value: f(0.9), AsOf: asOf},
		{ScopeKind: "project", Scope: "j/P", KPI: "evm_spi", Window: "to_date", Labels: kpi.Labels{"variant": "agile", "measure": "sv"}, Value: f(-3), AsOf: asOf},
		{ScopeKind: "project", Scope: "j/P", KPI: "evm_cpi", Window: "to_date", Labels: kpi.Labels{"variant": "agile"}, Value: f(1.1), AsOf: asOf},
	}}
	hist := []kpi.Value{
		{ScopeKind: "project", Scope: "j/P", KPI: "evm_spi", Window: "to_date", Labels: kpi.Labels{"variant": "agile"}, Value: f(0.8), AsOf: asOf.AddDate(0, 0, -7)},
		{ScopeKind: "project", Scope: "j/P", KPI: "evm_spi", Window: "to_date", Labels: kpi.Labels{"variant": "agile"}, Value: f(0.9), AsOf: asOf},
	}
	cfg := kpi.DefaultConfig()
	fc := snapshotForecast(snap, cfg, time.UTC)
	evm := evmTrend(hist, snap.Values)
	ctx := context.Background()

	p := &Scope{Kind: "project", Name: "j/P", Series: series(is, asOf, time.UTC, 3, 0)}
	got, err := fc(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// E = 17 Mar (last complete day), + 12 days.
	want := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	if len(got.Lines) != 1 || got.Lines[0].Label != "P85" || !got.Lines[0].Date.Equal(want) || !got.P85.Equal(want) || got.Backlog != 2 || got.Note != "" {
		t.Errorf("forecast %+v, want one P85 line on %s with a backlog of 2", got, want.Format(time.DateOnly))
	}
	if len(got.Done) != 3 || got.Done[2].Value != 3 || got.Scope[2].Value != 5 || !got.Scope[2].At.Equal(asOf) {
		t.Errorf("burn-up points scope %v done %v", got.Scope, got.Done)
	}
	for _, name := range []string{"j/Q", "j/R"} { // NULL forecast, no forecast at all
		got, err := fc(ctx, &Scope{Kind: "project", Name: name, Series: p.Series})
		if err != nil || got.Note != noForecast || len(got.Lines) != 0 || len(got.Done) != 3 {
			t.Errorf("%s: forecast %+v, %v; want the burn-up and %q", name, got, err, noForecast)
		}
		if ch := burnupChart("c_x", got); ch.Subtitle != noForecast {
			t.Errorf("%s: burn-up subtitle %q, want %q", name, ch.Subtitle, noForecast)
		}
	}
	if ch := burnupChart("c_p", got); ch.Subtitle != "P85 finish 29 Mar 2026 · 2 open items" {
		t.Errorf("burn-up subtitle %q", ch.Subtitle)
	}

	pts, err := evm(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].SPI != 0.8 || !math.IsNaN(pts[0].CPI) || pts[1].SPI != 0.9 || pts[1].CPI != 1.1 {
		t.Errorf("EVM trend %+v, want SPI 0.8 (no CPI) then SPI 0.9 CPI 1.1", pts)
	}
	p.Slug, p.Forecast, p.EVM = "project-p", got, pts
	var ids []string
	for _, c := range scopeCharts(p, &Model{AsOf: asOf, TZ: time.UTC}) {
		ids = append(ids, c.ID)
		if c.ID == "c_project_p_evm" && !strings.Contains(string(c.Script), `"SPI"`) {
			t.Errorf("EVM chart script without the SPI series: %s", c.Script)
		}
	}
	if !slices.Contains(ids, "c_project_p_burnup") || !slices.Contains(ids, "c_project_p_evm") {
		t.Errorf("charts %v, want the burn-up and the EVM trend", ids)
	}
	if pts, _ := evm(ctx, &Scope{Kind: "project", Name: "j/Q"}); len(pts) != 0 {
		t.Errorf("EVM trend of a scope without values: %+v, want none", pts)
	}
	for _, c := range scopeCharts(p, &Model{AsOf: asOf, TZ: time.UTC}) {
		if c.ID == "c_project_p_evm" && !strings.Contains(c.Subtitle, "mode agile") {
			t.Errorf("agile EVM chart subtitle %q, want it to name mode agile", c.Subtitle)
		}
	}
}

// TestEVMTrendEffort: EVM mode H values (variant=effort) are read; a scope
// with both modes shows only its effort values; the chart names the mode.
func TestEVMTrendEffort(t *testing.T) {
	_, asOf := burnupFixture()
	f := func(x float64) *float64 { return &x }
	v := func(scope, kpiID, variant string, x float64, weeksAgo int) kpi.Value {
		return kpi.Value{ScopeKind: "project", Scope: scope, KPI: kpiID, Window: "to_date",
			Labels: kpi.Labels{"variant": variant}, Value: f(x), AsOf: asOf.AddDate(0, 0, -7*weeksAgo)}
	}
	hist := []kpi.Value{
		v("j/H", "evm_spi", "effort", 0.7, 1), // effort only
		v("j/H", "evm_cpi", "effort", 1.2, 1),
		v("j/B", "evm_spi", "agile", 0.5, 1), // both modes: effort wins
		v("j/B", "evm_spi", "effort", 0.95, 1),
		{ScopeKind: "project", Scope: "j/B", KPI: "evm_eac", Window: "to_date", Labels: kpi.Labels{"variant": "effort", "measure": "eac"}, Value: f(300), AsOf: asOf},
	}
	snap := []kpi.Value{
		v("j/H", "evm_spi", "effort", 0.75, 0),
		{ScopeKind: "project", Scope: "j/H", KPI: "evm_spi", Window: "to_date", Labels: kpi.Labels{"variant": "effort", "measure": "sv"}, Value: f(-4), AsOf: asOf},
		v("j/B", "evm_spi", "agile", 0.6, 0),
		v("j/B", "evm_cpi", "agile", 0.9, 0),
		v("j/B", "evm_cpi", "effort", 1.05, 0),
		v("j/A", "evm_spi", "agile", 1.1, 0), // agile only
	}
	evm := evmTrend(hist, snap)
	ctx := context.Background()
	nan := math.NaN()
	for _, tc := range []struct {
		scope    string
		mode     string
		spi, cpi []float64
	}{
		{"j/H", "effort", []float64{0.7, 0.75}, []float64{1.2, nan}},
		{"j/B", "effort", []float64{0.95, nan}, []float64{nan, 1.05}},
		{"j/A", "agile", []float64{1.1}, []float64{nan}},
	} {
		t.Run(tc.scope, func(t *testing.T) {
			pts, err := evm(ctx, &Scope{Kind: "project", Name: tc.scope})
			if err != nil {
				t.Fatal(err)
			}
			same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
			if len(pts) != len(tc.spi) {
				t.Fatalf("EVM trend %+v, want %d points", pts, len(tc.spi))
			}
			for i, p := range pts {
				if p.Mode != tc.mode || !same(p.SPI, tc.spi[i]) || !same(p.CPI, tc.cpi[i]) {
					t.Errorf("point %d %+v, want mode %s SPI %v CPI %v", i, p, tc.mode, tc.spi[i], tc.cpi[i])
				}
			}
			s := &Scope{Kind: "project", Name: tc.scope, Slug: "project-x", EVM: pts}
			var found bool
			for _, c := range scopeCharts(s, &Model{AsOf: asOf, TZ: time.UTC}) {
				if c.ID == "c_project_x_evm" {
					found = true
					if !strings.Contains(c.Subtitle, "mode "+tc.mode) {
						t.Errorf("EVM chart subtitle %q, want it to name mode %s", c.Subtitle, tc.mode)
					}
				}
			}
			if !found {
				t.Error("no EVM chart")
			}
		})
	}
}

// TestSnapshotForecastFanAndReleases: the 50 % value of the confidence fan
// becomes a second line; release-labelled values become the release table
// and never leak into the scope's own forecast.
func TestSnapshotForecastFanAndReleases(t *testing.T) {
	is, asOf := burnupFixture() // E = 17 Mar 2026
	f := func(x float64) *float64 { return &x }
	mc := func(labels kpi.Labels, x *float64) kpi.Value {
		return kpi.Value{ScopeKind: "project", Scope: "j/S", KPI: "monte_carlo_forecast", Window: "90d", Labels: labels, Value: x, AsOf: asOf}
	}
	snap := kpi.Snapshot{AsOf: asOf, Values: []kpi.Value{
		mc(kpi.Labels{"measure": "when_days"}, f(12)),
		mc(kpi.Labels{"measure": "when_days", "confidence": "0.5"}, f(6)),
		mc(kpi.Labels{"measure": "when_days", "confidence": "0.95"}, f(20)),
		mc(kpi.Labels{"measure": "when_days", "release": "2.0"}, f(40)), // must not replace the backlog's 12
		mc(kpi.Labels{"measure": "when_days", "release": "2.0", "confidence": "0.5"}, f(30)),
		mc(kpi.Labels{"measure": "remaining", "release": "2.0"}, f(7)),
		mc(kpi.Labels{"measure": "days_left", "release": "2.0"}, f(14)),
		mc(kpi.Labels{"measure": "on_time_probability", "release": "2.0"}, f(0.123)),
		mc(kpi.Labels{"measure": "late_days", "release": "2.0"}, f(26)),
		mc(kpi.Labels{"measure": "remaining", "release": "1.9"}, f(0)),
		mc(kpi.Labels{"measure": "when_days", "release": "1.9"}, f(0)),
		mc(kpi.Labels{"measure": "days_left", "release": "1.9"}, f(-3)),
		mc(kpi.Labels{"measure": "on_time_probability", "release": "1.9"}, f(0)),
		mc(kpi.Labels{"measure": "late_days", "release": "1.9"}, f(3)),
		mc(kpi.Labels{"measure": "remaining", "release": "3.0"}, f(4)),
		mc(kpi.Labels{"measure": "when_days", "release": "3.0"}, f(9)),
	}}
	got, err := snapshotForecast(snap, kpi.DefaultConfig(), time.UTC)(context.Background(), &Scope{Kind: "project", Name: "j/S", Series: series(is, asOf, time.UTC, 3, 0)})
	if err != nil {
		t.Fatal(err)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	if len(got.Lines) != 2 || got.Lines[0].Label != "P50" || !got.Lines[0].Date.Equal(day(3, 23)) || got.Lines[1].Label != "P85" || !got.Lines[1].Date.Equal(day(3, 29)) {
		t.Errorf("forecast lines %+v, want P50 23 Mar and P85 29 Mar", got.Lines)
	}
	if !got.P50.Equal(day(3, 23)) || !got.P85.Equal(day(3, 29)) {
		t.Errorf("P50 %v P85 %v", got.P50, got.P85)
	}
	tests := []struct {
		name, chance, outlook string
		planned, finish       time.Time
		remaining             int
	}{
		{"1.9", "0 %", "all items done, release date passed", day(3, 14), day(3, 17), 0},
		{"2.0", "12 %", "late by 26 d", day(3, 31), day(4, 26), 7},
		{"3.0", "—", "no release date", time.Time{}, day(3, 26), 4},
	}
	if len(got.Releases) != len(tests) {
		t.Fatalf("releases %+v, want %d", got.Releases, len(tests))
	}
	for i, tc := range tests {
		r := got.Releases[i]
		if r.Name != tc.name || r.Chance() != tc.chance || r.Outlook() != tc.outlook || !r.Planned.Equal(tc.planned) || !r.Finish.Equal(tc.finish) || r.Remaining != tc.remaining {
			t.Errorf("release %d = %+v (chance %q, outlook %q), want %+v", i, r, r.Chance(), r.Outlook(), tc)
		}
	}
	if !got.Releases[1].Likely.Equal(day(4, 16)) {
		t.Errorf("release 2.0 P50 finish %v, want 16 Apr", got.Releases[1].Likely)
	}
}
