package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/changelog"
	"github.com/pmo-oss/pmo/internal/changelog/changelogtest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// changeRow finds a change-log row: its link, key and label.
var changeRow = regexp.MustCompile(`<tr><td class="l">[^<]*</td><td class="l key">(?:<a href="([^"]*)">)?([^<]+)(?:</a>)?</td><td class="l"><span class="badge[^"]*">([a-z ]+)</span>`)

// changesSection returns the change log section of a rendered page ("" if none).
func changesSection(html string) string {
	i := strings.Index(html, `<section class="panel changes" id="changes">`)
	if i < 0 {
		return ""
	}
	sec := html[i:]
	return sec[:strings.Index(sec, "</section>")]
}

// TestChangesSection renders the change log section (templates/changes.html)
// of the fixture of package changelogtest (its entries are held to
// hand-written rows by package changelog) for a program and a project: the
// entries of the scope in time order, issue keys linked to the tracker,
// versions not linked, the row limit with its pmo changes hint. The page
// around it, read by Build and loaded in headless Chromium, is checked on
// the demo organisation by TestDemoReportScreenshots. On the embedded
// engine: the section is the subject.
func TestChangesSection(t *testing.T) {
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		f := changelogtest.Read(t)
		f.Load(t, w)
		l, err := changelog.Build(t.Context(), w, changelog.Options{KPI: kpi.DefaultConfig(), To: f.AsOf})
		if err != nil {
			t.Fatal(err)
		}
		m := &Model{AsOf: f.AsOf, TZ: time.UTC}
		many := l.For(kpi.ScopePortfolio, "")
		for len(many.Entries) <= 50 {
			many.Entries = append(many.Entries, l.Entries...)
		}
		for _, c := range []struct {
			name string
			log  changelog.Log
			rows string // key and label of each row, in order
			more bool   // the "first 50 shown" hint
		}{
			{"program Core", l.For(kpi.ScopeProgram, "Core"), "ALPHA-2 sprint added, BETA-2 due date later, ALPHA-2 estimate up, " +
				"ALPHA-10 release added, ALPHA 1.0 release date later, ALPHA-2 release added, ALPHA-3 sprint removed, BETA-5 priority up, " +
				"ALPHA-4 sprint added, ALPHA-7 release removed, BETA-3 due date earlier", false},
			{"project GAMMA", l.For(kpi.ScopeProject, "jira/GAMMA"), "GAMMA-2 priority down, GAMMA-4 sprint added, GAMMA-1 due date cleared, " +
				"GAMMA-4 estimate set, GAMMA-3 priority changed, GAMMA 5 release date earlier", false},
			{"more than 50", many, "", true},
			{"none", l.For(kpi.ScopeProject, "jira/NONE"), "", false},
		} {
			t.Run(c.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := pageTmpl.ExecuteTemplate(&buf, "changes", page{M: m, S: &Scope{Changes: &c.log}}); err != nil {
					t.Fatal(err)
				}
				sec := changesSection(buf.String())
				if sec == "" {
					t.Fatalf("no change log section:\n%s", buf.String())
				}
				var got []string
				for _, r := range changeRow.FindAllStringSubmatch(sec, -1) {
					got = append(got, r[2]+" "+r[3])
					if strings.Contains(r[2], "-") {
						if want := "https://example.atlassian.net/browse/" + r[2]; r[1] != want {
							t.Errorf("%s links to %q, want %q", r[2], r[1], want)
						}
					} else if r[1] != "" {
						t.Errorf("version %s links to %q, want no link", r[2], r[1])
					}
				}
				if c.more {
					if len(got) != 50 || !strings.Contains(sec, "the first 50 shown; <code>pmo changes --scope portfolio</code>") {
						t.Errorf("%d rows shown of %d; want 50 and the pmo changes hint", len(got), len(c.log.Entries))
					}
				} else if s := strings.Join(got, ", "); s != c.rows {
					t.Errorf("rows\n%s\nwant\n%s", s, c.rows)
				}
				if c.log.Entries != nil && len(c.log.Entries) == 0 && !strings.Contains(sec, "No scope, date or priority change in the period.") {
					t.Errorf("an empty log does not say so")
				}
				if !strings.Contains(sec, "9 Mar 2026 to 16 Mar 2026") {
					t.Errorf("the section does not name the period")
				}
				if strings.Contains(sec, `=HYPERLINK("x")`) {
					t.Errorf("a summary is not HTML-escaped")
				}
			})
		}
	})
}

// checkDemoChanges: the demo organisation's report week has a change log
// with sprint additions after the start, due-date moves, priority changes
// and re-estimates in a running sprint, each with its author, and the first
// program's page shows its entries. (Release growth is rare in the
// simulator's week and release-date moves need collections on different
// days: package changelog holds both on its fixture.)
func checkDemoChanges(t *testing.T, out string, m *Model) {
	t.Helper()
	l := m.Portfolio.Changes
	if l == nil {
		t.Fatal("the demo report has no change log")
	}
	seen := map[string]int{}
	for _, e := range l.Entries {
		seen[e.Kind]++
		if e.Author == "" {
			t.Errorf("%s %s at %s: no author", e.Kind, e.Key, e.At)
		}
	}
	t.Logf("the demo's change log, %s to %s: %v", l.From.Format(time.DateOnly), l.To.Format(time.DateOnly), seen)
	for _, k := range []string{changelog.KindSprint, changelog.KindDueDate, changelog.KindPriority, changelog.KindEstimate} {
		if seen[k] == 0 {
			t.Errorf("no %s entry in the demo's change log", k)
		}
	}
	p := m.Programs[0]
	b, err := os.ReadFile(filepath.Join(out, p.Slug+".html"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(changeRow.FindAllStringSubmatch(changesSection(string(b)), -1)), min(len(p.Changes.Entries), 50); got != want || got == 0 {
		t.Errorf("%s: %d change log rows, want %d (its entries) and some", p.Slug, got, want)
	}
}
