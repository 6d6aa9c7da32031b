package kpi

import (
	"context"
	"fmt"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestHistoryFromCreation: the values of replayed fields start at the
// issue's creation (testdata/vocabulary.yaml). Issues created straight into
// a sprint have no sprint change: before the fix they were missing from the
// sprint report on both sides (commitment 2 instead of 5, nothing added),
// so the C8 invariant did not notice. Bugs are grouped by the priority they
// had when done (kpis.md Q4), not by the current one.
func TestHistoryFromCreation(t *testing.T) {
	f := loadFixture(t, "vocabulary.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		cfg := exampleBConfig()
		snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/V", []want{
			{"sprint_carryover", "sprint", "measure=committed,sprint=S-1,variant=points", 5, 2},
			{"sprint_carryover", "sprint", "measure=added,sprint=S-1,variant=points", 5, 1},
			{"sprint_carryover", "sprint", "measure=completed,sprint=S-1,variant=points", 5, 1},
			{"sprint_carryover", "sprint", "measure=not_completed,sprint=S-1,variant=points", 5, 2},
			{"sprint_carryover", "sprint", "measure=invariant_gap,sprint=S-1,variant=points", 0, -1},
			{"sprint_velocity", "sprint", "sprint=S-1,variant=points", 5, 1},
			{"bug_mttr", "4w", "method=mean,priority=High,unit=days", 6.5, 2},
			{"bug_mttr", "4w", "method=mean,priority=Low,unit=days", 8, 1},
		})
		if len(snap.Checks) > 0 {
			t.Errorf("failed checks: %v", snap.Checks)
		}
		reps, err := SprintReports(context.Background(), w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(reps) != 1 {
			t.Fatalf("got %d sprint reports, want 1", len(reps))
		}
		r := reps[0]
		got := fmt.Sprint(r.Committed, r.AddedKeys, r.CompletedKeys, r.NotCompletedKeys)
		if want := "[V-1 V-3] [V-2] [V-2] [V-1 V-3]"; got != want {
			t.Errorf("S-1 committed, added, completed, not completed = %s, want %s", got, want)
		}
	})
}
