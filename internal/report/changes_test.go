package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/changelog/changelogtest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestChangesSection renders the report of the change-log fixture (package
// changelogtest; its entries are held to hand-written rows by package
// changelog): each page's change log lists the entries of its scope in
// time order, issue keys linked to the tracker, and the program page loads
// in headless Chromium without errors (screenshot in
// $PMO_REPORT_SHOTS/changes). On the embedded engine: the page is the
// subject.
func TestChangesSection(t *testing.T) {
	js := echartsJS(t)
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f := changelogtest.Read(t)
		f.Load(t, w)
		m, err := Build(ctx, w, Options{KPI: kpi.DefaultConfig(), AsOf: f.AsOf, HistoryWeeks: 2})
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
			t.Fatal(err)
		}
		row := regexp.MustCompile(`<tr><td class="l">[^<]*</td><td class="l key">(?:<a href="([^"]*)">)?([^<]+)(?:</a>)?</td><td class="l"><span class="badge[^"]*">([a-z ]+)</span>`)
		for _, c := range []struct {
			page string
			rows string // key and kind/change of each row, in order
		}{
			{"program-core.html", "ALPHA-2 sprint added, BETA-2 due date later, ALPHA-2 estimate up, ALPHA-10 release added, ALPHA 1.0 release date later, ALPHA-2 release added, " +
				"ALPHA-3 sprint removed, BETA-5 priority up, ALPHA-4 sprint added, ALPHA-7 release removed, BETA-3 due date earlier"},
			{"project-jira-gamma.html", "GAMMA-2 priority down, GAMMA-4 sprint added, GAMMA-1 due date cleared, GAMMA-4 estimate set, " +
				"GAMMA-3 priority changed, GAMMA 5 release date earlier"},
		} {
			t.Run(c.page, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(out, c.page))
				if err != nil {
					t.Fatal(err)
				}
				html := string(b)
				i := strings.Index(html, `<section class="panel changes" id="changes">`)
				if i < 0 {
					t.Fatalf("%s has no change log section", c.page)
				}
				sec := html[i:]
				sec = sec[:strings.Index(sec, "</section>")]
				var got []string
				for _, m := range row.FindAllStringSubmatch(sec, -1) {
					got = append(got, m[2]+" "+m[3])
					if strings.Contains(m[2], "-") {
						if want := "https://example.atlassian.net/browse/" + m[2]; m[1] != want {
							t.Errorf("%s: %s links to %q, want %q", c.page, m[2], m[1], want)
						}
					} else if m[1] != "" {
						t.Errorf("%s: version %s links to %q, want no link", c.page, m[2], m[1])
					}
				}
				if s := strings.Join(got, ", "); s != c.rows {
					t.Errorf("%s: change log rows\n%s\nwant\n%s", c.page, s, c.rows)
				}
			})
		}
		got := loadInBrowser(t, out, []string{"program-core.html"}, shotsDir(t, "changes"))
		if errs := got["program-core.html"].Errors; len(errs) > 0 {
			t.Errorf("program-core.html: console errors: %q", errs)
		}
	})
}
