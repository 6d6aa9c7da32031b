package kpi

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// kpis.md §4.3 E1–E3 mode A (AgileEVM mini-case): PS 5, PRP 100, BAC
// 200 000, after 2 sprints 36 points done, AC 90 000.
func TestAgileEVMExampleC(t *testing.T) {
	v := agileEVM(EVM{Mode: "agile", BAC: 200000, PlannedReleasePoints: 100, PlannedSprints: 5, SprintsCompleted: 2}, 36, 90000)
	for _, c := range []struct {
		name string
		got  *float64
		want float64
	}{
		{"PV", v.PV, 80000}, {"EV", v.EV, 72000}, {"SPI", v.SPI, 0.9}, {"CPI", v.CPI, 0.8}, {"SV", v.SV, -8000}, {"CV", v.CV, -18000},
		{"EAC", v.EAC, 250000}, {"ETC", v.ETC, 160000}, {"VAC", v.VAC, -50000}, {"expected sprints", v.ExpectedSprints, 5.555556},
		{"TCPI", v.TCPI, 128000.0 / 110000}, {"EAC atypical", v.EACAtypical, 218000}, {"EAC cpi·spi", v.EACCPISPI, 90000 + 128000/0.72},
	} {
		if c.got == nil || math.Abs(*c.got-c.want) > 1e-6*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if v := agileEVM(EVM{Mode: "agile", BAC: 1, PlannedReleasePoints: 1, PlannedSprints: 5}, 0, 0); v.SPI != nil || v.CPI != nil {
		t.Errorf("PV = 0 and AC = 0 must give NULL SPI and CPI, got %v %v", v.SPI, v.CPI)
	}
}

// The EVM inputs of one project reach its scope only; done points come
// from the warehouse (example B at as_of: B-1 5, B-2 5, B-4 2, B-6 1 = 13).
func TestAgileEVMWarehouse(t *testing.T) {
	f := loadFixture(t, "example_b.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		cfg := exampleBConfig()
		cfg.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "B", EVM: &EVM{Mode: "agile", BAC: 200000, PlannedReleasePoints: 100, PlannedSprints: 5, SprintsCompleted: 2, ActualCost: 90000}}}
		snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/B", []want{
			{"evm_spi", "to_date", "measure=ev,variant=agile", 26000, 1},
			{"evm_spi", "to_date", "variant=agile", 26000.0 / 80000, 1},
			{"evm_cpi", "to_date", "variant=agile", 26000.0 / 90000, 1},
		})
		// Explain lists the done points (and the inputs) the values recompute from.
		checkRecompute(t, w, cfg, snap, "evm_spi", "evm_cpi", "evm_eac")
		e, err := Explain(context.Background(), w, cfg, "evm_spi", "project:jira/B", f.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		var done []string
		for _, it := range e.Items {
			if inSet(it, evmDonePoints) {
				done = append(done, fmt.Sprintf("%s %g", it.Key, *it.Points))
			}
		}
		if got := strings.Join(done, ", "); got != "B-1 5, B-2 5, B-4 2, B-6 1, B-8 0" {
			t.Errorf("evm_spi of B lists done points %q, want B-1 5, B-2 5, B-4 2, B-6 1, B-8 0 (done, unestimated: 0)", got)
		}
		if v, ok := snap.Find(ScopePortfolio, "all", "evm_spi", "to_date", "variant=agile"); !ok || v.Value != nil {
			t.Errorf("the portfolio has no EVM inputs: want a NULL SPI, got %v %v", ok, v.Value)
		}
	})
}
