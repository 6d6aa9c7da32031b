package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/standards"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Source is one configured tracker instance and its schedule.
type Source struct {
	Name      string
	Schedule  string // cron expression; "" = ServeConfig.DefaultSchedule
	Program   string // sources[].program: every project of the source in this program; "" = the tracker's
	Collector collectors.Collector
}

// ErrOverlap is returned by Collect when the source is being collected
// already in this process.
var ErrOverlap = errors.New("a collection of this source is still running")

// Pipeline runs collections and KPI refreshes against one warehouse. Its
// methods are safe for concurrent use.
type Pipeline struct {
	Warehouse *warehouse.Warehouse
	Sources   []Source
	// KPI configures the KPI computation (default kpi.DefaultConfig()).
	KPI *kpi.Config
	// RAID is kpi.raid, the RAID log's knobs for the reports (nil: the
	// defaults).
	RAID *raid.Config
	// Standards is kpi.standards for the reports (nil: the defaults).
	Standards *standards.Config
	// Metrics receives the self-metrics (nil: not recorded).
	Metrics *exporter.Metrics
	// KPIs is the exporter's collector, updated after each refresh (nil:
	// no exporter).
	KPIs *exporter.KPICollector
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now. The KPI as-of is the local
	// midnight that ends the last complete day before Now.
	Now func() time.Time
	// AfterKPI runs after each successful KPI refresh (reports join here).
	AfterKPI func(ctx context.Context, s kpi.Snapshot) error
	// FlushTimeout bounds the storing of buffered records after a run was
	// cancelled (default 2 minutes).
	FlushTimeout time.Duration
	// OnCollectStart is a test hook called when a collection starts.
	OnCollectStart func(source string)
	// Version is the pmo version written to the refresh records.
	Version string
	// Progress, when set, gives the progress display of a collection of
	// source (a terminal's progress bar) and a func called when it ends.
	// Default: progress in the log every 30 seconds.
	Progress func(source string) (update func(collectors.Progress), done func())

	once    sync.Once
	running map[string]*atomic.Bool
	kpiMu   sync.Mutex  // one refresh at a time
	kpiWant atomic.Bool // a refresh was asked for while one ran
}

