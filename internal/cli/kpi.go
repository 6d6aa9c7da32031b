package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// kpiFlags are the flags of pmo kpi and pmo kpi explain.
type kpiFlags struct {
	asOf, scope, format string
	from, to, step      string
	push                string
	window              string
	allowFuture         bool
}

// kpiLocation is the organisation's reporting time zone (kpi.tz).
func kpiLocation(cfg *pipeline.Config) (*time.Location, error) {
	tz := cfg.KPI.TZ
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("kpi.tz in %s: unknown time zone %q; expected an IANA name such as Europe/Berlin", cfgName(cfg), tz))
	}
	return loc, nil
}

// parseKPIDate turns a YYYY-MM-DD flag into the as_of of that date: the
// midnight that starts it in kpi.tz (the values cover the days before it).
func parseKPIDate(cfg *pipeline.Config, flag, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, withCode(ExitUsage, fmt.Errorf("--%s %q is not a date; expected YYYY-MM-DD, e.g. 2025-02-01", flag, s))
	}
	t, err := cfg.KPI.LocalMidnight(d)
	if err != nil {
		return time.Time{}, withCode(ExitUsage, err)
	}
	return t, nil
}

// defaultAsOf is the as_of of a run now: the local midnight (kpi.tz) that
// ends the last complete day, as pmo serve computes it.
func defaultAsOf(cfg *pipeline.Config, now time.Time) (time.Time, error) {
	loc, err := kpiLocation(cfg)
	if err != nil {
		return time.Time{}, err
	}
	return cfg.KPI.LocalMidnight(now.In(loc))
}

// parseStep parses a backfill step: Nd (days) or Nw (weeks).
func parseStep(s string) (int, error) {
	bad := withCode(ExitUsage, fmt.Errorf("--step %q: expected a number of days or weeks such as 1d, 7d or 2w", s))
	if len(s) < 2 {
		return 0, bad
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, bad
	}
	switch s[len(s)-1] {
	case 'd':
		return n, nil
	case 'w':
		return 7 * n, nil
	}
	return 0, bad
}

func parseScope(s string) (kpi.ScopeFilter, error) {
	f, err := kpi.ParseScopeFilter(s)
	if err != nil {
		return f, withCode(ExitUsage, fmt.Errorf("--scope: %w", err))
	}
	return f, nil
}

// openMigrated opens the warehouse and checks it has a schema.
func (a *App) openMigrated(ctx context.Context, cfg *pipeline.Config) (*warehouse.Warehouse, error) {
	w, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if v, verr := w.SchemaVersion(ctx); verr == nil && v < warehouse.LatestSchemaVersion() {
		_ = w.Close()
		return nil, fmt.Errorf("the warehouse %s (database %s) is at schema version %d of %d; run pmo migrate first",
			cfg.Warehouse.DSN.String(), w.Database(), v, warehouse.LatestSchemaVersion())
	}
	return w, nil
}

