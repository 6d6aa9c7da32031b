package kpi

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// mcMaxDays caps a "when" trial: a forecast beyond it is NULL.
const mcMaxDays = 3650

// mcFan are the confidences F9 shows besides the configured commitment
// level (kpis.md F9: 85 % is common; also show 50/70/95 %).
var mcFan = []float64{0.5, 0.7, 0.85, 0.95}

// forecast computes monte_carlo_forecast (F9) per scope: the history is the
// daily throughput (non-discarded flow items by the local day of their final
// done instant, zero days included) of the mc_history_days local days
// ending at E, counted in ClickHouse; the simulation runs in Go with a seed
// fixed by scope and as_of, so a computation is reproducible. "How many"
// looks mc_horizon_days past E; "when" forecasts the scope's open backlog
// (non-discarded flow items not done at as_of). The unlabelled how_many and
// when_days are at mc_confidence; the same trials read at each confidence
// of mcFan give the confidence="…" values. Project histories are kept for
// the release forecasts.
func (c *computation) forecast(ctx context.Context, from string) error {
	l := *c.s.MCHistoryDays
	// history = (lo, E] in each zone; the model answers days before E
	eDays := c.s.zoneEDay(c.asOf)
	los := make([]int64, len(eDays))
	for i, e := range eDays {
		los[i] = e - int64(l)
	}
	q, err := c.modelWith("forecast_history", map[string]string{"rows": "(" + from + ")"}, map[string]any{"h_lo": los, "e_day": eDays})
	if err != nil {
		return err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: computing monte_carlo_forecast history: %w", err)
	}
	defer rows.Close()
	var jobs []*mcJob
	c.mcHist = map[string][]int{}
	for rows.Next() {
		j := &mcJob{}
		var days []int64
		if err := rows.Scan(&j.r.kind, &j.r.scope, &days, &j.backlog); err != nil {
			return fmt.Errorf("kpi: computing monte_carlo_forecast history: reading row: %w", err)
		}
		j.hist = make([]int, l)
		for _, d := range days {
			j.hist[int64(l)-1+d]++ // d = 0 is E, the last day of the history
		}
		if j.r.kind == ScopeProject {
			c.mcHist[j.r.scope] = j.hist
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing monte_carlo_forecast history: %w", err)
	}
	// The scopes' simulations are independent (each has its own seeded
	// RNG): they run on every core in the background while the next steps'
	// queries run (the engine runs one query at a time, mostly below the
	// machine's cores); c.finish waits for them and emits in scope order.
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				rng := mcRand(j.r.kind+":"+j.r.scope, c.asOf.Unix())
				j.totals = mcHowManyTrials(rng, j.hist, *c.s.MCHorizonDays, *c.s.MCTrials)
				j.ds = mcWhenTrials(rng, j.hist, int(j.backlog), *c.s.MCTrials)
			}()
		}
	}()
	c.finish = append(c.finish, func() {
		wg.Wait()
		c.emitForecasts(jobs, l)
	})
	return nil
}

// mcJob is one scope's Monte Carlo forecast: its history and backlog, and
// the trials' sorted results.
type mcJob struct {
	r          result
	hist       []int
	backlog    uint64
	totals, ds []int
}

// emitForecasts emits the forecasts of jobs (history of l days).
func (c *computation) emitForecasts(jobs []*mcJob, l int) {
	win := fmt.Sprintf("%dd", l)
	conf := *c.s.MCConfidence
	n := uint64(l)
	for _, j := range jobs {
		emitAt := func(measure string, at func(float64) (int, bool)) {
			for i, cl := range append([]float64{conf}, mcFan...) {
				labels := Labels{"measure": measure}
				if i > 0 {
					labels["confidence"] = qLabel(cl)
				}
				var v *float64
				if x, ok := at(cl); ok {
					v = fptr(float64(x))
				}
				c.emit(j.r, "monte_carlo_forecast", win, labels, v, n)
			}
		}
		emitAt("how_many", func(cl float64) (int, bool) { return howManyAt(j.totals, cl) })
		emitAt("when_days", func(cl float64) (int, bool) { return whenAt(j.ds, cl) })
		c.emit(j.r, "monte_carlo_forecast", win, Labels{"measure": "backlog"}, fptr(float64(j.backlog)), n)
	}
}

// mcRand is the RNG of one scope's forecast at as_of: the same inputs give
// the same draws.
func mcRand(scope string, asOf int64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(scope))
	return rand.New(rand.NewPCG(h.Sum64(), uint64(asOf)))
}

