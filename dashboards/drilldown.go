package dashboards

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Drill-down SQL is the query `pmo kpi sql KPI --scope portfolio` prints
// (kpi.SQL: the KPI's population from internal/kpi/models/populations.sql,
// with the lifecycle inlined), computed at a sentinel as-of instant and then
// turned into a Grafana query by exact textual substitution:
//
//   - the as-of instant becomes the dashboard's end of range: the DateTime
//     literal toDateTime('…', 'UTC') → $__toTime, its epoch seconds →
//     toInt64($__toTime), and the local day number of the last complete day
//     → the day number of $__toTime − 1 s in kpi.tz;
//   - the start of the KPI window becomes the dashboard's start of range:
//     its epoch seconds → toInt64($__fromTime);
//   - the portfolio scope filter gains the dashboard's variables: in the
//     project view $__conditionalAll(source IN (${source:singlequote}),
//     $source) and the same for program and project; in the team view the
//     issues whose teams (kpi.teams of cfg) include one of $team.
//
// A sentinel left behind after the substitutions (the KPI SQL changed shape)
// is an error, so the dashboards cannot silently drift from the engine.
// Only the ClickHouse plugin macros $__fromTime, $__toTime and
// $__conditionalAll are used: they expand to toDateTime(N) and plain
// conditions, which ClickHouse 18.16 runs ($__fromTime_ms, $__timeInterval
// and friends expand to DateTime64 and toStartOfInterval, which it lacks).

// sentinelAsOf is the as-of instant drill-down SQL is generated at: a date
// far from any real data whose literals cannot be confused with constants.
var sentinelAsOf = time.Date(2031, 3, 17, 0, 0, 0, 0, time.UTC)

// scopeFilter is the scope predicate kpi.SQL writes for the portfolio.
const scopeFilter = "(0 = 1 OR has(['portfolio:all'], concat(scope_kind, ':', scope)))"

// variableFilter narrows the portfolio population to the dashboard's view:
// in the project view to the source, program and project variables (All
// selected: no filter), in the team view to the issues of the teams of the
// team variable (teams is the lifecycle's list of an issue's kpi.teams, as
// the configuration the SQL was generated with defines them: none for
// kpi.DefaultConfig, so the committed dashboards' team view lists nothing).
const variableFilter = scopeFilter + `
    AND (${view:singlequote} = 'project'
            AND $__conditionalAll(source IN (${source:singlequote}), $source)
            AND $__conditionalAll(program IN (${program:singlequote}), $program)
            AND $__conditionalAll(project_key IN (${project:singlequote}), $project)
        OR ${view:singlequote} = 'team' AND notEmpty(teams) AND $__conditionalAll(hasAny(teams, [${team:singlequote}]), $team))`

// DrillDownSQL returns the Grafana SQL listing the population of a KPI
// defined by the SQL model (the rows `pmo kpi explain KPI` lists), over the
// dashboard's time range and variables. cfg gives the KPI settings (item
// types, statuses, time zone) baked into the SQL; w is any migrated
// warehouse (an empty one will do: the SLE day counts kpi.SQL embeds come
// from its data, so drill-downs avoid the SLE-dependent sets).
func DrillDownSQL(ctx context.Context, w *warehouse.Warehouse, cfg kpi.Config, kpiID, window string) (string, error) {
	q, err := kpi.SQL(ctx, w, cfg, kpiID, "portfolio", window, sentinelAsOf)
	if err != nil {
		return "", fmt.Errorf("dashboards: the SQL of %s (pmo kpi sql %s --scope portfolio): %w", kpiID, kpiID, err)
	}
	// The first line is kpi.SQL's comment header: the panel's description
	// says the same.
	if i := strings.IndexByte(q, '\n'); i >= 0 && strings.HasPrefix(q, "--") {
		q = q[i+1:]
	}
	loc, err := time.LoadLocation(cfg.TZ)
	if err != nil {
		return "", fmt.Errorf("dashboards: kpi.tz %q: %w", cfg.TZ, err)
	}
	weeks := cfg.FlowWindowsWeeks[0]
	if window != "" {
		if weeks, err = strconv.Atoi(strings.TrimSuffix(window, "w")); err != nil {
			return "", fmt.Errorf("dashboards: window %q of %s: want Nw", window, kpiID)
		}
	}
	// kpi.SQL's as-of is the start of sentinelAsOf's local day; windows end
	// there and start weeks*7 local days before.
	y, m, d := sentinelAsOf.In(loc).Date()
	asOf := time.Date(y, m, d, 0, 0, 0, 0, loc)
	winStart := asOf.AddDate(0, 0, -7*weeks)
	lastDay := asOf.Add(-time.Second)
	ly, lm, ld := lastDay.Date()
	dayNum := time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC).Unix() / 86400

	if n := strings.Count(q, scopeFilter); n != 1 {
		return "", fmt.Errorf("dashboards: the SQL of %s has the portfolio scope filter %d times, want once (%q): internal/kpi changed how it cuts a scope; update dashboards/drilldown.go", kpiID, n, scopeFilter)
	}
	q = strings.Replace(q, scopeFilter, variableFilter, 1)
	q = strings.ReplaceAll(q, "toDateTime('"+asOf.UTC().Format(time.DateTime)+"', 'UTC')", "$__toTime")
	subs := []struct{ lit, expr string }{
		{strconv.FormatInt(asOf.Unix(), 10), "toInt64($__toTime)"},
		{strconv.FormatInt(winStart.Unix(), 10), "toInt64($__fromTime)"},
		{strconv.FormatInt(dayNum, 10), "toInt32(toDate(toDateTime(toInt64($__toTime) - 1), " + quote(cfg.TZ) + "))"},
	}
	for _, s := range subs {
		q = regexp.MustCompile(`\b`+s.lit+`\b`).ReplaceAllLiteralString(q, s.expr)
	}
	for _, left := range []string{asOf.UTC().Format(time.DateOnly), asOf.In(loc).Format(time.DateOnly), strconv.FormatInt(asOf.Unix(), 10),
		strconv.FormatInt(winStart.Unix(), 10), winStart.UTC().Format(time.DateOnly), strconv.FormatInt(dayNum, 10)} {
		if strings.Contains(q, left) {
			return "", fmt.Errorf("dashboards: the SQL of %s still contains %q, a literal of the as-of instant or window that dashboards/drilldown.go does not turn into a Grafana macro: internal/kpi changed how it binds them", kpiID, left)
		}
	}
	return strings.TrimSpace(q), nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
