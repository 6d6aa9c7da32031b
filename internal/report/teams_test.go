package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestTeamPages renders the report of the team fixture (kpi's
// testdata/teams.yaml: Checkout and Catalog share project WEB by
// component, program Shop; Ops is the board of project OPS, program
// Infra): each team has a page with its own values, linked from its
// program's Teams table (and the portfolio's), its crumbs run portfolio ›
// program › team, and the Checkout page loads in headless Chromium without
// errors (screenshots in $PMO_REPORT_SHOTS/teams). The KPI values are held
// to hand-computed ones in package kpi; on the embedded engine here.
func TestTeamPages(t *testing.T) {
	js := echartsJS(t)
	cfg := kpi.DefaultConfig()
	cfg.MinSample = ptrInt(1)
	cfg.FlowWindowsWeeks = []int{4}
	cfg.MCTrials = ptrInt(100)
	cfg.Teams = []kpi.Team{
		{Name: "Checkout", Components: []string{"checkout"}, Program: "Shop"},
		{Name: "Catalog", Components: []string{"catalog"}, Program: "Shop"},
		{Name: "Ops", Boards: []string{"Ops board"}, Program: "Infra"},
	}
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f := loadFixture(t, kpiTestdata+"teams.yaml")
		f.Load(t, w)
		m, err := Build(ctx, w, Options{KPI: cfg, AsOf: f.AsOf, HistoryWeeks: 2})
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
			t.Fatal(err)
		}
		read := func(page string) string {
			b, err := os.ReadFile(filepath.Join(out, page))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		teamsPanel := func(html string) string {
			i := strings.Index(html, "<h2>Teams</h2>")
			if i < 0 {
				return ""
			}
			return html[i : i+strings.Index(html[i:], "</section>")]
		}
		for _, c := range []struct {
			page  string
			teams []string // linked from the Teams table, in order
		}{
			{"index.html", []string{"team-checkout", "team-catalog", "team-ops"}},
			{"program-shop.html", []string{"team-checkout", "team-catalog"}},
			{"program-infra.html", []string{"team-ops"}},
			{"project-jira-web.html", nil},
		} {
			panel := teamsPanel(read(c.page))
			var got []string
			for _, part := range strings.Split(panel, `<a href="`)[1:] {
				got = append(got, strings.TrimSuffix(part[:strings.Index(part, `"`)], ".html"))
			}
			if strings.Join(got, " ") != strings.Join(c.teams, " ") {
				t.Errorf("%s: Teams table links %v, want %v", c.page, got, c.teams)
			}
		}
		page := read("team-checkout.html")
		for _, want := range []string{
			`<a href="index.html">Portfolio</a><span class="sep">›</span><a href="program-shop.html">Shop</a><span class="sep">›</span><a href="team-checkout.html">Checkout</a>`,
			`<div class="kind">team · Shop</div>`,
			`<h1>Checkout</h1>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("team-checkout.html lacks %s", want)
			}
		}
		if strings.Contains(page, `id="raid"`) {
			t.Error("team-checkout.html has a RAID section; the registers are per project")
		}
		// The explain page lists the team's issues only: WEB-6 (both
		// components) is Checkout's, WEB-3 is Catalog's.
		ex := read("team-checkout-explain.html")
		if !strings.Contains(ex, "WEB-6") || strings.Contains(ex, "WEB-3") {
			t.Errorf("team-checkout-explain.html: WEB-6 listed %v (want true), WEB-3 listed %v (want false)", strings.Contains(ex, "WEB-6"), strings.Contains(ex, "WEB-3"))
		}
		got := loadInBrowser(t, out, []string{"team-checkout.html"}, shotsDir(t, "teams"))
		for p, c := range got {
			if len(c.Errors) > 0 {
				t.Errorf("%s: console errors: %q", p, c.Errors)
			}
		}
	})
}

func ptrInt(n int) *int { return &n }
