package kpi

import (
	"context"
	"math"
	"slices"
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

// TestMonteCarloBlocksExact: with block sums in play (history {0, 1}, a
// fair coin a day, so 8-day blocks stand in for most of the draws), the
// trials keep the exact distributions: days to 50 items is negative
// binomial, P(D ≤ d) = P(Binomial(d, ½) ≥ 50); items in 100 days is
// Binomial(100, ½). 100,000 trials: each empirical probability within
// 0.01 of the exact one (≥ 6 standard deviations).
func TestMonteCarloBlocksExact(t *testing.T) {
	hist := []int{0, 1}
	if newBlockSampler(mcRand("x", 0), hist) == nil {
		t.Fatal("no block sampler for a {0, 1} history")
	}
	const k = 100_000
	ds := mcWhenTrials(mcRand("blocks", 1), hist, 50, k)
	for _, c := range []struct {
		d int
		p float64
	}{{90, 0.171417}, {99, 0.5}, {105, 0.720803}, {110, 0.852883}, {117, 0.952164}, {125, 0.990161}} {
		if got, _ := onTimeShare(ds, c.d); math.Abs(got-c.p) > 0.01 {
			t.Errorf("P(50 items within %d days) = %.4f, want %.4f ± 0.01", c.d, got, c.p)
		}
	}
	totals := mcHowManyTrials(mcRand("blocks", 2), hist, 100, k)
	for _, c := range []struct {
		v int
		p float64
	}{{40, 0.9824}, {45, 0.864373}, {50, 0.539795}, {55, 0.184101}, {60, 0.028444}} {
		i, _ := slices.BinarySearch(totals, c.v) // first total ≥ v
		if got := float64(k-i) / k; math.Abs(got-c.p) > 0.01 {
			t.Errorf("P(at least %d items in 100 days) = %.4f, want %.4f ± 0.01", c.v, got, c.p)
		}
	}
	// The block-sum distribution itself: 8 coin flips, P(sum = j) = C(8, j)/256.
	bs := newBlockSampler(mcRand("pmf", 3), hist)
	counts := make([]int, 9)
	for range 256_000 {
		counts[bs.next()]++
	}
	for j, want := range []float64{1, 8, 28, 56, 70, 56, 28, 8, 1} {
		if got := float64(counts[j]) / 1000; math.Abs(got-want) > 4*math.Sqrt(want)+1 {
			t.Errorf("block sum %d drawn %.1f times in 256, want %.0f", j, got, want)
		}
	}
}
