package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) collectCommand() *cobra.Command {
	var (
		only []string
		full bool
		push string
	)
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect the configured sources into the warehouse",
		Long: `Collect reads every configured source (or those named by --source) into the
warehouse, incrementally from each source's stored cursor; --full re-reads
everything. Run pmo migrate first. On a terminal a progress bar shows how far
each source is; otherwise progress goes to the structured log. A summary per
source ends the run. One failing source does not stop the others; the exit
code is 1 if any failed.`,
		Example: `  pmo collect
  pmo collect --source jira-cloud
  pmo collect --source jira-cloud --source jira-dc --full
  pmo collect --log-format json 2> collect.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if err := checkPushFlag(push); err != nil {
				return err
			}
			sources, err := selectSources(cfg, only)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			// Build every collector before touching the warehouse, so a
			// configuration problem costs nothing.
			srcs, err := pipeline.NewSources(sources)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			w, err := a.openWarehouse(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			if v, verr := w.SchemaVersion(ctx); verr == nil && v == 0 {
				return fmt.Errorf("the warehouse %s (database %s) has no schema yet; run pmo migrate first", cfg.Warehouse.DSN.String(), w.Database())
			}
			return a.runCollection(ctx, a.newPipeline(cfg, w, srcs), full, push)
		},
	}
	addPushgatewayFlag(cmd, &push)
	cmd.Flags().StringArrayVarP(&only, "source", "s", nil, "collect only this source (repeatable)")
	cmd.Flags().BoolVar(&full, "full", false, "ignore the stored cursors and re-read everything")
	return cmd
}

// selectSources returns the configured sources named in only (all when
// only is empty), in configuration order.
func selectSources(cfg *pipeline.Config, only []string) ([]config.Source, error) {
	if len(cfg.Sources) == 0 {
		where := "the configuration"
		if cfg.File != "" {
			where = cfg.File
		}
		return nil, fmt.Errorf("%s has no sources; add one under sources: (see pmo.example.yaml)", where)
	}
	if len(only) == 0 {
		return cfg.Sources, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []config.Source
	var names []string
	for _, s := range cfg.Sources {
		names = append(names, s.Name)
		if want[s.Name] {
			out = append(out, s)
			delete(want, s.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("--source %s: no source of that name in the configuration; expected one of: %s", n, strings.Join(names, ", "))
	}
	return out, nil
}

// newPipeline is the pipeline of a command: the configuration's KPI knobs,
// the command's logger, and progress bars on a terminal.
func (a *App) newPipeline(cfg *pipeline.Config, w *warehouse.Warehouse, sources []pipeline.Source) *pipeline.Pipeline {
	return &pipeline.Pipeline{Warehouse: w, Sources: sources, KPI: &cfg.KPI, RAID: &cfg.RAID, Standards: &cfg.Standards, Logger: a.logger, Progress: a.progress, Version: a.Build.resolve().Version}
}

// progress shows a collection with a progress bar (terminal) or progress
// logs (otherwise).
func (a *App) progress(source string) (func(collectors.Progress), func()) {
	if !a.IsTerminal(a.Stderr) {
		return collectors.LogProgress(a.logger.With("source", source), 10*time.Second), func() {}
	}
	bar := &progressBar{out: a.Stderr, source: source}
	return bar.update, bar.finish
}

// progressBar shows a source's collection on a terminal: a spinner with the
// count and rate of issues seen, and the current phase in its description.
type progressBar struct {
	mu     sync.Mutex
	out    io.Writer
	source string
	bar    *progressbar.ProgressBar
}

func (p *progressBar) update(pr collectors.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(p.out),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("issues"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionClearOnFinish(),
		)
	}
	desc := fmt.Sprintf("%s: %s %d", p.source, pr.Phase, pr.Done)
	if pr.Total > 0 {
		desc += fmt.Sprintf("/%d", pr.Total)
	}
	p.bar.Describe(desc)
	_ = p.bar.Set64(pr.IssuesSeen)
}

func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// printSummary writes one line per source and a total.
func printSummary(w io.Writer, stats []collectors.Stats, failed []string) {
	if len(stats) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "source\tissues\tchanges\tsprints\tworklogs\trequests\tretries\tduration\tissues/s\t")
	var total collectors.Stats
	total.Records = map[model.Kind]int64{}
	row := func(name string, s collectors.Stats) {
		rate := 0.0
		if s.Duration > 0 {
			rate = float64(s.Records[model.KindIssue]) / s.Duration.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%.1f\t\n", name,
			s.Records[model.KindIssue], s.Records[model.KindChange], s.Records[model.KindSprint], s.Records[model.KindWorklog],
			s.Requests, s.Retries, s.Duration.Round(time.Millisecond), rate)
	}
	for _, s := range stats {
		name := s.Source
		for _, f := range failed {
			if f == s.Source {
				name += " (failed)"
			}
		}
		row(name, s)
		for k, n := range s.Records {
			total.Records[k] += n
		}
		total.Requests += s.Requests
		total.Retries += s.Retries
		total.Duration += s.Duration
	}
	if len(stats) > 1 {
		row("total", total)
	}
	_ = tw.Flush()
}

// runCollection collects the pipeline's sources one after the other
// (pipeline.Collect) and prints the summary. A failing source does not stop
// the others.
// With a Pushgateway URL (pushFlag, else serve.pushgateway) the run's
// metrics are pushed at the end; a failed push is logged, not fatal.
func (a *App) runCollection(ctx context.Context, p *pipeline.Pipeline, full bool, pushFlag string) (err error) {
	var all []collectors.Stats
	var failed []string
	for _, s := range p.Sources {
		if ctx.Err() != nil {
			break
		}
		st, cerr := p.Collect(ctx, s.Name, full)
		if cerr != nil {
			failed = append(failed, s.Name)
			err = errors.Join(err, cerr)
		}
		all = append(all, st)
	}
	// Store what was collected even when interrupted: the flush gets its own
	// deadline (a second signal still exits at once). Cursors only ever
	// advance after their records are stored, so this loses nothing either way.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if ferr := p.Warehouse.Sink().Close(flushCtx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("writing the last records to the warehouse: %w", ferr))
	}
	printSummary(a.Stdout, all, failed)
	if perr := a.pushCollectRun(ctx, a.cfg, pushFlag, all, failed, err); perr != nil {
		a.logger.Warn("pushing run metrics failed", "err", a.cfg.Scrub(perr.Error()))
	}
	return err
}
