package kpi

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// scopeGrowth computes scope_growth (kpis.md P4) per fix version with a
// start date on or before as_of: (scope(as_of) − scope(t_b)) / scope(t_b),
// t_b = local midnight starting the version's start date, scope(t) = Σ
// story points at t (variant=points; the Story Points changelog) or the
// number of issues (variant=count) over non-discarded, non-sub-task issues
// of the version created before t.
//
// Simplification: membership is the current fixVersions for both
// instants (the Fix Version changelog is not replayed), so an issue created
// before t_b and added to the version later counts as baseline scope, and
// one removed from the version no longer counts at t_b. Growth from new
// issues and from re-estimation is measured; growth from re-planning
// existing backlog items into the version is not.
func (c *computation) scopeGrowth(ctx context.Context, from string) error {
	as := sqlTime(c.asOf)
	type version struct{ name, start string }
	versions := map[string]version{} // source \x00 id
	rows, err := c.w.Query(ctx, "SELECT source, id, name, toString(assumeNotNull(start_date)) FROM v_versions WHERE start_date IS NOT NULL")
	if err != nil {
		return fmt.Errorf("kpi: computing scope_growth: reading versions: %w", err)
	}
	for rows.Next() {
		var src, id string
		var v version
		if err := rows.Scan(&src, &id, &v.name, &v.start); err != nil {
			rows.Close()
			return fmt.Errorf("kpi: computing scope_growth: reading versions: %w", err)
		}
		versions[src+"\x00"+id] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing scope_growth: reading versions: %w", err)
	}
	if len(versions) == 0 {
		return nil
	}
	members := "type_class != 'subtask' AND NOT discarded AND notEmpty(fix_version_ids)"
	// Story-point changes of the version members, ordered.
	type change struct {
		at       int64
		from, to string
	}
	changes := map[string][]change{}
	q := `SELECT source, issue_id, toInt64(at), if(from_string != '', from_string, ` + "`from`" + `), if(to_string != '', to_string, ` + "`to`" + `)
FROM v_changes WHERE at < ` + as + ` AND has(` + sqlStrs(c.s.StoryPointsFields) + `, field)
    AND (source, issue_id) IN (SELECT source, issue_id FROM (` + c.lc + `) WHERE ` + members + `)
ORDER BY source, issue_id, at, item`
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: computing scope_growth: reading estimate changes: %w", err)
	}
	for rows.Next() {
		var src, id string
		var ch change
		if err := rows.Scan(&src, &id, &ch.at, &ch.from, &ch.to); err != nil {
			rows.Close()
			return fmt.Errorf("kpi: computing scope_growth: reading estimate changes: %w", err)
		}
		changes[src+"\x00"+id] = append(changes[src+"\x00"+id], ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing scope_growth: reading estimate changes: %w", err)
	}
	// est is the story points at t (kpis.md C9: unestimated = 0).
	est := func(key string, cur *float64, t int64) float64 {
		chs := changes[key]
		p := cur
		for i := len(chs) - 1; i >= 0; i-- {
			if chs[i].at <= t {
				p = parsePoints(chs[i].to)
				break
			}
			p = parsePoints(chs[i].from)
		}
		if p == nil {
			return 0
		}
		return *p
	}
	type agg struct {
		kind, scope, version string
		basePts, nowPts      float64
		baseN, nowN          int
	}
	aggs := map[string]*agg{}
	var order []string
	asOf := c.asOf.Unix()
	q = "SELECT scope_kind, scope, source, issue_id, toInt64(created), story_points, fix_version_ids FROM (" + from + ") WHERE " + members
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: computing scope_growth: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, scope, src, id string
		var created int64
		var pts *float64
		var fvs []string
		if err := rows.Scan(&kind, &scope, &src, &id, &created, &pts, &fvs); err != nil {
			return fmt.Errorf("kpi: computing scope_growth: reading row: %w", err)
		}
		key := src + "\x00" + id
		for _, fv := range fvs {
			v, ok := versions[src+"\x00"+fv]
			if !ok {
				continue
			}
			d, err := time.ParseInLocation(time.DateOnly, v.start, c.s.loc)
			if err != nil || d.After(c.asOf) {
				continue
			}
			tb := d.Unix()
			k := kind + "\x00" + scope + "\x00" + src + "\x00" + fv
			a, ok := aggs[k]
			if !ok {
				a = &agg{kind: kind, scope: scope, version: v.name}
				aggs[k] = a
				order = append(order, k)
			}
			a.nowPts += est(key, pts, asOf)
			a.nowN++
			if created < tb {
				a.basePts += est(key, pts, tb)
				a.baseN++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing scope_growth: %w", err)
	}
	slices.Sort(order)
	for _, k := range order {
		a := aggs[k]
		r := result{kind: a.kind, scope: a.scope}
		growth := func(now, base float64) *float64 {
			if base == 0 {
				return nil
			}
			return fptr((now - base) / base)
		}
		c.emit(r, "scope_growth", "since_baseline", Labels{"version": a.version, "variant": "points"}, growth(a.nowPts, a.basePts), uint64(a.nowN))
		c.emit(r, "scope_growth", "since_baseline", Labels{"version": a.version, "variant": "count"}, growth(float64(a.nowN), float64(a.baseN)), uint64(a.nowN))
	}
	return nil
}
