package kpi

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestOverdueAtAsOf checks that K2 uses the due dates in force at as_of
// (2025-04-01, E = 03-31), replayed from the changelog:
//
//	H-20 open, due 03-10 (set 03-01), moved 04-05 (after as_of) to 04-20 → overdue, 31 − 10 = 21 days
//	H-21 open, due 03-25, never changed                                 → overdue, 6 days
//	H-22 open, due 04-15                                                 → not overdue
//	H-23 open, due 03-15 (set 03-01), removed 04-03 (after as_of)         → overdue, 16 days
//	H-24 done 03-20, due 03-01                                           → not open: excluded
//
// ratio 3/4 = 0.75; overdue days [6, 16, 21]: NR P50 x[2] = 16, P85 x[⌈2.55⌉] = 21.
// With the current due dates it would be 1/3 (H-20 due 04-20, H-23 none).
func TestOverdueAtAsOf(t *testing.T) {
	recs := histRecords(t, []histIssue{
		{key: "H-20", due: "2025-04-20", dueChanges: [][3]string{{"03-01T10", "", "2025-03-10"}, {"04-05T10", "2025-03-10", "2025-04-20"}}},
		{key: "H-21", due: "2025-03-25"},
		{key: "H-22", due: "2025-04-15"},
		{key: "H-23", dueChanges: [][3]string{{"03-01T10", "", "2025-03-15"}, {"04-03T10", "2025-03-15", ""}}},
		{key: "H-24", start: "03-02T09", done: "03-20T12", due: "2025-03-01"},
	}, nil)
	asOf := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		kpitest.PutRecords(t, w, recs)
		snap, err := Compute(context.Background(), w, exampleCConfig(), asOf, ScopeFilter{Kind: ScopeProject, Name: "H"})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/H", []want{
			{"overdue_ratio", "snapshot", "measure=ratio", 0.75, 4},
			{"overdue_ratio", "snapshot", "measure=overdue_days,method=nr,quantile=0.5,unit=dc", 16, 3},
			{"overdue_ratio", "snapshot", "measure=overdue_days,method=nr,quantile=0.85,unit=dc", 21, 3},
		})
		// pmo kpi explain overdue_ratio lists the population with the due
		// date in force at as_of and the overdue day-count.
		e, err := Explain(context.Background(), w, exampleCConfig(), "overdue_ratio", "project:H", asOf)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, it := range e.Items {
			got[it.Key] = it.Role
			if it.DayCount != nil {
				got[it.Key] += fmt.Sprintf(", %d d", *it.DayCount)
			}
		}
		want := map[string]string{
			"H-20": "overdue (due 2025-03-10 at as-of), 21 d",
			"H-21": "overdue (due 2025-03-25 at as-of), 6 d",
			"H-22": "not overdue (due 2025-04-15 at as-of)",
			"H-23": "overdue (due 2025-03-15 at as-of), 16 d",
		}
		if len(got) != len(want) {
			t.Errorf("explain overdue_ratio: %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("explain overdue_ratio %s: %q, want %q", k, got[k], v)
			}
		}
	})
}
