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

// releaseForecast is the unreleased half of release_schedule_adherence
// (kpis.md P2): for each unreleased, unarchived version with a release
// date, the F9 "when" simulation over its project's daily throughput
// history forecasts the day its remaining (not done, non-discarded) flow
// items are done; the project gets the number of versions forecast after
// their planned date (measure=forecast_late, n = versions forecast). The
// version itself is not a label (unbounded).
func (c *computation) releaseForecast(ctx context.Context, from string) error {
	const what = "kpi: computing release_schedule_adherence forecast"
	type version struct {
		project string
		planned time.Time
	}
	versions := map[string]version{}
	// ANY LEFT JOIN: ANY INNER JOIN of newer ClickHouse matches a project
	// row once only.
	q := `SELECT source, id, concat(source, '/', project_key), toString(assumeNotNull(release_date))
FROM (SELECT source, id, project_id, release_date FROM v_versions WHERE released = 0 AND archived = 0 AND release_date IS NOT NULL) AS v
ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key FROM v_projects) AS p USING (source, project_id)
WHERE project_key != ''`
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	for rows.Next() {
		var src, id, project, planned string
		if err := rows.Scan(&src, &id, &project, &planned); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading versions: %w", what, err)
		}
		d, err := time.Parse(time.DateOnly, planned)
		if err != nil {
			rows.Close()
			return fmt.Errorf("%s: version %s of %s: release date %q: %w", what, id, src, planned, err)
		}
		versions[src+"\x00"+id] = version{project: project, planned: d}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	if len(versions) == 0 {
		return nil
	}
	remaining := map[string]int{}
	q = `SELECT source, fv, toInt64(count()) FROM (
    SELECT source, arrayJoin(fix_version_ids) AS fv FROM (` + c.lc + `) WHERE ` + pFlow + ` AND NOT is_done
) GROUP BY source, fv`
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: counting remaining items: %w", what, err)
	}
	for rows.Next() {
		var src, fv string
		var n int64
		if err := rows.Scan(&src, &fv, &n); err != nil {
			rows.Close()
			return fmt.Errorf("%s: counting remaining items: %w", what, err)
		}
		remaining[src+"\x00"+fv] = int(n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: counting remaining items: %w", what, err)
	}
	// Daily throughput history per project, as F9 counts it.
	l := *c.s.MCHistoryDays
	e := lastCompleteDay(c.asOf, c.s.loc)
	eDay := e.Unix() / 86400
	lo := eDay - int64(l)
	cond := fmt.Sprintf("%s AND is_done AND done_day > %d AND done_day <= %d", pFlow, lo, eDay)
	q = "SELECT scope, groupArrayIf(toInt64(done_day), " + cond + ") FROM (" + from + ") WHERE scope_kind = " + sqlStr(ScopeProject) + " GROUP BY scope"
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading throughput history: %w", what, err)
	}
	hists := map[string][]int{}
	for rows.Next() {
		var scope string
		var days []int64
		if err := rows.Scan(&scope, &days); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading throughput history: %w", what, err)
		}
		hist := make([]int, l)
		for _, d := range days {
			hist[d-lo-1]++
		}
		hists[scope] = hist
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: reading throughput history: %w", what, err)
	}
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	late := map[string]int{}
	forecast := map[string]uint64{}
	for _, k := range keys {
		v := versions[k]
		hist, ok := hists[v.project]
		if !ok {
			continue // project not in this computation's scopes
		}
		days, ok := mcWhen(mcRand("version:"+k, c.asOf.Unix()), hist, remaining[k], *c.s.MCTrials, *c.s.MCConfidence)
		if !ok {
			continue
		}
		forecast[v.project]++
		if e.AddDate(0, 0, days).After(v.planned) {
			late[v.project]++
		}
	}
	projects := make([]string, 0, len(forecast))
	for p := range forecast {
		projects = append(projects, p)
	}
	slices.Sort(projects)
	win := fmt.Sprintf("%dd", l)
	for _, p := range projects {
		c.emit(result{kind: ScopeProject, scope: p}, "release_schedule_adherence", win, Labels{"measure": "forecast_late"}, fptr(float64(late[p])), forecast[p])
	}
	return nil
}
