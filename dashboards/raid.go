package dashboards

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
)

// The RAID log's risks and issues registers as ClickHouse tables: the query
// of the register's model (raid.SQL, internal/raid/models/raid.sql, what
// `pmo raid` reads) at the sentinel as-of, turned into a Grafana query like
// a drill-down: the as-of instant and its seconds become the dashboard's end
// of range, the previous report (as-of − kpi.raid.period_days) the same
// minus the period, and the rows are kept by the project view's variables.
// With kpi.teams (pmo dashboards generates from the user's configuration)
// each row is joined to its issue's teams (kpi.IssueTeamsSQL, the
// membership `pmo raid --scope team:NAME` uses) and the team view keeps the
// selected teams' rows; without it (the committed dashboards) the team view
// lists nothing, as the drill-downs do.

// raidColumns are the columns each table shows, the issue key first.
var raidColumns = map[string]string{
	"risks": "key, summary, priority, sev_now AS severity, trend, status_category, assignee, age_days, idle_days, stale, " +
		"project_key, program, source, url",
	"issues": "key, summary, blocked, arrayStringConcat(blockers, ', ') AS blocked_by, days_blocked, overdue, days_overdue, " +
		"priority, assignee, idle_days, stale, project_key, program, source, url",
}

// raidOrder is each table's order, the register's (internal/raid).
var raidOrder = map[string]string{
	"risks":  "status_category = 'done', severity DESC, age_days DESC, key",
	"issues": "days_overdue + days_blocked DESC, key",
}

// raidFilter keeps a register's rows of the dashboard's project view.
const raidFilter = `${view:singlequote} = 'project'
    AND $__conditionalAll(source IN (${source:singlequote}), $source)
    AND $__conditionalAll(program IN (${program:singlequote}), $program)
    AND $__conditionalAll(project_key IN (${project:singlequote}), $project)`

// raidTeamFilter keeps, with kpi.teams, the rows of the team view's teams.
const raidTeamFilter = `
    OR ${view:singlequote} = 'team' AND notEmpty(teams) AND $__conditionalAll(hasAny(teams, [${team:singlequote}]), $team)`

// RAIDSQL returns the Grafana SQL of a RAID register (risks or issues) with
// the KPI settings cfg (risk types, severities, blocking links, flow types,
// tz) and the RAID knobs rc.
func RAIDSQL(cfg kpi.Config, rc raid.Config, register string) (string, error) {
	cols, ok := raidColumns[register]
	if !ok {
		return "", fmt.Errorf("dashboards: no RAID table for register %q", register)
	}
	q, err := raid.SQL(register, raid.Options{KPI: cfg, RAID: rc, AsOf: sentinelAsOf})
	if err != nil {
		return "", fmt.Errorf("dashboards: the SQL of the RAID %s: %w", register, err)
	}
	teams, err := kpi.IssueTeamsSQL(cfg, sentinelAsOf)
	if err != nil {
		return "", fmt.Errorf("dashboards: the SQL of the issues' teams: %w", err)
	}
	filter := raidFilter
	if teams != "" {
		q = "SELECT * FROM (\n" + q + "\n) AS r ANY LEFT JOIN (\n" + teams + "\n) AS t USING (source, key)"
		filter += raidTeamFilter
	}
	prev := sentinelAsOf.AddDate(0, 0, -rc.WithDefaults().PeriodDays)
	period := sentinelAsOf.Unix() - prev.Unix()
	lit := func(t time.Time) string { return "toDateTime('" + t.UTC().Format(time.DateTime) + "', 'UTC')" }
	q = strings.NewReplacer(
		lit(sentinelAsOf), "$__toTime",
		lit(prev), fmt.Sprintf("($__toTime - %d)", period),
		strconv.FormatInt(sentinelAsOf.Unix(), 10), "toInt64($__toTime)",
		strconv.FormatInt(prev.Unix(), 10), fmt.Sprintf("(toInt64($__toTime) - %d)", period),
	).Replace(q)
	// A sentinel left (a literal form the model gained) would pin the table
	// to 2031: an error, so the dashboards cannot drift from the model.
	for _, t := range []time.Time{sentinelAsOf, prev} {
		for _, s := range []string{t.UTC().Format(time.DateOnly), strconv.FormatInt(t.Unix(), 10)} {
			if strings.Contains(q, s) {
				return "", fmt.Errorf("dashboards: the SQL of the RAID %s still holds the sentinel as-of (%s): the model changed shape", register, s)
			}
		}
	}
	return "SELECT " + cols + " FROM (\n" + q + "\n) WHERE " + filter + "\nORDER BY " + raidOrder[register], nil
}

// raidTable is the ClickHouse table of a RAID register.
func raidTable(title, register, desc string, drill map[string]string) *table.PanelBuilder {
	return newTable().Title(title).Description(desc + " At the end of the dashboard's range, kept by the source/program/project " +
		"variables (SQL of internal/raid/models/raid.sql, what `pmo raid` reads). The team view lists the teams' rows when " +
		"the dashboards are generated with kpi.teams (`pmo dashboards`); the committed ones know no team and list none there.").Datasource(ClickHouse).Height(10).Span(24).
		WithTarget(ClickHouseQuery{RefID: "A", Datasource: &ClickHouse, EditorType: "sql", QueryType: "table",
			Format: clickHouseFormatTable, RawSQL: drill["raid:"+register]})
}
