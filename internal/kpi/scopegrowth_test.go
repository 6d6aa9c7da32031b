package kpi

import (
	"context"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestScopeGrowth checks P4 on testdata/scope_growth.yaml (expected values
// derived in the fixture's header): R1 grew 0.5 in points and 1/3 in
// issues; R2 has no start date and is not computed.
func TestScopeGrowth(t *testing.T) {
	f := loadFixture(t, "scope_growth.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		snap, err := Compute(context.Background(), w, DefaultConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		wants := []want{
			{"scope_growth", "since_baseline", "variant=points,version=R1", 0.5, 4},
			{"scope_growth", "since_baseline", "variant=count,version=R1", 1.0 / 3, 4},
		}
		checkValues(t, snap, ScopeProject, "jira/G", wants)
		checkValues(t, snap, ScopePortfolio, "all", wants)
		if _, ok := snap.Find(ScopeProject, "jira/G", "scope_growth", "since_baseline", "variant=points,version=R2"); ok {
			t.Error("R2 has no start date: want no scope_growth value")
		}
	})
}
