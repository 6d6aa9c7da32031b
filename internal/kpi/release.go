package kpi

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// releaseAdherence computes release_schedule_adherence (kpis.md P2, C12)
// for the versions released in the trailing 26 weeks: on_time = released
// date ≤ baseline release date, slip_days = released date − baseline date.
// The baseline is v_versions.baseline_release_date (the first non-null
// release date observed); the released date is v_versions.released_on (the
// first observation day with released = 1), else, for a version released
// before pmo first observed it, the last local done day of its
// non-discarded issues. Versions without a baseline date or a released date
// are excluded. Each version counts in its project's scopes (project,
// program, source, portfolio).
func (c *computation) releaseAdherence(ctx context.Context) error {
	const what = "kpi: computing release_schedule_adherence"
	// Fallback delivery day per version: max ld(done_at) of its
	// non-discarded done issues (day number in the scope's tz).
	fallback := map[string]int64{}
	q := `SELECT source, fv, toInt64(max(done_day)) FROM (
    SELECT source, done_day, arrayJoin(fix_version_ids) AS fv FROM (` + c.lc + `) WHERE is_done AND NOT discarded
) GROUP BY source, fv`
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading delivery days: %w", what, err)
	}
	for rows.Next() {
		var src, fv string
		var day int64
		if err := rows.Scan(&src, &fv, &day); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading delivery days: %w", what, err)
		}
		fallback[src+"\x00"+fv] = day
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading delivery days: %w", what, err)
	}

	w := trailingWeeks(c.asOf, 26, c.s.loc)
	fy, fm, fd := w.From.In(c.s.loc).Date()
	first := time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)
	last := lastCompleteDay(c.asOf, c.s.loc)
	keep := map[string]bool{}
	for _, k := range c.keep {
		keep[k] = true
	}
	type agg struct {
		kind, scope string
		onTime      int
		slips       []float64
	}
	aggs := map[string]*agg{}
	var order []string
	q = `SELECT source, id, project_key, program, toInt64(released),
    ifNull(toString(baseline_release_date), ''), ifNull(toString(released_on), '')
FROM (SELECT source, id, project_id, baseline_release_date, released, released_on FROM v_versions) AS v
ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key, category AS program FROM v_projects) AS p USING (source, project_id)`
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, id, pkey, program, base, on string
		var released int64
		if err := rows.Scan(&src, &id, &pkey, &program, &released, &base, &on); err != nil {
			return fmt.Errorf("%s: reading versions: %w", what, err)
		}
		// Every scope with a version gets a value (NULL without releases).
		var mine []*agg
		scopes := [][2]string{{ScopePortfolio, "all"}, {ScopeSource, src}, {ScopeProgram, program}}
		if pkey != "" {
			scopes = append(scopes, [2]string{ScopeProject, src + "/" + pkey})
		}
		for _, s := range scopes {
			k := s[0] + ":" + s[1]
			if s[1] == "" || (c.keep != nil && !keep[k]) {
				continue
			}
			a, ok := aggs[k]
			if !ok {
				a = &agg{kind: s[0], scope: s[1]}
				aggs[k] = a
				order = append(order, k)
			}
			mine = append(mine, a)
		}
		if base == "" {
			continue
		}
		b, err := time.Parse(time.DateOnly, base)
		if err != nil {
			return fmt.Errorf("%s: version %s of %s: baseline date %q: %w", what, id, src, base, err)
		}
		var r time.Time
		switch {
		case on != "":
			if r, err = time.Parse(time.DateOnly, on); err != nil {
				return fmt.Errorf("%s: version %s of %s: released on %q: %w", what, id, src, on, err)
			}
		case released == 1:
			day, ok := fallback[src+"\x00"+id]
			if !ok {
				continue
			}
			r = time.Unix(day*86400, 0).UTC()
		default:
			continue
		}
		if r.Before(first) || r.After(last) {
			continue
		}
		slip := math.Round(r.Sub(b).Hours() / 24)
		for _, a := range mine {
			if slip <= 0 {
				a.onTime++
			}
			a.slips = append(a.slips, slip)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	slices.Sort(order)
	for _, k := range order {
		a := aggs[k]
		r := result{kind: a.kind, scope: a.scope}
		n := uint64(len(a.slips))
		var share *float64
		if n > 0 {
			share = fptr(float64(a.onTime) / float64(n))
		}
		c.emit(r, "release_schedule_adherence", w.Name, Labels{"measure": "on_time_ratio"}, share, n)
		slices.Sort(a.slips)
		for _, q := range []float64{0.5, 0.85} {
			var v *float64
			if n > 0 {
				v = fptr(a.slips[max(1, int(math.Ceil(q*float64(n)-1e-9)))-1])
			}
			c.emit(r, "release_schedule_adherence", w.Name, Labels{"measure": "slip_days", "method": "nr", "quantile": qLabel(q)}, c.gate(v, n), n)
		}
	}
	return nil
}
