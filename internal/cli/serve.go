package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/pipeline"
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
and the next run resumes from the last stored cursor. A clean shutdown exits
0 (stopping is how a daemon ends), a failed one 1. serve.lock_file keeps
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
			// report.out must be pmo's (or new, or empty) before serving.
			if err := cfg.CheckReportOut("", ""); err != nil {
				return withCode(ExitUsage, err)
			}
			sc := cfg.Serve.WithDefaults()
			if listen != "" {
				sc.Listen = listen
				if errs := sc.Validate(); len(errs) > 0 {
					return withCode(ExitUsage, fmt.Errorf("--listen: %w", errors.Join(errs...)))
				}
			}
			sources, err := pipeline.NewSources(cfg.Sources)
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
			p := &pipeline.Pipeline{Warehouse: w, Sources: sources, KPI: &cfg.KPI, RAID: &cfg.RAID, Standards: &cfg.Standards, Logger: a.logger}
			srv := pipeline.NewServer(p, sc)
			srv.RunAtStart = runNow
			a.serveReports(cfg, p, srv)
			// A signal ends serve normally: a daemon that shut down cleanly
			// exits 0 for systemd and Kubernetes.
			return srv.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address of /metrics, /healthz and /readyz (overrides serve.listen; default "+pipeline.DefaultListen+")")
	cmd.Flags().BoolVar(&runNow, "run-now", false, "collect every source once at start instead of waiting for its schedule")
	return cmd
}

// serveReports joins the reports to pmo serve (pipeline.Reports: written
// after each KPI refresh and on report.schedule, served under /reports/)
// and sends each email.reports entry with a schedule on it, through the
// same code as pmo email.
func (a *App) serveReports(cfg *pipeline.Config, p *pipeline.Pipeline, srv *pipeline.Server) {
	pub := &pipeline.Reports{Pipeline: p, Config: cfg.Report, Reserved: cfg.ReservedFolders(), Scrub: cfg.Scrub}
	pub.Serve(srv)
	for _, er := range cfg.Email.Reports {
		if er.Schedule == "" {
			continue
		}
		srv.Jobs = append(srv.Jobs, pipeline.Job{Name: "email:" + er.Name, Schedule: er.Schedule, Run: func(ctx context.Context) error {
			if err := a.emailReport(ctx, cfg, p.Warehouse, er, reportFlags{scope: er.Scope}, ""); err != nil {
				return fmt.Errorf("emailing report %s: %w", er.Name, err)
			}
			return nil
		}})
	}
}

// Batch mode: `pmo collect` and `pmo kpi` push their run metrics to a
// Pushgateway when --pushgateway or serve.pushgateway is set. The helpers
// below are what those commands call (wiring left to their owner):
//
//	var push string
//	addPushgatewayFlag(cmd, &push)
//	// pmo collect, in runCollection after printSummary(a.Stdout, all, failed):
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
// runCollection has them. Nothing happens without a Pushgateway URL.
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
