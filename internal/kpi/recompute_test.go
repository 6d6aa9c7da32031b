package kpi

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// checkRecompute holds every value of a population-defined KPI (flowKPIs)
// in snap to its explanation: the items `pmo kpi explain` lists for that
// KPI, scope and window recompute the value (1e-9) and its n exactly. It
// returns how many values it checked.
func checkRecompute(t *testing.T, w *warehouse.Warehouse, cfg Config, snap Snapshot, only ...string) int {
	t.Helper()
	ctx := context.Background()
	// The report's batched Explainer (checkBatchedEqualsOneScope compares it
	// with the one-scope explanations).
	x := NewExplainer(w, cfg, snap.AsOf).Batch()
	defer x.Close(ctx)
	cache := map[string]Explanation{}
	checked, bad := 0, 0
	for _, v := range snap.Values {
		fk, ok := flowKPIs[v.KPI]
		effort := v.KPI == "logged_hours" || v.KPI == "utilization" || v.KPI == "work_distribution" ||
			v.KPI == "evm_spi" || v.KPI == "evm_cpi" || v.KPI == "evm_eac" || v.KPI == "backlog_readiness"
		if (!ok && !effort) || slices.Contains(fk.derived, v.Labels["measure"]) || (len(only) > 0 && !slices.Contains(only, v.KPI)) {
			continue
		}
		key := v.KPI + "|" + v.ScopeKind + ":" + v.Scope + "|" + v.Window
		e, ok := cache[key]
		if !ok {
			var err error
			e, err = x.Explain(ctx, v.KPI, v.ScopeKind+":"+v.Scope, v.Window)
			if err != nil {
				t.Fatalf("explaining %s: %v", key, err)
			}
			cache[key] = e
		}
		got, n, ok := e.Recompute(v.Labels)
		checked++
		switch {
		case !ok:
			t.Errorf("%s{%s}: explain cannot recompute it", key, v.Labels)
		case (got == nil) != (v.Value == nil):
			t.Errorf("%s{%s}: explain recomputes %v, the snapshot has %v", key, v.Labels, fmtPtr(got), fmtPtr(v.Value))
		case got != nil && math.Abs(*got-*v.Value) > 1e-9:
			t.Errorf("%s{%s}: explain recomputes %.12g, the snapshot has %.12g", key, v.Labels, *got, *v.Value)
		case n != v.N:
			t.Errorf("%s{%s}: explain recomputes n = %d, the snapshot has %d", key, v.Labels, n, v.N)
		default:
			continue
		}
		if bad++; bad > 20 {
			t.Fatal("too many mismatches")
		}
	}
	return checked
}

// checkBatchedEqualsOneScope: the report's batched Explainer lists the same
// items as one-scope explanations, for every population KPI and window on
// the portfolio and on the first project.
func checkBatchedEqualsOneScope(t *testing.T, w *warehouse.Warehouse, cfg Config, snap Snapshot) {
	t.Helper()
	ctx := context.Background()
	batched := NewExplainer(w, cfg, snap.AsOf).Batch()
	defer batched.Close(ctx)
	single := NewExplainer(w, cfg, snap.AsOf)
	defer single.Close(ctx)
	project, seen, compared := "", map[string]bool{}, 0
	for _, v := range snap.Values {
		if _, ok := flowKPIs[v.KPI]; !ok {
			continue
		}
		if project == "" && v.ScopeKind == ScopeProject {
			project = v.Scope
		}
		if v.ScopeKind != ScopePortfolio && (v.ScopeKind != ScopeProject || v.Scope != project) {
			continue
		}
		key := v.KPI + "|" + v.ScopeKind + ":" + v.Scope + "|" + v.Window
		if seen[key] {
			continue
		}
		seen[key] = true
		a, err := batched.Explain(ctx, v.KPI, v.ScopeKind+":"+v.Scope, v.Window)
		if err != nil {
			t.Fatal(err)
		}
		b, err := single.Explain(ctx, v.KPI, v.ScopeKind+":"+v.Scope, v.Window)
		if err != nil {
			t.Fatal(err)
		}
		compared++
		if !reflect.DeepEqual(a.Items, b.Items) {
			t.Errorf("%s: the batched explanation lists %d items, the one-scope explanation %d, or they differ", key, len(a.Items), len(b.Items))
		}
	}
	if compared < 20 {
		t.Errorf("only %d explanations compared", compared)
	}
}

