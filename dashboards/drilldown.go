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
	// there and start weeks*7 local days before, in each zone of the
	// configuration (kpi.Config.TimeZones: an issue's window and days are
	// its zone's, kpis.md C1); each zone's start becomes the dashboard's.
	y, m, d := sentinelAsOf.In(loc).Date()
	asOf := time.Date(y, m, d, 0, 0, 0, 0, loc)
	type zoneLits struct {
		tz               string
		winStart, dayNum int64
	}
	var zones []zoneLits
	for _, tz := range cfg.TimeZones() {
		zl, err := time.LoadLocation(tz)
		if err != nil {
			return "", fmt.Errorf("dashboards: kpi.scopes[].tz %q: %w", tz, err)
		}
		ay, am, ad := asOf.In(zl).Date()
		start := time.Date(ay, am, ad-7*weeks, 0, 0, 0, 0, zl)
		ly, lm, ld := asOf.Add(-time.Second).In(zl).Date()
		zones = append(zones, zoneLits{tz, start.Unix(), time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC).Unix() / 86400})
	}

	if n := strings.Count(q, scopeFilter); n != 1 {
		return "", fmt.Errorf("dashboards: the SQL of %s has the portfolio scope filter %d times, want once (%q): internal/kpi changed how it cuts a scope; update dashboards/drilldown.go", kpiID, n, scopeFilter)
	}
	q = strings.Replace(q, scopeFilter, variableFilter, 1)
	q = strings.ReplaceAll(q, "toDateTime('"+asOf.UTC().Format(time.DateTime)+"', 'UTC')", "$__toTime")
	// The per-zone parameters ({w_from}[zi], {e_day}[zi]) are array
	// literals, one entry per zone: each becomes the array of its zone's
	// expressions.
	var starts, startExprs, days, dayExprs []string
	left := []string{asOf.UTC().Format(time.DateOnly), asOf.In(loc).Format(time.DateOnly), strconv.FormatInt(asOf.Unix(), 10)}
	for _, z := range zones {
		starts, startExprs = append(starts, strconv.FormatInt(z.winStart, 10)), append(startExprs, "toInt64($__fromTime)")
		days, dayExprs = append(days, strconv.FormatInt(z.dayNum, 10)), append(dayExprs, "toInt32(toDate(toDateTime(toInt64($__toTime) - 1), "+quote(z.tz)+"))")
		left = append(left, strconv.FormatInt(z.winStart, 10), time.Unix(z.winStart, 0).UTC().Format(time.DateOnly), strconv.FormatInt(z.dayNum, 10))
	}
	array := func(xs []string) string { return "[" + strings.Join(xs, ", ") + "]" }
	q = strings.ReplaceAll(q, array(starts), array(startExprs))
	q = strings.ReplaceAll(q, array(days), array(dayExprs))
	q = regexp.MustCompile(`\b`+strconv.FormatInt(asOf.Unix(), 10)+`\b`).ReplaceAllLiteralString(q, "toInt64($__toTime)")
	for _, left := range left {
		if strings.Contains(q, left) {
			return "", fmt.Errorf("dashboards: the SQL of %s still contains %q, a literal of the as-of instant or window that dashboards/drilldown.go does not turn into a Grafana macro: internal/kpi changed how it binds them", kpiID, left)
		}
	}
	return strings.TrimSpace(q), nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
