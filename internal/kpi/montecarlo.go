package kpi

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// mcMaxDays caps a "when" trial: a forecast beyond it is NULL.
const mcMaxDays = 3650

// forecast computes monte_carlo_forecast (F9) per scope: the history is the
// daily throughput (non-discarded flow items by the local day of their final
// done instant, zero days included) of the mc_history_days local days
// ending at E, counted in ClickHouse; the simulation runs in Go with a seed
// fixed by scope and as_of, so a computation is reproducible. "How many"
// looks mc_horizon_days past E; "when" forecasts the scope's open backlog
// (non-discarded flow items not done at as_of).
func (c *computation) forecast(ctx context.Context, from string) error {
	l := *c.s.MCHistoryDays
	eDay := lastCompleteDay(c.asOf, c.s.loc).Unix() / 86400
	lo := eDay - int64(l) // history = (lo, eDay]
	cond := fmt.Sprintf("%s AND is_done AND done_day > %d AND done_day <= %d", pFlow, lo, eDay)
	q := "SELECT scope_kind, scope, groupArrayIf(toInt64(done_day), " + cond + ") AS days, countIf(" + pFlow + " AND NOT is_done) AS backlog FROM (" +
		from + ") GROUP BY scope_kind, scope ORDER BY scope_kind, scope"
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: computing monte_carlo_forecast history: %w", err)
	}
	defer rows.Close()
	win := fmt.Sprintf("%dd", l)
	conf := *c.s.MCConfidence
	for rows.Next() {
		var r result
		var days []int64
		var backlog uint64
		if err := rows.Scan(&r.kind, &r.scope, &days, &backlog); err != nil {
			return fmt.Errorf("kpi: computing monte_carlo_forecast history: reading row: %w", err)
		}
		hist := make([]int, l)
		for _, d := range days {
			hist[d-lo-1]++
		}
		rng := mcRand(r.kind+":"+r.scope, c.asOf.Unix())
		n := uint64(l)
		var howMany, when *float64
		if v, ok := mcHowMany(rng, hist, *c.s.MCHorizonDays, *c.s.MCTrials, conf); ok {
			howMany = fptr(float64(v))
		}
		if v, ok := mcWhen(rng, hist, int(backlog), *c.s.MCTrials, conf); ok {
			when = fptr(float64(v))
		}
		c.emit(r, "monte_carlo_forecast", win, Labels{"measure": "how_many"}, howMany, n)
		c.emit(r, "monte_carlo_forecast", win, Labels{"measure": "when_days"}, when, n)
		c.emit(r, "monte_carlo_forecast", win, Labels{"measure": "backlog"}, fptr(float64(backlog)), n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing monte_carlo_forecast history: %w", err)
	}
	return nil
}

// mcRand is the RNG of one scope's forecast at as_of: the same inputs give
// the same draws.
func mcRand(scope string, asOf int64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(scope))
	return rand.New(rand.NewPCG(h.Sum64(), uint64(asOf)))
}

// rankUp is ⌈c·k⌉ with the same epsilon as sqlNR (c·k integral in exact
// arithmetic must not round up), at least 1.
func rankUp(c float64, k int) int {
	return max(1, int(math.Ceil(c*float64(k)-1e-9)))
}

func allZero(h []int) bool {
	return !slices.ContainsFunc(h, func(x int) bool { return x != 0 })
}

// mcHowMany: each of k trials sums days draws from hist; the answer is the
// largest v with P(total ≥ v) ≥ c, i.e. x[k − ⌈c·k⌉ + 1] (1-based) of the
// sorted totals. All-zero or empty history: not computable.
func mcHowMany(rng *rand.Rand, hist []int, days, k int, c float64) (int, bool) {
	if len(hist) == 0 || allZero(hist) || k < 1 {
		return 0, false
	}
	totals := make([]int, k)
	for t := range totals {
		s := 0
		for range days {
			s += hist[rng.IntN(len(hist))]
		}
		totals[t] = s
	}
	slices.Sort(totals)
	return totals[k-rankUp(c, k)], true
}

// mcWhen: each trial draws days until the cumulative sum reaches n; the
// answer is the NR c-quantile d[⌈c·k⌉] of the day counts. n = 0 is 0 days;
// all-zero history or a quantile beyond mcMaxDays is not computable.
func mcWhen(rng *rand.Rand, hist []int, n, k int, c float64) (int, bool) {
	if n <= 0 {
		return 0, true
	}
	if len(hist) == 0 || allZero(hist) || k < 1 {
		return 0, false
	}
	ds := make([]int, k)
	for t := range ds {
		s, d := 0, 0
		for s < n && d <= mcMaxDays {
			s += hist[rng.IntN(len(hist))]
			d++
		}
		ds[t] = d
	}
	slices.Sort(ds)
	v := ds[rankUp(c, k)-1]
	if v > mcMaxDays {
		return 0, false
	}
	return v, true
}