func (a *App) kpiCommand() *cobra.Command {
	var f kpiFlags
	cmd := &cobra.Command{
		Use:   "kpi",
		Short: "Compute the KPI snapshot, store it in the warehouse and print it",
		Long: `Kpi computes every KPI of the catalog (pmo kpi list) for every scope — each
project, program (project category), source and the whole portfolio — with
the knobs of the kpi: section, stores the values in the warehouse's
kpi_values history and prints them.

The as-of date is the midnight (in kpi.tz) that ends the last complete day:
--as-of 2025-02-01 computes the values of the days up to 31 January.
Computing the same as-of again replaces its stored values, never duplicates
them. An as-of after today is refused unless --allow-future-as-of is given.
Each run stores a refresh record (kpi_refreshes); reports, the exporter and
email read the latest complete one, so a run with --scope is stored but never
becomes the latest portfolio.

--from and --to backfill the history of trend charts: a snapshot every
--step (default 7d) from --from up to --to (default: today's as-of),
restated from the current change history. A progress bar shows on a
terminal.

pmo kpi explain lists the issues behind a value. With --pushgateway (or
serve.pushgateway) the run's metrics are pushed to a Prometheus Pushgateway.`,
		Example: `  pmo kpi                                   # today's snapshot, every scope
  pmo kpi --scope project:ALPHA --format json
  pmo kpi --scope program:Payments --as-of 2025-02-01
  pmo kpi --format csv > kpis.csv
  pmo kpi --from 2024-11-01 --to 2025-02-01 --step 7d   # weekly history
  pmo kpi explain cycle_time --scope project:ALPHA
  pmo kpi list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if err := checkFormat(f.format, kpi.Formats); err != nil {
				return err
			}
			if err := checkPushFlag(f.push); err != nil {
				return err
			}
			if _, err := parseScope(f.scope); err != nil {
				return err
			}
			backfill := f.from != "" || f.to != ""
			if backfill && f.asOf != "" {
				return withCode(ExitUsage, errors.New("--as-of cannot be combined with --from/--to; give either one date or a range"))
			}
			if f.to != "" && f.from == "" {
				return withCode(ExitUsage, errors.New("--to needs --from: the range to backfill starts at --from"))
			}
			if f.step != "" && !backfill {
				return withCode(ExitUsage, errors.New("--step applies to a backfill: give --from (and --to)"))
			}
			if errs := cfg.KPI.Validate(); len(errs) > 0 {
				return withCode(ExitUsage, errors.Join(errs...))
			}
			var asOf, from, to time.Time
			step := 7
			if backfill {
				if from, err = parseKPIDate(cfg, "from", f.from); err != nil {
					return err
				}
				if f.to != "" {
					to, err = parseKPIDate(cfg, "to", f.to)
				} else {
					to, err = defaultAsOf(cfg, a.Now())
				}
				if err != nil {
					return err
				}
				if to.Before(from) {
					return withCode(ExitUsage, fmt.Errorf("--from %s is after --to %s", from.Format(time.DateOnly), to.Format(time.DateOnly)))
				}
				if f.step != "" {
					if step, err = parseStep(f.step); err != nil {
						return err
					}
				}
			} else if f.asOf != "" {
				if asOf, err = parseKPIDate(cfg, "as-of", f.asOf); err != nil {
					return err
				}
			} else if asOf, err = defaultAsOf(cfg, a.Now()); err != nil {
				return err
			}
			// A stray future as-of would be stored as the newest values;
			// refuse it unless asked for (issue 12 defect 2).
			for flag, t := range map[string]time.Time{"as-of": asOf, "to": to} {
				if err := kpi.CheckFutureAsOf(t, time.Now(), f.allowFuture); err != nil {
					return withCode(ExitUsage, fmt.Errorf("--%s: %w", flag, err))
				}
			}

			start := time.Now()
			defer func() {
				if perr := a.pushKPIRun(ctx, cfg, f.push, time.Since(start), err); perr != nil {
					a.logger.Warn("pushing run metrics failed", "err", cfg.Scrub(perr.Error()))
				}
			}()
			w, err := a.openMigrated(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			// Dates given on the command line must have data before them.
			var checkAt time.Time
			switch {
			case backfill:
				checkAt = to
			case f.asOf != "":
				checkAt = asOf
			}
			sf, err := a.resolveScope(ctx, w, cfg, f.scope, checkAt)
			if err != nil {
				return err
			}
			p := a.newPipeline(cfg, w, nil)
			if backfill {
				return a.backfillKPIs(ctx, p, cfg, sf, from, to, step)
			}
			snap, err := p.ComputeKPIs(ctx, asOf, sf)
			if err != nil {
				return err
			}
			if len(snap.Values) == 0 {
				a.logger.Warn("no KPI values: the warehouse holds no issues yet; run pmo collect first")
			}
			if err := kpi.Write(a.Stdout, snap, f.format); err != nil {
				return err
			}
			a.logger.Info("KPI snapshot stored", "as_of", asOf.Format(time.RFC3339), "values", len(snap.Values),
				"duration", time.Since(start).Round(time.Millisecond).String())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "compute as of the start of this date in kpi.tz (YYYY-MM-DD; default today: the values of the days up to yesterday)")
	fl.StringVar(&f.scope, "scope", "", "limit to scopes: portfolio, source:NAME, program:NAME, project:KEY, team:NAME (or a kind alone, e.g. program)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(kpi.Formats, ", "))
	fl.StringVar(&f.from, "from", "", "backfill history from this date (YYYY-MM-DD)")
	fl.StringVar(&f.to, "to", "", "backfill history up to this date (YYYY-MM-DD; default today)")
	fl.StringVar(&f.step, "step", "", "backfill step: Nd or Nw (default 7d)")
	fl.BoolVar(&f.allowFuture, "allow-future-as-of", false, "accept an --as-of or --to after today (refused otherwise: such values are not a complete day)")
	addPushgatewayFlag(cmd, &f.push)
	cmd.AddCommand(a.kpiExplainCommand(), a.kpiSQLCommand(), a.kpiListCommand(), a.kpiCalibrationCommand())
	return cmd
}

// backfillKPIs computes and stores a snapshot every step days (local
// calendar days in kpi.tz) from from to to, with progress.
func (a *App) backfillKPIs(ctx context.Context, p *pipeline.Pipeline, cfg *pipeline.Config, sf kpi.ScopeFilter, from, to time.Time, stepDays int) error {
	loc, err := kpiLocation(cfg)
	if err != nil {
		return err
	}
	var dates []time.Time
	for t := from; !t.After(to); t = t.In(loc).AddDate(0, 0, stepDays).UTC() {
		dates = append(dates, t)
	}
	start := time.Now()
	var bar *progressbar.ProgressBar
	if a.IsTerminal(a.Stderr) {
		bar = progressbar.NewOptions(len(dates),
			progressbar.OptionSetWriter(a.Stderr),
			progressbar.OptionSetDescription("backfilling KPI history"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	err = p.BackfillKPIs(ctx, dates, sf, func(i int, t time.Time) {
		if bar != nil {
			_ = bar.Add(1)
		} else {
			a.logger.Info("KPI snapshot stored", "as_of", t.Format(time.RFC3339), "done", i+1, "total", len(dates))
		}
	})
	if err != nil {
		if bar != nil {
			_ = bar.Exit()
		}
		return err
	}
	if bar != nil {
		_ = bar.Finish()
	}
	fmt.Fprintf(a.Stdout, "stored %d KPI snapshots from %s to %s (every %d days) in %s\n", len(dates),
		from.In(loc).Format(time.DateOnly), dates[len(dates)-1].In(loc).Format(time.DateOnly), stepDays, time.Since(start).Round(time.Millisecond))
	return nil
}

func (a *App) kpiExplainCommand() *cobra.Command {
	var f kpiFlags
	cmd := &cobra.Command{
		Use:   "explain KPI --scope SCOPE",
		Short: "List the issues that made a KPI value",
		Long: `Explain lists the issues behind one KPI value, so you can answer "why is this
9?". For the flow, quality, hygiene, WIP, age, backlog and stale KPIs it lists
exactly the items the value was computed from — each with the populations it
is in (cycle, done, in_progress, numerator and denominator sets, ...) and what
it contributes (day-counts, exact days, linked bugs) — and above them the
values recomputed from those items (n, percentiles, ratios), which equal the
stored values. They are explained for a window of kpi.flow_windows_weeks
(--window, default the first); WIP and ages at the as-of instant. Sprint KPIs
list each sprint's committed, added, removed and completed items with their
points. Planning and risk KPIs show the values in force at
the as-of date: the due date at completion and the baseline due date
(due_date_adherence), the estimate at start with sub-tasks rolled up
(estimation_accuracy), the due date at as-of (overdue_ratio), the blocked
state (blocked_ratio), each open risk's severity, age and flags
(risk_exposure); monte_carlo_forecast lists the throughput history and the
open backlog it forecasts; scope_growth the issues of each release at its
start and now with their points; portfolio_rag its six components with the
rated value each was read from, its weight and the rule's result. The KPIs
without an issue-level explanation yet (EVM, capacity, work distribution,
backlog readiness, logged hours) say so.

KPI is an id of pmo kpi list; --scope names one scope.`,
		Example: `  pmo kpi explain throughput --scope project:ALPHA
  pmo kpi explain cycle_time --scope program:Payments --as-of 2025-02-01
  pmo kpi explain throughput --scope portfolio --window 12w
  pmo kpi explain say_do_ratio --scope project:ALPHA --format csv
  pmo kpi explain overdue_ratio --scope project:ALPHA`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withCode(ExitUsage, fmt.Errorf("pmo kpi explain takes one KPI id, got %d arguments; e.g. pmo kpi explain cycle_time --scope project:ALPHA (ids: pmo kpi list)", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onScope(cmd, &f, args[0], true, func(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config, asOf time.Time) error {
				e, err := kpi.ExplainWindow(ctx, w, cfg.KPI, args[0], f.scope, f.window, asOf)
				if err != nil {
					return err
				}
				return kpi.WriteExplanation(a.Stdout, e, f.format)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "explain the value as of the start of this date in kpi.tz (YYYY-MM-DD; default today)")
	fl.StringVar(&f.scope, "scope", "", "the scope: portfolio, source:NAME, program:NAME, project:KEY or team:NAME (required)")
	fl.StringVar(&f.window, "window", "", "the window of a flow KPI, one of kpi.flow_windows_weeks such as 4w or 12w (default: the first)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(kpi.Formats, ", "))
	return cmd
}

// onScope runs what explain and sql share: it checks the KPI id, --scope
// (one scope) and --format, resolves --as-of in kpi.tz, opens the
// warehouse, runs fn, and turns the engine's error kinds into exit codes.
func (a *App) onScope(cmd *cobra.Command, f *kpiFlags, id string, format bool, fn func(context.Context, *warehouse.Warehouse, *pipeline.Config, time.Time) error) (err error) {
	ctx := cmd.Context()
	if _, ok := kpi.Lookup(id); !ok {
		return withCode(ExitUsage, fmt.Errorf("unknown KPI %q; expected one of: %s", id, strings.Join(kpiIDs(), ", ")))
	}
	cfg, err := a.loadConfig(false)
	if err != nil {
		return err
	}
	if format {
		if err := checkFormat(f.format, kpi.Formats); err != nil {
			return err
		}
	}
	if f.scope == "" {
		return withCode(ExitUsage, errors.New("--scope is required: name one scope, e.g. project:ALPHA, program:Core, source:jira or portfolio"))
	}
	sf, err := parseScope(f.scope)
	if err != nil {
		return err
	}
	if sf.Kind != kpi.ScopePortfolio && sf.Name == "" {
		return withCode(ExitUsage, fmt.Errorf("--scope %q: name one scope, e.g. %s:NAME", f.scope, sf.Kind))
	}
	var asOf time.Time
	if f.asOf != "" {
		asOf, err = parseKPIDate(cfg, "as-of", f.asOf)
	} else {
		asOf, err = defaultAsOf(cfg, a.Now())
	}
	if err != nil {
		return err
	}
	if errs := cfg.KPI.Validate(); len(errs) > 0 {
		return withCode(ExitUsage, errors.Join(errs...))
	}
	w, err := a.openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeWarehouse(w, &err)
	if err := fn(ctx, w, cfg, asOf); err != nil {
		switch {
		case errors.Is(err, kpi.ErrUnknownKPI), errors.Is(err, kpi.ErrNoWindow):
			return withCode(ExitUsage, err)
		case errors.Is(err, kpi.ErrNoScope):
			known, kerr := kpi.ConfigScopes(ctx, w, cfg.KPI, asOf)
			if kerr != nil {
				return kerr
			}
			return withCode(ExitUsage, fmt.Errorf("--scope: %w", kpi.NoScopeError(f.scope, known, asOf)))
		}
		return fmt.Errorf("%s for %s: %w", id, f.scope, err)
	}
	return nil
}

func (a *App) kpiSQLCommand() *cobra.Command {
	var f kpiFlags
	cmd := &cobra.Command{
		Use:   "sql KPI --scope SCOPE",
		Short: "Print the SQL that selects the issues behind a KPI value",
		Long: `SQL prints the exact query pmo kpi explain runs for a KPI defined by the
population model (internal/kpi/models/populations.sql): the lifecycle of
every issue at the as-of instant, cut to the scope, and the rows of the KPI's
sets with their flags (in_*) and values (v_*), every parameter bound. Paste it
into clickhouse-client or a Grafana table panel on the ClickHouse data source
to see the issues a number counts; a data engineer reviews a KPI by reading
the model file and this query. The SLE day counts it embeds are the ones the
warehouse gives at the as-of instant.`,
		Example: `  pmo kpi sql cycle_time --scope project:ALPHA
  pmo kpi sql wip --scope program:Payments --as-of 2025-02-01
  pmo kpi sql throughput --scope portfolio --window 12w > throughput.sql`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withCode(ExitUsage, fmt.Errorf("pmo kpi sql takes one KPI id, got %d arguments; e.g. pmo kpi sql cycle_time --scope project:ALPHA (ids: pmo kpi list)", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onScope(cmd, &f, args[0], false, func(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config, asOf time.Time) error {
				q, err := kpi.SQL(ctx, w, cfg.KPI, args[0], f.scope, f.window, asOf)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.Stdout, q+";")
				return err
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "the as-of instant: the start of this date in kpi.tz (YYYY-MM-DD; default today)")
	fl.StringVar(&f.scope, "scope", "", "the scope: portfolio, source:NAME, program:NAME, project:KEY or team:NAME (required)")
	fl.StringVar(&f.window, "window", "", "the window of a flow KPI, one of kpi.flow_windows_weeks such as 4w or 12w (default: the first)")
	return cmd
}

func (a *App) kpiListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the KPI catalog: ids, units and the question each answers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeCatalog(a.Stdout)
		},
	}
}

func writeCatalog(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tGROUP\tUNIT\tQUESTION")
	for _, d := range kpi.Catalog {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.ID, d.Group, d.Unit, d.Question)
	}
	return tw.Flush()
}

func kpiIDs() []string {
	ids := make([]string, len(kpi.Catalog))
	for i, d := range kpi.Catalog {
		ids[i] = d.ID
	}
	return ids
}
