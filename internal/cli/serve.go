package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) serveCommand() *cobra.Command {
	var (
		listen string
		runNow bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the schedules and serve /metrics for Prometheus",
		Long: `Serve runs pmo unattended: it collects each source on its schedule
(sources[].schedule, else serve.default_schedule), refreshes the KPIs after
each collection, and serves the latest KPI snapshot and pmo's own metrics
on /metrics for Prometheus, with /healthz (the process is up) and /readyz
(the warehouse is migrated and a KPI snapshot is loaded).

After each KPI refresh (and on report.schedule, if set) the HTML reports are
rewritten to report.out and served under /reports/. Each email.reports entry
with a schedule is emailed on it, as pmo email --report NAME would.

Two runs of the same source never overlap: a tick that finds the previous
run still going is skipped and counted (pmo_scheduler_skipped_runs_total).
On SIGTERM or SIGINT the schedules stop, a running collection gets
serve.shutdown_grace to finish and is then abandoned: what it stored stays,
and the next run resumes from the last stored cursor. serve.lock_file keeps
a second pmo serve on the same host from starting.`,
		Example: `  pmo serve
  pmo serve --listen 127.0.0.1:9477 --run-now
  pmo serve -c /etc/pmo/pmo.yaml --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			sc := cfg.Serve.WithDefaults()
			if listen != "" {
				sc.Listen = listen
				if errs := sc.Validate(); len(errs) > 0 {
					return withCode(ExitUsage, fmt.Errorf("--listen: %w", errors.Join(errs...)))
				}
			}
			sources, err := pipelineSources(cfg)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if len(sources) == 0 {
				a.logger.Warn("no sources configured: serving the stored KPIs only")
			}
			if sc.LockFile != "" {
				lock, err := pipeline.AcquireLock(sc.LockFile)
				if err != nil {
					return err
				}
				defer lock.Unlock()
			}
			w, err := a.openWarehouse(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			defer func() {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
				defer cancel()
				if cerr := w.Sink().Close(fctx); cerr != nil && err == nil {
					err = fmt.Errorf("writing the last records to the warehouse: %w", cerr)
				}
			}()
			p := &pipeline.Pipeline{Warehouse: w, Sources: sources, KPI: &cfg.KPI, Logger: a.logger}
			srv := pipeline.NewServer(p, sc)
			srv.RunAtStart = runNow
			a.serveReports(cfg, w, p, srv)
			// A signal ends serve normally: a daemon that shut down cleanly
			// exits 0 for systemd and Kubernetes.
			return srv.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address of /metrics, /healthz and /readyz (overrides serve.listen; default "+pipeline.DefaultListen+")")
	cmd.Flags().BoolVar(&runNow, "run-now", false, "collect every source once at start instead of waiting for its schedule")
	return cmd
}

// serveReports joins the reports to pmo serve: the report set is
// regenerated after each KPI refresh and on report.schedule, served under
// /reports/, and each email.reports entry with a schedule is sent on it
// through the same code as pmo email.
func (a *App) serveReports(cfg *pipeline.Config, w *warehouse.Warehouse, p *pipeline.Pipeline, srv *pipeline.Server) {
	rc := cfg.Report.WithDefaults()
	pub := &reportPublisher{a: a, cfg: cfg, w: w, out: rc.Out}
	p.AfterKPI = func(ctx context.Context, _ kpi.Snapshot) error {
		// A report that cannot be written is logged; it must not make the
		// KPI refresh (and so readiness) fail.
		if err := pub.generate(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("writing the reports failed", "out", rc.Out, "err", cfg.Scrub(err.Error()))
		}
		return nil
	}
	if srv.Handlers == nil {
		srv.Handlers = map[string]http.Handler{}
	}
	srv.Handlers["/reports/"] = http.StripPrefix("/reports/", http.FileServer(http.Dir(rc.Out)))
	if rc.Schedule != "" {
		srv.Jobs = append(srv.Jobs, pipeline.Job{Name: "report", Schedule: rc.Schedule, Run: pub.generate})
	}
	for _, er := range cfg.Email.Reports {
		if er.Schedule == "" {
			continue
		}
		srv.Jobs = append(srv.Jobs, pipeline.Job{Name: "email:" + er.Name, Schedule: er.Schedule, Run: func(ctx context.Context) error {
			if err := a.emailReport(ctx, cfg, w, er, reportFlags{scope: er.Scope}, ""); err != nil {
				return fmt.Errorf("emailing report %s: %w", er.Name, err)
			}
			return nil
		}})
	}
}

// reportPublisher writes the report set for pmo serve. A new set is
// written beside the served folder and swapped in, so /reports/ never
// serves a half-written set.
type reportPublisher struct {
	a   *App
	cfg *pipeline.Config
	w   *warehouse.Warehouse
	out string

	mu sync.Mutex // one generation at a time
}

func (r *reportPublisher) generate(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	rc := r.cfg.Report.WithDefaults()
	out := filepath.Clean(r.out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("report.out %s: %w", out, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".new-")
	if err != nil {
		return fmt.Errorf("report.out %s: %w", out, err)
	}
	defer os.RemoveAll(tmp)
	m, files, err := report.Generate(ctx, r.w,
		report.Options{KPI: r.cfg.KPI, Title: rc.Title, HistoryWeeks: rc.HistoryWeeks, Logger: r.a.logger},
		report.WriteOptions{Out: tmp})
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replacing the reports in %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("replacing the reports in %s: %w", out, err)
	}
	_ = os.RemoveAll(old)
	r.a.logger.Info("reports written", "out", out, "files", len(files), "as_of", m.AsOf.Format(time.DateOnly),
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// pipelineSources builds the collector of every configured source.
func pipelineSources(cfg *pipeline.Config) ([]pipeline.Source, error) {
	out := make([]pipeline.Source, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		t, err := collectors.Lookup(s.Type)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		c, err := t.New(s.Name, s.Settings)
		if err != nil {
			return nil, fmt.Errorf("setting up source %s (%s): %w", s.Name, s.Type, err)
		}
		out = append(out, pipeline.Source{Name: s.Name, Schedule: s.Schedule, Collector: c})
	}
	return out, nil
}

// Batch mode: `pmo collect` and `pmo kpi` push their run metrics to a
// Pushgateway when --pushgateway or serve.pushgateway is set. The helpers
// below are what those commands call (wiring left to their owner):
//
//	var push string
//	addPushgatewayFlag(cmd, &push)
//	// pmo collect, in runCollectors after printSummary(a.Stdout, all, failed):
//	if perr := a.pushCollectRun(ctx, a.cfg, push, all, failed, err); perr != nil {
//		a.logger.Warn("pushing run metrics failed", "err", perr.Error())
//	}
//	// pmo kpi, after the run:
//	if perr := a.pushKPIRun(ctx, cfg, push, time.Since(start), err); perr != nil { ... }

// addPushgatewayFlag adds --pushgateway to a batch command.
func addPushgatewayFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, "pushgateway", "", "push the run's metrics to this Prometheus Pushgateway URL (overrides serve.pushgateway)")
}

// checkPushFlag rejects a bad --pushgateway before any work is done.
func checkPushFlag(flagURL string) error {
	if flagURL == "" {
		return nil
	}
	if _, err := pipeline.NewBatch(flagURL, "check"); err != nil {
		return withCode(ExitUsage, err)
	}
	return nil
}

// pushURL returns the flag's URL, else the configuration's.
func pushURL(cfg *pipeline.Config, flagURL string) string {
	if flagURL != "" {
		return flagURL
	}
	return cfg.Serve.Pushgateway
}

// pushCollectRun pushes the metrics of a `pmo collect` run: per source the
// outcome, duration, records and requests (job pmo_collect). failed names
// the sources that failed and runErr is the run's (joined) error, as
// runCollectors has them. Nothing happens without a Pushgateway URL.
func (a *App) pushCollectRun(ctx context.Context, cfg *pipeline.Config, flagURL string, stats []collectors.Stats, failed []string, runErr error) error {
	b, err := pipeline.NewBatch(pushURL(cfg, flagURL), "pmo_collect")
	if err != nil || b.URL == "" {
		return err
	}
	now := time.Now()
	for _, st := range stats {
		result, err := exporter.ResultSuccess, error(nil)
		if slices.Contains(failed, st.Source) {
			result, err = exporter.ResultFailure, runErr
			if ctx.Err() != nil {
				result = exporter.ResultCanceled
			}
		}
		pipeline.RecordCollection(b.Metrics, st.Source, st, nil, result, err, now)
	}
	return a.push(ctx, b)
}

// pushKPIRun pushes the metrics of a `pmo kpi` run (job pmo_kpi).
func (a *App) pushKPIRun(ctx context.Context, cfg *pipeline.Config, flagURL string, d time.Duration, runErr error) error {
	b, err := pipeline.NewBatch(pushURL(cfg, flagURL), "pmo_kpi")
	if err != nil || b.URL == "" {
		return err
	}
	b.Metrics.KPIDuration.Set(d.Seconds())
	switch {
	case runErr == nil:
		b.Metrics.KPIRuns.WithLabelValues(exporter.ResultSuccess).Inc()
		b.Metrics.KPILastSuccess.SetToCurrentTime()
	case ctx.Err() != nil:
		b.Metrics.KPIRuns.WithLabelValues(exporter.ResultCanceled).Inc()
	default:
		b.Metrics.KPIRuns.WithLabelValues(exporter.ResultFailure).Inc()
	}
	return a.push(ctx, b)
}

// push sends the batch with its own deadline (also after an interrupt, so
// the failure is recorded).
func (a *App) push(ctx context.Context, b *pipeline.Batch) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := b.Push(pctx); err != nil {
		return err
	}
	a.logger.Debug("run metrics pushed", "job", b.Job)
	return nil
}
