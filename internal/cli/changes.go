package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/changelog"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// changesFlags are the flags of pmo changes.
type changesFlags struct {
	from, to, asOf, scope, format string
	kinds                         []string
}

func (a *App) changesCommand() *cobra.Command {
	var f changesFlags
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "Print the change log: sprint and release scope changes, date moves, priority changes, re-estimates",
		Long: `Changes prints the change log of a scope over a period, read from the warehouse
(run pmo collect first; no KPI snapshot is needed): one chronological list of
the scope changes a PMO must see, each with the issue, who made it, when, what
and by how much. Kinds (--kind):

  sprint        an item added to or removed from a sprint after the sprint
                started (its activated instant, else its planned start); an
                item created straight into a started sprint counts as added
  release       an item added to or removed from a version (fix version,
                milestone) on or after the version's start date: the
                release's scope growth, with the item's story points
  due_date      an issue's due date moved (days later or earlier) or cleared
  release_date  a version's release date moved or cleared, as successive
                collections observed it (trackers keep only the current
                date: the move is dated when pmo first saw it; no author)
  priority      a priority raised (up) or lowered (down) by the weights of
                kpi.risk_severity_weights; "changed" for a name without one
  estimate      story points changed while the item was in a sprint under way

The period is [--from, --to): dates in kpi.tz, each the midnight that starts
it, as for pmo kpi; --to (or --as-of) defaults to today (the period then ends
at the end of yesterday), --from to 7 days before --to (the report period).
--scope takes the scopes of pmo kpi: portfolio, source:NAME, program:NAME,
project:KEY, team:NAME (kpi.teams: the changes of the team's issues; a
version's release-date move belongs to its project and to the teams of the
issues the version holds).
--format csv protects text from the trackers against spreadsheet formulas.`,
		Example: `  pmo changes                                   # the portfolio, the last 7 days
  pmo changes --scope program:Payments --kind sprint,release
  pmo changes --scope team:Checkout --kind sprint
  pmo changes --scope project:ALPHA --from 2025-01-01 --to 2025-02-01 --format json
  pmo changes --kind due_date --format csv > due-date-moves.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			var kinds []string
			for _, k := range f.kinds {
				if k = strings.TrimSpace(k); k != "" {
					kinds = append(kinds, k)
				}
			}
			if err := changelog.CheckKinds(kinds); err != nil {
				return withCode(ExitUsage, fmt.Errorf("--kind: %w", err))
			}
			if f.to != "" && f.asOf != "" && f.to != f.asOf {
				return withCode(ExitUsage, fmt.Errorf("--to %s and --as-of %s: give one (they are the same end of the period)", f.to, f.asOf))
			}
			loc, err := kpiLocation(cfg)
			if err != nil {
				return err
			}
			flag := "to"
			if f.to == "" && f.asOf != "" {
				flag = "as-of"
			}
			var from time.Time
			r := register{cmd: "changes", format: f.format, formats: changelog.Formats, scope: f.scope, asOfFlag: flag, asOf: cmpOr(f.to, f.asOf),
				settings: [][]error{cfg.KPI.Validate()},
				check: func(to time.Time) error {
					if f.from == "" {
						return nil
					}
					d, err := parseKPIDate(cfg, "from", f.from)
					if err != nil {
						return err
					}
					if !d.Before(to) {
						return withCode(ExitUsage, fmt.Errorf("--from %s is not before the end of the period (%s); give an earlier --from or a later --to",
							f.from, to.In(loc).Format(time.DateOnly)))
					}
					from = d
					return nil
				}}
			return a.runRegister(ctx, cfg, r, func(w *warehouse.Warehouse, sf kpi.ScopeFilter, to time.Time) error {
				l, err := changelog.Build(ctx, w, changelog.Options{KPI: cfg.KPI, From: from, To: to, Scope: sf})
				if err != nil {
					return err
				}
				return changelog.Write(a.Stdout, l.Only(kinds...), f.format, loc)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "the first day of the period in kpi.tz (YYYY-MM-DD; default 7 days before --to)")
	fl.StringVar(&f.to, "to", "", "the day after the period, in kpi.tz (YYYY-MM-DD; default today: the period ends at the end of yesterday)")
	fl.StringVar(&f.asOf, "as-of", "", "the same as --to (the end of the period, as pmo kpi and pmo raid name it)")
	fl.StringVar(&f.scope, "scope", "portfolio", "the scope: portfolio, source:NAME, program:NAME, project:KEY or team:NAME (the scopes of pmo kpi)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(changelog.Formats, ", "))
	fl.StringSliceVar(&f.kinds, "kind", nil, "only these kinds (comma-separated): "+strings.Join(changelog.Kinds, ", "))
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(changelog.Kinds, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
