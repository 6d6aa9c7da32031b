package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestChangeKindOfRowsWithoutIt: rows stored before migration 106 have no
// change_kind; the column's DEFAULT gives them the kind the Jira collector
// (the only writer before 106) would give, so KPIs over an upgraded
// warehouse read the same history without a re-collection. Rows inserted
// without naming the column get the same DEFAULT, which this test uses.
func TestChangeKindOfRowsWithoutIt(t *testing.T) {
	tests := []struct {
		field, fieldID string
		want           model.ChangeKind
	}{
		{"status", "status", model.ChangeStatus},
		{"status", "", model.ChangeStatus},
		{"Sprint", "customfield_10020", model.ChangeSprint},
		{"Story Points", "customfield_10016", model.ChangeStoryPoints},
		{"Story point estimate", "customfield_10026", model.ChangeStoryPoints},
		{"timeoriginalestimate", "timeoriginalestimate", model.ChangeOriginalEstimate},
		{"duedate", "duedate", model.ChangeDueDate},
		{"Fix Version", "fixVersions", model.ChangeFixVersion},
		{"Fix Version", "", model.ChangeFixVersion},
		{"Link", "", model.ChangeLink},
		{"priority", "priority", model.ChangePriority},
		{"assignee", "assignee", model.ChangeAssignee},
		{"resolution", "resolution", model.ChangeResolution},
		{"issuetype", "issuetype", model.ChangeType},
		{"Epic Link", "customfield_10014", model.ChangeParent},
		{"Parent", "", model.ChangeParent},
		{"Workflow", "", model.ChangeOther},
		{"Rank", "customfield_10019", model.ChangeOther},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		cols := []string{"source", "issue_id", "change_id", "item", "at", "author_id", "field", "field_id", "field_type",
			"from", "from_string", "to", "to_string", "from_category", "to_category", "_version"}
		at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		var rows [][]any
		for i, tt := range tests {
			rows = append(rows, []any{"jira", "1", "c", int64(i), at, "u", tt.field, tt.fieldID, "jira", "", "", "", "", "", "", uint64(1)})
		}
		if err := w.Insert(ctx, "changes", cols, rows); err != nil {
			t.Fatal(err)
		}
		r, err := w.Query(ctx, "SELECT item, change_kind FROM v_changes ORDER BY item")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n := 0
		for r.Next() {
			var item int64
			var kind string
			if err := r.Scan(&item, &kind); err != nil {
				t.Fatal(err)
			}
			if tt := tests[item]; model.ChangeKind(kind) != tt.want {
				t.Errorf("field %q (id %q): change_kind %q, want %q", tt.field, tt.fieldID, kind, tt.want)
			}
			n++
		}
		if err := r.Err(); err != nil || n != len(tests) {
			t.Fatalf("read %d rows (err %v), want %d", n, err, len(tests))
		}
	})
}
