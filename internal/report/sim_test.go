package report

import (
	"context"
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
