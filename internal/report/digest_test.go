package report_test

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
)

// digestModel is the synthetic portfolio with the history of the kpi
// package's two-snapshot digest golden (its projects jira/A, B, C mapped
// onto P001, P002, P003), two newly overdue items and a calibration.
func digestModel(t *testing.T) *report.Model {
	t.Helper()
	m := reporttest.Model(3, 1)
	b, err := os.ReadFile(filepath.Join("..", "kpi", "testdata", "digest_two_snapshots.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(`"jira/A"`, `"jira/P001"`, `"jira/B"`, `"jira/P002"`, `"jira/C"`, `"jira/P003"`).Replace(string(b))
	var d kpi.Digest
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatal(err)
	}
	// The same move seen by the project's program and the portfolio: said
	// once, by the project.
	for _, mv := range d.Movers {
		if mv.KPI == "cycle_time" {
			for _, agg := range [][2]string{{kpi.ScopeProgram, "Program A"}, {kpi.ScopePortfolio, "all"}} {
				dup := mv
				dup.ScopeKind, dup.Scope = agg[0], agg[1]
				d.Movers = append(d.Movers, dup)
			}
			break
		}
	}
	d.NewOverdue = []kpi.DigestItem{{Key: "P001-7", Project: "jira/P001", Role: "overdue (due 2026-11-20 at as-of)"}, {Key: "P002-3", Project: "jira/P002", Role: "overdue (due 2026-11-21 at as-of)"}}
	f := func(x float64) *float64 { return &x }
	cal := kpi.Calibration{AsOf: m.AsOf, Rows: []kpi.CalibrationRow{
		{ScopeKind: kpi.ScopePortfolio, Scope: "all", Horizon: 2, Percentile: 0.85, N: 2, Hits: 2, HitRate: f(1), MAEDays: f(1.5)},
		{ScopeKind: kpi.ScopePortfolio, Scope: "all", Horizon: 4, Percentile: 0.5, N: 4, Hits: 1, HitRate: f(0.25), MAEDays: f(2.75)},
		{ScopeKind: kpi.ScopePortfolio, Scope: "all", Horizon: 4, Percentile: 0.85, N: 4, Hits: 3, HitRate: f(0.75), MAEDays: f(3.75)},
		{ScopeKind: kpi.ScopePortfolio, Scope: "all", Horizon: 8, Percentile: 0.5, N: 0},
	}}
	m.History = &report.History{Digest: &d, Calibration: &cal}
	return m
}

// section cuts the digest and calibration sections out of a page.
func section(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `<section class="digest"`)
	if i < 0 {
		t.Fatalf("no digest section in the page")
	}
	j := strings.Index(page[i:], `<section class="calibration"`)
	end := i
	if j >= 0 {
		end += j
	}
	k := strings.Index(page[end:], "</section>")
	return page[i:end+k+len("</section>")] + "\n"
}

// TestDigestGolden: the portfolio page opens with every change (RAG
// transitions with their components, movers with better/worse, newly
// overdue items, the release whose on-time chance dropped), each linked to
// its explain page, and the calibration sentence; a project page shows its
// own changes only. The email's HTML and text carry the same lines.
func TestDigestGolden(t *testing.T) {
	m := digestModel(t)
	for _, tc := range []struct {
		golden string
		s      *report.Scope
	}{
		{"digest_portfolio.html.golden", m.Portfolio},
		{"digest_project.html.golden", m.Projects[0]},
	} {
		var buf bytes.Buffer
		if err := report.RenderPage(&buf, m, tc.s, false); err != nil {
			t.Fatal(err)
		}
		got := section(t, buf.String())
		p := filepath.Join("testdata", tc.golden)
		if *update {
			if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs (run with -update if intended):\n--- got\n%s\n--- want\n%s", p, got, want)
		}
		// The digest comes before the KPI cards.
		if strings.Index(buf.String(), `<section class="digest"`) > strings.Index(buf.String(), `class="card`) {
			t.Errorf("%s: the digest is not the first section", tc.s.Label)
		}
	}
	v := m.DigestFor(m.Portfolio)
	if v == nil || len(v.Lines) != 9 || !v.Since.Equal(time.Date(2025, 6, 23, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("portfolio digest: %+v; want 9 lines since 23 Jun 2025", v)
	}
	if got := m.DigestFor(m.Projects[0]); len(got.Lines) != 5 {
		t.Errorf("project P001 digest has %d lines, want its RAG change, 2 movers, 1 overdue item, 1 release", len(got.Lines))
	}
	e, err := report.EmailBody(m, m.Portfolio, report.EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range v.Lines {
		if !strings.Contains(html.UnescapeString(e.HTML), l.Text) {
			t.Errorf("the email HTML lacks the digest line %q", l.Text)
		}
		if !strings.Contains(e.Text, l.Text) {
			t.Errorf("the email text lacks the digest line %q", l.Text)
		}
	}
	for _, want := range []string{"Our P85 forecasts made 4 weeks ahead were right 75 % of the time (n=4, mean error 3.8 days)", "What changed"} {
		if !strings.Contains(html.UnescapeString(e.HTML), want) || !strings.Contains(e.Text, want) {
			t.Errorf("the email lacks %q", want)
		}
	}
	// Without a previous complete refresh there is no digest section.
	m.History.Digest.Previous = time.Time{}
	if m.DigestFor(m.Portfolio) != nil {
		t.Errorf("a digest without a previous refresh")
	}
}
