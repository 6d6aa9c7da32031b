package kpi

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// scopeGrowth computes scope_growth (kpis.md P4) per fix version with a
// start date on or before as_of: (scope(as_of) − scope(t_b)) / scope(t_b),
// t_b = local midnight starting the version's start date, scope(t) = Σ
// story points at t (variant=points; the story_points changes) or the
// number of issues (variant=count) over non-discarded, non-sub-task issues
// created before t that are in the version at t.
//
// Membership at t is replayed from the fix_version changes (an added
// version is to = id, a removed one from = id; model.ChangeFixVersion): the last
// change of that version on the issue at or before t decides; with none
// before t but some after, the first one after tells the state before it
// (a removal means it was a member); an issue whose versions never changed
// is a member when the version is in its current fixVersions.
func (c *computation) scopeGrowth(ctx context.Context) error {
	const what = "kpi: computing scope_growth"
	type version struct {
		name string
		tb   int64 // t_b, Unix seconds
	}
	versions := map[string]version{} // source \x00 id, started on or before as_of
	// Explaining: every issue goes through the replay below, which gives
	// the same sums issue by issue.
	var rels map[string]string
	if c.sgTrace != nil {
		all, err := c.model("sg_all_issues", nil)
		if err != nil {
			return err
		}
		rels = map[string]string{"sg_with_history": "(" + all + ")"}
	}
	sql := func(model string, extra map[string]any) (string, error) { return c.modelWith(model, rels, extra) }
	q, err := sql("sg_versions", nil)
	if err != nil {
		return err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	for rows.Next() {
		var src, id, name, start string
		if err := rows.Scan(&src, &id, &name, &start); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading versions: %w", what, err)
		}
		d, err := time.ParseInLocation(time.DateOnly, start, c.s.loc)
		if err != nil {
			rows.Close()
			return fmt.Errorf("%s: version %q (id %s) of %s: start date %q: %w", what, name, id, src, start, err)
		}
		if !d.After(c.asOf) {
			versions[src+"\x00"+id] = version{name: name, tb: d.Unix()}
		}
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
	// The estimate and fix-version changes, in order, by issue.
	points, fixes := map[string][]change{}, map[string][]change{}
	q, err = sql("sg_changes", nil)
	if err != nil {
		return err
	}
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading estimate and fix version changes: %w", what, err)
	}
	for rows.Next() {
		var src, id, kind string
		var ch change
		if err := rows.Scan(&src, &id, &kind, &ch.at, &ch.from, &ch.to); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading estimate and fix version changes: %w", what, err)
		}
		m := points
		if model.ChangeKind(kind) == model.ChangeFixVersion {
			m = fixes
		}
		m[src+"\x00"+id] = append(m[src+"\x00"+id], ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading estimate and fix version changes: %w", what, err)
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
	type aggKey struct{ kind, scope, src, fv string }
	type agg struct {
		basePts, nowPts float64
		baseN, nowN     int
	}
	aggs := map[aggKey]*agg{}
	get := func(k aggKey) *agg {
		a, ok := aggs[k]
		if !ok {
			a = &agg{}
			aggs[k] = a
		}
		return a
	}
	kept := func(kind, scope string) bool { return scope != "" && (c.keep == nil || keep[kind+":"+scope]) }

	// Issues without estimate or fix-version changes (most of them): their
	// membership and points are the current ones at both instants, so
	// ClickHouse sums them per scope and version (t_b passed per version).
	var ids []string
	var tbs []int64
	for k, v := range versions {
		src, id, _ := strings.Cut(k, "\x00")
		ids = append(ids, strconv.Itoa(len(src))+":"+src+id) // unambiguous (source, id) key
		tbs = append(tbs, v.tb)
	}
	q, err = sql("sg_static", map[string]any{"version_keys": ids, "version_tbs": tbs})
	if err != nil {
		return err
	}
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: summing issues without history: %w", what, err)
	}
	for rows.Next() {
		var k aggKey
		var nowN, baseN int64
		var nowPts, basePts float64
		if err := rows.Scan(&k.kind, &k.scope, &k.src, &k.fv, &nowN, &nowPts, &baseN, &basePts); err != nil {
			rows.Close()
			return fmt.Errorf("%s: summing issues without history: %w", what, err)
		}
		if !kept(k.kind, k.scope) {
			continue
		}
		a := get(k)
		a.nowN += int(nowN)
		a.nowPts += nowPts
		a.baseN += int(baseN)
		a.basePts += basePts
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: summing issues without history: %w", what, err)
	}

	// Issues with history: replayed here.
	asOf := c.asOf.Unix()
	q, err = sql("sg_replayed", nil)
	if err != nil {
		return err
	}
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var kinds, scopes, fvs []string
		var src, id, issueKey string
		var created int64
		var pts *float64
		if err := rows.Scan(&kinds, &scopes, &src, &id, &issueKey, &created, &pts, &fvs); err != nil {
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
			current := slices.Contains(fvs, fv)
			inNow, inBase := member(key, fv, current, asOf), created < v.tb && member(key, fv, current, v.tb)
			if !inNow && !inBase {
				continue
			}
			for i, kind := range kinds {
				if i >= len(scopes) || !kept(kind, scopes[i]) {
					continue
				}
				a := get(aggKey{kind, scopes[i], src, fv})
				var nowPts, basePts float64
				if inNow {
					nowPts = est(key, pts, asOf)
					a.nowPts += nowPts
					a.nowN++
				}
				if inBase {
					basePts = est(key, pts, v.tb)
					a.basePts += basePts
					a.baseN++
				}
				if c.sgTrace != nil {
					c.sgTrace(sgItem{kind: kind, scope: scopes[i], version: v.name, key: issueKey, inBase: inBase, inNow: inNow, basePts: basePts, nowPts: nowPts})
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	order := make([]aggKey, 0, len(aggs))
	for k := range aggs {
		order = append(order, k)
	}
	slices.SortFunc(order, func(a, b aggKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.scope, b.scope), cmp.Compare(a.src, b.src), cmp.Compare(a.fv, b.fv))
	})
	for _, k := range order {
		a := aggs[k]
		r := result{kind: k.kind, scope: k.scope}
		name := versions[k.src+"\x00"+k.fv].name
		growth := func(now, base float64) *float64 {
			if base == 0 {
				return nil
			}
			return fptr((now - base) / base)
		}
		c.emit(r, "scope_growth", "since_baseline", Labels{"version": name, "variant": "points"}, growth(a.nowPts, a.basePts), uint64(a.nowN))
		c.emit(r, "scope_growth", "since_baseline", Labels{"version": name, "variant": "count"}, growth(float64(a.nowN), float64(a.baseN)), uint64(a.nowN))
	}
	return nil
}

// sgItem is one issue's part in a version's scope growth: whether it was in
// the version at t_b and at as_of, and its story points then.
type sgItem struct {
	kind, scope, version, key string
	inBase, inNow             bool
	basePts, nowPts           float64
}

// explainScopeGrowth lists, per version of the scope, the issues in it at
// its start (t_b) or at as_of with their story points then; the values are
// the ones scopeGrowth computes for the scope, and recompute from the items.
func (x *Explainer) explainScopeGrowth(ctx context.Context, e *Explanation, fg *flowGroup, ref scopeRef) error {
	snap := Snapshot{}
	c := &computation{w: x.w, s: fg.c.s, asOf: x.asOf, keep: []string{ref.key()}, snap: &snap, lc: fg.c.lc}
	c.sgTrace = func(it sgItem) {
		if it.kind != ref.Kind || it.scope != ref.Name {
			return
		}
		role := map[[2]bool]string{{true, true}: "in at its start and now", {false, true}: "added since its start", {true, false}: "removed since its start"}[[2]bool{it.inBase, it.inNow}]
		item := ExplainItem{Key: it.key, Role: it.version + ": " + role, Version: it.version, Values: map[string]float64{}}
		if it.inBase {
			item.Sets = append(item.Sets, "at_start")
			item.Values["points_at_start"] = it.basePts
		}
		if it.inNow {
			item.Sets = append(item.Sets, "now")
			item.Values["points_now"] = it.nowPts
		}
		e.Items = append(e.Items, item)
	}
	if err := c.scopeGrowth(ctx); err != nil {
		return err
	}
	slices.SortStableFunc(e.Items, func(a, b ExplainItem) int {
		return cmp.Or(cmp.Compare(a.Version, b.Version), cmp.Compare(a.Key, b.Key))
	})
	e.Window = "since_baseline"
	for _, v := range snap.Values {
		e.Values = append(e.Values, ExplainedValue{Labels: v.Labels, Value: v.Value, N: v.N})
	}
	e.growth = true
	return nil
}

// recomputeScopeGrowth derives a scope_growth value (labels version and
// variant) from its explanation: (now − at start) / at start, in story
// points or issues.
func (e Explanation) recomputeScopeGrowth(labels Labels) (*float64, uint64, bool) {
	var base, now float64
	n := uint64(0)
	for _, it := range e.Items {
		if it.Version != labels["version"] {
			continue
		}
		inBase, inNow := inSet(it, "at_start"), inSet(it, "now")
		if inNow {
			n++
		}
		switch labels["variant"] {
		case "points":
			base += it.Values["points_at_start"]
			now += it.Values["points_now"]
		case "count":
			if inBase {
				base++
			}
			if inNow {
				now++
			}
		default:
			return nil, 0, false
		}
	}
	if base == 0 {
		return nil, n, true
	}
	return fptr((now - base) / base), n, true
}
