// Package raid builds a PMO's RAID log — Risks, Assumptions (and decisions),
// Issues, Dependencies — at an as-of instant for a scope (the portfolio, a
// source, a program or a project, as the KPI engine's scopes).
//
// The registers are SQL models over the warehouse views the KPI engine
// reads (models/raid.sql), in the tracker-neutral vocabulary of
// internal/model: they never name a tracker's fields. The KPI knobs they
// share with the engine (kpi.risk_types, kpi.risk_severity_weights,
// kpi.blocking_link_types, kpi.flow_item_types, kpi.tz) come from
// kpi.Config; the RAID log's own knobs from kpi.raid (Config).
package raid

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/sqlmodel"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Sections are the registers, in the order they are shown.
var Sections = []string{"risks", "assumptions", "issues", "dependencies"}

// Risk is an open risk at as_of, or one closed since the previous report.
type Risk struct {
	Key     string `json:"key"`
	Summary string `json:"summary"`
	URL     string `json:"url,omitempty"`
	Project string `json:"project"` // source/KEY
	Program string `json:"program,omitempty"`
	// Teams are the issue's teams (kpi.teams; none without it).
	Teams []string `json:"teams,omitempty"`
	// Priority is the priority in force at as_of; Severity its weight
	// (kpi.risk_severity_weights), PrevSeverity the weight at the previous
	// report.
	Priority        string    `json:"priority"`
	Severity        float64   `json:"severity"`
	PrevSeverity    float64   `json:"previous_severity"`
	Owner           string    `json:"owner"`
	Status          string    `json:"status"` // open, in progress, closed
	AgeDays         int64     `json:"age_days"`
	LastUpdate      time.Time `json:"last_update"`
	DaysSinceUpdate int64     `json:"days_since_update"`
	Stale           bool      `json:"stale"`
	// Trend since the previous report: new, closed, up, down, unchanged.
	Trend string `json:"trend"`
}

// Entry is an assumption or a decision.
type Entry struct {
	Kind            string    `json:"kind"` // assumption, decision
	Key             string    `json:"key"`
	Summary         string    `json:"summary"`
	URL             string    `json:"url,omitempty"`
	Project         string    `json:"project"`
	Program         string    `json:"program,omitempty"`
	Teams           []string  `json:"teams,omitempty"` // kpi.teams
	Status          string    `json:"status"`
	Owner           string    `json:"owner"`
	AgeDays         int64     `json:"age_days"`
	LastUpdate      time.Time `json:"last_update"`
	DaysSinceUpdate int64     `json:"days_since_update"`
	Stale           bool      `json:"stale"`
}

// Item is an open flow item that is blocked, overdue or both.
type Item struct {
	Key      string   `json:"key"`
	Summary  string   `json:"summary"`
	URL      string   `json:"url,omitempty"`
	Project  string   `json:"project"`
	Program  string   `json:"program,omitempty"`
	Teams    []string `json:"teams,omitempty"` // kpi.teams
	Priority string   `json:"priority"`
	Owner    string   `json:"owner"`
	Status   string   `json:"status"`
	// BlockedBy are the keys of its open blockers; DaysBlocked counts from
	// the earliest blocking link (nil: a link's addition is not recorded).
	BlockedBy   []string `json:"blocked_by,omitempty"`
	DaysBlocked *int64   `json:"days_blocked,omitempty"`
	// Due is the due date in force at as_of (YYYY-MM-DD) when it has passed.
	Due             string    `json:"due,omitempty"`
	DaysOverdue     int64     `json:"days_overdue,omitempty"`
	LastUpdate      time.Time `json:"last_update"`
	DaysSinceUpdate int64     `json:"days_since_update"`
	Stale           bool      `json:"stale"`
}

