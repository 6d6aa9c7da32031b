package report_test

import (
	"html/template"
	"io"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
)

// plainTable is the baseline: the same KPI data of every page as one plain
// html/template table, no charts.
var plainTable = template.Must(template.New("t").Parse(`<table>{{range .}}<tr><td>{{.Label}}</td><td>{{.Overall}}</td>{{range .KPIs}}<td>{{.Format}}</td>{{end}}</tr>{{range .Risks}}<tr><td>{{.Key}}</td><td>{{.Summary}}</td></tr>{{end}}{{end}}</table>`))

func renderAll(b *testing.B, m *report.Model) {
	for _, s := range m.All() {
		for _, explain := range []bool{false, true} {
			if err := report.RenderPage(io.Discard, m, s, explain); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkReportSet200 renders the full report set (portfolio, 20
// programs, 200 projects, each with its explain page) of a synthetic
// 200-project snapshot, and reports its time per set as a ratio to
// rendering the same scopes as one plain html/template table per page.
func BenchmarkReportSet200(b *testing.B) {
	m := reporttest.Model(200, 42)
	pages := 2 * len(m.All())
	all := m.All()
	var base time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		renderAll(b, m)
		// The baseline, timed separately in the same run.
		b.StopTimer()
		t0 := time.Now()
		for range 2 {
			for _, s := range all {
				if err := plainTable.Execute(io.Discard, []*report.Scope{s}); err != nil {
					b.Fatal(err)
				}
			}
		}
		base += time.Since(t0)
		b.StartTimer()
	}
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(pages), "pages/set")
	b.ReportMetric(per/(float64(base.Nanoseconds())/float64(b.N)), "x_plain_table")
	b.ReportMetric(per/1e6/float64(pages), "ms/page")
}

// BenchmarkEmailPNG renders the email of one project (4 PNG charts).
func BenchmarkEmailPNG(b *testing.B) {
	m := reporttest.Model(10, 1)
	for range b.N {
		if _, err := report.EmailBody(m, m.Projects[0], report.EmailOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
