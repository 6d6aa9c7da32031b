package kpi

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestMillisecondInstants pins the precision bound of the catalog (issue 11,
// point 5; docs/kpis.md "Instants"): the tracker's instants carry
// milliseconds, the warehouse keeps whole seconds (both engines drop the
// milliseconds: truncation). On testdata/ms_instants.yaml, against the
// answers computed here from the millisecond instants:
//   - exact-day values (cycle time per item in explain, the mean and NR
//     percentiles of unit=days) are within 1 s = 1/86400 d;
//   - day-counts, local days and window membership are exact: MS-1 starts
//     1 ms before a local midnight and is done 1 ms after one (dc 4, where
//     rounding to the second would give 3), MS-4 done 1 ms before as_of
//     counts, MS-5 done 500 ms after as_of is in progress, MS-6 done 1 ms
//     before the window is outside it.
func TestMillisecondInstants(t *testing.T) {
	f := loadFixture(t, "ms_instants.yaml")
	cfg := DefaultConfig()
	cfg.TZ = "Europe/Berlin"
	cfg.FlowWindowsWeeks = []int{4}
	cfg.MinSample = ptr(1)
	loc, err := time.LoadLocation(cfg.TZ)
	if err != nil {
		t.Fatal(err)
	}
	const bound = 1.0 / 86400 // 1 s in days
	// The millisecond-exact answers: cycle time from the In Progress to the
	// Done transition of each item done in W = [03-03T23:00Z, as_of).
	from := time.Date(2025, 3, 4, 0, 0, 0, 0, loc)
	type item struct {
		days float64
		dc   int64
	}
	exact := map[string]item{}
	var xs []float64
	for _, is := range f.Issues {
		var start, done time.Time
		for _, tr := range is.Transitions {
			switch tr.To {
			case "In Progress":
				start = tr.At
			case "Done":
				done = tr.At
			}
		}
		if done.Before(from) || !done.Before(f.AsOf) {
			continue
		}
		day := func(x time.Time) time.Time {
			y, m, d := x.In(loc).Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		it := item{days: done.Sub(start).Seconds() / 86400, dc: int64(day(done).Sub(day(start)).Hours()/24) + 1}
		exact[is.Key] = it
		xs = append(xs, it.days)
	}
	if len(exact) != 4 || exact["MS-1"].dc != 4 {
		t.Fatalf("fixture: want MS-1…MS-4 done in W with MS-1 at dc 4, got %v", exact)
	}
	slices.Sort(xs)
	mean := 0.0
	for _, x := range xs {
		mean += x / float64(len(xs))
	}
	nr := func(p float64) float64 { return xs[int(math.Ceil(p*float64(len(xs))-1e-9))-1] }

	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		ctx := context.Background()
		e, err := Explain(ctx, w, cfg, "cycle_time", "project:jira/MS", f.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, it := range e.Items {
			want, ok := exact[it.Key]
			if !ok {
				t.Errorf("%s (%s) explained, but it is not done in W by its millisecond instants", it.Key, it.Role)
				continue
			}
			seen[it.Key] = true
			if it.Days == nil || it.DayCount == nil {
				t.Errorf("%s: no cycle time in explain", it.Key)
				continue
			}
			if d := math.Abs(*it.Days - want.days); d >= bound {
				t.Errorf("%s: cycle time %.9f d, millisecond-exact %.9f d: off by %.3f s, want < 1 s", it.Key, *it.Days, want.days, d*86400)
			}
			if *it.DayCount != want.dc {
				t.Errorf("%s: day-count %d, millisecond-exact %d", it.Key, *it.DayCount, want.dc)
			}
		}
		if len(seen) != len(exact) {
			t.Errorf("explain lists %v, want %d items done in W", seen, len(exact))
		}
		snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/MS", []want{
			{"throughput", "4w", "measure=count", 4, 4},
			{"wip", "snapshot", "measure=count", 1, -1}, // MS-5
		})
		for _, c := range []struct {
			labels string
			want   float64
		}{
			{"method=mean,unit=days", mean},
			{"method=nr,quantile=0.5,unit=days", nr(0.5)},
			{"method=nr,quantile=0.85,unit=days", nr(0.85)},
		} {
			v, ok := snap.Find(ScopeProject, "jira/MS", "cycle_time", "4w", c.labels)
			if !ok || v.Value == nil {
				t.Errorf("cycle_time{%s}: missing", c.labels)
				continue
			}
			if d := math.Abs(*v.Value - c.want); d >= bound {
				t.Errorf("cycle_time{%s} = %.9f d, millisecond-exact %.9f d: off by %.3f s, want < 1 s", c.labels, *v.Value, c.want, d*86400)
			}
		}
	})
}
