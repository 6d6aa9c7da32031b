package report

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestSimulatorReportRendersInBrowser runs the whole path on the Jira
// simulator: jirasim → the real Jira collector → the warehouse →
// kpi.Compute/Store with a short weekly history → the report set, loaded in
// headless Chromium.
func TestSimulatorReportRendersInBrowser(t *testing.T) {
	js := echartsJS(t)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		jiratest.Collect(t, w, jirasim.Config{Mode: jirasim.Cloud, Issues: 600, Seed: 3})
		// The simulated organisation's history ends before its latest
		// update; report as of the day after it.
		var last time.Time
		rows, err := w.Query(ctx, "SELECT max(updated) FROM v_issues")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			if err := rows.Scan(&last); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		asOf := last.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		kc := kpi.DefaultConfig()
		if _, err := kpi.Backfill(ctx, w, kc, asOf.AddDate(0, 0, -14), asOf, 7*24*time.Hour, kpi.ScopeFilter{}); err != nil {
			t.Fatalf("computing KPIs: %v", err)
		}
		m, err := Build(ctx, w, Options{KPI: kc})
		if err != nil {
			t.Fatal(err)
		}
		if !m.AsOf.Equal(asOf) || len(m.Projects) < 2 {
			t.Fatalf("report as of %s with %d projects; want the latest stored snapshot %s and several projects", m.AsOf, len(m.Projects), asOf)
		}
		checkOneNumber(t, ctx, w, m)
		checkStandards(t, m) // standards_test.go
		out := t.TempDir()
		files, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js})
		if err != nil {
			t.Fatal(err)
		}
		var pages []string
		for _, f := range files {
			if strings.HasSuffix(f, ".html") && (strings.HasSuffix(f, "index.html") || !strings.HasSuffix(f, "-explain.html")) {
				pages = append(pages, f[len(out)+1:])
			}
		}
		got := loadInBrowser(t, out, pages, shotsDir(t, "sim-"+w.Engine()))
		for _, p := range pages {
			c := got[p]
			if len(c.Errors) > 0 {
				t.Errorf("%s: console errors: %q", p, c.Errors)
			}
			if c.Containers < 6 || c.Canvases != c.Containers {
				t.Errorf("%s: %d chart containers, %d with a rendered canvas; want ≥ 6, all rendered", p, c.Containers, c.Canvases)
			}
			if !c.Burnup {
				t.Errorf("%s: no rendered burn-up chart", p)
			}
		}
	})
}

// checkOneNumber: on every page, the charts beside a KPI show the engine's
// number and items — the cycle-time scatter is the cycle_time 12-week
// population with its percentiles, the aging chart and the cumulative flow's
// last In Progress column are the WIP the card shows, with the card's items.
func checkOneNumber(t *testing.T, ctx context.Context, w *warehouse.Warehouse, m *Model) {
	t.Helper()
	snap, err := kpi.LatestComplete(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.All() {
		name := s.Kind + ":" + s.Name
		val := func(id, window, labels string) (float64, uint64) {
			v, ok := snap.Find(s.Kind, s.Name, id, window, labels)
			if !ok || v.Value == nil {
				return 0, 0
			}
			return *v.Value, v.N
		}
		se := s.Series
		p85, n := val("cycle_time", "12w", "method=nr,quantile=0.85,unit=dc")
		if se.P85 != p85 || uint64(len(se.CycleTimes)) != n {
			t.Errorf("%s: cycle-time chart P85 %.1f over %d items; cycle_time 12w is %.1f over %d", name, se.P85, len(se.CycleTimes), p85, n)
		}
		wip, _ := val("wip", "snapshot", "measure=count")
		if float64(len(se.Aging)) != wip || len(se.CFDProgress) == 0 || float64(se.CFDProgress[len(se.CFDProgress)-1]) != wip {
			last := -1
			if len(se.CFDProgress) > 0 {
				last = se.CFDProgress[len(se.CFDProgress)-1]
			}
			t.Errorf("%s: WIP card %.0f, aging chart %d items, cumulative flow in progress %d: one page, three WIP figures", name, wip, len(se.Aging), last)
		}
		var card, chart []string
		for _, it := range s.Explain["wip"] {
			card = append(card, it.Key)
		}
		for _, it := range se.Aging {
			chart = append(chart, it.Key)
		}
		slices.Sort(card)
		slices.Sort(chart)
		if !slices.Equal(card, chart) {
			t.Errorf("%s: the WIP card lists %d items, the aging chart %d other ones", name, len(card), len(chart))
		}
	}
}
