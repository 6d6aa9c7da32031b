package kpi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// maxZones is how many distinct reporting time zones one configuration
// may use: ClickHouse converts an instant to a local date only with a
// constant zone, so the lifecycle model names one slot per zone
// ({tz_1} … {tz_8} in models/lifecycle.sql).
const maxZones = 8

// zonePlan is the time-zone plan of a configuration (kpis.md C1: one team
// = one tz; a roll-up sums per-team daily values, never re-buckets UTC
// instants in a different tz). Every issue has a home zone: its first
// team's (kpi.teams) when it has one, else its project's (the project's
// kpi.scopes tz, else its program's, else its source's, else kpi.tz).
// Every lifecycle row carries the 1-based index zi of that zone; its day
// numbers are local dates there, and every zone-dependent parameter of a
// model (the window start, E, the WIP day ends) is an array with one
// entry per zone, read as {param}[zi]. So a program, a source and the
// portfolio count each team's days in the team's zone and each project's
// in the project's, and their daily values are the sums of those.
type zonePlan struct {
	names []string // index 0 = kpi.tz
	locs  []*time.Location
}

// zones returns the configuration's zone plan (errors for unknown zones
// are the config's: see Validate).
func (c Config) zones() (zonePlan, error) {
	var p zonePlan
	add := func(name string) (int64, error) {
		if i := slices.Index(p.names, name); i >= 0 {
			return int64(i + 1), nil
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return 0, fmt.Errorf("kpi: unknown time zone %q", name)
		}
		p.names = append(p.names, name)
		p.locs = append(p.locs, loc)
		return int64(len(p.names)), nil
	}
	if _, err := add(firstNonEmpty(c.TZ, DefaultConfig().TZ)); err != nil {
		return p, err
	}
	for _, sc := range c.Scopes {
		if sc.TZ != "" {
			if _, err := add(sc.TZ); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

// index is the 1-based zi of zone name (1, kpi.tz, when it is not in the
// plan).
func (p zonePlan) index(name string) int64 {
	if i := slices.Index(p.names, name); i >= 0 {
		return int64(i + 1)
	}
	return 1
}

// loc is the location of zone index zi (1-based).
func (p zonePlan) loc(zi int64) *time.Location {
	if zi < 1 || int(zi) > len(p.locs) {
		return p.locs[0]
	}
	return p.locs[zi-1]
}

// zoneParams are the lifecycle model's zone parameters: the zone slots,
// each team's zone (parallel to team_names) and the kpi.scopes zone
// overrides of projects, programs and sources, each list led by an empty
// name (which names nothing) so that it is never an untyped empty array.
func (c Config) zoneParams(p zonePlan) (map[string]any, error) {
	if len(p.names) > maxZones {
		return nil, fmt.Errorf("kpi: %d time zones in kpi.tz and kpi.scopes[].tz (%v); pmo computes at most %d: give some scopes the same tz", len(p.names), p.names, maxZones)
	}
	out := map[string]any{}
	for i := 1; i <= maxZones; i++ {
		name := p.names[0]
		if i <= len(p.names) {
			name = p.names[i-1]
		}
		out[fmt.Sprintf("tz_%d", i)] = name
	}
	teamZI := []int64{}
	for _, t := range c.Teams {
		teamZI = append(teamZI, p.index(c.resolveZone(ScopeTeam, t.Name)))
	}
	out["zone_team_zi"] = teamZI
	for _, k := range []struct{ kind, names, zis string }{
		{ScopeProject, "zone_project_keys", "zone_project_zi"},
		{ScopeProgram, "zone_program_names", "zone_program_zi"},
		{ScopeSource, "zone_source_names", "zone_source_zi"},
	} {
		names, zis := []string{""}, []int64{1}
		for _, sc := range c.Scopes {
			if sc.Kind == k.kind && sc.TZ != "" && sc.Name != "" && !slices.Contains(names, sc.Name) {
				names = append(names, sc.Name)
				zis = append(zis, p.index(sc.TZ))
			}
		}
		out[k.names], out[k.zis] = names, zis
	}
	return out, nil
}

// resolveZone is the zone name a scope reports in.
func (c Config) resolveZone(kind, name string) string {
	d := DefaultConfig()
	tz := firstNonEmpty(c.TZ, d.TZ)
	apply := func(k, n string) {
		for _, sc := range c.Scopes {
			if sc.Kind == k && sc.Name == n && n != "" && sc.TZ != "" {
				tz = sc.TZ
			}
		}
	}
	if kind == ScopeTeam {
		if t, ok := c.team(name); ok {
			apply(ScopeProgram, t.Program)
		}
	}
	apply(kind, name)
	return tz
}

// perZone evaluates f in every zone of the plan: the values of a
// zone-dependent model parameter, indexed by zi − 1.
func (p zonePlan) perZone(f func(loc *time.Location) int64) []int64 {
	out := make([]int64, len(p.locs))
	for i, l := range p.locs {
		out[i] = f(l)
	}
	return out
}

// zonePlan is the settings' zone plan: the configuration's, or for
// settings made without one (tests) the scope's own zone alone.
func (s settings) zonePlan() zonePlan {
	if len(s.zones.locs) > 0 {
		return s.zones
	}
	loc := s.loc
	if loc == nil {
		loc = time.UTC
	}
	return zonePlan{names: []string{firstNonEmpty(s.TZ, "UTC")}, locs: []*time.Location{loc}}
}

// zoneFrom is the start of window w in every zone of the plan, Unix
// seconds ({w_from}[zi]): the trailing weeks, or the month of E.
func (s settings) zoneFrom(asOf time.Time, w window) []int64 {
	return s.zonePlan().perZone(func(loc *time.Location) int64 { return zoneWindow(asOf, w, loc).From.Unix() })
}

// zoneWindow is window w in time zone loc.
func zoneWindow(asOf time.Time, w window, loc *time.Location) window {
	if w.Name == "month" {
		mw, _, _ := monthWindow(asOf, loc)
		return mw
	}
	return trailingWeeks(asOf, w.Weeks, loc)
}

// zoneEDay is E, the last complete local day (days since 1970-01-01), in
// every zone of the plan ({e_day}[zi]).
func (s settings) zoneEDay(asOf time.Time) []int64 {
	return s.zonePlan().perZone(func(loc *time.Location) int64 { return lastCompleteDay(asOf, loc).Unix() / 86400 })
}

// zoneFromTime is zoneFrom as instants (models comparing a DateTime).
func (s settings) zoneFromTime(asOf time.Time, w window) []time.Time {
	var out []time.Time
	for _, t := range s.zoneFrom(asOf, w) {
		out = append(out, time.Unix(t, 0).UTC())
	}
	return out
}

// zoneValue is the entry of a per-zone parameter for zone index zi.
func zoneValue(vs []int64, zi int64) int64 {
	if zi < 1 || int(zi) > len(vs) {
		return vs[0]
	}
	return vs[zi-1]
}

// IssueZones returns the time zone each issue created before as_of counts
// its days in (its first team's, else its project's: models/lifecycle.sql
// issue_teams) by source and key; issues not listed count them in kpi.tz,
// the second result.
func IssueZones(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time) (map[[2]string]*time.Location, *time.Location, error) {
	const what = "kpi: reading the time zones of the issues (kpi.tz, kpi.scopes[].tz)"
	p, err := cfg.zones()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(p.names) == 1 {
		return nil, p.locs[0], nil
	}
	zp, err := cfg.zoneParams(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	params := teamParams(cfg.Teams, cfg.MultiTeam)
	maps.Copy(params, zp)
	params["as_of"] = asOf.UTC()
	q, err := modelSQL("issue_zone_refs", nil, params)
	if err != nil {
		return nil, nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[[2]string]*time.Location{}
	for rows.Next() {
		var src, key string
		var zi uint8
		if err := rows.Scan(&src, &key, &zi); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", what, err)
		}
		out[[2]string{src, key}] = p.loc(int64(zi))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, p.locs[0], nil
}

// TimeZones are the zones of the configuration's plan, in zone-index
// order: kpi.tz, then every other kpi.scopes[].tz in config order (the
// per-zone parameters of the models, {param}[zi], follow it).
func (c Config) TimeZones() []string {
	p, err := c.zones()
	if err != nil {
		return nil
	}
	return p.names
}
