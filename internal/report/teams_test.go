package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
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
		if !strings.Contains(page, `id="raid"`) || !strings.Contains(page, `id="changes"`) {
			t.Error("team-checkout.html has no RAID or change log section")
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

// TestTeamRegisterPages renders the report of raidtest's teams fixture
// (Checkout and Catalog share project WEB by component, Ops is project OPS;
// its registers are held to hand-computed rows per team by packages raid,
// deps and changelog): each team page has its team's RAID entries (a
// dependency between two teams on both), change log entries and
// dependencies, and the program and portfolio pages group the dependency
// matrix by team. On the embedded engine, without the cards' issue lists
// (Options.Explain) nor a browser (TestTeamPages loads a team page): the
// registers' sections are the subject.
func TestTeamRegisterPages(t *testing.T) {
	js := echartsJS(t)
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f := raidtest.ReadTeams(t)
		f.Load(t, w)
		noExplain := func(context.Context, string, string, string, string) ([]Item, error) { return nil, nil }
		m, err := Build(ctx, w, Options{KPI: raidtest.TeamsConfig(false), AsOf: f.AsOf, HistoryWeeks: 2, Explain: noExplain})
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
			t.Fatal(err)
		}
		section := func(html, start string) string {
			i := strings.Index(html, start)
			if i < 0 {
				return ""
			}
			sec := html[i:]
			return sec[:strings.Index(sec, "</section>")]
		}
		rowKey := regexp.MustCompile(`<tr><td class="l(?: key)?">(?:<a href="[^"]*">)?([A-Z]+-[0-9]+)`)
		changeKey := regexp.MustCompile(`>((?:WEB|OPS)-[0-9]+)</a>`)
		for _, c := range []struct {
			page    string
			raid    string // the first key of each row, register by register
			changes string // the change log's keys
			matrix  string // the dependency matrix's heading ("" none)
		}{
			{"team-checkout.html", "WEB-1 |  | WEB-12 WEB-14 WEB-22 | WEB-10 OPS-1 OPS-2", "WEB-1", "Blocker's team ↓ · blocked team →"},
			{"team-catalog.html", "WEB-2 |  | WEB-11 | WEB-10 WEB-20", "WEB-15", "Blocker's team ↓ · blocked team →"},
			{"team-ops.html", " |  |  | OPS-1 OPS-2", "", "Blocker's team ↓ · blocked team →"},
			{"program-shop.html", "WEB-1 WEB-2 WEB-3 |  | WEB-11 WEB-12 WEB-14 WEB-22 | WEB-10 OPS-1 WEB-20 OPS-2", "WEB-15 WEB-1", "Blocker's team ↓ · blocked team →"},
			{"index.html", "WEB-1 WEB-2 WEB-3 |  | WEB-11 WEB-12 WEB-14 WEB-22 | WEB-10 OPS-1 WEB-20 OPS-2", "WEB-15 WEB-1", "Blocker's team ↓ · blocked team →"},
		} {
			t.Run(c.page, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(out, c.page))
				if err != nil {
					t.Fatal(err)
				}
				html := string(b)
				sec := section(html, `<section class="panel raid" id="raid">`)
				var regs []string
				for _, part := range strings.Split(sec, "<h3")[1:] {
					var keys []string
					for _, m := range rowKey.FindAllStringSubmatch(part, -1) {
						keys = append(keys, m[1])
					}
					regs = append(regs, strings.Join(keys, " "))
				}
				if got := strings.Join(regs, " | "); got != c.raid {
					t.Errorf("RAID rows\n%s\nwant\n%s", got, c.raid)
				}
				var changes []string
				for _, m := range changeKey.FindAllStringSubmatch(section(html, `<section class="panel changes" id="changes">`), -1) {
					changes = append(changes, m[1])
				}
				if got := strings.Join(changes, " "); got != c.changes {
					t.Errorf("change log keys %q, want %q", got, c.changes)
				}
				if deps := section(html, `<section class="panel deps" id="deps">`); !strings.Contains(deps, c.matrix) {
					t.Errorf("the dependency section lacks %q:\n%s", c.matrix, deps)
				}
			})
		}
	})
}

func ptrInt(n int) *int { return &n }
