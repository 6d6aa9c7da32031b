package exporter

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// The forecast calibration families (kpi.Calibrate): pooled per scope,
// horizon and percentile; per-release rows are not exported (the release
// label is unbounded over time).
var (
	calibrationLabels   = []string{"scope", "source", "program", "project", "horizon", "confidence"}
	descCalibrationHits = prometheus.NewDesc(Namespace+"_forecast_calibration_hit_ratio",
		"Share of the stored release forecasts made the horizon ahead whose forecast date the release met (finished on or before it), per forecast percentile. Unit: ratio.",
		calibrationLabels, nil)
	descCalibrationError = prometheus.NewDesc(Namespace+"_forecast_calibration_abs_error_seconds",
		"Mean absolute error of the stored release forecasts' dates against the actual release finish. Unit: seconds.",
		calibrationLabels, nil)
	descCalibrationN = prometheus.NewDesc(Namespace+"_forecast_calibration_forecasts",
		"Stored release forecasts scored by the calibration (one per released version, horizon and percentile).",
		calibrationLabels, nil)
)

// calibrationMetrics turns the pooled calibration rows into metrics.
func calibrationMetrics(c *kpi.Calibration, programs map[string]string) []prometheus.Metric {
	if c == nil {
		return nil
	}
	var out []prometheus.Metric
	for _, r := range c.Rows {
		if r.Release != "" {
			continue
		}
		src, prog, proj := scopeValues(r.ScopeKind, r.Scope, programs)
		lv := []string{r.ScopeKind, src, prog, proj, strconv.Itoa(r.Horizon) + "w", strconv.FormatFloat(r.Percentile*100, 'f', -1, 64)}
		out = append(out, prometheus.MustNewConstMetric(descCalibrationN, prometheus.GaugeValue, float64(r.N), lv...))
		if r.HitRate != nil {
			out = append(out, prometheus.MustNewConstMetric(descCalibrationHits, prometheus.GaugeValue, *r.HitRate, lv...))
		}
		if r.MAEDays != nil {
			out = append(out, prometheus.MustNewConstMetric(descCalibrationError, prometheus.GaugeValue, *r.MAEDays*86400, lv...))
		}
	}
	return out
}
