package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/deps"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// depsFlags are the flags of pmo deps.
type depsFlags struct {
	asOf, scope, format, release, groupBy string
}

func (a *App) depsCommand() *cobra.Command {
	var f depsFlags
	cmd := &cobra.Command{
		Use:   "deps",
		Short: "Print the dependencies between projects or teams: matrix, graph, cycles, a release's critical chain",
		Long: `Deps prints the open dependencies of a scope as of a date, read from the
warehouse (run pmo collect first; no KPI snapshot is needed):

  matrix          per pair of groups (the blockers' group, the blocked items'
                  group; groups are projects, programs with --group-by
                  program, or teams with --group-by team): the open
                  dependencies, the total and the largest
                  days blocked (since the link was added; links whose
                  addition the tracker did not record are counted apart),
                  and the items at risk: blocked items with a due date in
                  force or in a sprint active at the as-of date
  links           every open blocking link (kpi.blocking_link_types) between
                  two open issues with either issue in the scope
  cycles          issues that block each other in a circle (their links are
                  reported and not followed)
  critical chain  the longest chain of open blockers, followed through blocks
                  links, ahead of an open item of a release (a fix version
                  with a release date): of --release VERSION, else the
                  longest among the scope's unreleased releases dated on or
                  after the as-of date

The chain makes its date when the sum of its items' median cycle times (each
item's project: its flow items done in the 90 days before the as-of date) is
at most the days from the as-of date to the release date: the items are
worked one after the other. A project with no such item has no median: the
verdict is unknown.

By team (kpi.teams), an issue of no team is in the group "(no team)"; with
kpi.multi_team an issue of several teams is in each of them, so one link
counts once per pair of different teams (a link inside one team is not in
the matrix, even between two projects).

The as-of date and --scope are those of pmo raid: a dependency belongs to the
scopes of both its issues (--scope team:NAME: the links with either issue in
the team). --format dot writes a Graphviz graph (the chain in
red, items at risk in orange, links in a cycle dashed); csv is one table with
a section column; text from the trackers is protected against spreadsheet
formulas.`,
		Example: `  pmo deps                                   # the whole portfolio, as of today
  pmo deps --scope program:Payments --release 2.4
  pmo deps --group-by program --format csv > dependencies.csv
  pmo deps --group-by team --scope team:Checkout
  pmo deps --format dot | dot -Tsvg > dependencies.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			if err := deps.CheckGroupBy(f.groupBy); err != nil {
				return withCode(ExitUsage, fmt.Errorf("--group-by: %w", err))
			}
			if f.groupBy == deps.GroupTeam && len(cfg.KPI.Teams) == 0 {
				return withCode(ExitUsage, errors.New("--group-by team: kpi.teams is not set; name the teams in the configuration (docs/configuration.md, Teams) or group by project or program"))
			}
			r := register{cmd: "deps", format: f.format, formats: deps.Formats, scope: f.scope, asOfFlag: "as-of", asOf: f.asOf,
				settings: [][]error{cfg.KPI.Validate(), cfg.RAID.Validate()}}
			return a.runRegister(ctx, cfg, r, func(w *warehouse.Warehouse, sf kpi.ScopeFilter, asOf time.Time) error {
				rep, err := deps.Build(ctx, w, deps.Options{KPI: cfg.KPI, RAID: cfg.RAID, AsOf: asOf, Scope: sf, GroupBy: f.groupBy, Release: f.release})
				if err != nil {
					if errors.Is(err, deps.ErrNoRelease) {
						return withCode(ExitUsage, err)
					}
					return err
				}
				return deps.Write(a.Stdout, rep, f.format)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "as-of", "", "the dependencies as of the start of this date in kpi.tz (YYYY-MM-DD; default today: as of the end of yesterday)")
	fl.StringVar(&f.scope, "scope", "portfolio", "the scope: portfolio, source:NAME, program:NAME, project:KEY or team:NAME (the scopes of pmo kpi)")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(deps.Formats, ", "))
	fl.StringVar(&f.release, "release", "", "the fix version (by name) whose critical chain to show (default: the longest chain among the scope's coming releases)")
	fl.StringVar(&f.groupBy, "group-by", deps.GroupProject, "the matrix's groups: "+deps.GroupProject+", "+deps.GroupProgram+" or "+deps.GroupTeam+" (kpi.teams)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(deps.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("group-by", cobra.FixedCompletions(deps.Groupings, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
