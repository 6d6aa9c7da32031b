package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestDemoReportScreenshots renders the report set of pmo demo's
// organisation (the simulator's healthy, at-risk and in-trouble projects,
// 3,000 issues, seed 1, as `pmo demo` collects it) and loads the portfolio,
// a program, the project in trouble and the portfolio email in headless
// Chromium (network off) at 1,400 px and 800 px, screenshots in
// $PMO_REPORT_SHOTS/demo-<width>: the projects are green, amber and red, a
// page shows one WIP figure and the charts show the engine's numbers
// (checkOneNumber), and no page logs an error or leaves a chart unrendered.
// The pages do not depend on the engine (TestSimulatorReportRendersInBrowser
// runs both), so this runs on the embedded one.
func TestDemoReportScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("collects the demo organisation; skipped with -short")
	}
	js := echartsJS(t)
	ctx := context.Background()
	w := whtest.Open(t, "chdb")
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC) // the anchor demo_org_test pins the story at
	jiratest.Collect(t, w, jirasim.Demo(jirasim.Cloud, 3000, 1, now))
	kc := kpi.DefaultConfig()
	// One as-of: the pages need no history (TestSimulatorReportRendersInBrowser has one).
	if _, err := kpi.Backfill(ctx, w, kc, now, now, 7*24*time.Hour, kpi.ScopeFilter{}); err != nil {
		t.Fatalf("computing KPIs: %v", err)
	}
	m, err := Build(ctx, w, Options{KPI: kc})
	if err != nil {
		t.Fatal(err)
	}
	rags := map[RAG][]string{}
	var red *Scope
	for _, p := range m.Projects {
		rags[p.Overall] = append(rags[p.Overall], p.Name)
		if p.Overall == Red && red == nil {
			red = p
		}
	}
	if len(rags[Green]) == 0 || len(rags[Amber]) == 0 || red == nil {
		t.Fatalf("the demo's projects are %v; want green, amber and red ones", rags)
	}
	checkOneNumber(t, ctx, w, m)

	out := t.TempDir()
	if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
		t.Fatal(err)
	}
	// The portfolio email as a mail client shows it: its inline charts
	// (cid:) as files beside it.
	e, err := EmailBody(m, m.Portfolio, EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	html := e.HTML
	for _, img := range e.Images {
		if err := os.WriteFile(filepath.Join(out, "email-"+img.Name), img.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		html = strings.ReplaceAll(html, "cid:"+img.Name, "email-"+img.Name)
	}
	if err := os.WriteFile(filepath.Join(out, "email.html"), []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	if len(m.Programs) == 0 {
		t.Fatal("the demo has no programs")
	}
	pages := []string{"index.html", m.Programs[0].Slug + ".html", red.Slug + ".html"}
	checkDemoChanges(t, out, m) // the change log section (changes_test.go)
	for _, width := range []int{1400, 800} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			shots := shotsDir(t, fmt.Sprintf("demo-%d", width))
			got := loadInBrowserAt(t, out, append(pages, "email.html"), shots, width)
			for _, p := range pages {
				c := got[p]
				if len(c.Errors) > 0 {
					t.Errorf("%s: console errors: %q", p, c.Errors)
				}
				if c.Containers < 6 || c.Canvases != c.Containers {
					t.Errorf("%s: %d chart containers, %d with a rendered canvas; want ≥ 6, all rendered", p, c.Containers, c.Canvases)
				}
			}
			if errs := got["email.html"].Errors; len(errs) > 0 {
				t.Errorf("email.html: console errors: %q", errs)
			}
		})
	}
}
