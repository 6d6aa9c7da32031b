package deps

import (
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestSimulatorDeps: the demo organisation shows a non-empty matrix and
// exactly one clear critical chain — three or more open blockers ahead of
// an item of a coming release, in a program whose page shows it; any other
// release's chain of three or more is a part of it. (Checked at 300, 600,
// 1,500 and 3,000 issues; at 100 the chain's items are done by now.)
func TestSimulatorDeps(t *testing.T) {
	const n = 300
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	whtest.OnEngine(t, "chdb", func(t *testing.T, w *warehouse.Warehouse) {
		jiratest.Collect(t, w, jirasim.Demo(jirasim.Cloud, n, 1, now))
		opts := Options{KPI: kpi.DefaultConfig(), AsOf: now}
		d, err := raid.ReadDeps(t.Context(), w, raid.Options{KPI: opts.KPI, AsOf: now}, DefaultCycleWindow)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Compute(d, opts, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Matrix.Cells) == 0 {
			t.Error("the demo's dependency matrix is empty")
		}
		if r.Chain == nil {
			t.Fatal("the demo has no critical chain")
		}
		// Other coming releases may have chains too: each must be a part
		// of the critical one (an item of it in another release).
		on := map[string]bool{}
		for _, it := range r.Chain.Items {
			on[it.Key] = true
		}
		if r.Chain.Blockers() < 3 {
			t.Errorf("the critical chain of %s has %d blockers, want 3 or more", r.Chain.Version, r.Chain.Blockers())
		}
		seen := map[string]bool{}
		for _, ri := range d.Releases {
			if ri.Released || ri.Release < now.Format(time.DateOnly) || seen[ri.Version] {
				continue
			}
			seen[ri.Version] = true
			opts.Release = ri.Version
			rr, err := Compute(d, opts, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if rr.Chain == nil || rr.Chain.Blockers() < 3 {
				continue
			}
			for _, it := range rr.Chain.Items {
				if !on[it.Key] {
					t.Errorf("release %s: a second chain of %d blockers (%s is not on the critical chain of %s)", ri.Version, rr.Chain.Blockers(), it.Key, r.Chain.Version)
					break
				}
			}
		}
		// The chain ends in a program, whose page shows it.
		end := r.Chain.Items[len(r.Chain.Items)-1].Key
		program := ""
		for _, ri := range d.Releases {
			if ri.Issue.Key == end {
				program = ri.Issue.Program
			}
		}
		opts.Release = ""
		opts.Scope = kpi.ScopeFilter{Kind: kpi.ScopeProgram, Name: program}
		if pr, err := Compute(d, opts, time.UTC); err != nil || pr.Chain == nil || pr.Chain.Version != r.Chain.Version {
			t.Errorf("program %q (of %s): critical chain %+v (err %v), want the portfolio's, of %s", program, end, pr.Chain, err, r.Chain.Version)
		}
		t.Logf("demo (%d issues): %d matrix cells, %d links; critical chain of %s: %d blockers, %s", n, len(r.Matrix.Cells), len(r.Edges), r.Chain.Version, r.Chain.Blockers(), r.Chain.Verdict)
	})
}
