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
// created before t that are in the version at t.
//
// Membership at t is replayed from the Fix Version changelog (Jira records
// an added version as to = id and a removed one as from = id): the last
// change of that version on the issue at or before t decides; with none
// before t but some after, the first one after tells the state before it
// (a removal means it was a member); an issue whose versions never changed
// is a member when the version is in its current fixVersions.
func (c *computation) scopeGrowth(ctx context.Context) error {
	const what = "kpi: computing scope_growth"
	type version struct{ name, start string }
	versions := map[string]version{} // source \x00 id
	rows, err := c.w.Query(ctx, "SELECT source, id, name, toString(assumeNotNull(start_date)) FROM v_versions WHERE start_date IS NOT NULL")
	if err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	for rows.Next() {
		var src, id string
		var v version
		if err := rows.Scan(&src, &id, &v.name, &v.start); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading versions: %w", what, err)
		}
		versions[src+"\x00"+id] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	if len(versions) == 0 {
		return nil
	}
	type change struct {
		at       int64
		from, to string
	}
	// readChanges reads the changes of the candidate issues to the given
	// fields, ordered, into key → changes.
	candidates := "type_class != 'subtask' AND NOT discarded"
	readChanges := func(fields []string, raw bool, name string) (map[string][]change, error) {
		out := map[string][]change{}
		from, to := "if(from_string != '', from_string, `from`)", "if(to_string != '', to_string, `to`)"
		if raw { // version ids, not names
			from, to = "`from`", "`to`"
		}
		q := `SELECT source, issue_id, toInt64(at), ` + from + `, ` + to + `
FROM v_changes WHERE has(` + sqlStrs(fields) + `, field)
    AND (source, issue_id) IN (SELECT source, issue_id FROM (` + c.lc + `) WHERE ` + candidates + `)
ORDER BY source, issue_id, at, item`
		rows, err := c.w.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s changes: %w", what, name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var src, id string
			var ch change
			if err := rows.Scan(&src, &id, &ch.at, &ch.from, &ch.to); err != nil {
				return nil, fmt.Errorf("%s: reading %s changes: %w", what, name, err)
			}
			out[src+"\x00"+id] = append(out[src+"\x00"+id], ch)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("%s: reading %s changes: %w", what, name, err)
		}
		return out, nil
	}
	points, err := readChanges(c.s.StoryPointsFields, false, "estimate")
	if err != nil {
		return err
	}
	fixes, err := readChanges([]string{"Fix Version"}, true, "fix version")
	if err != nil {
		return err
	}
	// est is the story points at t (kpis.md C9: unestimated = 0).
	est := func(key string, cur *float64, t int64) float64 {
		chs := points[key]
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
	// member says whether the issue was in version fv at t.
	member := func(key, fv string, current bool, t int64) bool {
		var last, next *change
		for i := range fixes[key] {
			ch := &fixes[key][i]
			switch {
			case ch.from != fv && ch.to != fv:
			case ch.at <= t:
				last = ch
			case next == nil:
				next = ch
			}
		}
		switch {
		case last != nil:
			return last.to == fv
		case next != nil:
			return next.from == fv
		}
		return current
	}
	keep := map[string]bool{}
	for _, k := range c.keep {
		keep[k] = true
	}
	type agg struct {
		kind, scope, version string
		basePts, nowPts      float64
		baseN, nowN          int
	}
	aggs := map[string]*agg{}
	var order []string
	asOf := c.asOf.Unix()
	q := "SELECT scope_kinds, scope_names, source, issue_id, toInt64(created), story_points, fix_version_ids FROM (" + c.lc + ") WHERE " + candidates +
		" AND (notEmpty(fix_version_ids) OR (source, issue_id) IN (SELECT source, issue_id FROM v_changes WHERE field = 'Fix Version'))"
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var kinds, scopes, fvs []string
		var src, id string
		var created int64
		var pts *float64
		if err := rows.Scan(&kinds, &scopes, &src, &id, &created, &pts, &fvs); err != nil {
			return fmt.Errorf("%s: reading row: %w", what, err)
		}
		key := src + "\x00" + id
		cands := slices.Clone(fvs)
		for _, ch := range fixes[key] {
			for _, v := range []string{ch.from, ch.to} {
				if v != "" && !slices.Contains(cands, v) {
					cands = append(cands, v)
				}
			}
		}
		for _, fv := range cands {
			v, ok := versions[src+"\x00"+fv]
			if !ok {
				continue
			}
			d, err := time.ParseInLocation(time.DateOnly, v.start, c.s.loc)
			if err != nil || d.After(c.asOf) {
				continue
			}
			tb := d.Unix()
			current := slices.Contains(fvs, fv)
			inNow, inBase := member(key, fv, current, asOf), created < tb && member(key, fv, current, tb)
			if !inNow && !inBase {
				continue
			}
			for i, kind := range kinds {
				if i >= len(scopes) || scopes[i] == "" || (c.keep != nil && !keep[kind+":"+scopes[i]]) {
					continue
				}
				k := kind + "\x00" + scopes[i] + "\x00" + src + "\x00" + fv
				a, ok := aggs[k]
				if !ok {
					a = &agg{kind: kind, scope: scopes[i], version: v.name}
					aggs[k] = a
					order = append(order, k)
				}
				if inNow {
					a.nowPts += est(key, pts, asOf)
					a.nowN++
				}
				if inBase {
					a.basePts += est(key, pts, tb)
					a.baseN++
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
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
