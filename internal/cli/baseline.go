package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) baselineCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Freeze and list the earned-value (EVM) baselines of projects",
		Long: `Baseline manages the frozen baselines of earned-value management in hours
(kpis.md §3.4 mode H): pmo baseline create freezes a project's plan — the
flow items that exist and are not done at the baseline date, with their
original estimate and due date — in the warehouse's kpi_baselines table.
The EVM KPIs (evm_spi, evm_cpi, ...) of a project whose kpi.scopes entry
sets evm: {mode: effort, baseline: NAME} are then computed against it.

A baseline is frozen: creating one under an existing name is refused.
pmo baseline list shows the stored baselines.`,
		Example: `  pmo baseline create --project PAY                         # named after today's date
  pmo baseline create --project PAY --name release-3 --at 2025-03-01
  pmo baseline create --project jira/PAY --name q2
  pmo baseline list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(ExitUsage, errors.New("pmo baseline needs a subcommand: create or list (see pmo baseline --help)"))
		},
	}
	cmd.AddCommand(a.baselineCreateCommand(), a.baselineListCommand())
	return cmd
}

func (a *App) baselineCreateCommand() *cobra.Command {
	var project, name, at string
	cmd := &cobra.Command{
		Use:   "create --project KEY [--name NAME] [--at DATE]",
		Short: "Freeze a project's EVM baseline: its issues, original estimates and due dates",
		Long: `Create freezes the earned-value baseline NAME of project KEY: the
non-discarded flow items of the project that exist and are not done at
--at, with the original estimate and due date the warehouse holds now (run
it on the baseline date; estimate and due-date changes are not replayed).

--project is a project key (PAY) or source/KEY (jira/PAY) when two sources
share the key. --at is a date (YYYY-MM-DD, the midnight that starts it in
kpi.tz); without it, now. --name defaults to the --at date (or today's).

Baselines are frozen: an existing NAME of the project is refused (exit 2);
choose another name. To compute the EVM KPIs against it, set in pmo.yaml:

  kpi:
    scopes:
      - kind: project
        name: PAY
        evm: {mode: effort, baseline: NAME}`,
		Example: `  pmo baseline create --project PAY
  pmo baseline create --project PAY --name release-3 --at 2025-03-01
  pmo baseline create --project jira/PAY --name q2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			if strings.TrimSpace(project) == "" {
				return withCode(ExitUsage, errors.New("--project is required: name the project to baseline, e.g. --project PAY or --project jira/PAY"))
			}
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if errs := cfg.KPI.Validate(); len(errs) > 0 {
				return withCode(ExitUsage, errors.Join(errs...))
			}
			loc, err := kpiLocation(cfg)
			if err != nil {
				return err
			}
			when := time.Now().UTC()
			if at != "" {
				if when, err = parseKPIDate(cfg, "at", at); err != nil {
					return err
				}
			}
			if name == "" {
				name = when.In(loc).Format(time.DateOnly)
			}
			w, err := a.openMigrated(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			n, err := kpi.CreateBaseline(ctx, w, cfg.KPI, project, name, when)
			if err != nil {
				if errors.Is(err, kpi.ErrBaselineExists) {
					return withCode(ExitUsage, fmt.Errorf("baseline %q of project %s exists and is frozen; pick another --name (stored baselines: pmo baseline list)", name, project))
				}
				if errors.Is(err, kpi.ErrNoScope) {
					return withCode(ExitUsage, fmt.Errorf("--project %s: no such project with issues before %s in the warehouse (or the key is in several sources; use source/KEY)", project, when.Format(time.RFC3339)))
				}
				return fmt.Errorf("creating baseline %q of project %s: %w", name, project, err)
			}
			fmt.Fprintf(a.Stdout, "baseline %q of project %s frozen at %s: %d issues\n", name, project, when.Format(time.RFC3339), n)
			if n == 0 {
				a.logger.Warn("the baseline holds no issues: the project had no open flow items at the baseline date", "project", project, "at", when.Format(time.RFC3339))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&project, "project", "", "project key (PAY) or source/KEY (required)")
	fl.StringVar(&name, "name", "", "baseline name (default the --at date, YYYY-MM-DD)")
	fl.StringVar(&at, "at", "", "baseline date, YYYY-MM-DD: the midnight that starts it in kpi.tz (default now)")
	return cmd
}

func (a *App) baselineListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the stored EVM baselines: project, name, date, issues and BAC hours",
		Example: `  pmo baseline list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			w, err := a.openMigrated(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeWarehouse(w, &err)
			bs, err := listBaselines(ctx, w)
			if err != nil {
				return err
			}
			return writeBaselines(a.Stdout, bs)
		},
	}
}

// baselineRow is one stored baseline.
type baselineRow struct {
	scope, name, at string
	issues          uint64
	bacHours        float64
}

func listBaselines(ctx context.Context, w *warehouse.Warehouse) ([]baselineRow, error) {
	const q = `SELECT scope, name, toString(min(baseline_at)), count(), toFloat64(sum(estimate_seconds)) / 3600
FROM kpi_baselines FINAL GROUP BY scope, name ORDER BY scope, name`
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("listing the baselines in kpi_baselines: %w", err)
	}
	defer rows.Close()
	var bs []baselineRow
	for rows.Next() {
		var b baselineRow
		if err := rows.Scan(&b.scope, &b.name, &b.at, &b.issues, &b.bacHours); err != nil {
			return nil, fmt.Errorf("listing the baselines: reading a row: %w", err)
		}
		bs = append(bs, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the baselines: %w", err)
	}
	return bs, nil
}

func writeBaselines(out io.Writer, bs []baselineRow) error {
	if len(bs) == 0 {
		_, err := fmt.Fprintln(out, "no baselines stored; create one with pmo baseline create --project KEY")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tNAME\tAT (UTC)\tISSUES\tBAC HOURS")
	for _, b := range bs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\n", b.scope, b.name, b.at, b.issues, b.bacHours)
	}
	return tw.Flush()
}
