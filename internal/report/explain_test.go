package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestExplainLists: every card's issue list is the KPI engine's explanation
// of that value (same scope, KPI and window). On worked example A the
// cycle-time population is and A-8 (kpis.md §4.1; A-3 skipped In
// Progress and A-4 discarded are not in it), each with its role.
func TestExplainLists(t *testing.T) {
	whtest.OnEngine(t, "server", func(t *testing.T, w *warehouse.Warehouse) { // TestSimulatorReportRendersInBrowser covers both engines
		ctx := context.Background()
		ex := examples[0]
		f := loadFixture(t, kpiTestdata+ex.file)
		withSummaries(f, map[string]string{"A-1": "A-1 " + hostile}).Load(t, w)
		m, err := Build(ctx, w, Options{KPI: ex.cfg(), AsOf: f.AsOf})
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
			if !strings.HasPrefix(roles[k], "cycle") {
				t.Errorf("cycle_time: %s has role %q, want cycle (all: %v)", k, roles[k], roles)
			}
		}
		if len(roles) != 3 {
			t.Errorf("cycle_time lists %v, want A-1, A-2 and A-8 only", roles)
		}
		// Every card of every scope lists exactly its explanation's items.
		for _, s := range m.All() {
			sc := s.Kind + ":" + s.Name
			for _, k := range s.KPIs {
				e, err := kpi.ExplainWindow(ctx, w, ex.cfg(), k.ID, sc, k.Window, f.AsOf)
				if err != nil {
					continue // no explanation: the card has no list either
				}
				var want, got []string
				for _, it := range e.Items {
					want = append(want, it.Key+" "+it.Role)
				}
				for _, it := range s.Explain[k.ID] {
					got = append(got, it.Key+" "+strings.SplitN(it.Note, " · ", 2)[0])
				}
				if strings.Join(got, "; ") != strings.Join(want, "; ") {
					t.Errorf("%s %s (%s): the card lists %v, its explanation %v", sc, k.ID, k.Window, got, want)
				}
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
		if !strings.Contains(html, `id="cycle_time"`) || !strings.Contains(html, "cycle") {
			t.Errorf("explain page lacks the cycle_time section with roles")
		}
	})
}
