package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/standards"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Options select what Build reads.
type Options struct {
	KPI kpi.Config
	// AsOf is the snapshot to report; zero = the latest stored one. When no
	// values are stored for it, they are computed (not stored).
	AsOf time.Time
	// Scope limits the pages (programs and projects) to those matching;
	// the portfolio page is always built.
	Scope kpi.ScopeFilter
	// HistoryWeeks is how far back trends and run charts go (default 26).
	HistoryWeeks int
	Title        string
	// Explain, when set, lists the issues behind a KPI value of a scope and
	// window; nil uses the KPI engine's explanations (kpi.Explainer): the
	// very populations the values were computed from.
	Explain func(ctx context.Context, scopeKind, scope, kpiID, window string) ([]Item, error)
	Logger  *slog.Logger
	// Forecast and EVM are the KPI part 2 hooks; nil uses the built-in
	// ones: the burn-up with the snapshot's monte_carlo_forecast finish
	// date, and the evm_spi/evm_cpi history.
	Forecast func(ctx context.Context, s *Scope) (*Forecast, error)
	EVM      func(ctx context.Context, s *Scope) ([]EVMPoint, error)
	// RAID is kpi.raid, the RAID log's knobs (zero: the defaults).
	RAID raid.Config
	// Standards is kpi.standards, the scorecard's knobs (zero: the defaults).
	Standards standards.Config
}

