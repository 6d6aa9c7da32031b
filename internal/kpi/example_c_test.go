package kpi

import (
	"context"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// exampleCConfig is the configuration of kpis.md §4.3: tz UTC, capacity
// Mon–Fri 8 h/day without holidays, blocking link type Blocks.
func exampleCConfig() Config {
	c := DefaultConfig()
	c.MinSample = ptr(1)
	c.FlowWindowsWeeks = []int{4}
	return c
}

// Expected values of kpis.md §4.3 for the snapshot, planning and effort KPIs.
var exampleC = []want{
	{"due_date_adherence", "4w", "measure=on_time_ratio", 2.0 / 3, 3},
	{"due_date_adherence", "4w", "measure=late", 1, 3},
	{"due_date_adherence", "4w", "measure=lateness,method=nr,quantile=0.5,unit=dc", 4, 1}, // C-2
	{"estimation_accuracy", "4w", "measure=median", 0.9, 3},
	{"estimation_accuracy", "4w", "measure=ratio_of_sums", 1.0, 3},
	{"estimation_accuracy", "4w", "measure=within_band", 2.0 / 3, 3},
	{"overdue_ratio", "snapshot", "measure=ratio", 0.5, 2},
	{"overdue_ratio", "snapshot", "measure=overdue_days,method=nr,quantile=0.5,unit=dc", 10, 1},
	{"blocked_ratio", "snapshot", "measure=ratio", 1.0 / 3, 3},
	{"risk_exposure", "snapshot", "measure=exposure", 5, 1},
	{"risk_exposure", "snapshot", "measure=open", 1, 1},
	{"risk_exposure", "snapshot", "measure=high_risk_aged", 1, 1},
	{"risk_exposure", "snapshot", "measure=stale_risks", 1, 1},
	{"risk_exposure", "snapshot", "measure=red_flags", 2, 1},
	{"logged_hours", "month", "author=alice", 46, 1},
	{"logged_hours", "month", "author=bob", 36, 1},
	{"logged_hours", "month", "measure=total", 82, 2},
	{"logged_hours", "month", "type=Task", 76, 2},
	{"work_distribution", "month", "type=Task", 0.926829268, 2},
	{"work_distribution", "month", "type=Bug", 0.073170732, 2},
	{"work_distribution", "month", "measure=top_person_share", 0.560975610, 2},
	{"work_distribution", "month", "measure=hhi", (46.0*46 + 36*36) / (82 * 82), 2},
	{"utilization", "month", "author=alice", 0.273809524, 1},
	{"utilization", "month", "author=bob", 0.214285714, 1},
	{"utilization", "month", "measure=team", 0.244047619, 2},
	{"utilization", "month", "measure=capacity_hours", 336, 2},
	{"field_completeness", "4w", "field=estimate", 5.0 / 6, 6},
	{"field_completeness", "4w", "field=assignee", 0.75, 4},
	{"field_completeness", "4w", "field=due_date", 2.0 / 3, 3},
	{"field_completeness", "4w", "field=composite", 0.75, 3},
	{"escaped_defect_rate", "4w", "", 0.5, 2},
	{"defect_ratio", "4w", "", 0.5, 2},
}

func TestExampleC(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.load(t, w)
		snap, err := Compute(context.Background(), w, exampleCConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/C", exampleC)
		checkValues(t, snap, ScopeProgram, "Alpha programme", exampleC)
	})
}
