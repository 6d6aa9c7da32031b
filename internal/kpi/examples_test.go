package kpi

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// want is one expected KPI value; value NaN means NULL.
type want struct {
	kpi, window, labels string
	value               float64
	n                   int // -1: do not check
}

var null = math.NaN()

func checkValues(t *testing.T, snap Snapshot, kind, scope string, wants []want) {
	t.Helper()
	for _, w := range wants {
		v, ok := snap.Find(kind, scope, w.kpi, w.window, w.labels)
		if !ok {
			t.Errorf("%s:%s %s{%s} window %s: missing", kind, scope, w.kpi, w.labels, w.window)
			continue
		}
		switch {
		case math.IsNaN(w.value):
			if v.Value != nil {
				t.Errorf("%s:%s %s{%s} %s = %v, want NULL", kind, scope, w.kpi, w.labels, w.window, *v.Value)
			}
		case v.Value == nil:
			t.Errorf("%s:%s %s{%s} %s = NULL, want %v", kind, scope, w.kpi, w.labels, w.window, w.value)
		case math.Abs(*v.Value-w.value) > 1e-6:
			t.Errorf("%s:%s %s{%s} %s = %.9f, want %.9f", kind, scope, w.kpi, w.labels, w.window, *v.Value, w.value)
		}
		if w.n >= 0 && v.N != uint64(w.n) {
			t.Errorf("%s:%s %s{%s} %s: n = %d, want %d", kind, scope, w.kpi, w.labels, w.window, v.N, w.n)
		}
	}
}

// exampleAConfig is the configuration of kpis.md §4.1.
func exampleAConfig() Config {
	c := DefaultConfig()
	c.TZ = "Europe/Berlin"
	c.FlowItemTypes = []string{"Story", "Bug"}
	c.DiscardResolutions = []string{"Won't Do"}
	c.ActiveStatusIDs = []string{"3", "11"} // In Progress, In Review
	c.SLE = &SLE{Days: 7, Percentile: 0.85}
	c.MinSample = ptr(1) // the example has n = 3 and publishes its percentiles
	c.FlowWindowsWeeks = []int{4}
	return c
}

// Every expected value of kpis.md §4.1 for the KPIs of part 1.
var exampleA = []want{
	{"throughput", "4w", "measure=count", 4, 4},
	{"throughput", "4w", "measure=per_week", 1.0, 4},
	{"throughput", "4w", "measure=per_day", 1.0 / 7, 4},

	{"cycle_time", "4w", "method=nr,quantile=0.5,unit=dc", 4, 3},
	// Jira control-chart variant: time in In Progress, Review Queue and In
	// Review: A-1 79 h, A-2 131 h (Done period excluded), A-8 24 h → 3.25 d.
	{"cycle_time", "4w", "method=control_chart,unit=days", 3.25, 3},
	{"cycle_time", "4w", "method=nr,quantile=0.85,unit=dc", 9, 3},
	{"cycle_time", "4w", "method=nr,quantile=0.95,unit=dc", 9, 3},
	{"cycle_time", "4w", "method=r7,quantile=0.5,unit=dc", 4, 3},
	{"cycle_time", "4w", "method=r7,quantile=0.85,unit=dc", 7.5, 3},
	{"cycle_time", "4w", "method=r7,quantile=0.95,unit=dc", 8.5, 3},
	{"cycle_time", "4w", "method=nr,quantile=0.85,unit=days", 8.333333333, 3},
	{"cycle_time", "4w", "method=r7,quantile=0.5,unit=days", 3.291666667, 3},
	{"cycle_time", "4w", "method=r7,quantile=0.85,unit=days", 6.820833333, 3},
	{"cycle_time", "4w", "method=r7,quantile=0.95,unit=days", 7.829166667, 3},
	{"cycle_time", "4w", "method=mean,unit=days", 4.208333333, 3},

	{"lead_time", "4w", "method=nr,quantile=0.5,unit=dc", 3, 4},
	{"lead_time", "4w", "method=nr,quantile=0.85,unit=dc", 13, 4},
	{"lead_time", "4w", "method=r7,quantile=0.5,unit=dc", 5.5, 4},
	{"lead_time", "4w", "method=r7,quantile=0.85,unit=dc", 10.75, 4},
	{"lead_time", "4w", "method=mean,unit=days", 5.895833333, 4},

	{"wip", "snapshot", "measure=count", 2, 2},
	{"wip", "4w", "measure=daily_average", 37.0 / 28, 28},

	{"work_item_age", "snapshot", "measure=mean_age,unit=dc", 14, 2}, // A-5 dc 4 (5 with UTC dates), A-6 dc 24
	{"work_item_age", "snapshot", "measure=mean_age,unit=days", (3.979166667 + 23.583333333) / 2, 2},
	{"work_item_age", "snapshot", "measure=sle_days", 9, 2},
	{"work_item_age", "snapshot", "measure=at_risk_ratio", 0.5, 2},

	{"sle_attainment", "4w", "measure=sle_days", 7, 3},
	{"sle_attainment", "4w", "measure=ratio", 2.0 / 3, 3},

	{"flow_efficiency", "4w", "measure=ratio_of_sums", 216.0 / 303, 3},
	{"flow_efficiency", "4w", "measure=mean_per_item", 0.809050633, 3},

	{"arrival_departure_ratio", "4w", "measure=arrivals", 6, -1},
	{"arrival_departure_ratio", "4w", "measure=departures", 4, -1},
	{"arrival_departure_ratio", "4w", "measure=ratio", 1.5, -1},
	{"arrival_departure_ratio", "4w", "measure=littles_law_ct_days", 9.25, -1},
	{"arrival_departure_ratio", "4w", "measure=littles_law_quotient", 9.25 / 4.208333333333333, -1},
	{"arrival_departure_ratio", "4w", "measure=conservation_gap", 0, -1},

	{"reopen_rate", "4w", "", 0.25, 4},

	{"created_vs_resolved", "4w", "measure=created", 4, -1},
	{"created_vs_resolved", "4w", "measure=resolved", 5, -1},
	{"created_vs_resolved", "4w", "measure=net", -1, -1},
	{"created_vs_resolved", "4w", "measure=ratio", 1.25, -1},

	{"backlog_age", "snapshot", "method=nr,quantile=0.5,unit=dc", 123, 1},
	{"backlog_age", "snapshot", "measure=jira_average_age,unit=days", 54.611111111, 3},
	{"stale_ratio", "snapshot", "", 2.0 / 3, 3},
	{"workflow_consistency", "4w", "class=skipped_in_progress", 0.25, 4},
	{"workflow_consistency", "4w", "class=done_without_resolution", 0, 4},
	{"workflow_consistency", "4w", "class=worklog_after_done", 0, 4},
	{"bug_mttr", "4w", "method=nr,quantile=0.5,unit=dc", 3, 1}, // created 01-21, done 01-23
	{"bug_mttr", "4w", "method=mean,unit=days", 2, 1},
	{"bug_mttr", "4w", "method=nr,priority=none,quantile=0.5,unit=dc", 3, 1},
	{"defect_ratio", "4w", "", 0, 3}, // done, no linked bugs
}