// Build reads the report model from the warehouse.
func Build(ctx context.Context, w *warehouse.Warehouse, o Options) (*Model, error) {
	if o.HistoryWeeks <= 0 {
		o.HistoryWeeks = 26
	}
	if o.KPI.TZ == "" && len(o.KPI.FlowWindowsWeeks) == 0 {
		o.KPI = kpi.DefaultConfig()
	}
	loc, err := time.LoadLocation(cmpOr(o.KPI.TZ, "UTC"))
	if err != nil {
		return nil, fmt.Errorf("report: kpi.tz: unknown time zone %q", o.KPI.TZ)
	}
	snap, err := snapshot(ctx, w, o)
	if err != nil {
		return nil, err
	}
	m := &Model{Title: cmpOr(o.Title, "PMO performance report"), AsOf: snap.AsOf, GeneratedAt: time.Now().UTC(), TZ: loc, Checks: snap.Checks}

	from := snap.AsOf.AddDate(0, 0, -7*o.HistoryWeeks)
	hsnap, err := kpi.History(ctx, w, from, snap.AsOf)
	if err != nil {
		return nil, fmt.Errorf("report: reading KPI history: %w", err)
	}
	hist := map[string][]Point{}
	for _, v := range hsnap.Values {
		if v.Value == nil {
			continue
		}
		k := histKey(v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String())
		hist[k] = append(hist[k], Point{At: v.AsOf, Value: *v.Value})
	}

	projects, err := readProjects(ctx, w)
	if err != nil {
		return nil, err
	}
	issues, err := readIssues(ctx, w, snap.AsOf, o.KPI)
	if err != nil {
		return nil, err
	}
	if err := readIssueZones(ctx, w, o.KPI, snap.AsOf, issues); err != nil {
		return nil, err
	}
	if err := readIssueTeams(ctx, w, o.KPI, snap.AsOf, issues); err != nil {
		return nil, err
	}
	sprints, err := kpi.SprintReports(ctx, w, o.KPI, snap.AsOf, kpi.ScopeFilter{})
	if err != nil {
		return nil, fmt.Errorf("report: reading sprint reports: %w", err)
	}

	sort.SliceStable(sprints, func(i, j int) bool { return sprints[i].Start.Before(sprints[j].Start) })
	// Scopes: every portfolio/program/project scope of the snapshot.
	m.Portfolio = &Scope{Kind: kpi.ScopePortfolio, Name: "all", Label: "Portfolio", Slug: "index"}
	programs := map[string]*Scope{}
	seen := map[string]bool{}
	slugs := map[string]bool{"index": true}
	for _, v := range snap.Values {
		key := v.ScopeKind + ":" + v.Scope
		if seen[key] {
			continue
		}
		seen[key] = true
		switch v.ScopeKind {
		case kpi.ScopeProgram:
			s := &Scope{Kind: v.ScopeKind, Name: v.Scope, Label: v.Scope, Slug: uniqueSlug(slugs, "program-"+v.Scope)}
			programs[v.Scope] = s
			m.Programs = append(m.Programs, s)
		case kpi.ScopeProject:
			p := projects[v.Scope]
			label := v.Scope
			if p.key != "" {
				label = p.key
				if p.name != "" && p.name != p.key {
					label += " — " + p.name
				}
			}
			s := &Scope{Kind: v.ScopeKind, Name: v.Scope, Label: label, Program: p.program, Slug: uniqueSlug(slugs, "project-"+v.Scope)}
			m.Projects = append(m.Projects, s)
		case kpi.ScopeTeam:
			addTeam(m, o.KPI, v.Scope, slugs) // teams.go
		}
	}
	sort.Slice(m.Programs, func(i, j int) bool { return m.Programs[i].Name < m.Programs[j].Name })
	sort.Slice(m.Projects, func(i, j int) bool { return m.Projects[i].Label < m.Projects[j].Label })
	m.Portfolio.Children = m.Programs
	if len(m.Programs) == 0 {
		m.Portfolio.Children = m.Projects
	}
	for _, p := range m.Projects {
		if pg := programs[p.Program]; pg != nil {
			pg.Children = append(pg.Children, p)
		}
	}
	linkTeams(m, o.KPI, programs)
	unfiltered := append(append(append([]*Scope{}, m.Programs...), m.Projects...), m.Teams...)
	for _, s := range unfiltered {
		m.Scopes = append(m.Scopes, kpi.ScopeName(s.Kind, s.Name))
	}
	selectPages(m, o.Scope)
	readDeps(ctx, w, o, m) // the dependencies of the portfolio and program pages (deps.go)

	byKey := make(map[string]*issue, len(issues))
	for _, is := range issues {
		byKey[is.Key] = is
	}
	if o.Forecast == nil {
		o.Forecast = snapshotForecast(snap, o.KPI, loc)
	}
	if o.EVM == nil {
		o.EVM = evmTrend(hsnap.Values, snap.Values)
	}
	explain := o.Explain
	if explain == nil {
		x := kpi.NewExplainer(w, o.KPI, snap.AsOf).Batch()
		defer x.Close(ctx)
		explain = kpiExplainer(x, loc)
	}
	// Scopes without a page still show their status and cards in the
	// tables of the pages that list them.
	for _, s := range unfiltered {
		if !s.Page {
			s.KPIs = rows(headlines, s, snap, hist, o.KPI.Evaluator(s.Kind, s.Name, s.Program, ""))
			if s.Overall, s.Health = health(s, snap); !s.Health.FromEngine {
				s.Overall = overall(s.KPIs)
			}
		}
	}
	for _, s := range m.All() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ev := o.KPI.Evaluator(s.Kind, s.Name, s.Program, "")
		s.KPIs = rows(headlines, s, snap, hist, ev)
		if s.Overall, s.Health = health(s, snap); !s.Health.FromEngine {
			s.Overall = overall(s.KPIs)
		}
		s.Hygiene = rows(hygieneRows, s, snap, hist, ev)
		var sle float64
		if v, ok := snap.Find(s.Kind, s.Name, "work_item_age", "snapshot", "measure=sle_days"); ok && v.Value != nil {
			sle = *v.Value
		}
		mine := issuesOf(issues, s)
		s.Series = series(mine, snap.AsOf, loc, o.HistoryWeeks, sle)
		if err := engineSeries(ctx, explain, snap, s, byKey); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if o.Logger != nil {
				o.Logger.Warn("report: charts of the engine's cycle time and WIP unavailable", "scope", s.Kind+":"+s.Name, "error", err.Error())
			}
		}
		s.Risks = risks(s.Series.Aging, sle)
		s.Explain = map[string][]Item{}
		for _, r := range sprints {
			if s.Kind == kpi.ScopePortfolio || (s.Kind == kpi.ScopeProject && r.Source+"/"+r.Project == s.Name) ||
				(s.Kind == kpi.ScopeProgram && projects[r.Source+"/"+r.Project].program == s.Name) ||
				(s.Kind == kpi.ScopeTeam && sprintOfTeam(o.KPI, s.Name, r)) {
				s.Sprints = append(s.Sprints, r)
			}
		}
		// Every card's issue list is the engine's explanation of that
		// value: the same population, scope and window.
		for _, k := range s.KPIs {
			items, err := explain(ctx, s.Kind, s.Name, k.ID, k.Window)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if o.Logger != nil {
					o.Logger.Warn("report: no issue list for a KPI", "kpi", k.ID, "scope", s.Kind+":"+s.Name, "error", err.Error())
				}
				continue
			}
			if items != nil {
				s.Explain[k.ID] = enrich(items, byKey)
			}
		}
		if s.Forecast, err = o.Forecast(ctx, s); err != nil {
			return nil, fmt.Errorf("report: forecast of %s:%s: %w", s.Kind, s.Name, err)
		}
		if s.EVM, err = o.EVM(ctx, s); err != nil {
			return nil, fmt.Errorf("report: EVM of %s:%s: %w", s.Kind, s.Name, err)
		}
	}
	if err := readChanges(ctx, w, o, m); err != nil { // the change log (changes.go)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if o.Logger != nil {
			o.Logger.Warn("report: no change log", "error", err.Error())
		}
	}
	m.History = readHistory(ctx, w, o, snap)       // what changed; forecast calibration (digest.go)
	if err := readRAID(ctx, w, o, m); err != nil { // the RAID log (raid.go)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if o.Logger != nil {
			o.Logger.Warn("report: no RAID log", "error", err.Error())
		}
	}
	if err := readStandards(ctx, w, o, m); err != nil { // the standards scorecard (standards.go)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if o.Logger != nil {
			o.Logger.Warn("report: no standards scorecard", "error", err.Error())
		}
	}
	return m, nil
}

