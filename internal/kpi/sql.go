package kpi

import (
	"fmt"
	"strings"
	"time"
)

// The KPI queries are the models of models/*.sql, rendered by models.go.
// They follow the dialect rule of design.md: they run on ClickHouse 18.16
// and on chDB 26.x — no CTEs (nested subqueries instead), no window
// functions (sorted arrays and higher-order functions), one JOIN per SELECT
// level, ANY LEFT JOIN … USING, DateTime('UTC'); percentiles are formed in
// Go from sorted samples (18.16 lacks quantileExactInclusive). Values reach
// the SQL only as bound parameters (warehouse.BindNamed).

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

// scopeProjectsSQL lists the projects with issues created before as_of
// with their source and program (models/lifecycle.sql scope_projects).
func scopeProjectsSQL(asOf time.Time) (string, error) {
	return modelSQL("scope_projects", nil, map[string]any{"as_of": asOf.UTC()})
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
