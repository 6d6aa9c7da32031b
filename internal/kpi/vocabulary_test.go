package kpi

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
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

// TestSameSecondChanges: two changes of one issue in the same second are
// taken in change-id order, numerically. V-9 moves In Progress (id 99999)
// then Done (id 100000) within one second; ordered by id as text ("100000"
// < "99999"), it was left In Progress: counted as WIP, not as done. The
// status history, the sprint replay and the field replays all read
// the same history order (models.go).
func TestSameSecondChanges(t *testing.T) {
	f := loadFixture(t, "vocabulary.yaml")
	at := time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC)
	created := at.Add(-48 * time.Hour)
	id := kpitest.IssueID("V-9")
	recs := []model.Record{
		model.Issue{Source: "jira", ID: id, Key: "V-9", ProjectID: "300", ProjectKey: "V", Summary: "V-9", TypeID: "Story", Type: "Story",
			TypeClass: model.TypeStandard, StatusID: "5", Status: "Done", StatusCategory: model.CategoryDone, Resolution: "Done",
			Created: created, Updated: at, SprintIDs: []string{"10"}},
		model.Change{Source: "jira", IssueID: id, ChangeID: "99999", At: at, ChangeKind: model.ChangeStatus, Field: "status",
			From: "1", To: "3", FromCategory: model.CategoryNew, ToCategory: model.CategoryIndeterminate},
		model.Change{Source: "jira", IssueID: id, ChangeID: "100000", At: at, ChangeKind: model.ChangeStatus, Field: "status",
			From: "3", To: "5", FromCategory: model.CategoryIndeterminate, ToCategory: model.CategoryDone},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		kpitest.PutRecords(t, w, recs)
		cfg := exampleBConfig()
		x := NewExplainer(w, cfg, f.AsOf)
		defer x.Close(ctx)
		for _, tc := range []struct {
			kpi  string
			want bool
		}{{"throughput", true}, {"wip", false}} {
			e, err := x.Explain(ctx, tc.kpi, "project:V", "")
			if err != nil {
				t.Fatal(err)
			}
			got := slices.ContainsFunc(e.Items, func(it ExplainItem) bool { return it.Key == "V-9" })
			if got != tc.want {
				t.Errorf("%s lists V-9: %v, want %v (items %v)", tc.kpi, got, tc.want, e.Items)
			}
		}
		reps, err := SprintReports(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(reps) != 1 || !slices.Contains(reps[0].CompletedKeys, "V-9") {
			t.Errorf("sprint S-1 completed %v, want V-9 among them", reps)
		}
	})
}
