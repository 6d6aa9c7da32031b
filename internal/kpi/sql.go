package kpi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQL generation. Everything here follows the dialect rule of design.md: it
// runs on ClickHouse 18.16 and on chDB 26.x — no CTEs (nested subqueries
// instead), no window functions (sorted arrays and higher-order functions),
// one JOIN per SELECT level (18.16 has no multiple joins), ANY LEFT JOIN …
// USING, DateTime('UTC'), and percentiles computed from sorted arrays
// (18.16 lacks quantileExactInclusive).
//
// as_of, window bounds and knob values are rendered as SQL literals by the
// helpers below (strings escaped, instants as toDateTime('…','UTC')); they
// never come from unvalidated user text except configured names, which are
// escaped.

// sqlStr quotes s as a ClickHouse string literal.
func sqlStr(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// sqlStrs renders an Array(String) literal (typed, so an empty list works).
func sqlStrs(ss []string) string {
	if len(ss) == 0 {
		return "CAST([] AS Array(String))"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = sqlStr(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// sqlTime renders an instant as a DateTime('UTC') literal (second precision).
func sqlTime(t time.Time) string {
	return "toDateTime(" + sqlStr(t.UTC().Format(time.DateTime)) + ", 'UTC')"
}

// sqlSecs renders an instant as Unix seconds.
func sqlSecs(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func sqlFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// sqlNR is the nearest-rank percentile (kpis.md C7) of a sorted array xs of
// length n: the ⌈p·n⌉-th value (1-based). The epsilon keeps p·n that is an
// integer in exact arithmetic (0.85·20) from rounding up.
func sqlNR(xs, n string, p float64) string {
	return fmt.Sprintf("if(%[2]s = 0, NULL, %[1]s[toUInt32(ceil(%[3]s * %[2]s - 1e-9))])", xs, n, sqlFloat(p))
}

// sqlR7 is the linear-interpolation percentile (R-7, numpy default): h =
// (n−1)p (0-based), x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
func sqlR7(xs, n string, p float64) string {
	h := fmt.Sprintf("((%s - 1) * %s)", n, sqlFloat(p))
	lo := fmt.Sprintf("toUInt32(floor(%s))", h)
	return fmt.Sprintf("if(%[1]s = 0, NULL, %[2]s[%[3]s + 1] + (%[4]s - floor(%[4]s)) * (%[2]s[toUInt32(least(%[3]s + 2, %[1]s))] - %[2]s[%[3]s + 1]))",
		n, xs, lo, h)
}

// window is a half-open interval of instants [From, To) (kpis.md notation W).
type window struct {
	Name     string // "4w", "12w"
	Weeks    int
	From, To time.Time
	// DayEnds are the instants ending each local day of the window (local
	// midnights), the WIP sampling points of F4; DayEnds[len-1] == To when
	// as_of is a local midnight.
	DayEnds []time.Time
}

// trailingWeeks returns W = [local midnight of (ld(as_of) − 7N days), as_of).
func trailingWeeks(asOf time.Time, weeks int, loc *time.Location) window {
	l := asOf.In(loc)
	y, m, d := l.Date()
	from := time.Date(y, m, d-7*weeks, 0, 0, 0, 0, loc)
	w := window{Name: fmt.Sprintf("%dw", weeks), Weeks: weeks, From: from.UTC(), To: asOf.UTC()}
	for day := 1; ; day++ {
		e := time.Date(from.Year(), from.Month(), from.Day()+day, 0, 0, 0, 0, loc)
		if e.After(asOf) {
			break
		}
		w.DayEnds = append(w.DayEnds, e.UTC())
	}
	return w
}

// lastCompleteDay is E = ld(as_of − 1 ms) as a civil date at midnight UTC.
func lastCompleteDay(asOf time.Time, loc *time.Location) time.Time {
	y, m, d := asOf.Add(-time.Millisecond).In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// issueScopeSQL is v_issues joined with the issue's program (project
// category), cut to issues created before as_of.
func issueScopeSQL(asOf time.Time) string {
	return `SELECT * FROM (
    SELECT source, id AS issue_id, key, project_id, project_key, type, type_class, status_id, status_category,
        resolution, priority, assignee_id, created, updated, due_date, story_points, original_estimate_seconds,
        labels, components, environment, parent_id, epic_key, fix_version_ids
    FROM v_issues WHERE created < ` + sqlTime(asOf) + `
) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)`
}

// lifecycleSQL derives each issue's lifecycle at as_of (kpis.md C4) in the
// scope's time zone: one row per issue with started/done instants, skipped,
// discarded, reopen and done-entry instants, active seconds (F7), day
// numbers of the local dates, the priority in force when it was done
// (priority_done, replayed from the priority changes; the current one for
// an issue not done), and the scope keys it rolls up to.
func lifecycleSQL(s settings, asOf time.Time) string {
	as := sqlTime(asOf)
	tz := sqlStr(s.TZ)
	startIdx := "length(exits)"
	if s.StartPolicy == "first" {
		startIdx = "1"
	}
	active := "has(" + sqlStrs(s.ActiveStatusIDs) + ", x_s)"
	if len(s.ActiveStatusIDs) == 0 {
		active = "x_c = 'indeterminate'"
	}
	// Jira control-chart variant of F2: time in the selected statuses.
	cc := "has(" + sqlStrs(s.CycleTimeStatusIDs) + ", x_s)"
	if len(s.CycleTimeStatusIDs) == 0 {
		cc = "x_c = 'indeterminate'"
	}
	return `SELECT *, ` + replaySQL("pr_at", "pr_from", "pr_to", "if(done_s > 0, done_s, "+sqlSecs(asOf)+")", "priority") + ` AS priority_done FROM (
SELECT * FROM (SELECT * FROM (SELECT ` + strings.Join(lifecycleColumns, ", ") + ` FROM (SELECT
    source, issue_id, key, project_key, program, type, type_class, resolution, priority, assignee_id, labels,
    components, environment, created, updated, due_date, story_points, original_estimate_seconds, parent_id,
    epic_key, fix_version_ids, has_unknown, init_cat, ats, tcs,
    toUInt8(has(` + sqlStrs(s.FlowItemTypes) + `, type) AND type_class != 'subtask') AS is_flow,
    toUInt8(has(` + sqlStrs(s.BugTypes) + `, type)) AS is_bug,
    toUInt8(has(` + sqlStrs(s.EscapedTypes) + `, type)) AS is_escaped_type,
    toUInt8(has(` + sqlStrs(s.EscapedTypes) + `, type)
        OR arrayExists(x_l -> has(` + sqlStrs(s.EscapedLabels) + `, x_l), arrayConcat(labels, components))
        OR has(` + sqlStrs(lower(s.EscapedEnvironments)) + `, lower(replaceRegexpAll(environment, '^\\s+|\\s+$', '')))) AS escaped,
    length(ats) AS n_tr,
    if(n_tr = 0, init_cat, tcs[n_tr]) AS cat_now,
    arrayFilter((x_a, x_f, x_t) -> x_f = 'new' AND x_t != 'new', ats, fcs, tcs) AS exits,
    if(length(exits) > 0, toInt64(exits[` + startIdx + `]), if(init_cat != 'new', toInt64(created), toInt64(0))) AS start_s,
    arrayFilter((x_a, x_t) -> x_t = 'done', ats, tcs) AS dones,
    if(cat_now = 'done', if(length(dones) > 0, toInt64(dones[length(dones)]), toInt64(created)), toInt64(0)) AS done_s,
    toUInt8(start_s > 0) AS started,
    toUInt8(done_s > 0) AS is_done,
    toUInt8(is_done AND has(` + sqlStrs(s.DiscardResolutions) + `, resolution)) AS discarded,
    toUInt8(is_done AND NOT arrayExists((x_a, x_t) -> x_t = 'indeterminate' AND toInt64(x_a) >= start_s AND toInt64(x_a) <= done_s, ats, tcs)) AS skipped,
    toUInt8(length(exits) >= 2) AS restarted,
    arrayFilter((x_a, x_f, x_t) -> x_f = 'done' AND x_t != 'done', ats, fcs, tcs) AS reopen_ats,
    arrayFilter((x_a, x_f, x_t) -> x_f != 'done' AND x_t = 'done', ats, fcs, tcs) AS done_entry_ats,
    arrayConcat([init_status], tids) AS st_ids,
    arrayConcat([init_cat], tcs) AS st_cats,
    st_ids[length(st_ids)] AS status_now,
    arrayConcat([toInt64(created)], arrayMap(x_a -> toInt64(x_a), ats)) AS st_from,
    arrayPushBack(arrayMap(x_a -> toInt64(x_a), ats), toInt64(` + as + `)) AS st_to,
    if(is_done AND started, arraySum((x_s, x_c, x_b, x_e) -> if(` + active + `,
        greatest(toInt64(0), least(x_e, done_s) - greatest(x_b, start_s)), toInt64(0)), st_ids, st_cats, st_from, st_to), toInt64(0)) AS active_s,
    if(is_done AND started, arraySum((x_s, x_c, x_b, x_e) -> if(` + cc + `,
        greatest(toInt64(0), least(x_e, done_s) - x_b), toInt64(0)), st_ids, st_cats, st_from, st_to), toInt64(0)) AS cc_s,
    toInt32(toDate(created, ` + tz + `)) AS created_day,
    toInt32(toDate(toDateTime(start_s, 'UTC'), ` + tz + `)) AS start_day,
    toInt32(toDate(toDateTime(done_s, 'UTC'), ` + tz + `)) AS done_day,
    [` + sqlStr(ScopePortfolio) + `, ` + sqlStr(ScopeSource) + `, ` + sqlStr(ScopeProgram) + `, ` + sqlStr(ScopeProject) + `] AS scope_kinds,
    ['all', source, program, concat(source, '/', project_key)] AS scope_names
FROM (
    SELECT *,
        if(length(h_at) > 0, h_from_cat[1], if(status_category IN ('new', 'indeterminate', 'done'), status_category, 'indeterminate')) AS init_cat,
        if(length(h_at) > 0, h_from_id[1], status_id) AS init_status,
        arrayFilter(x_a -> x_a < ` + as + `, h_at) AS ats,
        arrayFilter((x_v, x_a) -> x_a < ` + as + `, h_from_cat, h_at) AS fcs,
        arrayFilter((x_v, x_a) -> x_a < ` + as + `, h_to_cat, h_at) AS tcs,
        arrayFilter((x_v, x_a) -> x_a < ` + as + `, h_to_id, h_at) AS tids
    FROM (` + issueScopeSQL(asOf) + `) AS i ANY LEFT JOIN v_kpi_status_history AS h USING (source, issue_id)
))) AS lc ANY LEFT JOIN (` + linkedBugsSQL(s) + `) AS lb USING (source, issue_id)
) AS lcb ANY LEFT JOIN (
    SELECT source, issue_id, max(toInt64(started)) AS last_worklog_s, sumIf(seconds, started < ` + as + `) AS spent_s
    FROM v_worklogs GROUP BY source, issue_id
) AS wl USING (source, issue_id)
) AS lcw ANY LEFT JOIN (` + priorityHistorySQL(asOf) + `) AS ph USING (source, issue_id)`
}

// linkedBugsSQL counts per issue the distinct bugs linked to it by one of
// defect_link_types (either direction) or parented by it (Q1).
func linkedBugsSQL(s settings) string {
	types := sqlStrs(s.DefectLinkTypes)
	bugs := sqlStrs(s.BugTypes)
	match := "has(" + types + ", type) OR has(" + types + ", outward) OR has(" + types + ", inward)"
	return `SELECT source, issue_id, uniqExact(b) AS linked_bugs FROM (
    SELECT source, a AS issue_id, b FROM (
        SELECT source, from_issue_id AS a, to_issue_id AS b FROM v_issue_links WHERE ` + match + `
        UNION ALL
        SELECT source, to_issue_id AS a, from_issue_id AS b FROM v_issue_links WHERE ` + match + `
        UNION ALL
        SELECT source, parent_id AS a, id AS b FROM v_issues WHERE parent_id != '' AND has(` + bugs + `, type)
    ) AS l ALL INNER JOIN (SELECT source, id AS b FROM v_issues WHERE has(` + bugs + `, type)) AS r USING (source, b)
) GROUP BY source, issue_id`
}

// lifecycleColumns are the per-issue columns the KPI queries read.
var lifecycleColumns = []string{"source", "issue_id", "key", "project_key", "program", "type", "type_class", "resolution", "priority",
	"assignee_id", "labels", "components", "environment", "created", "updated", "due_date", "story_points", "original_estimate_seconds",
	"parent_id", "epic_key", "fix_version_ids", "has_unknown", "init_cat", "ats", "tcs", "is_flow", "is_bug", "is_escaped_type", "escaped", "n_tr", "cat_now",
	"start_s", "done_s", "started", "is_done", "discarded", "skipped", "restarted", "reopen_ats", "done_entry_ats", "active_s", "cc_s", "status_now",
	"created_day", "start_day", "done_day", "scope_kinds", "scope_names"}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// scopedSQL expands the lifecycle rows to one row per (scope kind, scope) the
// issue rolls up to, keeping only the scopes in keep (all when keep is nil).
func scopedSQL(from string, keep []string) string {
	q := `SELECT *, scope_kind, scope FROM (` + from + `) ARRAY JOIN scope_kinds AS scope_kind, scope_names AS scope WHERE scope != ''`
	if keep != nil {
		q += ` AND concat(scope_kind, ':', scope) IN (` + strings.Join(quoteAll(keep), ", ") + `)`
	}
	return q
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = sqlStr(s)
	}
	if len(out) == 0 {
		out = []string{"''"}
	}
	return out
}

// col is one named output expression of an aggregate query.
type col struct{ name, expr string }

// aggQuery builds SELECT scope_kind, scope, <cols> FROM (inner GROUP BY with
// the inner cols) — two levels so that outer expressions can use inner
// aggregates (sorted arrays for percentiles).
func aggQuery(from string, inner, outer []col) string {
	var b strings.Builder
	b.WriteString("SELECT scope_kind, scope")
	for _, c := range outer {
		b.WriteString(",\n    toNullable(toFloat64(" + c.expr + ")) AS out_" + c.name)
	}
	b.WriteString("\nFROM (SELECT scope_kind, scope")
	for _, c := range inner {
		b.WriteString(",\n    " + c.expr + " AS " + c.name)
	}
	b.WriteString("\nFROM (" + from + ")\nGROUP BY scope_kind, scope)\nORDER BY scope_kind, scope")
	return b.String()
}

// percentileCols adds NR and R7 P50/P85/P95 columns over the sorted array
// column xs with length column n; names are prefix_nr_50 etc.
func percentileCols(prefix, xs, n string, qs []float64) []col {
	var out []col
	for _, q := range qs {
		p := strconv.Itoa(int(q*100 + 0.5))
		out = append(out,
			col{prefix + "_nr_" + p, sqlNR(xs, n, q)},
			col{prefix + "_r7_" + p, sqlR7(xs, n, q)})
	}
	return out
}