// Dependency is an open blocking link between issues of different
// projects, or of different teams (kpi.teams): From blocks To.
type Dependency struct {
	FromKey     string   `json:"from_key"`
	FromSummary string   `json:"from_summary"`
	FromURL     string   `json:"from_url,omitempty"`
	FromProject string   `json:"from_project"`
	FromProgram string   `json:"from_program,omitempty"`
	FromTeams   []string `json:"from_teams,omitempty"`
	ToKey       string   `json:"to_key"`
	ToSummary   string   `json:"to_summary"`
	ToURL       string   `json:"to_url,omitempty"`
	ToProject   string   `json:"to_project"`
	ToProgram   string   `json:"to_program,omitempty"`
	ToTeams     []string `json:"to_teams,omitempty"`
	// DaysOpen counts from when the link was added (nil: not recorded).
	DaysOpen *int64 `json:"days_open,omitempty"`
}

// Log is the RAID log of one scope at as_of.
type Log struct {
	Scope        string       `json:"scope"`
	AsOf         time.Time    `json:"as_of"`
	Previous     time.Time    `json:"previous"` // the previous report, for the risks' trend
	StaleDays    int          `json:"stale_days"`
	Risks        []Risk       `json:"risks"`
	Assumptions  []Entry      `json:"assumptions"`
	Issues       []Item       `json:"issues"`
	Dependencies []Dependency `json:"dependencies"`
}

// For returns the part of the log that concerns one scope (kind, name as
// the KPI engine writes them; a team by its issues' teams): a dependency
// concerns the scopes of both its issues.
func (l Log) For(kind, name string) Log {
	f := kpi.ScopeFilter{Kind: kind, Name: name}
	out := l
	out.Scope = kpi.ScopeName(kind, name)
	out.Risks = keep(l.Risks, func(r Risk) bool { return f.Holds(r.Project, r.Program, r.Teams) })
	out.Assumptions = keep(l.Assumptions, func(e Entry) bool { return f.Holds(e.Project, e.Program, e.Teams) })
	out.Issues = keep(l.Issues, func(i Item) bool { return f.Holds(i.Project, i.Program, i.Teams) })
	out.Dependencies = keep(l.Dependencies, func(d Dependency) bool {
		return f.Holds(d.FromProject, d.FromProgram, d.FromTeams) || f.Holds(d.ToProject, d.ToProgram, d.ToTeams)
	})
	return out
}

// HasTeams reports whether an entry of the log belongs to a team
// (kpi.teams).
func (l Log) HasTeams() bool {
	return slices.ContainsFunc(l.Risks, func(r Risk) bool { return len(r.Teams) > 0 }) ||
		slices.ContainsFunc(l.Assumptions, func(e Entry) bool { return len(e.Teams) > 0 }) ||
		slices.ContainsFunc(l.Issues, func(i Item) bool { return len(i.Teams) > 0 }) ||
		slices.ContainsFunc(l.Dependencies, func(d Dependency) bool { return len(d.FromTeams)+len(d.ToTeams) > 0 })
}

// Empty reports whether every register is empty.
func (l Log) Empty() bool {
	return len(l.Risks)+len(l.Assumptions)+len(l.Issues)+len(l.Dependencies) == 0
}