func TestExampleA(t *testing.T) {
	f := loadFixture(t, "example_a.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		snap, err := Compute(context.Background(), w, exampleAConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/A", exampleA)
		checkValues(t, snap, ScopePortfolio, "all", exampleA)
		checkValues(t, snap, ScopeProgram, "Flow programme", exampleA)
		checkValues(t, snap, ScopeSource, "jira", exampleA)
	})
}

func exampleBConfig() Config {
	c := DefaultConfig()
	c.MinSample = ptr(1)
	return c
}

// Every expected value of kpis.md §4.2 (sprint S-10 and the rolling KPIs).
var exampleB = []want{
	{"sprint_carryover", "sprint", "measure=committed,sprint=S-10,variant=points", 19, 4},
	{"sprint_carryover", "sprint", "measure=committed,sprint=S-10,variant=count", 4, 4},
	{"sprint_carryover", "sprint", "measure=completed_outside,sprint=S-10,variant=count", 1, 1},
	{"sprint_carryover", "sprint", "measure=added,sprint=S-10,variant=points", 7, 3},
	{"sprint_carryover", "sprint", "measure=added,sprint=S-10,variant=count", 3, 3},
	{"sprint_carryover", "sprint", "measure=removed,sprint=S-10,variant=points", 3, 1},
	{"sprint_carryover", "sprint", "measure=removed,sprint=S-10,variant=count", 1, 1},
	{"sprint_carryover", "sprint", "measure=estimate_change,sprint=S-10,variant=points", 2, -1},
	{"sprint_carryover", "sprint", "measure=completed,sprint=S-10,variant=points", 12, 4},
	{"sprint_carryover", "sprint", "measure=completed,sprint=S-10,variant=count", 4, 4},
	{"sprint_carryover", "sprint", "measure=not_completed,sprint=S-10,variant=points", 13, 2},
	{"sprint_carryover", "sprint", "measure=not_completed,sprint=S-10,variant=count", 2, 2},
	{"sprint_carryover", "sprint", "measure=invariant_gap,sprint=S-10,variant=points", 0, -1}, // 19 + 7 − 3 + 2 = 25 = 12 + 13
	{"sprint_carryover", "sprint", "sprint=S-10,variant=points", 0.52, 6},
	{"sprint_carryover", "sprint", "sprint=S-10,variant=count", 2.0 / 6, 6},
	{"sprint_velocity", "sprint", "sprint=S-10,variant=points", 12, 4},
	{"sprint_velocity", "sprint", "sprint=S-7,variant=points", 15, 1},
	{"sprint_velocity", "sprint", "sprint=S-8,variant=points", 9, 1},
	{"sprint_velocity", "sprint", "sprint=S-9,variant=points", 14, 1},
	{"sprint_velocity", "last5", "board=B board,variant=points", 12.5, 4},
	{"velocity_variability", "last6", "board=B board,measure=cv", 0.211660105, 4},
	{"velocity_variability", "sprint", "measure=predictability,sprint=S-10", 12 / (38.0 / 3), 3},
	{"say_do_ratio", "sprint", "sprint=S-10,variant=points", 12.0 / 19, 4},
	{"say_do_ratio", "sprint", "sprint=S-10,variant=count", 1.0, 4},
	{"commitment_completion_rate", "sprint", "sprint=S-10,variant=points", 8.0 / 19, 4},
	{"commitment_completion_rate", "sprint", "sprint=S-10,variant=count", 0.5, 4},
	{"sprint_scope_change", "sprint", "sprint=S-10,variant=count", 1.0, 4},
	{"sprint_scope_change", "sprint", "sprint=S-10,variant=points", 10.0 / 19, 4},
	{"sprint_scope_change", "sprint", "measure=estimate_change,sprint=S-10", 2, 4},
}

