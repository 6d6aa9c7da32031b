package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestPreciseExplain lists the issues behind the KPIs of worked example A
// with kpi.Explain: the cycle-time population is and A-8 (kpis.md
// §4.1; A-3 skipped In Progress, A-4 discarded), each with its role.
func TestPreciseExplain(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		ex := examples[0]
		f := loadFixture(t, kpiTestdata+ex.file)
		withSummaries(f, map[string]string{"A-1": "A-1 " + hostile}).Load(t, w)
		m, err := Build(ctx, w, Options{KPI: ex.cfg(), AsOf: f.AsOf, PreciseExplain: true})
		if err != nil {
			t.Fatal(err)
		}
		var p *Scope
		for _, s := range m.Projects {
			if s.Name == "jira/A" {
				p = s
			}
		}
		if p == nil {
			t.Fatalf("no project jira/A in %d projects", len(m.Projects))
		}
		roles := map[string]string{}
		for _, it := range p.Explain["cycle_time"] {
			roles[it.Key] = it.Note
		}
		for _, k := range []string{"A-1", "A-2", "A-8"} {
			if !strings.HasPrefix(roles[k], "counted") {
				t.Errorf("cycle_time: %s has role %q, want counted (all: %v)", k, roles[k], roles)
			}
		}
		var buf bytes.Buffer
		if err := RenderPage(&buf, m, p, true); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;alert(&#34;pwned&#34;)") {
			t.Errorf("explain page: the summary of A-1 is not escaped (or missing)")
		}
		if !strings.Contains(html, `id="cycle_time"`) || !strings.Contains(html, "counted") {
			t.Errorf("explain page lacks the cycle_time section with roles")
		}
	})
}
