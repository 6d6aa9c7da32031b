package kpi

import (
	"math"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// TestReplaySprintEdgeCases checks C8 cases beyond example B without a
// warehouse: add and remove in the same sprint, estimate changes while in
// and out of the sprint, same-instant changes, a board Done column.
func TestReplaySprintEdgeCases(t *testing.T) {
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(10 * 24 * time.Hour)
	at := func(h int) int64 { return t0.Add(time.Duration(h) * time.Hour).Unix() }
	pts := func(v float64) *float64 { return &v }
	sp := sprintRow{source: "jira", id: "10", boardID: "1", name: "S", state: "closed", activated: &t0, complete: &t1, projectKey: "P"}
	base, _ := DefaultConfig().resolve(ScopeProject, "jira/P", "", "jira")
	tests := []struct {
		name   string
		issue  sprintIssue
		doneID []string
		check  func(t *testing.T, r SprintReport)
	}{
		{"added then removed, estimate changed outside", sprintIssue{key: "X-1", points: pts(5), statusID: "1", statCat: "new", events: []evt{
			{at: at(-48), kind: model.ChangeStatus, from: "1", to: "1", fromCat: "new", toCat: "new"},
			{at: at(10), kind: model.ChangeSprint, from: "", to: "10"},
			{at: at(20), kind: model.ChangeStoryPoints, from: "3", to: "5"}, // while a member: +2
			{at: at(30), kind: model.ChangeSprint, from: "10", to: ""},
			{at: at(40), kind: model.ChangeStoryPoints, from: "5", to: "8"}, // not a member: not counted
		}}, nil, func(t *testing.T, r SprintReport) {
			if r.Added != 3 || r.Removed != 5 || r.EstimateChange != 2 || len(r.AddedKeys) != 1 || len(r.RemovedKeys) != 1 {
				t.Errorf("added %g removed %g change %g", r.Added, r.Removed, r.EstimateChange)
			}
		}},
		{"same-instant join and estimate", sprintIssue{key: "X-2", points: pts(8), statusID: "1", statCat: "new", events: []evt{
			{at: at(10), kind: model.ChangeSprint, from: "", to: "10"},
			{at: at(10), kind: model.ChangeStoryPoints, from: "3", to: "8"},
		}}, nil, func(t *testing.T, r SprintReport) {
			if r.Added != 3 || r.EstimateChange != 5 || r.NotCompleted != 8 {
				t.Errorf("added %g change %g not completed %g", r.Added, r.EstimateChange, r.NotCompleted)
			}
		}},
		{"board Done column", sprintIssue{key: "X-3", points: pts(2), statusID: "7", statCat: "indeterminate", events: []evt{
			{at: at(-10), kind: model.ChangeSprint, from: "", to: "10"},
			{at: at(50), kind: model.ChangeStatus, from: "3", to: "7", fromCat: "indeterminate", toCat: "indeterminate"},
		}}, []string{"7"}, func(t *testing.T, r SprintReport) {
			if r.Completed != 2 || r.Commitment != 2 {
				t.Errorf("completed %g commitment %g; status 7 is the board's Done column", r.Completed, r.Commitment)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			if tt.doneID != nil {
				s.DoneStatusIDs = map[string][]string{"1": tt.doneID}
			}
			is := tt.issue
			r, ok := replaySprint(sp, []*sprintIssue{&is}, s, t1.Add(time.Hour))
			if !ok {
				t.Fatal("sprint not replayed")
			}
			if g := r.InvariantGap(); math.Abs(g) > 1e-9 {
				t.Errorf("C8 invariant off by %g: %+v", g, r)
			}
			tt.check(t, r)
		})
	}
}
