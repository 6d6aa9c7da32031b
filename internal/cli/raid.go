package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// raidFlags are the flags of pmo raid.
type raidFlags struct {
	asOf, scope, format, section string
}

func (a *App) raidCommand() *cobra.Command {
	var f raidFlags
	cmd := &cobra.Command{
		Use:   "raid",
		Short: "Print the RAID log: risks, assumptions and decisions, issues, dependencies",
		Long: `Raid prints the RAID log of a scope as of a date, read from the warehouse (run
pmo collect first; no KPI snapshot is needed):

  risks         open issues of the risk types (kpi.risk_types) with their
                priority and its severity weight (kpi.risk_severity_weights),
                owner, age, last update, and the trend since the previous report
                (kpi.raid.period_days before, default 7): new, closed (listed
                once, in the report after they close), up, down, unchanged
  assumptions   assumptions and decisions: issues of the types or with the
                labels of kpi.raid.assumption_types/labels and
                decision_types/labels, open or closed, with owner and age
  issues        open flow items (kpi.flow_item_types) that are blocked — with
                their open blockers (kpi.blocking_link_types) and the days
                since the first blocking link was added — or past the due date
                in force at the as-of date, with the days overdue
  dependencies  open blocking links between issues of different projects or
                of different teams (kpi.teams) (neither issue done), with
                the days since the link was added

An open entry not updated for kpi.raid.stale_days (default 14) is flagged
STALE. Days are whole days before the as-of instant; "unknown" means the
tracker did not record when a link was added.

The as-of date is the midnight (in kpi.tz) that starts it, as for pmo kpi:
--as-of 2025-02-01 shows the log at the end of 31 January, from the change
history (a priority, status or due date in force then, not today's).
--scope takes the scopes of pmo kpi: portfolio, source:NAME, program:NAME,
project:KEY, team:NAME (kpi.teams: the entries of the team's issues); a
dependency belongs to the scopes of both its issues.
--format csv is one table with a register column; text from the trackers
is protected against spreadsheet formulas.`,
		Example: `  pmo raid                                   # the whole portfolio, as of today
  pmo raid --scope program:Payments --section risks
  pmo raid --scope project:ALPHA --as-of 2025-02-01 --format json
  pmo raid --scope team:Checkout
  pmo raid --section dependencies --format csv > dependencies.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if err := raid.CheckSection(f.section); err != nil {
				return withCode(ExitUsage, fmt.Errorf("--section: %w", err))
			}
			loc, err := kpiLocation(cfg)
			if err != nil {
				return err
			}
			r := register{cmd: "raid", format: f.format, formats: raid.Formats, scope: f.scope, asOfFlag: "as-of", asOf: f.asOf,
				settings: [][]error{cfg.KPI.Validate(), cfg.RAID.Validate()}}
			return a.runRegister(ctx, cfg, r, func(w *warehouse.Warehouse, sf kpi.ScopeFilter, asOf time.Time) error {
				l, err := raid.Build(ctx, w, raid.Options{KPI: cfg.KPI, RAID: cfg.RAID, AsOf: asOf, Scope: sf})
				if err != nil {
					return err
				}
				return raid.Write(a.Stdout, l, f.format, f.section, loc)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "the log as of the start of this date in kpi.tz (YYYY-MM-DD; default today: the log at the end of yesterday)")
	fl.StringVar(&f.scope, "scope", "portfolio", "the scope: portfolio, source:NAME, program:NAME, project:KEY or team:NAME (the scopes of pmo kpi)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(raid.Formats, ", "))
	fl.StringVar(&f.section, "section", raid.SectionAll, "the register to print: "+strings.Join(raid.Sections, ", ")+" or "+raid.SectionAll)
	_ = cmd.RegisterFlagCompletionFunc("section", cobra.FixedCompletions(append(slices.Clone(raid.Sections), raid.SectionAll), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
