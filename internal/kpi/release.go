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
		ratios      []float64 // slip / planned duration, versions with a start date
	}
	aggs := map[string]*agg{}
	var order []string
	q = `SELECT source, id, project_key, program, toInt64(released),
    ifNull(toString(baseline_release_date), ''), ifNull(toString(released_on), ''), ifNull(toString(start_date), '')
FROM (SELECT source, id, project_id, start_date, baseline_release_date, released, released_on FROM v_versions) AS v
ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key, category AS program FROM v_projects) AS p USING (source, project_id)`
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, id, pkey, program, base, on, start string
		var released int64
		if err := rows.Scan(&src, &id, &pkey, &program, &released, &base, &on, &start); err != nil {
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
		// Planned duration: start date to baseline release date (P2's red
		// rule: a slip above 10 % of it).
		ratio := math.NaN()
		if start != "" {
			st, err := time.Parse(time.DateOnly, start)
			if err != nil {
				return fmt.Errorf("%s: version %s of %s: start date %q: %w", what, id, src, start, err)
			}
			if planned := math.Round(b.Sub(st).Hours() / 24); planned > 0 {
				ratio = max(slip, 0) / planned
			}
		}
		for _, a := range mine {
			if slip <= 0 {
				a.onTime++
			}
			a.slips = append(a.slips, slip)
			if !math.IsNaN(ratio) {
				a.ratios = append(a.ratios, ratio)
			}
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
		var worst *float64
		if len(a.ratios) > 0 {
			worst = fptr(slices.Max(a.ratios))
		}
		c.emit(r, "release_schedule_adherence", w.Name, Labels{"measure": "slip_ratio", "method": "max"}, worst, uint64(len(a.ratios)))
	}
	return nil
}

// releaseForecast is the unreleased half of release_schedule_adherence
// (kpis.md P2) and the per-release monte_carlo_forecast (F9 "for a
// release"). For each unreleased, unarchived version of a project in this
// computation with a release date or remaining items, the F9 "when"
// simulation over its project's daily throughput history (the same history
// as the project's backlog forecast — Jira's version report likewise
// predicts from the project's pace) forecasts the day its remaining (not
// done, non-discarded) flow items are done. Per release (label
// release=<version name>): remaining items, when_days at mc_confidence and
// at each confidence of mcFan, and for a version with a release date D:
// days_left (local days from E to D), how_many (items done by D), on_time_probability (share of trials done
// by D) and late_days (forecast date − D at mc_confidence; negative is
// early). The project gets the number of versions with a release date
// forecast after it (measure=forecast_late, n = versions forecast).
func (c *computation) releaseForecast(ctx context.Context) error {
	const what = "kpi: computing release forecasts"
	type version struct {
		id, name, project string
		planned           *time.Time
	}
	var versions []version
	// ANY LEFT JOIN: ANY INNER JOIN of newer ClickHouse matches a project
	// row once only.
	q := `SELECT source, id, name, concat(source, '/', project_key), ifNull(toString(release_date), '')
FROM (SELECT source, id, name, project_id, release_date FROM v_versions WHERE released = 0 AND archived = 0) AS v
ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key FROM v_projects) AS p USING (source, project_id)
WHERE project_key != ''
ORDER BY source, project_key, name, id`
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: reading versions: %w", what, err)
	}
	for rows.Next() {
		var src, id, name, project, planned string
		if err := rows.Scan(&src, &id, &name, &project, &planned); err != nil {
			rows.Close()
			return fmt.Errorf("%s: reading versions: %w", what, err)
		}
		if _, ok := c.mcHist[project]; !ok {
			continue // project not in this computation's scopes
		}
		v := version{id: src + "\x00" + id, name: name, project: project}
		if planned != "" {
			d, err := time.Parse(time.DateOnly, planned)
			if err != nil {
				rows.Close()
				return fmt.Errorf("%s: version %q (id %s) of %s: release date %q: %w", what, name, id, project, planned, err)
			}
			v.planned = &d
		}
		versions = append(versions, v)
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
	l := *c.s.MCHistoryDays
	win := fmt.Sprintf("%dd", l)
	conf := *c.s.MCConfidence
	e := lastCompleteDay(c.asOf, c.s.loc)
	late := map[string]int{}
	forecast := map[string]uint64{}
	var projects []string
	for _, v := range versions {
		left := remaining[v.id]
		if left == 0 && v.planned == nil {
			continue // nothing to forecast, no date to compare with
		}
		hist := c.mcHist[v.project]
		n := uint64(l)
		r := result{kind: ScopeProject, scope: v.project}
		emit := func(labels Labels, x *float64) {
			labels["release"] = v.name
			c.emit(r, "monte_carlo_forecast", win, labels, x, n)
		}
		rng := mcRand("version:"+v.id, c.asOf.Unix())
		ds := mcWhenTrials(rng, hist, left, *c.s.MCTrials)
		emit(Labels{"measure": "remaining"}, fptr(float64(left)))
		for i, cl := range append([]float64{conf}, mcFan...) {
			labels := Labels{"measure": "when_days"}
			if i > 0 {
				labels["confidence"] = qLabel(cl)
			}
			var x *float64
			if d, ok := whenAt(ds, cl); ok {
				x = fptr(float64(d))
			}
			emit(labels, x)
		}
		if v.planned == nil {
			continue
		}
		h := int(math.Round(v.planned.Sub(e).Hours() / 24)) // local days in (E, D]
		var howMany, onTime, lateDays *float64
		if h > 0 {
			if x, ok := howManyAt(mcHowManyTrials(rng, hist, h, *c.s.MCTrials), conf); ok {
				howMany = fptr(float64(min(x, left)))
			}
		}
		if p, ok := onTimeShare(ds, h); ok {
			onTime = fptr(p)
		}
		if d, ok := whenAt(ds, conf); ok {
			lateDays = fptr(float64(d - h))
			if forecast[v.project] == 0 {
				projects = append(projects, v.project)
			}
			forecast[v.project]++
			if d > h {
				late[v.project]++
			}
		}
		emit(Labels{"measure": "days_left"}, fptr(float64(h)))
		emit(Labels{"measure": "how_many"}, howMany)
		emit(Labels{"measure": "on_time_probability"}, onTime)
		emit(Labels{"measure": "late_days"}, lateDays)
	}
	slices.Sort(projects)
	for _, p := range projects {
		c.emit(result{kind: ScopeProject, scope: p}, "release_schedule_adherence", win, Labels{"measure": "forecast_late"}, fptr(float64(late[p])), forecast[p])
	}
	return nil
}
