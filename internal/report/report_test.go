package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// hostile is an issue summary that must arrive escaped everywhere.
const hostile = `<script>alert("pwned")</script> & <b>bold</b>`

func ptr[T any](v T) *T { return &v }

// echartsJS returns the fetched ECharts script or skips (fails with CI=true).
func echartsJS(t testing.TB) string {
	t.Helper()
	p, err := FindECharts()
	if err != nil {
		whtest.Unavailable(t, "report: "+err.Error())
	}
	return p
}

// shotsDir is where screenshots go: $PMO_REPORT_SHOTS (kept, to look at)
// or a temporary folder (the browser checks then take no page screenshots).
func shotsDir(t *testing.T, name string) string {
	if d := os.Getenv("PMO_REPORT_SHOTS"); d != "" {
		d = filepath.Join(d, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

type example struct {
	name, file string
	cfg        func() kpi.Config
}

var examples = []example{
	{"example_a", "example_a.yaml", func() kpi.Config {
		c := kpi.DefaultConfig()
		c.TZ = "Europe/Berlin"
		c.FlowItemTypes = []string{"Story", "Bug"}
		c.DiscardResolutions = []string{"Won't Do"}
		c.ActiveStatusIDs = []string{"3", "11"}
		c.SLE = &kpi.SLE{Days: 7, Percentile: 0.85}
		c.MinSample = ptr(1)
		return c
	}},
	{"example_b", "example_b.yaml", func() kpi.Config {
		c := kpi.DefaultConfig()
		c.MinSample = ptr(1)
		return c
	}},
}

// buildExample loads a worked example into w, stores its snapshot and a
// weekly history, and builds the report model.
func buildExample(t *testing.T, w *warehouse.Warehouse, ex example) *Model {
	t.Helper()
	ctx := context.Background()
	f := loadFixture(t, kpiTestdata+ex.file)
	summaries := map[string]string{}
	for _, is := range f.Issues {
		summaries[is.Key] = is.Key + " " + hostile
	}
	withSummaries(f, summaries).Load(t, w)
	cfg := ex.cfg()
	if _, err := kpi.Backfill(ctx, w, cfg, f.AsOf.AddDate(0, 0, -7), f.AsOf, 7*24*time.Hour, kpi.ScopeFilter{}); err != nil {
		t.Fatalf("backfilling KPI history: %v", err)
	}
	m, err := Build(ctx, w, Options{KPI: cfg, AsOf: f.AsOf, HistoryWeeks: 8})
	if err != nil {
		t.Fatalf("building the report: %v", err)
	}
	return m
}

func TestExamplesRenderInBrowser(t *testing.T) {
	js := echartsJS(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			// The embedded engine; TestSimulatorReportRendersInBrowser renders
			// the server's pages too.
			whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
				m := buildExample(t, w, ex)
				if len(m.Projects) == 0 || len(m.Programs) == 0 {
					t.Fatalf("model has %d projects and %d programs, want both", len(m.Projects), len(m.Programs))
				}
				out := t.TempDir()
				files, err := Write(context.Background(), m, WriteOptions{Out: out, EChartsJS: js})
				if err != nil {
					t.Fatal(err)
				}
				checkEscaped(t, files)
				var pages []string
				for _, f := range files {
					if strings.HasSuffix(f, ".html") {
						pages = append(pages, filepath.Base(f))
					}
				}
				got := loadInBrowser(t, out, pages, shotsDir(t, ex.name+"-"+w.Engine()))
				for _, p := range pages {
					c := got[p]
					if len(c.Errors) > 0 {
						t.Errorf("%s: console errors: %q", p, c.Errors)
					}
					if strings.HasSuffix(p, "-explain.html") {
						continue
					}
					if c.Containers < 5 || c.Canvases != c.Containers {
						t.Errorf("%s: %d chart containers, %d with a rendered canvas; want ≥ 5, all rendered", p, c.Containers, c.Canvases)
					}
					if !c.Burnup {
						t.Errorf("%s: no rendered burn-up chart", p)
					}
				}
			})
		})
	}
}

// checkEscaped: the hostile summary never appears raw, and appears escaped
// on at least one page.
func checkEscaped(t *testing.T, files []string) {
	t.Helper()
	escaped := false
	for _, f := range files {
		if !strings.HasSuffix(f, ".html") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, `<script>alert`) || strings.Contains(s, "<b>bold</b>") {
			t.Errorf("%s: the issue summary %q appears unescaped", filepath.Base(f), hostile)
		}
		if strings.Contains(s, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
			escaped = true
		}
		if strings.Contains(s, "https://") && strings.Contains(s, "<script src=\"http") {
			t.Errorf("%s: loads a script from the network", filepath.Base(f))
		}
	}
	if !escaped {
		t.Errorf("the hostile summary does not appear (escaped) on any page")
	}
}
