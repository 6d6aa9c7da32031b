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

// lifecycleSQL is the lifecycle model (models/lifecycle.sql, kpis.md C4)
// of the scope settings s at as_of: one row per issue with its started and
// done instants, flags, day numbers in the scope's time zone and the scope
// keys it rolls up to.
func lifecycleSQL(s settings, asOf time.Time) (string, error) {
	return modelSQL("lifecycle", nil, s.modelParams(asOf))
}

// issueScopeSQL is v_issues created before as_of with the issue's program.
func issueScopeSQL(asOf time.Time) (string, error) {
	return modelSQL("issue_scope", nil, map[string]any{"as_of": asOf.UTC()})
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// scopedSQL is the scoped model (models/lifecycle.sql): the lifecycle
// rows of from, one per (scope kind, scope) the issue rolls up to, keeping
// only the scopes in keep (all when keep is nil).
func scopedSQL(from string, keep []string) (string, error) {
	all := 0
	if keep == nil {
		all = 1
	}
	return modelSQL("scoped", map[string]string{"rows": "(" + from + ")"}, map[string]any{"keep_all": all, "keep": keep})
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
