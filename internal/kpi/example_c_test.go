package kpi

import (
	"context"
	"errors"
	"testing"
	"time"

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

	// E1–E3 mode H: baseline frozen 2025-03-01 = {C-1…C-4}.
	{"evm_eac", "to_date", "measure=bac,variant=effort", 112, 1},
	{"evm_spi", "to_date", "measure=pv,variant=effort", 80, 1},
	{"evm_spi", "to_date", "measure=ev,variant=effort", 64, 1},
	{"evm_cpi", "to_date", "measure=ac,variant=effort", 76, 1},
	{"evm_spi", "to_date", "measure=sv,variant=effort", -16, 1},
	{"evm_spi", "to_date", "variant=effort", 0.8, 1},
	{"evm_cpi", "to_date", "measure=cv,variant=effort", -12, 1},
	{"evm_cpi", "to_date", "variant=effort", 0.842105263, 1},
	{"evm_eac", "to_date", "measure=eac,variant=effort", 133, 1},
	{"evm_eac", "to_date", "measure=etc,variant=effort", 57, 1},
	{"evm_eac", "to_date", "measure=vac,variant=effort", -21, 1},
	{"evm_eac", "to_date", "measure=tcpi_bac,variant=effort", 48.0 / 36, 1},
	{"evm_eac", "to_date", "measure=eac_cpi_spi,variant=effort", 147.25, 1},

	// X1: SPI R, CPI R, delivery A, quality R, risk R, hygiene A → RED,
	// score (0.15·50 + 0.10·50) / 1.0 = 12.5.
	{"portfolio_rag", "snapshot", "measure=rag", ragRed, 6},
	{"portfolio_rag", "snapshot", "measure=score", 12.5, 6},
	{"portfolio_rag", "snapshot", "measure=low_confidence", 0, 6},
	{"portfolio_rag", "snapshot", "component=schedule", ragRed, 6},
	{"portfolio_rag", "snapshot", "component=cost", ragRed, 6},
	{"portfolio_rag", "snapshot", "component=delivery", ragAmber, 6},
	{"portfolio_rag", "snapshot", "component=quality", ragRed, 6},
	{"portfolio_rag", "snapshot", "component=risk", ragRed, 6},
	{"portfolio_rag", "snapshot", "component=hygiene", ragAmber, 6},
}

var exampleCHygiene = []want{
	{"field_completeness", "4w", "field=parent_epic", 1.0 / 3, 3},
	{"field_completeness", "4w", "field=component", 2.0 / 3, 3},
	{"field_completeness", "4w", "field=fix_version", 1.0 / 3, 3},
}

// TestExampleCCompositeFields: with completeness_composite_fields listing
// all six fields the composite is (5/6 + 3/4 + 2/3 + 1/3 + 2/3 + 1/3) / 6.
func TestExampleCCompositeFields(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		cfg := exampleCConfig()
		cfg.CompletenessCompositeFields = []string{"estimate", "assignee", "due_date", "parent_epic", "component", "fix_version"}
		snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{Kind: ScopeProject, Name: "C"})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/C", append([]want{
			{"field_completeness", "4w", "field=composite", (5.0/6 + 0.75 + 2.0/3 + 1.0/3 + 2.0/3 + 1.0/3) / 6, 6},
		}, exampleCHygiene...))
	})
}

func TestExampleC(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		ctx := context.Background()
		cfg := exampleCConfig()
		n, err := CreateBaseline(ctx, w, cfg, "C", "2025-03-01", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || n != 4 {
			t.Fatalf("CreateBaseline = %d, %v; want 4 issues", n, err)
		}
		if _, err := CreateBaseline(ctx, w, cfg, "C", "2025-03-01", time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrBaselineExists) {
			t.Errorf("re-creating a baseline: %v, want a frozen error", err)
		}
		cfg.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "C", EVM: &EVM{Mode: "effort", Baseline: "2025-03-01"}}}
		snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/C", exampleC)
		checkRecompute(t, w, cfg, snap, "evm_spi", "evm_cpi", "evm_eac") // the effort EVM from its baseline items
		// G1 extra fields over the open flow items {C-3, C-4, C-6} (fixture:
		// C-3 has an epic, component and fix version, C-4 a component):
		// parent/epic 1/3, component 2/3, fixVersion 1/3; not in the
		// composite by default (0.75 above).
		checkValues(t, snap, ScopeProject, "jira/C", exampleCHygiene)
		// The program has the same issues but no EVM inputs: cost is n/a
		// and dropped from the weights, schedule falls back to due-date
		// adherence (A): (0.25·50 + 0.15·50 + 0.10·50) / 0.75.
		checkValues(t, snap, ScopeProgram, "Alpha programme", exampleC[:32])
		checkValues(t, snap, ScopeProgram, "Alpha programme", []want{
			{"evm_spi", "to_date", "variant=agile", null, 0},
			{"portfolio_rag", "snapshot", "component=cost", null, 5},
			{"portfolio_rag", "snapshot", "component=schedule", ragAmber, 5},
			{"portfolio_rag", "snapshot", "measure=rag", ragRed, 5},
			{"portfolio_rag", "snapshot", "measure=score", 25.0 / 0.75, 5},
		})
	})
}
