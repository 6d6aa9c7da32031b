package kpi

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// calibrationForecast is one constructed stored forecast: made at the
// horizon's as-of (shifted by days) and off the actual finish by delta
// days (positive: the forecast date is after the actual finish, a hit).
type calibrationForecast struct {
	release    string
	horizon    int // weeks
	shift      int // days added to the as-of of the horizon (distractors)
	confidence string
	delta      *int // nil: a NULL forecast
}

// TestCalibrationExactHitRate scores a constructed history whose hit rates
// are known exactly. The versions of release_adherence.yaml (observed
// released: R1 04-12, R2 05-14, R3 06-20) and R9 (seen unreleased 05-01,
// released 06-03) are the actual finishes; the forecasts are stored as
// monte_carlo_forecast when_days values at as-of A − 7·H days, so their date
// E + when_days = A + delta.
//
//	4 weeks, P85: R1 +3, R2 0 (on the day: a hit), R3 −2, R9 +10 → 3 of 4 = 0.75, MAE 15/4 = 3.75
//	4 weeks, P50: R1 −5, R2 −1, R3 +1, R9 −4 → 1 of 4 = 0.25, MAE 11/4 = 2.75
//	2 weeks, P85: R1 +1, R2 +2 → 1.0, MAE 1.5; P50: R1 −1, R2 0 → 0.5, MAE 0.5
//	8 weeks, P85: R9 −7 → 0, MAE 7; P50: R9 NULL → not scored (n 0)
//
// Distractors for R1 at 4 weeks, 3 days after the horizon (too late) and 3
// days before it (not the nearest), are both off by −20 and must not count.
func TestCalibrationExactHitRate(t *testing.T) {
	f := loadFixture(t, "release_adherence.yaml")
	date := func(s string) time.Time {
		x, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	obs := func(id, name, seen, release string, released bool) model.Record {
		r := date(release)
		return model.Version{Source: "jira", ID: id, ProjectID: "500", Name: name, ReleaseDate: &model.Date{Year: r.Year(), Month: r.Month(), Day: r.Day()},
			Released: released, ObservedAt: date(seen).Add(6 * time.Hour)}
	}
	recs := []model.Record{
		obs("v1", "R1", "2025-03-01", "2025-04-10", false), obs("v1", "R1", "2025-04-12", "2025-04-10", true),
		obs("v2", "R2", "2025-05-01", "2025-05-15", false), obs("v2", "R2", "2025-05-14", "2025-05-15", true),
		obs("v3", "R3", "2025-06-05", "2025-06-20", false), obs("v3", "R3", "2025-06-20", "2025-06-20", true),
		obs("v9", "R9", "2025-05-01", "2025-06-01", false), obs("v9", "R9", "2025-06-03", "2025-06-01", true),
	}
	actual := map[string]time.Time{"R1": date("2025-04-12"), "R2": date("2025-05-14"), "R3": date("2025-06-20"), "R9": date("2025-06-03")}
	d := func(x int) *int { return &x }
	forecasts := []calibrationForecast{
		{"R1", 2, 0, "0.85", d(1)}, {"R1", 2, 0, "0.5", d(-1)}, {"R2", 2, 0, "0.85", d(2)}, {"R2", 2, 0, "0.5", d(0)},
		{"R1", 4, 0, "0.85", d(3)}, {"R2", 4, 0, "0.85", d(0)}, {"R3", 4, 0, "0.85", d(-2)}, {"R9", 4, 0, "0.85", d(10)},
		{"R1", 4, 0, "0.5", d(-5)}, {"R2", 4, 0, "0.5", d(-1)}, {"R3", 4, 0, "0.5", d(1)}, {"R9", 4, 0, "0.5", d(-4)},
		{"R9", 8, 0, "0.85", d(-7)}, {"R9", 8, 0, "0.5", nil},
		{"R1", 4, 3, "0.85", d(-20)}, {"R1", 4, -3, "0.85", d(-20)}, {"R1", 4, 3, "0.5", d(-20)}, {"R1", 4, -3, "0.5", d(-20)},
	}
	var vals []Value
	for _, fc := range forecasts {
		asOf := actual[fc.release].AddDate(0, 0, -7*fc.horizon+fc.shift)
		e := asOf.AddDate(0, 0, -1) // the last complete day (UTC)
		var v *float64
		if fc.delta != nil {
			when := actual[fc.release].AddDate(0, 0, *fc.delta).Sub(e).Hours() / 24
			v = &when
		}
		vals = append(vals, Value{ScopeKind: ScopeProject, Scope: "jira/R", KPI: "monte_carlo_forecast", Window: "90d", AsOf: asOf, Value: v, N: 90,
			Labels: Labels{"measure": "when_days", "release": fc.release, "confidence": fc.confidence}, ComputedAt: asOf.Add(time.Hour)})
	}
	type want struct {
		horizon int
		p       float64
		n, hits int
		rate    float64 // NaN: nil
		mae     float64
	}
	pooled := []want{
		{2, 0.5, 2, 1, 0.5, 0.5}, {2, 0.85, 2, 2, 1, 1.5},
		{4, 0.5, 4, 1, 0.25, 2.75}, {4, 0.85, 4, 3, 0.75, 3.75},
		{8, 0.5, 0, 0, math.NaN(), math.NaN()}, {8, 0.85, 1, 0, 0, 7},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		kpitest.PutRecords(t, w, recs)
		if err := Store(ctx, w, Snapshot{AsOf: f.AsOf, ComputedAt: f.AsOf, Values: vals}); err != nil {
			t.Fatal(err)
		}
		c, err := Calibrate(ctx, w, DefaultConfig(), f.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		check := func(kind, scope, release string, ws []want) {
			t.Helper()
			for _, x := range ws {
				r, ok := c.Find(kind, scope, release, x.horizon, x.p)
				if !ok {
					t.Errorf("%s:%s %s %dw P%v: no row", kind, scope, release, x.horizon, x.p)
					continue
				}
				bad := r.N != x.n || r.Hits != x.hits
				if math.IsNaN(x.rate) {
					bad = bad || r.HitRate != nil || r.MAEDays != nil
				} else {
					bad = bad || r.HitRate == nil || math.Abs(*r.HitRate-x.rate) > 1e-12 || r.MAEDays == nil || math.Abs(*r.MAEDays-x.mae) > 1e-12
				}
				if bad {
					t.Errorf("%s:%s %s %dw P%v: n %d, hits %d, hit rate %s, MAE %s; want n %d, hits %d, %v, %v",
						kind, scope, release, x.horizon, x.p, r.N, r.Hits, optNum(r.HitRate, 4), optNum(r.MAEDays, 4), x.n, x.hits, x.rate, x.mae)
				}
			}
		}
		for _, s := range [][2]string{{ScopePortfolio, "all"}, {ScopeSource, "jira"}, {ScopeProgram, "Release programme"}, {ScopeProject, "jira/R"}} {
			check(s[0], s[1], "", pooled)
		}
		check(ScopeProject, "jira/R", "R1", []want{{4, 0.85, 1, 1, 1, 3}, {4, 0.5, 1, 0, 0, 5}, {8, 0.85, 0, 0, math.NaN(), math.NaN()}})
		check(ScopeProject, "jira/R", "R9", []want{{8, 0.85, 1, 0, 0, 7}})
		if r, _ := c.Find(ScopeProject, "jira/R", "", 4, 0.85); r.Sentence() != "Our P85 forecasts made 4 weeks ahead were right 75 % of the time (n=4, mean error 3.8 days)" {
			t.Errorf("sentence: %q", r.Sentence())
		}
		// The nearest forecast at or before the horizon was scored, not the distractors.
		for _, sf := range c.Forecasts {
			if sf.Release == "R1" && sf.Horizon == 4 && !sf.MadeAsOf.Equal(date("2025-03-15")) {
				t.Errorf("R1 at 4 weeks scored the forecast made as of %s, want 2025-03-15", sf.MadeAsOf.Format(time.DateOnly))
			}
		}
		if len(c.Forecasts) != 13 {
			t.Errorf("%d forecasts scored, want 13", len(c.Forecasts))
		}
		// The table the CLI prints (golden; -update rewrites it).
		var b bytes.Buffer
		if err := WriteCalibration(&b, Calibration{AsOf: c.AsOf, Rows: rowsOf(c, ScopeProject, "jira/R")}, "table"); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("testdata", "calibration.table.golden"), b.Bytes())
	})
}

func rowsOf(c Calibration, kind, scope string) []CalibrationRow {
	var out []CalibrationRow
	for _, r := range c.Rows {
		if r.ScopeKind == kind && r.Scope == scope {
			out = append(out, r)
		}
	}
	return out
}
