package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/standards"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// standardsFlags are the flags of pmo standards.
type standardsFlags struct {
	asOf, scope, format, explain string
}

func (a *App) standardsCommand() *cobra.Command {
	var f standardsFlags
	cmd := &cobra.Command{
		Use:   "standards",
		Short: "Print the standards scorecard: which of the PMO's standards a project, team or program meets",
		Long: `Standards prints the standards scorecard of a scope as of a date, read from
the warehouse (run pmo collect first; no KPI snapshot is needed). Each
standard (kpi.standards; flow items of kpi.flow_item_types, no sub-tasks):

  required_fields  items in progress or in an active sprint have the fields
                   of kpi.standards.required_fields.fields (assignee,
                   due_date, estimate = story points or original estimate,
                   priority, components, fix_version)
  workflow         every item's status has a known category (new, in
                   progress, done), and at most workflow.tolerance_pct of the
                   items done in the last workflow.window_days skipped in
                   progress
  wip              at most wip.limit items in progress per project (per team)
  estimates        ready items (not started; in an active or future sprint
                   or in a status of estimates.ready_statuses) are estimated
  due_dates        open items in an active sprint have a due date
  sprint_length    sprints started in the last sprint_length.window_days are
                   planned for length_days ± tolerance_days (a team: the
                   sprints of its boards, kpi.teams[].boards; a team without
                   boards: the sprints that hold its items)
  stale            no open item without an update for stale.days or more

A standard passes in a project by its rule, and in a program, source or the
portfolio only when it passes in every project there (teams change nothing
there). A team (team:NAME, kpi.teams; its issues as pmo kpi assigns them)
is judged as one unit by the same rules over its own items: its items in
progress against wip.limit, its items skipped in progress against its own
done items. COUNT is the number
of offending items (for wip: the items in progress) and --explain STANDARD
lists exactly those. The trend compares each standard with the previous
report (kpi.standards.period_days before, default 7): better, worse,
unchanged, or new when the scope had no project (a team: no issue) then.

The as-of date is the midnight (in kpi.tz) that starts it, as for pmo kpi.
Each item is judged by the values in force then, replayed from its change
history as pmo kpi replays them: status, assignee, priority, story points,
original estimate, due date, sprints and fix versions (components, and the
team an issue belongs to, have no history: today's); the previous report's
trend replays them at its date.
--scope takes the scopes of pmo kpi: portfolio, source:NAME, program:NAME,
project:KEY, team:NAME. --format csv protects text from the trackers
against spreadsheet formulas.`,
		Example: `  pmo standards                                   # the whole portfolio, as of today
  pmo standards --scope program:Payments
  pmo standards --scope project:ALPHA --explain required_fields
  pmo standards --scope team:Web --explain wip     # the team's items in progress
  pmo standards --as-of 2025-02-01 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if f.explain != "" {
				if err := standards.CheckID(f.explain); err != nil {
					return withCode(ExitUsage, fmt.Errorf("--explain: %w", err))
				}
				if c := cfg.Standards.WithDefaults(); !slices.Contains(enabledIDs(c), f.explain) {
					return withCode(ExitUsage, fmt.Errorf("--explain %s: the standard is disabled (kpi.standards.%s.enabled: false)", f.explain, f.explain))
				}
			}
			loc, err := kpiLocation(cfg)
			if err != nil {
				return err
			}
			r := register{cmd: "standards", format: f.format, formats: standards.Formats, scope: f.scope, asOfFlag: "as-of", asOf: f.asOf,
				settings: [][]error{cfg.KPI.Validate(), cfg.Standards.Validate()}}
			return a.runRegister(ctx, cfg, r, func(w *warehouse.Warehouse, sf kpi.ScopeFilter, asOf time.Time) error {
				s, err := standards.Build(ctx, w, standards.Options{KPI: cfg.KPI, Standards: cfg.Standards, AsOf: asOf, Scope: sf})
				if err != nil {
					return err
				}
				return standards.Write(a.Stdout, s, f.format, f.explain, loc)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "the scorecard as of the start of this date in kpi.tz (YYYY-MM-DD; default today: the end of yesterday)")
	fl.StringVar(&f.scope, "scope", "portfolio", "the scope: portfolio, source:NAME, program:NAME, project:KEY or team:NAME (the scopes of pmo kpi)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(standards.Formats, ", "))
	fl.StringVar(&f.explain, "explain", "", "list the items that break this standard: "+strings.Join(standards.IDs(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("explain", cobra.FixedCompletions(standards.IDs(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// enabledIDs lists the standards kpi.standards checks.
func enabledIDs(c standards.Config) []string {
	var out []string
	for _, id := range standards.IDs() {
		if c.Enabled(id) {
			out = append(out, id)
		}
	}
	return out
}
