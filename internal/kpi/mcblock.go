package kpi

import (
	"math/rand/v2"
	"slices"
)

// Monte Carlo trials draw one day of history at a time, and a long
// forecast (a big backlog at a modest pace) needs hundreds of draws per
// trial. blockSampler draws the sum of mcBlock days at once from the exact
// distribution of such sums (the mcBlock-fold convolution of the daily
// history), which is the same distribution the day-by-day draws add up
// to. A "when" trial uses blocks only while no day inside the block could
// reach the target (sum + mcBlock·max < n), so its day count keeps the
// day-by-day distribution exactly; a "how many" trial is a sum of days,
// which blocks preserve.

// mcBlock is the number of days a block sum stands for.
const mcBlock = 8

// mcBlockMaxSupport caps the support of the block-sum distribution
// (mcBlock·max daily throughput + 1); above it trials draw day by day.
const mcBlockMaxSupport = 1 << 14

// blockSampler samples mcBlock-day sums with Vose's alias method.
type blockSampler struct {
	rng   *rand.Rand
	n     uint64
	prob  []float64 // acceptance probability of each bucket
	alias []int32
	max   int // largest possible block sum
}

// newBlockSampler returns a sampler of mcBlock-day sums of hist, or nil when
// the sums' support is too large to tabulate.
func newBlockSampler(rng *rand.Rand, hist []int) *blockSampler {
	m := slices.Max(hist)
	if m*mcBlock+1 > mcBlockMaxSupport {
		return nil
	}
	pmf := make([]float64, m+1)
	for _, x := range hist {
		pmf[x] += 1 / float64(len(hist))
	}
	for b := 1; b < mcBlock; b *= 2 { // mcBlock is a power of two: square log2(mcBlock) times
		pmf = convolve(pmf, pmf)
	}
	s := &blockSampler{rng: rng, n: uint64(len(pmf)), max: len(pmf) - 1, prob: make([]float64, len(pmf)), alias: make([]int32, len(pmf))}
	s.init(pmf)
	return s
}

// convolve is the distribution of the sum of two independent variables.
func convolve(a, b []float64) []float64 {
	out := make([]float64, len(a)+len(b)-1)
	for i, x := range a {
		if x == 0 {
			continue
		}
		for j, y := range b {
			out[i+j] += x * y
		}
	}
	return out
}

// init builds the alias table of pmf (Vose).
func (s *blockSampler) init(pmf []float64) {
	n := len(pmf)
	scaled := make([]float64, n)
	var small, large []int32
	for i, p := range pmf {
		scaled[i] = p * float64(n)
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		l, g := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		s.prob[l], s.alias[l] = scaled[l], g
		scaled[g] += scaled[l] - 1
		if scaled[g] < 1 {
			large = large[:len(large)-1]
			small = append(small, g)
		}
	}
	for _, i := range large { // rounding leftovers: certain buckets
		s.prob[i] = 1
	}
	for _, i := range small {
		s.prob[i] = 1
	}
}

// next draws one block sum: a bucket from the upper 32 bits, the coin from
// the lower 32.
func (s *blockSampler) next() int {
	x := s.rng.Uint64()
	i := (x >> 32) * s.n >> 32
	if float64(x&0xffffffff)/(1<<32) < s.prob[i] {
		return int(i)
	}
	return int(s.alias[i])
}
