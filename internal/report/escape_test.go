package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
)

// Issue keys and project names reach the chart options (JSON inside a
// script element, which go-echarts does not HTML-escape): they must not end
// the script.
func TestTrackerStringsCannotLeaveChartScripts(t *testing.T) {
	const evil = `</script><script>alert(1)</script>`
	m := reporttest.Model(3, 9)
	p := m.Projects[0]
	p.Label = "P — " + evil
	p.Series.CycleTimes[0].Key = evil
	p.Series.Aging[0].Key = evil
	p.Sprints[0].Sprint = evil
	var buf bytes.Buffer
	if err := report.RenderPage(&buf, m, p, false); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script>alert(1)") {
		t.Fatalf("a tracker string ended a script element")
	}
	// One script element for the ECharts asset, one per chart.
	opens, closes := strings.Count(html, "<script"), strings.Count(html, "</script>")
	charts := strings.Count(html, `class="item"`)
	if opens != charts+1 || closes != opens {
		t.Errorf("%d <script, %d </script>, %d charts; want charts+1 of each", opens, closes, charts)
	}
	if !strings.Contains(html, `\u003c/script>\u003cscript>alert(1)`) {
		t.Errorf("the key is not in the chart options as \\u003c-escaped JSON")
	}
}