func (p *Pipeline) init() {
	p.once.Do(func() {
		p.running = map[string]*atomic.Bool{}
		for _, s := range p.Sources {
			p.running[s.Name] = &atomic.Bool{}
		}
		if p.Logger == nil {
			p.Logger = slog.Default()
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		if p.FlushTimeout <= 0 {
			p.FlushTimeout = 2 * time.Minute
		}
		if p.KPI == nil {
			c := kpi.DefaultConfig()
			p.KPI = &c
		}
	})
}

func (p *Pipeline) source(name string) (Source, error) {
	var names []string
	for _, s := range p.Sources {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Source{}, fmt.Errorf("no source named %q; configured: %s", name, strings.Join(names, ", "))
}

// Collect runs one collection of the named source into the warehouse and
// stores every record it got, also when ctx is cancelled (with a bounded
// flush of its own). The collector advances its cursors only after their
// records are stored, so an abandoned run loses nothing: the next run
// starts from the last stored cursor. A second Collect of the same source
// while one runs returns ErrOverlap at once.
func (p *Pipeline) Collect(ctx context.Context, name string, full bool) (collectors.Stats, error) {
	p.init()
	src, err := p.source(name)
	if err != nil {
		return collectors.Stats{Source: name}, err
	}
	busy := p.running[name]
	if !busy.CompareAndSwap(false, true) {
		return collectors.Stats{Source: name}, fmt.Errorf("collecting source %s: %w", name, ErrOverlap)
	}
	defer busy.Store(false)
	if p.OnCollectStart != nil {
		p.OnCollectStart(name)
	}

	log := p.Logger.With("source", name)
	log.Info("collecting", "full", full)
	start := time.Now()
	var sink collectors.Sink = p.sink()
	if src.Program != "" {
		sink = programSink{Sink: sink, program: src.Program}
	}
	var obs *exporter.Observer
	if p.Metrics != nil {
		obs = p.Metrics.NewObserver(name)
		ctx = collectors.WithObserver(ctx, obs)
	}
	progress, done := collectors.LogProgress(log, 30*time.Second), func() {}
	if p.Progress != nil {
		progress, done = p.Progress(name)
	}
	st, err := src.Collector.Collect(ctx, sink, collectors.Options{Full: full, Logger: log, Progress: progress})
	done()
	if st.Source == "" {
		st.Source = name
	}
	// Store what was collected, even when cancelled: the cursor only ever
	// advances after its records are stored, so this is safe either way.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.FlushTimeout)
	defer cancel()
	if ferr := sink.Flush(fctx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("writing the last records of source %s to the warehouse: %w", name, ferr))
	}
	if st.Duration == 0 {
		st.Duration = time.Since(start)
	}
	result := exporter.ResultSuccess
	switch {
	case err != nil && ctx.Err() != nil:
		result = exporter.ResultCanceled
		log.Warn("collection interrupted; the records collected so far are stored", "duration", st.Duration.Round(time.Millisecond).String())
	case err != nil:
		result = exporter.ResultFailure
		log.Error("collection failed", "err", err.Error(), "kind", errorKind(err))
	default:
		log.Info("collected", "issues", st.Records[model.KindIssue], "changes", st.Records[model.KindChange],
			"requests", st.Requests, "retries", st.Retries, "duration", st.Duration.Round(time.Millisecond).String())
	}
	p.record(name, st, obs, result, err)
	err = collectors.ForSource(name, err)
	return st, err
}

// errorKind classifies a run's error for pmo_source_errors_total: the kind
// the collector's error reports (collectors.ErrorKinder), "warehouse" when
// storing failed.
func errorKind(err error) string {
	return collectors.ErrorKind(err)
}

// record updates the self-metrics after a run.
func (p *Pipeline) record(name string, st collectors.Stats, obs *exporter.Observer, result string, err error) {
	if p.Metrics == nil {
		return
	}
	RecordCollection(p.Metrics, name, st, obs, result, err, time.Now())
}

// RecordCollection updates the self-metrics m after a collection of source
// name (for batch runs that do not go through Pipeline.Collect). obs may
// be nil; result is exporter.ResultSuccess, ResultFailure or
// ResultCanceled.
func RecordCollection(m *exporter.Metrics, name string, st collectors.Stats, obs *exporter.Observer, result string, err error, at time.Time) {
	now := float64(at.Unix())
	m.SourceRuns.WithLabelValues(name, result).Inc()
	m.SourceLastRun.WithLabelValues(name).Set(now)
	m.SourceDuration.WithLabelValues(name).Set(st.Duration.Seconds())
	for k, n := range st.Records {
		m.RecordsWritten.WithLabelValues(name, string(k)).Add(float64(n))
	}
	// Requests the collector did not report one by one.
	var reqs, retries int64
	if obs != nil {
		reqs, retries = obs.Observed()
	}
	if d := st.Requests - reqs; d > 0 {
		m.Requests.WithLabelValues(name, "unknown").Add(float64(d))
	}
	if d := st.Retries - retries; d > 0 {
		m.Retries.WithLabelValues(name, "unknown").Add(float64(d))
	}
	switch result {
	case exporter.ResultSuccess:
		m.SourceLastSuccess.WithLabelValues(name).Set(now)
		m.SourceUp.WithLabelValues(name).Set(1)
	case exporter.ResultFailure:
		m.SourceUp.WithLabelValues(name).Set(0)
		m.Errors.WithLabelValues(name, errorKind(err)).Inc()
	}
}

// sink returns the warehouse sink, timed when metrics are on.
func (p *Pipeline) sink() collectors.Sink {
	s := p.Warehouse.Sink()
	return &storeSink{Sink: s, written: s.Written, m: p.Metrics}
}

// RefreshKPIs computes the KPIs as of the last complete day, stores them,
// and hands the snapshot to the exporter. Refreshes never run in parallel:
// a call while one runs makes that one run again once it ends, and returns
// at once with ran == false.
func (p *Pipeline) RefreshKPIs(ctx context.Context) (snap kpi.Snapshot, ran bool, err error) {
	p.init()
	p.kpiWant.Store(true)
	if !p.kpiMu.TryLock() {
		return kpi.Snapshot{}, false, nil
	}
	defer p.kpiMu.Unlock()
	for p.kpiWant.Swap(false) {
		snap, err = p.refreshOnce(ctx)
		if err != nil || ctx.Err() != nil {
			return snap, true, err
		}
	}
	return snap, true, nil
}

func (p *Pipeline) refreshOnce(ctx context.Context) (kpi.Snapshot, error) {
	start := time.Now()
	snap, err := p.computeAndStore(ctx)
	d := time.Since(start)
	if m := p.Metrics; m != nil {
		m.KPIDuration.Set(d.Seconds())
		switch {
		case err == nil:
			m.KPIRuns.WithLabelValues(exporter.ResultSuccess).Inc()
			m.KPILastSuccess.SetToCurrentTime()
		case ctx.Err() != nil:
			m.KPIRuns.WithLabelValues(exporter.ResultCanceled).Inc()
		default:
			m.KPIRuns.WithLabelValues(exporter.ResultFailure).Inc()
		}
	}
	if err != nil {
		p.Logger.Error("KPI refresh failed", "err", err.Error())
		return snap, err
	}
	p.Logger.Info("KPIs refreshed", "as_of", snap.AsOf.Format(time.RFC3339), "values", len(snap.Values), "duration", d.Round(time.Millisecond).String())
	if p.AfterKPI != nil {
		if err := p.AfterKPI(ctx, snap); err != nil {
			return snap, fmt.Errorf("after the KPI refresh: %w", err)
		}
	}
	return snap, nil
}

func (p *Pipeline) computeAndStore(ctx context.Context) (kpi.Snapshot, error) {
	asOf, err := p.KPI.LocalMidnight(p.Now())
	if err != nil {
		return kpi.Snapshot{}, err
	}
	return p.ComputeKPIs(ctx, asOf, kpi.ScopeFilter{})
}

// publish hands a snapshot to the exporter.
func (p *Pipeline) publish(ctx context.Context, snap kpi.Snapshot) {
	if p.KPIs == nil {
		return
	}
	programs, err := p.programs(ctx)
	if err != nil {
		p.Logger.Warn("reading the programs of the projects; project series get no program label", "err", err.Error())
	}
	meta := exporter.SnapshotMeta{Programs: programs, Teams: p.KPI.TeamPrograms()}
	// The forecast calibration as of the snapshot (pmo_forecast_calibration_*).
	if cal, err := kpi.Calibrate(ctx, p.Warehouse, *p.KPI, snap.AsOf); err != nil {
		p.Logger.Warn("scoring the stored release forecasts failed; no calibration metrics", "err", err.Error())
	} else {
		meta.Calibration = &cal
	}
	p.KPIs.Update(snap, meta)
}

// LoadSnapshot serves the latest complete stored KPI snapshot
// (kpi.LatestComplete: a scoped computation never becomes the latest). It
// returns kpi.ErrNoValues when none is stored yet.
func (p *Pipeline) LoadSnapshot(ctx context.Context) error {
	p.init()
	snap, err := kpi.LatestComplete(ctx, p.Warehouse)
	if err != nil {
		return err
	}
	p.publish(ctx, snap)
	p.Logger.Info("KPI snapshot loaded", "as_of", snap.AsOf.Format(time.RFC3339), "values", len(snap.Values))
	return nil
}

// programs maps project scopes ("source/KEY") to their program.
func (p *Pipeline) programs(ctx context.Context) (map[string]string, error) {
	rows, err := p.Warehouse.Query(ctx, "SELECT source, key, category FROM v_projects WHERE category != ''")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var src, key, prog string
		if err := rows.Scan(&src, &key, &prog); err != nil {
			return nil, err
		}
		out[src+"/"+key] = prog
	}
	return out, rows.Err()
}

// RunSource collects the source and then refreshes the KPIs (also after a
// failed collection: the other sources' data and the as-of date move on).
// A cancelled collection is not followed by a refresh.
func (p *Pipeline) RunSource(ctx context.Context, name string) error {
	_, err := p.Collect(ctx, name, false)
	if errors.Is(err, ErrOverlap) || ctx.Err() != nil {
		return err
	}
	if _, _, kerr := p.RefreshKPIs(ctx); kerr != nil {
		err = errors.Join(err, kerr)
	}
	return err
}