func TestExampleB(t *testing.T) {
	f := loadFixture(t, "example_b.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		snap, err := Compute(context.Background(), w, exampleBConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/B", exampleB)
		// B4 without ready_status_ids: NULL.
		checkValues(t, snap, ScopeProject, "jira/B", []want{
			{"backlog_readiness", "snapshot", "", null, 0},
			{"backlog_readiness", "snapshot", "measure=ready_points", null, 0},
		})
		if len(snap.Checks) > 0 {
			t.Errorf("failed checks: %v", snap.Checks)
		}
		reps, err := SprintReports(context.Background(), w, exampleBConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps {
			if r.Sprint != "S-10" {
				continue
			}
			got := fmt.Sprint(r.Committed, r.AddedKeys, r.RemovedKeys, r.CompletedKeys, r.NotCompletedKeys, r.OutsideKeys)
			if want := "[B-1 B-2 B-3 B-5] [B-4 B-7 B-8] [B-5] [B-1 B-2 B-4 B-8] [B-3 B-7] [B-6]"; got != want {
				t.Errorf("S-10 report keys = %s, want %s", got, want)
			}
		}
	})
}

// TestBacklogReadiness: B4 on example B with ready = To Do and In Progress:
// open estimated unblocked items B-3 8, B-5 3, B-7 5 = 16 points; mean
// velocity of board 1 over its last 5 closed sprints (15, 9, 14, 12) =
// 12.5 → 1.28 sprints. With ready = To Do only: B-5 3 → 0.24. Program and
// portfolio scopes have no board velocity: NULL.
func TestBacklogReadiness(t *testing.T) {
	f := loadFixture(t, "example_b.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		for _, tc := range []struct {
			ready       []string
			points, val float64
			n           int
		}{{[]string{"1", "3"}, 16, 1.28, 3}, {[]string{"1"}, 3, 0.24, 1}} {
			cfg := exampleBConfig()
			cfg.ReadyStatusIDs = tc.ready
			snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{})
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, snap, ScopeProject, "jira/B", []want{
				{"backlog_readiness", "snapshot", "measure=ready_points", tc.points, tc.n},
				{"backlog_readiness", "snapshot", "", tc.val, tc.n},
			})
			checkValues(t, snap, ScopeProgram, "Flow programme", []want{
				{"backlog_readiness", "snapshot", "measure=ready_points", tc.points, tc.n},
				{"backlog_readiness", "snapshot", "", null, tc.n},
			})
		}
		// B-3 (In Progress, not done) blocks B-5: B-5 is not ready →
		// B-3 8 + B-7 5 = 13 points → 13 / 12.5 = 1.04 sprints.
		kpitest.PutRecords(t, w, []model.Record{model.Link{Source: f.Source, ID: "lb", TypeID: "Blocks", Type: "Blocks", Outward: "blocks", Inward: "is blocked by",
			FromIssueID: kpitest.IssueID("B-3"), ToIssueID: kpitest.IssueID("B-5"), ObservedAt: f.AsOf}})
		cfg := exampleBConfig()
		cfg.ReadyStatusIDs = []string{"1", "3"}
		snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{Kind: ScopeProject})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/B", []want{
			{"backlog_readiness", "snapshot", "measure=ready_points", 13, 2},
			{"backlog_readiness", "snapshot", "", 1.04, 2},
		})
		checkRecompute(t, w, cfg, snap, "backlog_readiness") // ready items B-3, B-7 and the board's velocity
	})
}
