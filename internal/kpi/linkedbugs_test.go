package kpi

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestLinkedBugsSharedBug: one bug linked from two stories counts for
// both (Q1). An ANY INNER JOIN keeps one of the two pairs on newer
// ClickHouse, so the join must be ALL.
func TestLinkedBugsSharedBug(t *testing.T) {
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	issue := func(id, typ string) model.Issue {
		return model.Issue{Source: "jira", ID: id, Key: "L-" + id, ProjectID: "1", ProjectKey: "L", Type: typ, TypeClass: model.TypeStandard,
			StatusID: "1", Status: "To Do", StatusCategory: model.CategoryNew, Created: at, Updated: at}
	}
	link := func(id, from, to string) model.Link {
		return model.Link{Source: "jira", ID: id, TypeID: "10003", Type: "Relates", Outward: "relates to", Inward: "relates to", FromIssueID: from, ToIssueID: to, ObservedAt: at}
	}
	recs := []model.Record{
		model.Project{Source: "jira", ID: "1", Key: "L", Name: "Links"},
		issue("1", "Story"), issue("2", "Story"), issue("3", "Bug"), issue("4", "Task"),
		link("l1", "1", "3"), link("l2", "3", "2"), link("l3", "1", "4"),
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		kpitest.PutRecords(t, w, recs)
		s := settings{TZ: "UTC", Knobs: DefaultConfig().Knobs}
		lb, err := modelSQL("linked_bugs", nil, s.modelParams(at))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := w.Query(context.Background(), "SELECT issue_id, toInt64(linked_bugs) FROM ("+lb+") ORDER BY issue_id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]int64{}
		for rows.Next() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			got[id] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["1"] != 1 || got["2"] != 1 {
			t.Errorf("linked bugs per issue = %v, want L-1 and L-2 with 1 each (the task link is no bug)", got)
		}
	})
}