func keep[T any](xs []T, ok func(T) bool) []T {
	out := []T{}
	for _, x := range xs {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}

// Options say what to build.
type Options struct {
	KPI  kpi.Config // the shared knobs: risk types and severities, blocking links, flow item types, tz
	RAID Config     // kpi.raid
	AsOf time.Time
	// Scope selects the scope (zero: the portfolio).
	Scope kpi.ScopeFilter
}

// Build reads the RAID log of opts.Scope at opts.AsOf from the warehouse.
func Build(ctx context.Context, w *warehouse.Warehouse, opts Options) (Log, error) {
	r, err := open(ctx, w, opts, 0)
	if err != nil {
		return Log{}, err
	}
	defer r.close()
	return r.log(opts)
}

// BuildWithDeps is Build and ReadDeps (window: the cycle-time window) from
// one derivation of the relations both read (the issues' state, the
// blocking links), as a report that shows both needs them.
func BuildWithDeps(ctx context.Context, w *warehouse.Warehouse, opts Options, window int) (Log, DepData, error) {
	r, err := open(ctx, w, opts, window)
	if err != nil {
		return Log{}, DepData{}, err
	}
	defer r.close()
	l, err := r.log(opts)
	if err != nil {
		return Log{}, DepData{}, err
	}
	d, err := r.deps()
	if err != nil {
		return Log{}, DepData{}, err
	}
	return l, d, nil
}

// reading is one derivation of the relations the registers read, with the
// issues' teams (kpi.teams).
type reading struct {
	ctx    context.Context
	w      *warehouse.Warehouse
	rc     Config
	rels   map[string]string
	params map[string]any
	teams  map[string][]string // issue key → its teams (nil without kpi.teams)
	close  func()
}

// open derives the relations for opts (window: the cycle-time window of
// the dependency reads, days) and reads the issues' teams.
func open(ctx context.Context, w *warehouse.Warehouse, opts Options, window int) (*reading, error) {
	params, rc, err := modelParams(opts)
	if err != nil {
		return nil, err
	}
	params["window_s"] = int64(window) * 86400
	teams, err := kpi.IssueTeams(ctx, w, opts.KPI, opts.AsOf)
	if err != nil {
		return nil, fmt.Errorf("raid: %w", err)
	}
	// The issues' state and the blocking links are read by several
	// registers: derived once into Memory tables.
	rels, cleanup := derive(ctx, w, params)
	return &reading{ctx: ctx, w: w, rc: rc, rels: rels, params: params, teams: teams, close: cleanup}, nil
}

// log reads the RAID log of opts.Scope.
func (r *reading) log(opts Options) (Log, error) {
	ctx, w, rels, params := r.ctx, r.w, r.rels, r.params
	prev := opts.AsOf.AddDate(0, 0, -r.rc.PeriodDays)
	l := Log{Scope: scopeName(opts.Scope), AsOf: opts.AsOf.UTC(), Previous: prev.UTC(), StaleDays: r.rc.StaleDays}
	var err error
	if l.Risks, err = readRisks(ctx, w, rels, params); err != nil {
		return Log{}, err
	}
	if l.Assumptions, err = readEntries(ctx, w, rels, params); err != nil {
		return Log{}, err
	}
	if l.Issues, err = readItems(ctx, w, rels, params); err != nil {
		return Log{}, err
	}
	if l.Dependencies, err = readDependencies(ctx, w, rels, params, r.teams); err != nil {
		return Log{}, err
	}
	r.setTeams(&l)
	if opts.Scope.Kind == "" || opts.Scope.Kind == kpi.ScopePortfolio {
		return l, nil
	}
	out := l.For(opts.Scope.Kind, opts.Scope.Name)
	out.Scope = l.Scope
	return out, nil
}

// setTeams gives every entry of l its issue's teams.
func (r *reading) setTeams(l *Log) {
	if r.teams == nil {
		return
	}
	for i := range l.Risks {
		l.Risks[i].Teams = r.teams[l.Risks[i].Key]
	}
	for i := range l.Assumptions {
		l.Assumptions[i].Teams = r.teams[l.Assumptions[i].Key]
	}
	for i := range l.Issues {
		l.Issues[i].Teams = r.teams[l.Issues[i].Key]
	}
	for i := range l.Dependencies {
		d := &l.Dependencies[i]
		d.FromTeams, d.ToTeams = r.teams[d.FromKey], r.teams[d.ToKey]
	}
}

// modelParams are the parameters of the models (models/*.sql) for opts.
func modelParams(opts Options) (map[string]any, Config, error) {
	rc := opts.RAID.WithDefaults()
	if errs := rc.Validate(); len(errs) > 0 {
		return nil, rc, fmt.Errorf("raid: %w", errs[0])
	}
	if _, err := time.LoadLocation(cmpOr(opts.KPI.TZ, "UTC")); err != nil {
		return nil, rc, fmt.Errorf("raid: kpi.tz: unknown time zone %q; use an IANA name such as \"Europe/Berlin\"", opts.KPI.TZ)
	}
	prev := opts.AsOf.AddDate(0, 0, -rc.PeriodDays)
	names, weights := severities(opts.KPI.RiskSeverityWeights)
	return map[string]any{
		"as_of": opts.AsOf.UTC(), "as_of_s": opts.AsOf.Unix(), "prev": prev.UTC(), "prev_s": prev.Unix(),
		"tz": cmpOr(opts.KPI.TZ, "UTC"), "flow_types": nonNil(opts.KPI.FlowItemTypes), "risk_types": nonNil(opts.KPI.RiskTypes),
		"severity_names": names, "severity_weights": weights, "blocking_types": nonNil(opts.KPI.BlockingLinkTypes),
		"assumption_types": nonNil(rc.AssumptionTypes), "assumption_labels": nonNil(rc.AssumptionLabels),
		"decision_types": nonNil(rc.DecisionTypes), "decision_labels": nonNil(rc.DecisionLabels),
		"stale_s": int64(rc.StaleDays) * 86400,
	}, rc, nil
}

// derive materializes the relations several models read (the issues'
// state, the blocking links) and returns them with their cleanup.
func derive(ctx context.Context, w *warehouse.Warehouse, params map[string]any) (map[string]string, func()) {
	rels := map[string]string{}
	dropStale(ctx, w)
	var drops []func()
	for _, name := range []string{"issue_state", "active_links"} {
		table, drop := materialize(ctx, w, name, rels, params)
		drops = append(drops, drop)
		if table != "" {
			rels[name] = table
		}
	}
	return rels, func() {
		for _, d := range slices.Backward(drops) {
			d()
		}
	}
}

func scopeName(f kpi.ScopeFilter) string {
	if f.Kind == "" || f.Kind == kpi.ScopePortfolio {
		return kpi.ScopePortfolio
	}
	return f.String()
}

// severities lists the severity weights by priority name, sorted by name.
func severities(m map[string]float64) ([]string, []float64) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	weights := make([]float64, len(names))
	for i, n := range names {
		weights[i] = m[n]
	}
	return names, weights
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// status names a status category as the registers show it.
func status(cat string) string {
	switch cat {
	case "new":
		return "open"
	case "done":
		return "closed"
	}
	return "in progress"
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func dayString(day int64) string {
	return time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
}

// query runs model name and calls scan for each row (sqlmodel.Set.Each).
func query(ctx context.Context, w *warehouse.Warehouse, name, what string, rels map[string]string, params map[string]any, scan func(r *warehouse.Rows) error) error {
	ms, err := relationModels()
	if err != nil {
		return err
	}
	return ms.Each(ctx, w, name, what, rels, params, scan)
}

func project(source, key string) string { return source + "/" + key }

func readRisks(ctx context.Context, w *warehouse.Warehouse, rels map[string]string, params map[string]any) ([]Risk, error) {
	out := []Risk{}
	err := query(ctx, w, "risks", "the risks", rels, params, func(r *warehouse.Rows) error {
		var x Risk
		var source, pkey, cat string
		var last int64
		var stale bool
		if err := r.Scan(&source, &pkey, &x.Program, &x.Key, &x.Summary, &x.URL, &x.Priority, &x.Owner, &cat,
			&x.AgeDays, &last, &x.DaysSinceUpdate, &stale, &x.Severity, &x.PrevSeverity, &x.Trend); err != nil {
			return err
		}
		x.Project, x.Status, x.LastUpdate, x.Stale = project(source, pkey), status(cat), unix(last), stale
		out = append(out, x)
		return nil
	})
	return out, err
}

func readEntries(ctx context.Context, w *warehouse.Warehouse, rels map[string]string, params map[string]any) ([]Entry, error) {
	out := []Entry{}
	err := query(ctx, w, "assumptions", "the assumptions and decisions", rels, params, func(r *warehouse.Rows) error {
		var x Entry
		var source, pkey, cat string
		var last int64
		if err := r.Scan(&source, &pkey, &x.Program, &x.Key, &x.Summary, &x.URL, &x.Kind, &cat, &x.Owner,
			&x.AgeDays, &last, &x.DaysSinceUpdate, &x.Stale); err != nil {
			return err
		}
		x.Project, x.Status, x.LastUpdate = project(source, pkey), status(cat), unix(last)
		out = append(out, x)
		return nil
	})
	return out, err
}

func readItems(ctx context.Context, w *warehouse.Warehouse, rels map[string]string, params map[string]any) ([]Item, error) {
	out := []Item{}
	err := query(ctx, w, "issues", "the blocked and overdue items", rels, params, func(r *warehouse.Rows) error {
		var x Item
		var source, pkey, cat string
		var last, daysBlocked, dueDay int64
		var blocked, known, overdue bool
		if err := r.Scan(&source, &pkey, &x.Program, &x.Key, &x.Summary, &x.URL, &x.Priority, &x.Owner, &cat,
			&last, &x.DaysSinceUpdate, &blocked, &x.BlockedBy, &known, &daysBlocked, &overdue, &dueDay, &x.DaysOverdue, &x.Stale); err != nil {
			return err
		}
		x.Project, x.Status, x.LastUpdate = project(source, pkey), status(cat), unix(last)
		if !blocked {
			x.BlockedBy = nil
		}
		if known {
			x.DaysBlocked = &daysBlocked
		}
		if overdue {
			x.Due = dayString(dueDay)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// readDependencies reads the open links and keeps those between issues of
// different projects or of different teams (teams: issue key → teams).
func readDependencies(ctx context.Context, w *warehouse.Warehouse, rels map[string]string, params map[string]any, teams map[string][]string) ([]Dependency, error) {
	out := []Dependency{}
	err := query(ctx, w, "dependencies", "the cross-project dependencies", rels, params, func(r *warehouse.Rows) error {
		var x Dependency
		var source, bp, xp string
		var known bool
		var days int64
		if err := r.Scan(&source, &bp, &x.FromProgram, &x.FromKey, &x.FromSummary, &x.FromURL, &xp, &x.ToProgram, &x.ToKey,
			&x.ToSummary, &x.ToURL, &known, &days); err != nil {
			return err
		}
		if bp == xp && slices.Equal(teams[x.FromKey], teams[x.ToKey]) {
			return nil // inside one project and one team
		}
		x.FromProject, x.ToProject = project(source, bp), project(source, xp)
		if known {
			x.DaysOpen = &days
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// The relation models of models/raid.sql (the registers) and
// models/deps.sql (what internal/deps reads): one name space
// (internal/sqlmodel).

//go:embed models/*.sql
var modelFiles embed.FS

var relationModels = sync.OnceValues(func() (*sqlmodel.Set, error) { return sqlmodel.Load("raid", modelFiles, "models/*.sql") })

// modelSQL renders model name (sqlmodel.Set.SQL).
func modelSQL(name string, rels map[string]string, params map[string]any) (string, error) {
	ms, err := relationModels()
	if err != nil {
		return "", err
	}
	return ms.SQL(name, rels, params)
}

// tmpPrefix names the Memory tables Build derives (sqlmodel.Materialize).
const tmpPrefix = "raid_tmp_"

// materialize derives model name into a Memory table and returns the
// relation that reads it and its cleanup; "" when the model cannot be
// rendered (the queries then report that error themselves).
func materialize(ctx context.Context, w *warehouse.Warehouse, name string, rels map[string]string, params map[string]any) (string, func()) {
	q, err := modelSQL(name, rels, params)
	if err != nil {
		return "", func() {}
	}
	table, drop := sqlmodel.Materialize(ctx, w, tmpPrefix, "raid "+name, q)
	return "(" + table + ")", drop
}

// dropStale drops the temporary tables of runs that died more than an hour
// ago.
func dropStale(ctx context.Context, w *warehouse.Warehouse) { sqlmodel.DropStale(ctx, w, tmpPrefix) }

// Registers whose query SQL renders: the registers a Grafana table can show
// (the dependencies register needs Go: its rows are kept by team and
// project).
var sqlRegisters = []string{"risks", "assumptions", "issues"}

// SQL returns the query of one register (risks, assumptions or issues) at
// opts.AsOf with every relation inlined and every parameter bound: rows of
// every project, each with its source, project_key and program. The
// dashboards' RAID tables run it (with the as-of turned into the
// dashboard's time); Build reads the same models.
func SQL(register string, opts Options) (string, error) {
	if !slices.Contains(sqlRegisters, register) {
		return "", fmt.Errorf("raid: register %q has no SQL of its own; expected one of %s", register, strings.Join(sqlRegisters, ", "))
	}
	params, _, err := modelParams(opts)
	if err != nil {
		return "", err
	}
	return modelSQL(register, nil, params)
}
