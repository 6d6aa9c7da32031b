package kpi

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// How the released date of a version was found (kpis.md C12).
const (
	// releasedObserved: the first daily observation with released = true,
	// after pmo had seen the version unreleased.
	releasedObserved = "observed"
	// releasedFallback: pmo first saw the version already released, so the
	// observations cannot date the release; the catalog's fallback is the
	// last local done day of the version's non-discarded issues (capped at
	// the first observation day).
	releasedFallback = "fallback"
)

// releaseVersion is one version of release_schedule_adherence's population
// at as_of: its dates, how the released date was found, and whether (and
// why not) it counts. Compute aggregates the counted ones; Explain lists
// them all, so both read the same rule.
type releaseVersion struct {
	source, id, name string
	scopes           []string // scope keys ("project:jira/R", ...) it counts in
	baseline         time.Time
	released         time.Time // zero: not released (by as_of)
	basis            string    // releasedObserved or releasedFallback
	firstSeen        time.Time // first observation day (UTC)
	counted          bool
	slip             float64 // days, counted versions
	ratio            float64 // slip / planned duration; NaN without a start date
	role             string  // explanation: on time / late / excluded: why
}

// releaseVersions reads every version with its baseline and released date
// at as_of (kpis.md P2, C12). The baseline is v_versions.baseline_release_date
// (the first non-null release date observed). The released date is the first
// observation day with released = true when an earlier observation saw the
// version unreleased; otherwise — the version was already released when pmo
// first saw it, so the observation day would date the first collection, not
// the release — it is the last local done day of the version's non-discarded
// issues, taken only when none of them is open at as_of (a version with open
// work at as_of was not delivered then) and capped at the first observation
// day (it was released by then). Versions released on a local day in
// [first day of the 26-week window, E] with a baseline count; the others are
// listed with the reason they do not.
func (c *computation) releaseVersions(ctx context.Context) ([]releaseVersion, window, error) {
	const what = "kpi: computing release_schedule_adherence"
	w := trailingWeeks(c.asOf, 26, c.s.loc)
	type delivery struct{ lastDone, done, open int64 }
	fallback := map[string]delivery{}
	q, err := c.model("release_delivery", nil)
	if err != nil {
		return nil, w, err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return nil, w, fmt.Errorf("%s: reading delivery days of the versions' issues: %w", what, err)
	}
	for rows.Next() {
		var src, fv string
		var d delivery
		if err := rows.Scan(&src, &fv, &d.lastDone, &d.done, &d.open); err != nil {
			rows.Close()
			return nil, w, fmt.Errorf("%s: reading delivery days of the versions' issues: %w", what, err)
		}
		fallback[src+"\x00"+fv] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, w, fmt.Errorf("%s: reading delivery days of the versions' issues: %w", what, err)
	}

	fy, fm, fd := w.From.In(c.s.loc).Date()
	first := time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)
	last := lastCompleteDay(c.asOf, c.s.loc)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	// seen_unreleased: the first observation precedes the first one with
	// released = true, so pmo saw the release happen.
	q, err = c.model("release_versions", nil)
	if err != nil {
		return nil, w, err
	}
	rows, err = c.w.Query(ctx, q)
	if err != nil {
		return nil, w, fmt.Errorf("%s: reading versions: %w", what, err)
	}
	defer rows.Close()
	var out []releaseVersion
	for rows.Next() {
		var src, id, name, pkey, program, base, on, start, seen string
		var released, seenUnreleased int64
		if err := rows.Scan(&src, &id, &name, &pkey, &program, &released, &base, &on, &start, &seen, &seenUnreleased); err != nil {
			return nil, w, fmt.Errorf("%s: reading versions: %w", what, err)
		}
		v := releaseVersion{source: src, id: id, name: name, ratio: math.NaN()}
		v.scopes = []string{ScopePortfolio + ":all", ScopeSource + ":" + src}
		if program != "" {
			v.scopes = append(v.scopes, ScopeProgram+":"+program)
		}
		if pkey != "" {
			v.scopes = append(v.scopes, ScopeProject+":"+src+"/"+pkey)
		}
		parse := func(field, s string) (time.Time, error) {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return t, fmt.Errorf("%s: version %q (id %s) of %s: %s %q: %w", what, name, id, src, field, s, err)
			}
			return t, nil
		}
		if v.firstSeen, err = parse("first observation day", seen); err != nil {
			return nil, w, err
		}
		if base != "" {
			if v.baseline, err = parse("baseline release date", base); err != nil {
				return nil, w, err
			}
		}
		d, hasIssues := fallback[src+"\x00"+id]
		switch {
		case on != "" && seenUnreleased == 1:
			if v.released, err = parse("released on", on); err != nil {
				return nil, w, err
			}
			v.basis = releasedObserved
		case on == "" && released == 0:
			v.role = "excluded: not released"
		case hasIssues && d.open > 0:
			v.role = fmt.Sprintf("excluded: already released when first seen on %s, but %d of its issues are open at as_of (not delivered by then)", day(v.firstSeen), d.open)
		case !hasIssues || d.done == 0:
			v.role = fmt.Sprintf("excluded: already released when first seen on %s and none of its issues is done at as_of, so no release day", day(v.firstSeen))
		default:
			v.released = time.Unix(d.lastDone*86400, 0).UTC()
			v.basis = releasedFallback
			if v.released.After(v.firstSeen) {
				v.released = v.firstSeen
			}
		}
		switch {
		case v.role != "":
		case v.baseline.IsZero():
			v.role = "excluded: no release date ever observed (no baseline)"
		case v.released.After(last):
			v.role = fmt.Sprintf("excluded: not released by as_of (released %s)", day(v.released))
		case v.released.Before(first):
			v.role = fmt.Sprintf("excluded: released %s, before the window %s … %s", day(v.released), day(first), day(last))
		default:
			v.counted = true
			v.slip = math.Round(v.released.Sub(v.baseline).Hours() / 24)
			// Planned duration: start date to baseline release date (P2's
			// red rule: a slip above 10 % of it).
			if start != "" {
				st, err := parse("start date", start)
				if err != nil {
					return nil, w, err
				}
				if planned := math.Round(v.baseline.Sub(st).Hours() / 24); planned > 0 {
					v.ratio = max(v.slip, 0) / planned
				}
			}
			verdict := "on time"
			if v.slip > 0 {
				verdict = "late"
			}
			how := fmt.Sprintf("observed: first snapshot with released = true; seen unreleased from %s", day(v.firstSeen))
			if v.basis == releasedFallback {
				how = fmt.Sprintf("fallback: last done day of its non-discarded issues, as it was already released when first seen on %s", day(v.firstSeen))
				if v.released.Equal(v.firstSeen) && d.lastDone*86400 > v.firstSeen.Unix() {
					how = fmt.Sprintf("fallback capped: its issues were last done after %s, the first observation, which already showed it released", day(v.firstSeen))
				}
			}
			v.role = fmt.Sprintf("%s: released %s (%s), baseline %s, slip %+.0f d", verdict, day(v.released), how, day(v.baseline), v.slip)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, w, fmt.Errorf("%s: reading versions: %w", what, err)
	}
	return out, w, nil
}

