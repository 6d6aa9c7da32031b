package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/standards/stdtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestStandardsSection renders the report of the standards fixture
// (package stdtest; its results are held to hand-computed values by
// package standards): each page's scorecard shows its scope's standards —
// pass/fail badge, count, projects passing, previous result, trend — and
// links the offending items to the tracker; the program page loads in
// headless Chromium without errors (screenshot in
// $PMO_REPORT_SHOTS/standards). On the embedded engine: the page is the
// subject.
func TestStandardsSection(t *testing.T) {
	js := echartsJS(t)
	whtest.OnEngine(t, warehouse.EngineChDB, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f := stdtest.Read(t)
		f.Load(t, w)
		// A report set of three pages without KPIs (the KPI engine is not
		// the subject: a full Build costs 20 s under -race), its
		// scorecards read by the report's own hook.
		m := &Model{Title: "Standards", AsOf: f.AsOf, GeneratedAt: f.AsOf, TZ: time.UTC}
		m.Portfolio = &Scope{Kind: kpi.ScopePortfolio, Name: "all", Label: "Portfolio", Slug: "index", Page: true}
		core := &Scope{Kind: kpi.ScopeProgram, Name: "Core", Label: "Core", Slug: "program-core", Page: true}
		gamma := &Scope{Kind: kpi.ScopeProject, Name: "jira/GAMMA", Label: "GAMMA — Gamma", Program: "Edge", Slug: "project-jira-gamma", Page: true}
		web := &Scope{Kind: kpi.ScopeTeam, Name: "Web", Label: "Web", Program: "Core", Slug: "team-web", Page: true}
		m.Portfolio.Children, m.Programs, m.Projects, m.Teams = []*Scope{core}, []*Scope{core}, []*Scope{gamma}, []*Scope{web}
		core.Teams = []*Scope{web}
		if err := readStandards(ctx, w, Options{KPI: stdtest.KPI(), Standards: stdtest.Config()}, m); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
			t.Fatal(err)
		}
		row := regexp.MustCompile(`<tr><td class="l">([^<]+)<br>.*?<span class="badge rag-(green|red)">(pass|fail)</span></td><td>(\d+)</td>(?:<td>(\d+ of \d+)</td>)?<td>([^<]+)</td><td class="l"><span class="badge rag-[a-z]*">([a-z]+)</span></td><td class="l items">(.*?)</td></tr>`)
		link := regexp.MustCompile(`<a class="key" href="([^"]+)" title="[^"]+">([A-Z]+-\d+)</a>`)
		for _, c := range []struct {
			page string
			head string
			rows []string // name result count projects previous trend | linked keys
		}{
			{"index.html", "0 of 7 met", []string{
				"Required fields filled fail 3 2 of 3 pass, 0 worse | ALPHA-2 ALPHA-3 ALPHA-8",
				"Workflow uses the agreed status categories fail 2 1 of 3 pass, 0 worse | ALPHA-5 BETA-2",
				"WIP within the limit fail 6 2 of 3 pass, 3 worse | ALPHA-1 ALPHA-2 ALPHA-7 ALPHA-8 BETA-1 GAMMA-1",
				"Estimates on ready items fail 2 1 of 3 fail, 2 unchanged | ALPHA-3 BETA-3",
				"Due dates on committed items fail 2 2 of 3 pass, 0 worse | ALPHA-2 ALPHA-8",
				"Sprints of the agreed length fail 1 2 of 3 fail, 1 unchanged | ",
				"No stale items fail 1 2 of 3 fail, 2 better | ALPHA-6"}},
			{"program-core.html", "0 of 7 met", []string{
				"Required fields filled fail 3 1 of 2 pass, 0 worse | ALPHA-2 ALPHA-3 ALPHA-8",
				"Workflow uses the agreed status categories fail 2 0 of 2 pass, 0 worse | ALPHA-5 BETA-2",
				"WIP within the limit fail 5 1 of 2 pass, 1 worse | ALPHA-1 ALPHA-2 ALPHA-7 ALPHA-8 BETA-1",
				"Estimates on ready items fail 2 0 of 2 fail, 2 unchanged | ALPHA-3 BETA-3",
				"Due dates on committed items fail 2 1 of 2 pass, 0 worse | ALPHA-2 ALPHA-8",
				"Sprints of the agreed length fail 1 1 of 2 fail, 1 unchanged | ",
				"No stale items fail 1 1 of 2 fail, 1 unchanged | ALPHA-6"}},
			{"project-jira-gamma.html", "7 of 7 met", []string{
				"Required fields filled pass 0 pass, 0 unchanged | ",
				"Workflow uses the agreed status categories pass 0 pass, 0 unchanged | ",
				"WIP within the limit pass 1 pass, 2 better | GAMMA-1",
				"Estimates on ready items pass 0 pass, 0 unchanged | ",
				"Due dates on committed items pass 0 pass, 0 unchanged | ",
				"Sprints of the agreed length pass 0 pass, 0 unchanged | ",
				"No stale items pass 0 fail, 1 better | "}},
			// A team page: the team judged as one unit (no projects column), its own items only.
			{"team-web.html", "2 of 7 met", []string{
				"Required fields filled fail 1 pass, 0 worse | ALPHA-2",
				"Workflow uses the agreed status categories fail 1 pass, 0 worse | ALPHA-5",
				"WIP within the limit fail 4 pass, 2 worse | ALPHA-1 ALPHA-2 BETA-1 GAMMA-1",
				"Estimates on ready items pass 0 pass, 0 unchanged | ",
				"Due dates on committed items fail 1 pass, 0 worse | ALPHA-2",
				"Sprints of the agreed length fail 1 fail, 1 unchanged | ",
				"No stale items pass 0 pass, 0 unchanged | "}},
		} {
			t.Run(c.page, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(out, c.page))
				if err != nil {
					t.Fatal(err)
				}
				html := string(b)
				i := strings.Index(html, `<section class="panel standards" id="standards">`)
				if i < 0 {
					t.Fatalf("%s has no standards scorecard", c.page)
				}
				sec := html[i:]
				sec = sec[:strings.Index(sec, "</section>")]
				if !strings.Contains(sec, "— "+c.head+"</span>") {
					t.Errorf("%s: the heading does not say %q", c.page, c.head)
				}
				var got []string
				for _, r := range row.FindAllStringSubmatch(sec, -1) {
					if (r[2] == "green") != (r[3] == "pass") {
						t.Errorf("%s: %s: badge colour %s for %s", c.page, r[1], r[2], r[3])
					}
					var keys []string
					for _, l := range link.FindAllStringSubmatch(r[8], -1) {
						keys = append(keys, l[2])
						if want := "https://example.atlassian.net/browse/" + l[2]; l[1] != want {
							t.Errorf("%s: %s links to %q, want %q", c.page, l[2], l[1], want)
						}
					}
					cols := []string{r[1], r[3], r[4], r[5], r[6], r[7], "|", strings.Join(keys, " ")}
					if r[5] == "" { // a project page has no projects column
						cols = append(cols[:3], cols[4:]...)
					}
					got = append(got, strings.Join(cols, " "))
				}
				if strings.Join(got, "\n") != strings.Join(c.rows, "\n") {
					t.Errorf("%s: scorecard rows\n%s\nwant\n%s", c.page, strings.Join(got, "\n"), strings.Join(c.rows, "\n"))
				}
				if c.page == "team-web.html" && !strings.Contains(sec, "The team is judged as one unit") {
					t.Errorf("%s: the scorecard does not say how a team is judged", c.page)
				}
				if (strings.Contains(c.page, "core") || strings.Contains(c.page, "team")) && !strings.Contains(sec, `<span class="key" title="jira/BETA: planned for 21 days (2026-03-02 – 2026-03-23)">Beta Sprint 7</span>`) {
					t.Errorf("%s: the sprint off the agreed length is not shown with its reason", c.page)
				}
			})
		}
		got := loadInBrowser(t, out, []string{"program-core.html", "team-web.html"}, shotsDir(t, "standards"))
		for page, g := range got {
			if len(g.Errors) > 0 {
				t.Errorf("%s: console errors: %q", page, g.Errors)
			}
		}
	})
}

// checkStandards: on the simulator's report every page has a standards
// scorecard whose explain lists equal their counts, and the projects'
// scorecards show both passes and failures.
func checkStandards(t *testing.T, m *Model) {
	t.Helper()
	passes, fails := 0, 0
	for _, s := range m.All() {
		if !s.Page {
			continue
		}
		if s.Standards == nil || len(s.Standards.Standards) == 0 {
			t.Errorf("%s:%s: no standards scorecard", s.Kind, s.Name)
			continue
		}
		for _, r := range s.Standards.Standards {
			if len(r.Items) != r.Count {
				t.Errorf("%s:%s %s: count %d, %d items listed", s.Kind, s.Name, r.ID, r.Count, len(r.Items))
			}
			if s.Kind != kpi.ScopeProject {
				continue
			}
			if r.Pass {
				passes++
			} else {
				fails++
			}
		}
	}
	if passes == 0 || fails == 0 {
		t.Errorf("the simulator's projects pass %d and fail %d standards; want both", passes, fails)
	}
}
