package exporter

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's self-metrics. One value is registered on one
// registry: the serve process's, or a batch run's that is pushed to a
// Pushgateway.
type Metrics struct {
	SourceLastSuccess *prometheus.GaugeVec   // source
	SourceLastRun     *prometheus.GaugeVec   // source
	SourceDuration    *prometheus.GaugeVec   // source
	SourceRuns        *prometheus.CounterVec // source, result
	SourceUp          *prometheus.GaugeVec   // source
	RecordsWritten    *prometheus.CounterVec // source, kind
	Requests          *prometheus.CounterVec // source, class
	Retries           *prometheus.CounterVec // source, class
	RateLimitWaits    *prometheus.CounterVec // source
	RateLimitSeconds  *prometheus.CounterVec // source
	Errors            *prometheus.CounterVec // source, kind
	WarehouseWrite    *prometheus.HistogramVec
	KPILastSuccess    prometheus.Gauge
	KPIDuration       prometheus.Gauge
	KPIRuns           *prometheus.CounterVec // result
	SchedulerNextRun  *prometheus.GaugeVec   // job
	SchedulerSkipped  *prometheus.CounterVec // job, reason
}

// Run results counted by pmo_source_runs_total and pmo_kpi_refresh_runs_total.
const (
	ResultSuccess  = "success"
	ResultFailure  = "failure"
	ResultCanceled = "canceled"
)

// NewMetrics creates the self-metrics and registers them on reg (when not
// nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	src := []string{"source"}
	m := &Metrics{
		SourceLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "source_last_success_timestamp_seconds",
			Help: "When the last successful collection of the source ended."}, src),
		SourceLastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "source_last_run_timestamp_seconds",
			Help: "When the last collection of the source ended, successful or not."}, src),
		SourceDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "source_last_run_duration_seconds",
			Help: "Duration of the last collection of the source."}, src),
		SourceRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_runs_total",
			Help: "Collections of the source by result (success, failure, canceled)."}, []string{"source", "result"}),
		SourceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "source_up",
			Help: "1 when the last collection of the source succeeded, 0 when it failed."}, src),
		RecordsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_records_written_total",
			Help: "Records collected from the source and written to the warehouse, by kind (issue, change, sprint, ...)."}, []string{"source", "kind"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_api_requests_total",
			Help: "HTTP requests to the source's API by status class (2xx, 3xx, 4xx, 5xx, error = no answer, unknown = the collector does not report classes)."}, []string{"source", "class"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_api_retries_total",
			Help: "Requests to the source's API repeated after a transient failure, by the failed status class."}, []string{"source", "class"}),
		RateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_rate_limit_waits_total",
			Help: "Times the collector waited because the source rate-limited it."}, src),
		RateLimitSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_rate_limit_wait_seconds_total",
			Help: "Time the collector spent waiting on the source's rate limit."}, src),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "source_errors_total",
			Help: "Failed collections of the source by error kind (auth, rate_limited, transient, timeout, warehouse, config, other)."}, []string{"source", "kind"}),
		WarehouseWrite: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "warehouse_write_duration_seconds",
			Help:    "Latency of sink calls that write to the warehouse (flush, set_cursor, and put calls that filled a batch).",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"op"}),
		KPILastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "kpi_refresh_last_success_timestamp_seconds",
			Help: "When the last successful KPI refresh (compute and store) ended."}),
		KPIDuration: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "kpi_refresh_last_duration_seconds",
			Help: "Duration of the last KPI refresh."}),
		KPIRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "kpi_refresh_runs_total",
			Help: "KPI refreshes by result (success, failure, canceled)."}, []string{"result"}),
		SchedulerNextRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "scheduler_next_run_timestamp_seconds",
			Help: "When the scheduler runs the job next (job = collect:<source> or kpi)."}, []string{"job"}),
		SchedulerSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "scheduler_skipped_runs_total",
			Help: "Scheduled runs not started, by reason (overlap = the previous run of the job was still going)."}, []string{"job", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.collectors()...)
	}
	return m
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.SourceLastSuccess, m.SourceLastRun, m.SourceDuration, m.SourceRuns, m.SourceUp, m.RecordsWritten,
		m.Requests, m.Retries, m.RateLimitWaits, m.RateLimitSeconds, m.Errors, m.WarehouseWrite,
		m.KPILastSuccess, m.KPIDuration, m.KPIRuns, m.SchedulerNextRun, m.SchedulerSkipped}
}

// StatusClass returns "2xx".."5xx" for an HTTP status, "error" for 0 (no
// answer: connection refused, timeout, truncated body).
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "error"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Observer counts a collector's fine-grained events for one source. It
// implements collectors.Observer.
type Observer struct {
	m      *Metrics
	source string
	// requests counts observed requests, so the run's Stats.Requests can
	// fill in the ones a collector did not report.
	requests atomic.Int64
	retries  atomic.Int64
}

// NewObserver returns an observer for one source's run.
func (m *Metrics) NewObserver(source string) *Observer {
	return &Observer{m: m, source: source}
}

// Request counts an answered (or failed) request.
func (o *Observer) Request(status int, _ time.Duration) {
	o.m.Requests.WithLabelValues(o.source, StatusClass(status)).Inc()
	o.requests.Add(1)
}

// Retry counts a repeated request.
func (o *Observer) Retry(status int, _ time.Duration) {
	o.m.Retries.WithLabelValues(o.source, StatusClass(status)).Inc()
	o.retries.Add(1)
}

// RateLimitWait counts a wait imposed by the source.
func (o *Observer) RateLimitWait(d time.Duration) {
	o.m.RateLimitWaits.WithLabelValues(o.source).Inc()
	o.m.RateLimitSeconds.WithLabelValues(o.source).Add(d.Seconds())
}

// Observed returns how many requests and retries were reported.
func (o *Observer) Observed() (requests, retries int64) {
	return o.requests.Load(), o.retries.Load()
}