// releaseAdherence computes release_schedule_adherence (kpis.md P2, C12)
// for the versions released in the trailing 26 weeks (releaseVersions):
// on_time = released date ≤ baseline release date, slip_days = released
// date − baseline date. Each version counts in its project's scopes
// (project, program, source, portfolio); every scope with a version gets a
// value (NULL without releases in the window).
func (c *computation) releaseAdherence(ctx context.Context) error {
	versions, w, err := c.releaseVersions(ctx)
	if err != nil {
		return err
	}
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
	for _, v := range versions {
		for _, k := range v.scopes {
			if c.keep != nil && !keep[k] {
				continue
			}
			a, ok := aggs[k]
			if !ok {
				kind, scope, _ := strings.Cut(k, ":")
				a = &agg{kind: kind, scope: scope}
				aggs[k] = a
				order = append(order, k)
			}
			if !v.counted {
				continue
			}
			if v.slip <= 0 {
				a.onTime++
			}
			a.slips = append(a.slips, v.slip)
			if !math.IsNaN(v.ratio) {
				a.ratios = append(a.ratios, v.ratio)
			}
		}
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
	q, err := c.model("open_versions", nil)
	if err != nil {
		return err
	}
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
	q, err = c.model("version_remaining", nil)
	if err != nil {
		return err
	}
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
