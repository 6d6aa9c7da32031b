package exporter

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pmo-oss/pmo/internal/kpi"
)

func sampleCalibration() kpi.Calibration {
	f := func(x float64) *float64 { return &x }
	return kpi.Calibration{Rows: []kpi.CalibrationRow{
		{ScopeKind: kpi.ScopePortfolio, Scope: "all", Horizon: 4, Percentile: 0.85, N: 4, Hits: 3, HitRate: f(0.75), MAEDays: f(3.75)},
		{ScopeKind: kpi.ScopeProject, Scope: "jira/R", Horizon: 8, Percentile: 0.5, N: 0},
		// Per release: not exported (unbounded label).
		{ScopeKind: kpi.ScopeProject, Scope: "jira/R", Release: "R1", Horizon: 4, Percentile: 0.85, N: 1, Hits: 1, HitRate: f(1), MAEDays: f(3)},
	}}
}

// TestCalibrationMetrics: the pooled calibration rows are exported in base
// units (error in seconds), HELP naming the unit of the suffix and no other
// time unit; rows without scored forecasts export only their count.
func TestCalibrationMetrics(t *testing.T) {
	c := NewKPICollector(nil)
	cal := sampleCalibration()
	c.Update(kpi.Snapshot{}, SnapshotMeta{Calibration: &cal, Programs: map[string]string{"jira/R": "Releases"}})
	want := `
# HELP pmo_forecast_calibration_abs_error_seconds Mean absolute error of the stored release forecasts' dates against the actual release finish. Unit: seconds.
# TYPE pmo_forecast_calibration_abs_error_seconds gauge
pmo_forecast_calibration_abs_error_seconds{confidence="85",horizon="4w",program="",project="",scope="portfolio",source=""} 324000
# HELP pmo_forecast_calibration_forecasts Stored release forecasts scored by the calibration (one per released version, horizon and percentile).
# TYPE pmo_forecast_calibration_forecasts gauge
pmo_forecast_calibration_forecasts{confidence="85",horizon="4w",program="",project="",scope="portfolio",source=""} 4
pmo_forecast_calibration_forecasts{confidence="50",horizon="8w",program="Releases",project="R",scope="project",source="jira"} 0
# HELP pmo_forecast_calibration_hit_ratio Share of the stored release forecasts made the horizon ahead whose forecast date the release met (finished on or before it), per forecast percentile. Unit: ratio.
# TYPE pmo_forecast_calibration_hit_ratio gauge
pmo_forecast_calibration_hit_ratio{confidence="85",horizon="4w",program="",project="",scope="portfolio",source=""} 0.75
`
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	names := []string{"pmo_forecast_calibration_abs_error_seconds", "pmo_forecast_calibration_forecasts", "pmo_forecast_calibration_hit_ratio"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	for _, d := range []*prometheus.Desc{descCalibrationHits, descCalibrationError, descCalibrationN} {
		s := d.String()
		if strings.Contains(s, "_seconds") && timeUnitWords.MatchString(s[strings.Index(s, "help:"):]) {
			t.Errorf("%s: a _seconds metric whose HELP names another time unit", s)
		}
	}
}
