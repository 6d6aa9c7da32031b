package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/deps/depstest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// depsModel is the report model of the dependency fixture's scopes, without
// KPI values (the section is the subject): portfolio, programs Core and
// Edge, projects ALPHA, BETA, GAMMA.
func depsModel(asOf time.Time) *Model {
	m := &Model{Title: "PMO performance report", AsOf: asOf, GeneratedAt: asOf, TZ: time.UTC}
	m.Portfolio = &Scope{Kind: kpi.ScopePortfolio, Name: kpi.ScopePortfolio, Label: "Portfolio", Slug: "index"}
	for _, prog := range []struct{ name, keys string }{{"Core", "ALPHA BETA"}, {"Edge", "GAMMA"}} {
		pg := &Scope{Kind: kpi.ScopeProgram, Name: prog.name, Label: prog.name, Slug: "program-" + strings.ToLower(prog.name)}
		m.Programs = append(m.Programs, pg)
		for _, key := range strings.Fields(prog.keys) {
			p := &Scope{Kind: kpi.ScopeProject, Name: "jira/" + key, Label: key, Program: prog.name, Slug: "project-jira-" + strings.ToLower(key)}
			pg.Children = append(pg.Children, p)
			m.Projects = append(m.Projects, p)
		}
	}
	m.Portfolio.Children = m.Programs
	for _, s := range m.All() {
		s.Page = true
		m.Scopes = append(m.Scopes, kpi.ScopeName(s.Kind, s.Name))
	}
	return m
}

// TestDepsSection renders the dependency section of the fixture of package
// depstest (its matrix, cycles and chain are held to hand-computed rows by
// package deps; Build calls it through readDeps): the portfolio page shows
// the matrix by program, each program page the matrix by project — the
// links with either issue in it —, its graph, cycles and critical chain,
// a project page none; the program page loads in headless Chromium without
// errors with every chart drawn (screenshot in $PMO_REPORT_SHOTS/deps).
// On the embedded engine: the page is the subject.
func TestDepsSection(t *testing.T) {
	js := echartsJS(t)
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f := depstest.Read(t)
		f.Load(t, w)
		m := depsModel(f.AsOf)
		if err := depsOf(ctx, w, Options{KPI: kpi.DefaultConfig()}, m); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
			t.Fatal(err)
		}
		cell := regexp.MustCompile(`<td class="cell[^"]*" title="[^"]*"><b>(\d+)</b> · (\d+) d \(max (\d+)\)`)
		chainKey := regexp.MustCompile(`<tr><td>\d+</td><td class="l key"><a href="[^"]*">([A-Z]+-\d+)</a>`)
		for _, c := range []struct {
			page              string
			cells             string // open/days/max of each non-empty cell, rows by blocker group
			chain, verdict    string
			cycles, graphNode bool
		}{
			{page: "index.html", cells: "1/2/2", chain: "BETA-3 ALPHA-3 BETA-2 ALPHA-1", verdict: "misses the date", cycles: true, graphNode: true},
			{page: "program-core.html", cells: "1/5/5 3/13/10 1/2/2", chain: "BETA-3 ALPHA-3 BETA-2 ALPHA-1", verdict: "misses the date", graphNode: true},
			{page: "program-edge.html", cells: "1/2/2", cycles: true, graphNode: true},
			{page: "project-jira-alpha.html"},
		} {
			t.Run(c.page, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(out, c.page))
				if err != nil {
					t.Fatal(err)
				}
				html := string(b)
				i := strings.Index(html, `<section class="panel deps" id="deps">`)
				if c.cells == "" {
					if i >= 0 {
						t.Fatalf("%s has a dependency section", c.page)
					}
					return
				}
				if i < 0 {
					t.Fatalf("%s has no dependency section", c.page)
				}
				sec := html[i:]
				sec = sec[:strings.Index(sec, "</section>")]
				var cells []string
				for _, m := range cell.FindAllStringSubmatch(sec, -1) {
					cells = append(cells, m[1]+"/"+m[2]+"/"+m[3])
				}
				if got := strings.Join(cells, " "); got != c.cells {
					t.Errorf("matrix cells %q, want %q", got, c.cells)
				}
				var chain []string
				for _, m := range chainKey.FindAllStringSubmatch(sec, -1) {
					chain = append(chain, m[1])
				}
				if got := strings.Join(chain, " "); got != c.chain {
					t.Errorf("critical chain %q, want %q", got, c.chain)
				}
				if c.verdict != "" && !strings.Contains(sec, ">"+c.verdict+"</span>") {
					t.Errorf("no verdict %q", c.verdict)
				}
				if got := strings.Contains(sec, "GAMMA-1 → GAMMA-2 → GAMMA-3"); got != c.cycles {
					t.Errorf("cycle listed %v, want %v", got, c.cycles)
				}
				if got := strings.Contains(sec, `_deps"`); got != c.graphNode {
					t.Errorf("graph drawn %v, want %v", got, c.graphNode)
				}
			})
		}
		pages := []string{"program-core.html"}
		got := loadInBrowser(t, out, pages, shotsDir(t, "deps"))
		for _, p := range pages {
			if errs := got[p].Errors; len(errs) > 0 {
				t.Errorf("%s: console errors: %q", p, errs)
			}
			if got[p].Canvases != got[p].Containers {
				t.Errorf("%s: %d of %d charts drawn", p, got[p].Canvases, got[p].Containers)
			}
		}
	})
}