// snapshot returns the stored snapshot to report, or computes one.
func snapshot(ctx context.Context, w *warehouse.Warehouse, o Options) (kpi.Snapshot, error) {
	if o.AsOf.IsZero() {
		s, err := kpi.LatestComplete(ctx, w) // never a scoped or stray run
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, kpi.ErrNoValues) {
			return kpi.Snapshot{}, fmt.Errorf("report: %w", err)
		}
		// Nothing stored: today's as-of, the midnight in kpi.tz that ends
		// the last complete day (as pmo kpi computes it).
		loc, err := time.LoadLocation(cmpOr(o.KPI.TZ, "UTC"))
		if err != nil {
			return kpi.Snapshot{}, fmt.Errorf("report: kpi.tz: unknown time zone %q", o.KPI.TZ)
		}
		if o.AsOf, err = o.KPI.LocalMidnight(time.Now().In(loc)); err != nil {
			return kpi.Snapshot{}, fmt.Errorf("report: %w", err)
		}
	} else {
		s, err := kpi.History(ctx, w, o.AsOf, o.AsOf)
		if err != nil {
			return kpi.Snapshot{}, fmt.Errorf("report: reading KPI values as of %s: %w", o.AsOf.Format(time.RFC3339), err)
		}
		if len(s.Values) > 0 {
			return s, nil
		}
	}
	s, err := kpi.Compute(ctx, w, o.KPI, o.AsOf, kpi.ScopeFilter{})
	if err != nil {
		return kpi.Snapshot{}, fmt.Errorf("report: computing KPIs as of %s (none stored): %w", o.AsOf.Format(time.RFC3339), err)
	}
	return s, nil
}