func fmtPtr(p *float64) any {
	if p == nil {
		return "NULL"
	}
	return *p
}

// TestExplainRecomputesWorkedExamples: on kpis.md's worked examples, every
// flow value of every scope equals its recomputed explanation.
func TestExplainRecomputesWorkedExamples(t *testing.T) {
	for _, tc := range []struct {
		file string
		cfg  Config
	}{
		{"example_a.yaml", exampleAConfig()},
		{"example_b.yaml", exampleBConfig()},
		{"example_c.yaml", exampleCConfig()},
		{"vocabulary.yaml", exampleBConfig()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := loadFixture(t, tc.file)
			whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
				f.Load(t, w)
				snap, err := Compute(context.Background(), w, tc.cfg, f.AsOf, ScopeFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if n := checkRecompute(t, w, tc.cfg, snap); n == 0 {
					t.Error("no value checked")
				}
			})
		})
	}
}

// TestExplainRecomputesSimulator does the same on the Jira simulator's
// organisation (several projects, programs and sources' worth of scopes).
func TestExplainRecomputesSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("collects a simulated Jira organisation; skipped with -short")
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		sim, _ := jiratest.Collect(t, w, jirasim.Config{Mode: jirasim.Cloud, Issues: 600, Seed: 11})
		asOf := sim.Config().Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		cfg := DefaultConfig()
		snap, err := Compute(context.Background(), w, cfg, asOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		n := checkRecompute(t, w, cfg, snap)
		t.Logf("%d values recomputed from their explanations", n)
		checkBatchedEqualsOneScope(t, w, cfg, snap)
		if n < 500 {
			t.Errorf("only %d values checked", n)
		}
	})
}

// TestExplainPortfolioRAG: every portfolio_rag value of every scope (overall,
// score, low confidence, each component) recomputes from its explanation,
// whose items are the components with the rated value each was read from;
// the explanation of example C's project is golden.
func TestExplainPortfolioRAG(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		cfg := exampleCConfig()
		snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		x := NewExplainer(w, cfg, f.AsOf)
		defer x.Close(ctx)
		cache := map[string]Explanation{}
		checked := 0
		for _, v := range snap.Values {
			if v.KPI != "portfolio_rag" {
				continue
			}
			sc := v.ScopeKind + ":" + v.Scope
			e, ok := cache[sc]
			if !ok {
				if e, err = x.Explain(ctx, "portfolio_rag", sc, ""); err != nil {
					t.Fatal(err)
				}
				cache[sc] = e
			}
			got, n, ok := e.Recompute(v.Labels)
			switch {
			case !ok:
				t.Errorf("%s portfolio_rag{%s}: explain cannot recompute it", sc, v.Labels)
			case (got == nil) != (v.Value == nil) || (got != nil && math.Abs(*got-*v.Value) > 1e-9) || n != v.N:
				t.Errorf("%s portfolio_rag{%s}: explain recomputes %v (n %d), the snapshot has %v (n %d)", sc, v.Labels, fmtPtr(got), n, fmtPtr(v.Value), v.N)
			}
			checked++
		}
		if checked == 0 {
			t.Fatal("no portfolio_rag value")
		}
		var buf bytes.Buffer
		if err := WriteExplanation(&buf, cache["project:jira/C"], "table"); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "testdata/explain_c_portfolio_rag.golden", buf.Bytes())
	})
}
