package kpi

import (
	"math"
	"testing"
)

// An aggregate over an empty population answers nan on ClickHouse (avg of no
// rows); the engine must publish NULL, never a number (kpis.md §0).
func TestEmitNonFiniteIsNull(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0.5} {
		c := &computation{snap: &Snapshot{}}
		c.emit(result{kind: "project", scope: "jira/A"}, "flow_efficiency", "4w", nil, &v, 0)
		got := c.snap.Values[0].Value
		finite := !math.IsNaN(v) && !math.IsInf(v, 0)
		if finite && (got == nil || *got != v) {
			t.Errorf("emit(%v) = %v, want %v", v, got, v)
		}
		if !finite && got != nil {
			t.Errorf("emit(%v) = %v, want NULL", v, *got)
		}
	}
}