// draws picks days of the history uniformly with replacement, two per
// 64-bit draw of the RNG (multiply-shift on each 32-bit half: the bias,
// below n/2^32, is far under the sampling error of any trial count). The
// Monte Carlo runs ~10^9 draws at 1M issues; this halves their cost.
type draws struct {
	rng  *rand.Rand
	n    uint64
	buf  uint64
	half bool
}

func newDraws(rng *rand.Rand, n int) *draws { return &draws{rng: rng, n: uint64(n)} }

func (d *draws) next() int {
	if d.half {
		d.half = false
		return int((d.buf >> 32) * d.n >> 32)
	}
	d.buf, d.half = d.rng.Uint64(), true
	return int((d.buf & 0xffffffff) * d.n >> 32)
}

// rankUp is ⌈c·k⌉ with the same epsilon as sqlNR (c·k integral in exact
// arithmetic must not round up), at least 1.
func rankUp(c float64, k int) int {
	return max(1, int(math.Ceil(c*float64(k)-1e-9)))
}

func allZero(h []int) bool {
	return !slices.ContainsFunc(h, func(x int) bool { return x != 0 })
}

// mcHowManyTrials runs k "how many" trials: each sums days draws from
// hist. The totals come back sorted; nil when the history is empty or all
// zero (not computable).
func mcHowManyTrials(rng *rand.Rand, hist []int, days, k int) []int {
	if len(hist) == 0 || allZero(hist) || k < 1 {
		return nil
	}
	totals := make([]int, k)
	d := newDraws(rng, len(hist))
	blocks, rest := 0, days
	bs := newBlockSampler(rng, hist)
	if bs != nil {
		blocks, rest = days/mcBlock, days%mcBlock
	}
	for t := range totals {
		s := 0
		for range blocks {
			s += bs.next()
		}
		for range rest {
			s += hist[d.next()]
		}
		totals[t] = s
	}
	slices.Sort(totals)
	return totals
}

// howManyAt reads sorted trial totals at confidence c: the largest v with
// P(total ≥ v) ≥ c, i.e. x[k − ⌈c·k⌉ + 1] (1-based).
func howManyAt(totals []int, c float64) (int, bool) {
	if len(totals) == 0 {
		return 0, false
	}
	return totals[len(totals)-rankUp(c, len(totals))], true
}

// mcHowMany is one "how many in days" answer at confidence c.
func mcHowMany(rng *rand.Rand, hist []int, days, k int, c float64) (int, bool) {
	return howManyAt(mcHowManyTrials(rng, hist, days, k), c)
}

// mcWhenTrials runs k "when" trials: each draws days until the cumulative
// sum reaches n; a trial still short after mcMaxDays stops at mcMaxDays+1.
// The day counts come back sorted. n ≤ 0 needs no draws (every trial is 0
// days); an empty or all-zero history gives nil (not computable).
func mcWhenTrials(rng *rand.Rand, hist []int, n, k int) []int {
	if k < 1 {
		return nil
	}
	if n <= 0 {
		return make([]int, k)
	}
	if len(hist) == 0 || allZero(hist) {
		return nil
	}
	ds := make([]int, k)
	dr := newDraws(rng, len(hist))
	var bs *blockSampler
	if slices.Max(hist)*mcBlock < n { // blocks can only help when no single block reaches n
		bs = newBlockSampler(rng, hist)
	}
	for t := range ds {
		s, d := 0, 0
		// Whole blocks while no day in the next one can reach n.
		for bs != nil && s+bs.max < n && d+mcBlock <= mcMaxDays {
			s += bs.next()
			d += mcBlock
		}
		for s < n && d <= mcMaxDays {
			s += hist[dr.next()]
			d++
		}
		ds[t] = d
	}
	slices.Sort(ds)
	return ds
}

// whenAt reads sorted day counts at confidence c: the NR c-quantile
// d[⌈c·k⌉]; beyond mcMaxDays it is not computable.
func whenAt(ds []int, c float64) (int, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	v := ds[rankUp(c, len(ds))-1]
	if v > mcMaxDays {
		return 0, false
	}
	return v, true
}

// onTimeShare is the share of "when" trials done within h days.
func onTimeShare(ds []int, h int) (float64, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	i, _ := slices.BinarySearch(ds, h+1) // first trial needing more than h days
	return float64(i) / float64(len(ds)), true
}

// mcWhen is one "when will n be done" answer at confidence c.
func mcWhen(rng *rand.Rand, hist []int, n, k int, c float64) (int, bool) {
	return whenAt(mcWhenTrials(rng, hist, n, k), c)
}
