package kpi

import (
	"context"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func edgeConfig() Config {
	c := DefaultConfig()
	c.TZ = "Europe/Berlin"
	c.MinSample = ptr(1)
	c.FlowWindowsWeeks = []int{4}
	c.Scopes = []ScopeConfig{
		{Kind: ScopeProject, Name: "BF", Knobs: Knobs{StartPolicy: "first"}},
		{Kind: ScopeProject, Name: "RN", Knobs: Knobs{ActiveStatusIDs: []string{"3"}}},
		{Kind: ScopeProject, Name: "DS", Knobs: Knobs{FlowWindowsWeeks: []int{1}}},
	}
	return c
}

// TestEdgeCases covers the C4 edge cases of kpis.md §5 on both engines: one
// project per case, loaded once.
func TestEdgeCases(t *testing.T) {
	f := loadFixture(t, "edge_cases.yaml")
	cases := []struct {
		name, project string
		wants         []want
	}{
		{"reopen", "RO", []want{
			{"throughput", "4w", "measure=count", 1, 1},                   // RO-2 reopened and open: not counted
			{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", 10, 1}, // reopen does not reset the start
			{"reopen_rate", "4w", "", 1, 2},
			{"wip", "snapshot", "measure=count", 1, 1},
		}},
		{"moved back to To Do, policy last", "BT", []want{
			{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", 3, 1},
			{"workflow_consistency", "4w", "class=restarted", 1, 1},
			{"arrival_departure_ratio", "4w", "measure=arrivals", 1, -1},
		}},
		{"moved back to To Do, policy first", "BF", []want{
			{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", 10, 1},
		}},
		{"skipped In Progress", "SK", []want{
			{"throughput", "4w", "measure=count", 1, 1},
			{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", null, 0},
			{"cycle_time", "4w", "method=mean,unit=days", null, 0},
			{"lead_time", "4w", "method=nr,quantile=0.5,unit=dc", 2, 1},
			{"workflow_consistency", "4w", "class=skipped_in_progress", 1, 1},
			{"flow_efficiency", "4w", "measure=ratio_of_sums", null, 0}, // 0/0
			{"sle_attainment", "4w", "measure=ratio", null, 0},
			{"stale_ratio", "snapshot", "", null, 0}, // nothing open
			{"work_item_age", "snapshot", "measure=at_risk_ratio", null, 0},
		}},
		{"discarded", "DI", []want{
			{"throughput", "4w", "measure=count", 0, 0},
			{"created_vs_resolved", "4w", "measure=resolved", 1, -1}, // discarded leave the backlog
			{"created_vs_resolved", "4w", "measure=created", 1, -1},
			{"cycle_time", "4w", "method=nr,quantile=0.85,unit=dc", null, 0},
			{"reopen_rate", "4w", "", null, 0},
			{"escaped_defect_rate", "4w", "", null, 0},
			{"arrival_departure_ratio", "4w", "measure=ratio", null, -1},
		}},
		{"unknown status id", "UN", []want{
			{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", 4, 1}, // unknown = indeterminate: not skipped
			{"workflow_consistency", "4w", "class=unknown_status", 1, 1},
			{"workflow_consistency", "4w", "class=skipped_in_progress", 0, 1},
			{"wip", "snapshot", "measure=count", 1, 1},
		}},
		{"renamed status, same id", "RN", []want{
			{"flow_efficiency", "4w", "measure=ratio_of_sums", 2.0 / 3, 1},
		}},
		{"defect ratio and escaped defects", "DR", []want{
			{"defect_ratio", "4w", "", 1, 2}, // (2 + 0) / 2: DR-1 has a related and a child bug
			{"escaped_defect_rate", "4w", "", 1.0 / 3, 3},
		}},
		{"DST week", "DS", []want{
			{"cycle_time", "1w", "method=nr,quantile=0.5,unit=dc", 3, 1},
			{"cycle_time", "1w", "method=nr,quantile=0.5,unit=days", 70.0 / 24, 1},
			{"throughput", "1w", "measure=per_day", 1.0 / 7, 1},
			{"wip", "1w", "measure=daily_average", 2.0 / 7, 7},
			{"lead_time", "1w", "method=nr,quantile=0.5,unit=dc", 8, 1}, // 03-25 .. 04-01 local
		}},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		snap, err := Compute(context.Background(), w, edgeConfig(), f.AsOf, ScopeFilter{Kind: ScopeProject})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				checkValues(t, snap, ScopeProject, "jira/"+c.project, c.wants)
			})
		}
	})
}
