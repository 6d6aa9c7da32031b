package kpi

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// ragWant is the expected RAG of one value ("" = unrated).
type ragWant struct {
	kpi, window, labels string
	rag                 string
}

func checkRAGs(t *testing.T, snap Snapshot, kind, scope string, wants []ragWant) {
	t.Helper()
	for _, w := range wants {
		v, ok := snap.Find(kind, scope, w.kpi, w.window, w.labels)
		if !ok {
			t.Errorf("%s:%s %s{%s} %s: missing", kind, scope, w.kpi, w.labels, w.window)
			continue
		}
		if got := ragText(v.RAG, ""); got != w.rag {
			t.Errorf("%s:%s %s{%s} %s = %s: RAG %q, want %q", kind, scope, w.kpi, w.labels, w.window, FormatValue(v.Value), got, w.rag)
		}
	}
}

// exampleCRAG is the RAG part of kpis.md §4.3 (example C).
var exampleCRAG = []ragWant{
	{"due_date_adherence", "4w", "measure=on_time_ratio", "amber"},
	{"escaped_defect_rate", "4w", "", "red"},
	{"field_completeness", "4w", "field=composite", "amber"},
	{"overdue_ratio", "snapshot", "measure=ratio", "red"},
	{"blocked_ratio", "snapshot", "measure=ratio", "red"},
	{"risk_exposure", "snapshot", "measure=red_flags", "red"},
	{"utilization", "month", "measure=team", "red"},
	{"work_distribution", "month", "measure=top_person_share", "amber"},
	{"due_date_adherence", "4w", "measure=late", ""}, // no threshold
	{"portfolio_rag", "snapshot", "measure=rag", "red"},
	{"portfolio_rag", "snapshot", "measure=score", "red"},
}

// TestThresholdOverrideExampleC: example C's RAG statuses with the catalog
// thresholds (program scope), and a project override of the
// due_date_adherence band that turns its on-time ratio 2/3 from amber to
// green and with it the portfolio delivery component and score, on both
// engines; the values themselves do not change.
func TestThresholdOverrideExampleC(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		ctx := context.Background()
		cfg := exampleCConfig()
		if _, err := CreateBaseline(ctx, w, cfg, "C", "2025-03-01", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		cfg.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "C", EVM: &EVM{Mode: "effort", Baseline: "2025-03-01"}}}
		base, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkRAGs(t, base, ScopeProject, "jira/C", append([]ragWant{
			{"evm_spi", "to_date", "variant=effort", "red"},
			{"evm_cpi", "to_date", "variant=effort", "red"},
		}, exampleCRAG...))
		checkRAGs(t, base, ScopeProgram, "Alpha programme", exampleCRAG[:len(exampleCRAG)-2])

		cfg.Scopes[0].Thresholds = map[string][]ThresholdBand{
			"due_date_adherence": {{Applies: "measure=on_time_ratio", Green: ">= 0.6", Amber: "0.4-0.6", Red: "< 0.4"}},
		}
		if errs := cfg.Validate(); len(errs) > 0 {
			t.Fatal(errs)
		}
		over, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkRAGs(t, over, ScopeProject, "jira/C", []ragWant{
			{"due_date_adherence", "4w", "measure=on_time_ratio", "green"},
			{"portfolio_rag", "snapshot", "component=delivery", ""}, // the component values are statuses, not rated
		})
		// Delivery A → G: score (0.15·100 + 0.10·50) / 1.0 = 20, still RED
		// (worst of); the program keeps the catalog band.
		checkValues(t, over, ScopeProject, "jira/C", []want{
			{"due_date_adherence", "4w", "measure=on_time_ratio", 2.0 / 3, 3},
			{"portfolio_rag", "snapshot", "component=delivery", ragGreen, 6},
			{"portfolio_rag", "snapshot", "measure=score", 20, 6},
			{"portfolio_rag", "snapshot", "measure=rag", ragRed, 6},
		})
		checkRAGs(t, over, ScopeProgram, "Alpha programme", exampleCRAG[:1])
		checkValues(t, over, ScopeProgram, "Alpha programme", []want{
			{"portfolio_rag", "snapshot", "component=delivery", ragAmber, 5},
		})
		// Only the RAG of the overridden scope changed.
		changed := 0
		for _, v := range over.Values {
			b, ok := base.Find(v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String())
			if !ok || (b.Value == nil) != (v.Value == nil) || b.Value != nil && math.Abs(*b.Value-*v.Value) > 1e-9 && v.KPI != "portfolio_rag" {
				t.Errorf("%s:%s %s{%s}: value %s, was %s", v.ScopeKind, v.Scope, v.KPI, v.Labels, FormatValue(v.Value), FormatValue(b.Value))
			}
			if ragText(b.RAG, "") != ragText(v.RAG, "") {
				changed++
				if v.Scope != "jira/C" {
					t.Errorf("%s:%s %s{%s}: RAG %s, was %s; the override is for project C only", v.ScopeKind, v.Scope, v.KPI, v.Labels, ragText(v.RAG, "-"), ragText(b.RAG, "-"))
				}
			}
		}
		if changed == 0 {
			t.Error("the override changed no RAG")
		}
	})
}

// TestRelativeThresholdsEngine: cycle_time P85 is rated against the
// scope's SLE and sle_attainment against sle.percentile, throughput only
// with a 26-week window (example A, SLE 7 days).
func TestRelativeThresholdsEngine(t *testing.T) {
	f := loadFixture(t, "example_a.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		cfg := exampleAConfig()
		cfg.FlowWindowsWeeks = []int{4, 26}
		snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{Kind: ScopeProject})
		if err != nil {
			t.Fatal(err)
		}
		sle, ok := snap.Find(ScopeProject, "jira/A", "sle_attainment", "4w", "measure=sle_days")
		if !ok || sle.Value == nil {
			t.Fatal("no sle_days in example A")
		}
		for _, c := range []struct{ kpi, win, labels, ref string }{
			{"cycle_time", "4w", "method=nr,quantile=0.85,unit=dc", "sle"},
			{"sle_attainment", "4w", "measure=ratio", "pct"},
			{"throughput", "4w", "measure=per_week", "mean"},
		} {
			v, ok := snap.Find(ScopeProject, "jira/A", c.kpi, c.win, c.labels)
			if !ok || v.Value == nil {
				t.Errorf("%s{%s} %s: missing or NULL", c.kpi, c.labels, c.win)
				continue
			}
			var want RAG
			switch c.ref {
			case "sle":
				want = Red
				if *v.Value <= *sle.Value {
					want = Green
				}
			case "pct":
				want = Red
				if *v.Value >= 0.85 {
					want = Green
				} else if *v.Value >= 0.75-1e-9 {
					want = Amber
				}
			case "mean":
				m, _ := snap.Find(ScopeProject, "jira/A", "throughput", "26w", "measure=per_week")
				r := *v.Value / *m.Value
				want = Red
				if r >= 0.75 {
					want = Green
				} else if r >= 0.5 {
					want = Amber
				}
			}
			if v.RAG == nil || *v.RAG != want {
				t.Errorf("%s{%s} %s = %v: RAG %s, want %s", c.kpi, c.labels, c.win, *v.Value, ragText(v.RAG, "unrated"), want)
			}
		}
	})
}