// selectPages keeps the programs and projects of m the filter selects
// (filterScopes) and marks them, and the portfolio, as having a page.
func selectPages(m *Model, f kpi.ScopeFilter) {
	if f.Kind != "" || f.Name != "" {
		m.Programs, m.Projects = filterScopes(m.Programs, m.Projects, f)
		m.Teams = filterTeams(m.Teams, m.Programs, f)
	}
	for _, s := range m.All() {
		s.Page = true
	}
}

// filterScopes keeps the programs and projects a scope filter selects: a
// program brings its projects, a source its projects, a kind all of that
// kind. Every page of the set then exists for each link between them.
func filterScopes(programs, projects []*Scope, f kpi.ScopeFilter) (keptPrograms, keptProjects []*Scope) {
	picked := map[string]bool{}
	for _, p := range programs {
		if f.Kind == kpi.ScopeProgram && f.Match(p.Kind, p.Name) {
			keptPrograms = append(keptPrograms, p)
			picked[p.Name] = true
		}
	}
	for _, p := range projects {
		switch {
		case f.Kind == kpi.ScopeProject && f.Match(p.Kind, p.Name),
			f.Kind == kpi.ScopeProgram && picked[p.Program],
			f.Kind == kpi.ScopeSource && (f.Name == "" || strings.HasPrefix(p.Name, f.Name+"/")):
			keptProjects = append(keptProjects, p)
		}
	}
	return keptPrograms, keptProjects
}

var unsafeSlug = regexp.MustCompile(`[^a-z0-9]+`)

