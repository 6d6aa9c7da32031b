package kpi

import (
	"context"
	"math"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// kpis.md §4.1, F9 synthetic exact case: history {0, 1, 2} equally likely.
func TestMonteCarloSynthetic(t *testing.T) {
	hist := []int{0, 1, 2}
	for seed := range 5 {
		rng := mcRand("synthetic", int64(seed))
		if got, ok := mcHowMany(rng, hist, 2, 10000, 0.85); !ok || got != 1 {
			t.Errorf("seed %d: how many in 2 days @85%% = %d, %v; want 1 (P(≥1) = 8/9, P(≥2) = 6/9)", seed, got, ok)
		}
		if got, ok := mcWhen(rng, hist, 3, 10000, 0.85); !ok || got != 5 {
			t.Errorf("seed %d: when for N = 3 @85%% = %d, %v; want 5 days (P(≤4) = 0.8148, P(≤5) = 0.9136)", seed, got, ok)
		}
	}
	// The same trials read at each confidence of the fan (exact: how many
	// in 2 days P(≥v) = 1, 8/9, 6/9, 3/9, 1/9 for v = 0..4; when for 3
	// items P(≤d) = 0, 3/9, 17/27, 0.8148, 0.9136, 0.9616 for d = 1..6).
	totals := mcHowManyTrials(mcRand("fan", 1), hist, 2, 10000)
	ds := mcWhenTrials(mcRand("fan", 1), hist, 3, 10000)
	for _, tc := range []struct {
		c             float64
		howMany, when int
	}{{0.5, 2, 3}, {0.7, 1, 4}, {0.85, 1, 5}, {0.95, 0, 6}} {
		if got, _ := howManyAt(totals, tc.c); got != tc.howMany {
			t.Errorf("how many in 2 days @%v = %d, want %d", tc.c, got, tc.howMany)
		}
		if got, _ := whenAt(ds, tc.c); got != tc.when {
			t.Errorf("when for N = 3 @%v = %d, want %d", tc.c, got, tc.when)
		}
	}
	if p, _ := onTimeShare(ds, 4); math.Abs(p-0.8148) > 0.015 {
		t.Errorf("P(3 items within 4 days) = %v, want 0.8148 ± 0.015", p)
	}
	if p, _ := onTimeShare(mcWhenTrials(mcRand("fan", 1), hist, 0, 100), 0); p != 1 {
		t.Errorf("nothing left: P(done within 0 days) = %v, want 1", p)
	}
	if _, ok := mcHowMany(mcRand("x", 0), []int{0, 0}, 5, 100, 0.85); ok {
		t.Error("all-zero history: how many should be NULL")
	}
	if _, ok := mcWhen(mcRand("x", 0), []int{0, 0}, 3, 100, 0.85); ok {
		t.Error("all-zero history: when should be NULL")
	}
}

// The same scope and as_of give the same forecast.
func TestMonteCarloReproducible(t *testing.T) {
	hist := []int{0, 0, 1, 0, 3, 0, 1}
	a, _ := mcWhen(mcRand("project:jira/A", 1), hist, 40, 2000, 0.85)
	b, _ := mcWhen(mcRand("project:jira/A", 1), hist, 40, 2000, 0.85)
	if a != b {
		t.Errorf("same seed: %d != %d", a, b)
	}
}

// kpis.md §4.1 F9 sampled case through the warehouse: the history is the 28
// daily throughput counts of example A (four 1s), the backlog.
func TestExampleAMonteCarlo(t *testing.T) {
	f := loadFixture(t, "example_a.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		cfg := exampleAConfig()
		cfg.MCHistoryDays = ptr(28)
		snap, err := Compute(context.Background(), w, cfg, f.AsOf, ScopeFilter{Kind: ScopeProject, Name: "A"})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/A", []want{
			{"monte_carlo_forecast", "28d", "measure=how_many", 1, 28}, // 14 days @85 %
			{"monte_carlo_forecast", "28d", "measure=backlog", 3, 28},
			{"monte_carlo_forecast", "28d", "confidence=0.85,measure=how_many", 1, 28}, // the fan repeats the configured level
		})
		v, ok := snap.Find(ScopeProject, "jira/A", "monte_carlo_forecast", "28d", "measure=when_days")
		if !ok || v.Value == nil || *v.Value < 31 || *v.Value > 33 {
			t.Errorf("when will 3 items be done @85%%: %v, want 31..33 days (exact 32)", v.Value)
		}
	})
}

// The two-per-draw index sampler is uniform over [0, n): every index of
// n = 7 and n = 90 within 3 % of its expected count over 900k draws
// (expected 128,571 and 10,000; 3 % is ≥ 3 standard deviations).
func TestDrawsUniform(t *testing.T) {
	for _, n := range []int{7, 90} {
		d := newDraws(mcRand("uniform", int64(n)), n)
		counts := make([]int, n)
		const total = 900_000
		for range total {
			counts[d.next()]++
		}
		want := float64(total) / float64(n)
		for i, c := range counts {
			if math.Abs(float64(c)-want) > 0.03*want {
				t.Errorf("n = %d: index %d drawn %d times, want %.0f ± 3 %%", n, i, c, want)
			}
		}
	}
}
