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

// TestRAIDSection renders the report of the RAID fixture (package
// raidtest; its registers are held to hand-computed rows by package raid):
// each page's RAID section lists the registers of its scope — the rows'
// keys in order, linked to the tracker, stale entries flagged — and the
// program page loads in headless Chromium without errors (screenshot in
// $PMO_REPORT_SHOTS/raid). On the embedded engine: the page is the subject.
func TestRAIDSection(t *testing.T) {
	js := echartsJS(t)
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f := raidtest.Read(t)
		f.Load(t, w)
		m, err := Build(ctx, w, Options{KPI: kpi.DefaultConfig(), AsOf: f.AsOf, HistoryWeeks: 2})
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Write(ctx, m, WriteOptions{Out: out, EChartsJS: js}); err != nil {
			t.Fatal(err)
		}
		rowKey := regexp.MustCompile(`<tr><td class="l(?: key)?">(?:<a href="([^"]*)">)?([A-Z]+-[0-9]+|assumption|decision)`)
		for _, c := range []struct {
			page string
			// the first key of each row, register by register, and the stale badges
			keys  string
			stale int
		}{
			{"index.html", "ALPHA-2 ALPHA-1 BETA-2 BETA-3 BETA-1 GAMMA-1 | assumption decision decision | ALPHA-20 ALPHA-21 BETA-20 GAMMA-21 | BETA-20 ALPHA-23", 4},
			{"program-core.html", "ALPHA-2 ALPHA-1 BETA-2 BETA-3 BETA-1 | assumption decision | ALPHA-20 ALPHA-21 BETA-20 | BETA-20 ALPHA-23", 4},
			{"project-jira-gamma.html", "GAMMA-1 | decision | GAMMA-21 | ALPHA-23", 0},
		} {
			t.Run(c.page, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(out, c.page))
				if err != nil {
					t.Fatal(err)
				}
				html := string(b)
				i := strings.Index(html, `<section class="panel raid" id="raid">`)
				if i < 0 {
					t.Fatalf("%s has no RAID section", c.page)
				}
				sec := html[i:]
				sec = sec[:strings.Index(sec, "</section>")]
				var regs []string
				for _, part := range strings.Split(sec, "<h3")[1:] {
					var keys []string
					for _, m := range rowKey.FindAllStringSubmatch(part, -1) {
						keys = append(keys, m[2])
						if strings.HasPrefix(m[2], "A") || strings.HasPrefix(m[2], "B") || strings.HasPrefix(m[2], "G") {
							if want := "https://example.atlassian.net/browse/" + m[2]; m[1] != want {
								t.Errorf("%s: %s links to %q, want %q", c.page, m[2], m[1], want)
							}
						}
					}
					regs = append(regs, strings.Join(keys, " "))
				}
				if got := strings.Join(regs, " | "); got != c.keys {
					t.Errorf("%s: RAID rows\n%s\nwant\n%s", c.page, got, c.keys)
				}
				if got := strings.Count(sec, `title="not updated for`); got != c.stale {
					t.Errorf("%s: %d stale badges, want %d", c.page, got, c.stale)
				}
				if strings.Contains(sec, "=vendor may slip") != strings.Contains(c.keys, "BETA-2") {
					t.Errorf("%s: the summary of BETA-2 shown %v, want %v", c.page, !strings.Contains(c.keys, "BETA-2"), strings.Contains(c.keys, "BETA-2"))
				}
			})
		}
		got := loadInBrowser(t, out, []string{"program-core.html"}, shotsDir(t, "raid"))
		if errs := got["program-core.html"].Errors; len(errs) > 0 {
			t.Errorf("program-Core.html: console errors: %q", errs)
		}
	})
}