func uniqueSlug(used map[string]bool, s string) string {
	base := strings.Trim(unsafeSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if base == "" {
		base = "scope"
	}
	slug := base
	for i := 2; used[slug]; i++ {
		slug = fmt.Sprintf("%s-%d", base, i)
	}
	used[slug] = true
	return slug
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type projectInfo struct{ key, name, program string }

// readProjects maps "source/KEY" to the project's key, name and program.
func readProjects(ctx context.Context, w *warehouse.Warehouse) (map[string]projectInfo, error) {
	rows, err := w.Query(ctx, "SELECT source, key, name, category FROM v_projects ORDER BY source, key")
	if err != nil {
		return nil, fmt.Errorf("report: reading projects: %w", err)
	}
	defer rows.Close()
	out := map[string]projectInfo{}
	for rows.Next() {
		var src, key, name, cat string
		if err := rows.Scan(&src, &key, &name, &cat); err != nil {
			return nil, fmt.Errorf("report: reading projects: %w", err)
		}
		out[src+"/"+key] = projectInfo{key: key, name: name, program: cat}
	}
	return out, rows.Err()
}

// issue is one flow item's lifecycle at as_of, derived from its status
// history the same way the KPI engine does (kpis.md C4, simplified for
// charts: last exit from To Do starts, the final done entry finishes).
type issue struct {
	scope                           string // source/KEY
	program                         string
	Key, Summary, Type, Status, URL string
	Assignee                        string
	discarded                       bool
	created, start, done            time.Time
	at                              []int64
	fromCat, toCat                  []string
	initial                         string
	teams                           []string // kpi.teams
	source                          string
	// loc is the zone the issue's days count in (kpi.IssueZones: its
	// team's, else its project's); nil is kpi.tz.
	loc *time.Location
}

// zone is the issue's time zone, def (kpi.tz) unless it has its own.
func (is *issue) zone(def *time.Location) *time.Location {
	if is.loc != nil {
		return is.loc
	}
	return def
}

// issueSQL reads the flow items (no sub-tasks) created before as_of with
// their status transitions; it runs on ClickHouse 18.16 and chDB alike.
func issueSQL(asOf time.Time) string {
	return `SELECT source, key, project_key, program, summary, type, status, status_category, assignee, url, resolution,
    toInt64(created) AS created_s, arrayMap(x -> toInt64(x), h_at) AS at_s, h_from_cat, h_to_cat
FROM (
    SELECT * FROM (
        SELECT source, id AS issue_id, key, project_id, project_key, summary, type, status, status_category, assignee, url, resolution, created
        FROM v_issues WHERE created < toDateTime('` + asOf.UTC().Format(time.DateTime) + `', 'UTC') AND type_class != 'subtask'
    ) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)
) AS ip ANY LEFT JOIN v_kpi_status_history AS h USING (source, issue_id)
ORDER BY source, key`
}

func readIssues(ctx context.Context, w *warehouse.Warehouse, asOf time.Time, cfg kpi.Config) ([]*issue, error) {
	rows, err := w.Query(ctx, issueSQL(asOf))
	if err != nil {
		return nil, fmt.Errorf("report: reading issues for the charts: %w", err)
	}
	defer rows.Close()
	cut := asOf.Unix()
	// The charts count flow items only, like the KPIs they stand beside
	// (kpi.flow_item_types; the engine's default when unset).
	flow := cfg.FlowItemTypes
	if flow == nil {
		flow = kpi.DefaultConfig().FlowItemTypes
	}
	var out []*issue
	for rows.Next() {
		var src, pkey, cat, res string
		var created int64
		var at []int64
		var fc, tc []string
		is := &issue{}
		if err := rows.Scan(&src, &is.Key, &pkey, &is.program, &is.Summary, &is.Type, &is.Status, &cat, &is.Assignee, &is.URL, &res,
			&created, &at, &fc, &tc); err != nil {
			return nil, fmt.Errorf("report: reading issues for the charts: %w", err)
		}
		if !slices.Contains(flow, is.Type) {
			continue
		}
		is.scope, is.source = src+"/"+pkey, src
		is.created = time.Unix(created, 0).UTC()
		is.initial = normCat(cat)
		if len(fc) > 0 {
			is.initial = normCat(fc[0])
		}
		for i := range at {
			if at[i] >= cut || i >= len(fc) || i >= len(tc) {
				break
			}
			is.at = append(is.at, at[i])
			is.fromCat = append(is.fromCat, normCat(fc[i]))
			is.toCat = append(is.toCat, normCat(tc[i]))
		}
		now := is.catAt(cut)
		for i := range is.at {
			if is.fromCat[i] == "new" && is.toCat[i] != "new" {
				is.start = time.Unix(is.at[i], 0).UTC()
			}
		}
		if is.start.IsZero() && is.initial != "new" {
			is.start = is.created
		}
		if now == "done" {
			is.done = is.created
			for i := range is.at {
				if is.toCat[i] == "done" {
					is.done = time.Unix(is.at[i], 0).UTC()
				}
			}
			is.discarded = slices.Contains(cfg.DiscardResolutions, res)
		}
		out = append(out, is)
	}
	return out, rows.Err()
}

func normCat(c string) string {
	switch c {
	case "new", "indeterminate", "done":
		return c
	}
	return "indeterminate"
}

// catAt is the issue's status category at unix time t.
func (is *issue) catAt(t int64) string {
	c := is.initial
	for i, a := range is.at {
		if a >= t {
			break
		}
		c = is.toCat[i]
	}
	return c
}

func issuesOf(all []*issue, s *Scope) []*issue {
	if s.Kind == kpi.ScopePortfolio {
		return all
	}
	var out []*issue
	for _, is := range all {
		if (s.Kind == kpi.ScopeProject && is.scope == s.Name) || (s.Kind == kpi.ScopeProgram && is.program == s.Name) ||
			(s.Kind == kpi.ScopeTeam && slices.Contains(is.teams, s.Name)) {
			out = append(out, is)
		}
	}
	return out
}

// dayNum is the local calendar day of t as a day number.
func dayNum(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayCount is the Vacanti day count from a to b: local days, both included.
func dayCount(a, b time.Time, loc *time.Location) float64 {
	return float64(dayNum(b, loc) - dayNum(a, loc) + 1)
}

// weekStarts are the Mondays (local midnights in loc) of the trailing
// weeks, the last one containing the last complete day before as_of.
func weekStarts(asOf time.Time, loc *time.Location, weeks int) []time.Time {
	last := asOf.Add(-time.Millisecond).In(loc)
	y, m, d := last.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, loc)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	var out []time.Time
	for i := weeks - 1; i >= 0; i-- {
		out = append(out, monday.AddDate(0, 0, -7*i))
	}
	return out
}

// series computes the run-chart series of a scope's issues. Each issue
// counts on the weeks of its own zone (kpis.md C1: a roll-up sums its
// teams' weekly values, each on the team's local days); the weeks shown
// are kpi.tz's (loc).
func series(is []*issue, asOf time.Time, loc *time.Location, weeks int, sle float64) Series {
	s := Series{SLEDays: sle, Weeks: weekStarts(asOf, loc, weeks)}
	n := len(s.Weeks)
	s.Throughput, s.Created, s.Resolved = make([]int, n), make([]int, n), make([]int, n)
	s.CFDNew, s.CFDProgress, s.CFDDone = make([]int, n), make([]int, n), make([]int, n)
	zoneWeeks := map[*time.Location][]time.Time{nil: s.Weeks}
	weeksOf := func(it *issue) []time.Time {
		ws, ok := zoneWeeks[it.loc]
		if !ok {
			ws = weekStarts(asOf, it.loc, weeks)
			zoneWeeks[it.loc] = ws
		}
		return ws
	}
	weekOf := func(ws []time.Time, t time.Time) int {
		if t.IsZero() || !t.Before(asOf) {
			return -1
		}
		for i := n - 1; i >= 0; i-- {
			if !t.Before(ws[i]) {
				return i
			}
		}
		return -1
	}
	ctFrom := asOf.AddDate(0, 0, -84)
	var cts []float64
	for _, it := range is {
		ws := weeksOf(it)
		if w := weekOf(ws, it.created); w >= 0 {
			s.Created[w]++
		}
		if w := weekOf(ws, it.done); w >= 0 {
			s.Resolved[w]++
			if !it.discarded {
				s.Throughput[w]++
			}
		}
		for w := range n {
			end := ws[w].AddDate(0, 0, 7)
			if end.After(asOf) {
				end = asOf
			}
			if !it.created.Before(end) {
				continue
			}
			switch it.catAt(end.Unix()) {
			case "new":
				s.CFDNew[w]++
			case "done":
				s.CFDDone[w]++
			default:
				s.CFDProgress[w]++
			}
		}
		if !it.done.IsZero() && !it.discarded && !it.start.IsZero() && !it.done.Before(ctFrom) && it.done.Before(asOf) {
			d := dayCount(it.start, it.done, it.zone(loc))
			s.CycleTimes = append(s.CycleTimes, CyclePoint{Key: it.Key, Done: it.done, Days: d})
			cts = append(cts, d)
		}
		if it.done.IsZero() && it.catAt(asOf.Unix()) == "indeterminate" && !it.start.IsZero() {
			s.Aging = append(s.Aging, Item{Key: it.Key, Summary: it.Summary, Status: it.Status, Type: it.Type,
				Assignee: it.Assignee, Project: it.scope, URL: it.URL, AgeDays: dayCount(it.start, asOf.Add(-time.Millisecond), it.zone(loc))})
		}
	}
	s.Total = len(is)
	burnup(&s, is, asOf, weeksOf)
	slices.Sort(cts)
	s.P50, s.P85, s.P95 = nearestRank(cts, 0.5), nearestRank(cts, 0.85), nearestRank(cts, 0.95)
	sort.SliceStable(s.CycleTimes, func(i, j int) bool { return s.CycleTimes[i].Done.Before(s.CycleTimes[j].Done) })
	sort.SliceStable(s.Aging, func(i, j int) bool { return s.Aging[i].AgeDays > s.Aging[j].AgeDays })
	return s
}

// engineSeries replaces the cycle-time scatter and its percentile lines,
// and the aging WIP chart, by the engine's populations: the items
// cycle_time counts in its 12-week window with their day counts and the
// 12-week NR percentiles it computed, and the items wip counts at as_of
// with their ages. A chart then shows the numbers of the KPI table, the
// card and `pmo kpi explain`, never a re-derivation of its own.
func engineSeries(ctx context.Context, explain func(ctx context.Context, kind, scope, id, window string) ([]Item, error), snap kpi.Snapshot, s *Scope, byKey map[string]*issue) error {
	cts, err := explain(ctx, s.Kind, s.Name, "cycle_time", "12w")
	if err != nil {
		return fmt.Errorf("explaining cycle_time (12w): %w", err)
	}
	aging, err := explain(ctx, s.Kind, s.Name, "wip", "snapshot")
	if err != nil {
		return fmt.Errorf("explaining wip: %w", err)
	}
	se := &s.Series
	se.CycleTimes = se.CycleTimes[:0]
	for _, it := range cts {
		se.CycleTimes = append(se.CycleTimes, CyclePoint{Key: it.Key, Done: it.Done, Days: it.AgeDays})
	}
	sort.SliceStable(se.CycleTimes, func(i, j int) bool { return se.CycleTimes[i].Done.Before(se.CycleTimes[j].Done) })
	pct := func(q string) float64 {
		if v, ok := snap.Find(s.Kind, s.Name, "cycle_time", "12w", "method=nr,quantile="+q+",unit=dc"); ok && v.Value != nil {
			return *v.Value
		}
		return 0
	}
	se.P50, se.P85, se.P95 = pct("0.5"), pct("0.85"), pct("0.95")
	se.Aging = enrich(aging, byKey)
	sort.SliceStable(se.Aging, func(i, j int) bool { return se.Aging[i].AgeDays > se.Aging[j].AgeDays })
	return nil
}

// nearestRank is the nearest-rank percentile of sorted xs (0 when empty).
func nearestRank(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return xs[max(0, min(i, len(xs)-1))]
}

// risks are the in-flight items older than the SLE, oldest first.
func risks(aging []Item, sle float64) []Item {
	var out []Item
	for _, a := range aging {
		if sle > 0 && a.AgeDays > sle {
			a.Note = fmt.Sprintf("%.0f d in progress, %.0f d over the %.0f-day SLE", a.AgeDays, a.AgeDays-sle, sle)
			out = append(out, a)
		}
	}
	return out
}

// kpiExplainer lists the issues behind a KPI value with kpi.Explain.
func kpiExplainer(x *kpi.Explainer, loc *time.Location) func(ctx context.Context, kind, scope, id, window string) ([]Item, error) {
	return func(ctx context.Context, kind, scope, id, window string) ([]Item, error) {
		sc := kind + ":" + scope
		if kind == kpi.ScopePortfolio {
			sc = kind
		}
		e, err := x.Explain(ctx, id, sc, window)
		if err != nil {
			return nil, err
		}
		out := make([]Item, 0, len(e.Items))
		for _, it := range e.Items {
			item := Item{Key: it.Key, Note: it.Role}
			switch {
			case it.DayCount != nil:
				item.AgeDays = float64(*it.DayCount)
			case it.Days != nil:
				item.AgeDays = *it.Days
			}
			if it.Done != nil {
				item.Done = *it.Done
				item.Note += " · done " + it.Done.In(loc).Format("2 Jan")
			}
			if it.Sprint != "" {
				item.Note += " · " + it.Sprint
			}
			out = append(out, item)
		}
		return out, nil
	}
}

// enrich fills an explained item's summary, status, type, assignee and link
// from the issues the report read.
func enrich(items []Item, byKey map[string]*issue) []Item {
	for i := range items {
		if is := byKey[items[i].Key]; is != nil {
			it := &items[i]
			it.Summary = cmpOr(it.Summary, is.Summary)
			it.Status = cmpOr(it.Status, is.Status)
			it.Type = cmpOr(it.Type, is.Type)
			it.Assignee = cmpOr(it.Assignee, is.Assignee)
			it.URL = cmpOr(it.URL, is.URL)
			it.Project = cmpOr(it.Project, is.scope)
		}
	}
	return items
}
