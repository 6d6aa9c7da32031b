// Package standards builds the PMO's standards scorecard: per project and
// per team (kpi.teams), and rolled up per program, source and the
// portfolio, which of the
// organisation's project-management standards are met at an as-of
// instant — required fields filled, a workflow with the agreed status
// categories, WIP within the limit, estimates on ready items, due dates on
// committed items, sprints of the agreed length, no stale items — each a
// pass or fail with the count of offending items, the list of them
// (explain: its length is the count) and the trend since the previous
// report.
//
// The offending items are SQL models over the warehouse views the KPI
// engine reads (models/standards.sql), in the tracker-neutral vocabulary
// of internal/model; every field is the value in force at the instant,
// replayed from the change history. Go decides pass/fail per project and
// rolls projects up: a standard passes at a roll-up scope only when it
// passes in every project of the scope. A team (kpi.teams, its issues as
// the KPI engine assigns them: kpi.IssueTeams) is judged as one unit by the
// same rules over its own items: its WIP against the limit, its share of
// the done items for the workflow tolerance, and the sprints of its boards
// (kpi.teams[].boards) — or, for a team without boards, the sprints that
// hold its items.
package standards

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Standard is one of the scorecard's standards.
type Standard struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Catalog lists the standards in the order they are shown.
var Catalog = []Standard{
	{"required_fields", "Required fields filled"},
	{"workflow", "Workflow uses the agreed status categories"},
	{"wip", "WIP within the limit"},
	{"estimates", "Estimates on ready items"},
	{"due_dates", "Due dates on committed items"},
	{"sprint_length", "Sprints of the agreed length"},
	{"stale", "No stale items"},
}

// IDs returns the standards' ids in catalog order.
func IDs() []string {
	out := make([]string, len(Catalog))
	for i, s := range Catalog {
		out[i] = s.ID
	}
	return out
}

// CheckID returns an error naming the valid ids when id is not one.
func CheckID(id string) error {
	if slices.ContainsFunc(Catalog, func(s Standard) bool { return s.ID == id }) {
		return nil
	}
	return fmt.Errorf("unknown standard %q; expected one of %s", id, strings.Join(IDs(), ", "))
}

// Offender is an item (or a sprint) that breaks a standard.
type Offender struct {
	Key     string `json:"key"` // the issue key, or the sprint's name
	Summary string `json:"summary"`
	URL     string `json:"url,omitempty"`
	Project string `json:"project"` // source/KEY
	Program string `json:"program,omitempty"`
	Reason  string `json:"reason"`
	id      string // the issue key or sprint id: a sprint shared by projects is one offender of a roll-up
}

// Result is one standard in one scope.
type Result struct {
	Standard
	// Rule says what passes, with the configured thresholds.
	Rule string `json:"rule"`
	Pass bool   `json:"pass"`
	// Count is the number of offending items (distinct items in the
	// scope's projects); Items lists them: len(Items) == Count.
	Count int        `json:"count"`
	Items []Offender `json:"items"`
	// Projects is how many projects the scope has, ProjectsPassing how many
	// of them meet the standard (both 0 on a team's scorecard: a team is
	// judged as one unit).
	Projects        int `json:"projects"`
	ProjectsPassing int `json:"projects_passing"`
	// The previous report (as_of − kpi.standards.period_days): nil when
	// the scope had no project (a team: no issue) then.
	PrevPass  *bool `json:"previous_pass,omitempty"`
	PrevCount *int  `json:"previous_count,omitempty"`
	// Trend since the previous report: better, worse, unchanged or new.
	Trend string `json:"trend"`
	// present: the scope had a project (a team: an issue) at the instant.
	present bool
}

// PreviousText words the previous report's result: "pass, 0", "fail, 3",
// or "—" when the scope had no project then.
func (r Result) PreviousText() string {
	if r.PrevPass == nil {
		return "—"
	}
	v := "fail"
	if *r.PrevPass {
		v = "pass"
	}
	return fmt.Sprintf("%s, %d", v, *r.PrevCount)
}

// Shown returns the first n offending items; More how many more there are.
func (r Result) Shown(n int) []Offender { return r.Items[:min(n, len(r.Items))] }

// More returns how many offending items there are beyond the first n.
func (r Result) More(n int) int { return max(len(r.Items)-n, 0) }

// Scorecard is the standards of one scope at as_of.
type Scorecard struct {
	Scope string `json:"scope"`
	// Unit is what a standard is decided on: "project" (a project, or each
	// project of a roll-up) or "team" (a team's items as one unit).
	Unit     string    `json:"unit"`
	AsOf     time.Time `json:"as_of"`
	Previous time.Time `json:"previous"`
	// Disabled lists the standards kpi.standards turns off.
	Disabled  []string `json:"disabled"`
	Standards []Result `json:"standards"`
}

// Passing counts the standards that pass.
func (s Scorecard) Passing() int {
	n := 0
	for _, r := range s.Standards {
		if r.Pass {
			n++
		}
	}
	return n
}

// Result returns the result of standard id, false when it is not checked.
func (s Scorecard) Result(id string) (Result, bool) {
	for _, r := range s.Standards {
		if r.ID == id {
			return r, true
		}
	}
	return Result{}, false
}

// Options say what to build.
type Options struct {
	KPI       kpi.Config // the shared knobs: flow item types, tz
	Standards Config     // kpi.standards
	AsOf      time.Time
	// Scope selects the scope (zero: the portfolio).
	Scope kpi.ScopeFilter
}

// Data holds the offending items of every project at as_of and at the
// previous report; For cuts a scope's scorecard from it.
type Data struct {
	cfg      Config
	teams    []kpi.Team // kpi.teams
	asOf     time.Time
	previous time.Time
	now      snapshot
	prev     snapshot
}

// snapshot is what the models read at one instant.
type snapshot struct {
	projects []project
	items    map[string][]Offender // by standard id
	raw      map[string][]row      // by standard id, for the per-project rules
	// With kpi.teams: the teams of each issue key created before the
	// instant (kpi.IssueTeams) and the keys of the items done in the
	// workflow window.
	teams    map[string][]string
	doneKeys []string
}

type project struct {
	name, program string // name: source/KEY
	doneWindow    int64
}

// row is an offender row as the models return it.
type row struct {
	project, program, id, key, summary, url, info string
	n                                             int64
	// sprint_length: the sprint's board (id, name) and its items then.
	boardID, board string
	keys           []string
}

// Build reads the scorecard of opts.Scope at opts.AsOf from the warehouse.
func Build(ctx context.Context, w *warehouse.Warehouse, opts Options) (Scorecard, error) {
	d, err := Read(ctx, w, opts)
	if err != nil {
		return Scorecard{}, err
	}
	return d.For(opts.Scope.Kind, opts.Scope.Name), nil
}

// Read reads the offending items of every project at opts.AsOf and at the
// previous report (opts.Scope is not read: For cuts the scopes).
func Read(ctx context.Context, w *warehouse.Warehouse, opts Options) (*Data, error) {
	cfg := opts.Standards.WithDefaults()
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("standards: %w", errs[0])
	}
	loc, err := time.LoadLocation(cmp.Or(opts.KPI.TZ, "UTC"))
	if err != nil {
		return nil, fmt.Errorf("standards: kpi.tz: unknown time zone %q; use an IANA name such as \"Europe/Berlin\"", opts.KPI.TZ)
	}
	defer dropStale(ctx, w)
	d := &Data{cfg: cfg, teams: opts.KPI.Teams, asOf: opts.AsOf.UTC(), previous: opts.AsOf.AddDate(0, 0, -cfg.PeriodDays).UTC()}
	if d.now, err = read(ctx, w, cfg, opts.KPI, d.asOf, loc); err != nil {
		return nil, err
	}
	if d.prev, err = read(ctx, w, cfg, opts.KPI, d.previous, loc); err != nil {
		return nil, err
	}
	return d, nil
}

// enabled returns the standards kpi.standards checks, in catalog order.
func (c Config) enabled() (on []Standard, off []string) {
	for _, s := range Catalog {
		if c.toggle(s.ID).On() {
			on = append(on, s)
		} else {
			off = append(off, s.ID)
		}
	}
	return on, off
}

// Enabled reports whether kpi.standards checks standard id.
func (c Config) Enabled(id string) bool { return c.toggle(id).On() }

func (c Config) toggle(id string) Toggle {
	switch id {
	case "required_fields":
		return c.RequiredFields.Toggle
	case "workflow":
		return c.Workflow.Toggle
	case "wip":
		return c.WIP.Toggle
	case "estimates":
		return c.Estimates.Toggle
	case "due_dates":
		return c.DueDates
	case "sprint_length":
		return c.SprintLength.Toggle
	case "stale":
		return c.Stale.Toggle
	}
	return Toggle{}
}

// rule words what passes a standard; team is the team of a team's
// scorecard (nil: a project or a roll-up of projects).
func (c Config) rule(id string, team *kpi.Team) string {
	switch id {
	case "required_fields":
		return "items in progress or in an active sprint have " + strings.Join(c.RequiredFields.Fields, ", ")
	case "workflow":
		return fmt.Sprintf("every status has a known category; at most %g%% of the items done in the last %d days skipped in progress",
			*c.Workflow.TolerancePct, c.Workflow.WindowDays)
	case "wip":
		if team != nil {
			return fmt.Sprintf("at most %d items in progress in the team", c.WIP.Limit)
		}
		return fmt.Sprintf("at most %d items in progress per project", c.WIP.Limit)
	case "estimates":
		return "ready items (in an active or future sprint, or in status " + strings.Join(c.Estimates.ReadyStatuses, ", ") +
			") have story points or an original estimate"
	case "due_dates":
		return "open items in an active sprint have a due date"
	case "sprint_length":
		which := "sprints of the last %d days"
		switch {
		case team != nil && len(team.Boards) > 0:
			which = "sprints of the team's boards (" + strings.Join(team.Boards, ", ") + ") in the last %d days"
		case team != nil:
			which = "sprints holding the team's items in the last %d days"
		}
		return fmt.Sprintf(which+" are planned for %d ± %d days", c.SprintLength.WindowDays, c.SprintLength.LengthDays,
			*c.SprintLength.ToleranceDays)
	case "stale":
		return fmt.Sprintf("no open item without an update for %d days or more", c.Stale.Days)
	}
	return ""
}

func read(ctx context.Context, w *warehouse.Warehouse, cfg Config, kc kpi.Config, at time.Time, loc *time.Location) (snapshot, error) {
	params := map[string]any{
		"as_of_s": at.Unix(), "flow_types": nonNil(kc.FlowItemTypes), "fields": nonNil(cfg.RequiredFields.Fields),
		"ready_statuses": nonNil(cfg.Estimates.ReadyStatuses), "workflow_window_s": int64(cfg.Workflow.WindowDays) * 86400,
		"sprint_window_s": int64(cfg.SprintLength.WindowDays) * 86400, "length_days": int64(cfg.SprintLength.LengthDays),
		"tolerance_days": int64(*cfg.SprintLength.ToleranceDays), "stale_s": int64(cfg.Stale.Days) * 86400,
	}
	s := snapshot{items: map[string][]Offender{}, raw: map[string][]row{}}
	// Every model reads the items' state at the instant: their replayed
	// fields, then their sprints' state, each derived once into a Memory
	// table.
	rels := map[string]string{}
	for _, m := range []string{"issue_fields", "issue_state"} {
		table, drop := materialize(ctx, w, m, rels, params)
		defer drop()
		if table != "" {
			rels[m] = table
		}
	}
	if len(kc.Teams) > 0 {
		var err error
		if s.teams, err = kpi.IssueTeams(ctx, w, kc, at); err != nil {
			return snapshot{}, fmt.Errorf("standards: %w", err)
		}
		err = query(ctx, w, "done_window", "the items done in the workflow window", rels, params, func(r *warehouse.Rows) error {
			var key string
			if err := r.Scan(&key); err != nil {
				return err
			}
			s.doneKeys = append(s.doneKeys, key)
			return nil
		})
		if err != nil {
			return snapshot{}, err
		}
	}
	err := query(ctx, w, "projects", "the projects", rels, params, func(r *warehouse.Rows) error {
		var source, key string
		var p project
		if err := r.Scan(&source, &key, &p.program, &p.doneWindow); err != nil {
			return err
		}
		p.name = source + "/" + key
		s.projects = append(s.projects, p)
		return nil
	})
	if err != nil {
		return snapshot{}, err
	}
	on, _ := cfg.enabled()
	for _, st := range on {
		var rows []row
		err := query(ctx, w, st.ID, "the items that break standard "+st.ID, rels, params, func(r *warehouse.Rows) error {
			var x row
			var source, key string
			dest := []any{&source, &key, &x.program, &x.id, &x.key, &x.summary, &x.url, &x.info, &x.n}
			if st.ID == "sprint_length" {
				dest = append(dest, &x.boardID, &x.board, &x.keys)
			}
			if err := r.Scan(dest...); err != nil {
				return err
			}
			x.project = source + "/" + key
			rows = append(rows, x)
			return nil
		})
		if err != nil {
			return snapshot{}, err
		}
		s.raw[st.ID] = rows
		items := make([]Offender, len(rows))
		for i, x := range rows {
			items[i] = Offender{Key: x.key, Summary: x.summary, URL: x.url, Project: x.project, Program: x.program,
				Reason: reason(st.ID, x, loc), id: x.id}
		}
		s.items[st.ID] = items
	}
	return s, nil
}

// reason words why an item breaks a standard.
func reason(id string, x row, loc *time.Location) string {
	switch id {
	case "required_fields":
		return "missing " + x.info
	case "workflow":
		if x.n == 0 {
			return fmt.Sprintf("status %q has no known category", x.info)
		}
		return "done on " + time.Unix(x.n, 0).In(loc).Format(time.DateOnly) + " without being in progress"
	case "wip":
		return "in progress (" + x.info + ")"
	case "estimates":
		return "ready (" + x.info + ") without an estimate"
	case "due_dates":
		return "in an active sprint without a due date"
	case "sprint_length":
		return fmt.Sprintf("planned for %d days (%s)", x.n, x.info)
	case "stale":
		return fmt.Sprintf("not updated for %d days (%s)", x.n, x.info)
	}
	return x.info
}

// For returns the scorecard of one scope (kind, name as the KPI engine
// writes them; kind "" or portfolio: every project).
func (d *Data) For(kind, name string) Scorecard {
	f := kpi.ScopeFilter{Kind: kind, Name: name}
	on, off := d.cfg.enabled()
	sc := Scorecard{Scope: scopeName(f), Unit: "project", AsOf: d.asOf, Previous: d.previous, Disabled: nonNil(off), Standards: []Result{}}
	eval := func(id string, s snapshot) Result { return d.cfg.evaluate(id, s, f) }
	var team *kpi.Team
	if kind == kpi.ScopeTeam {
		sc.Unit = "team"
		team = &kpi.Team{Name: name}
		if i := slices.IndexFunc(d.teams, func(t kpi.Team) bool { return t.Name == name }); i >= 0 {
			team = &d.teams[i]
		}
		eval = func(id string, s snapshot) Result { return d.cfg.evaluateTeam(id, s, *team) }
	}
	for _, st := range on {
		r := eval(st.ID, d.now)
		r.Standard, r.Rule = st, d.cfg.rule(st.ID, team)
		r.Trend = "new"
		if p := eval(st.ID, d.prev); p.present {
			r.PrevPass, r.PrevCount = &p.Pass, &p.Count
			r.Trend = trend(r, p)
		}
		sc.Standards = append(sc.Standards, r)
	}
	return sc
}

// trend compares a standard with the previous report: passing again is
// better, failing again worse, else fewer offending items are better.
func trend(now, prev Result) string {
	switch {
	case now.Pass && !prev.Pass:
		return "better"
	case !now.Pass && prev.Pass:
		return "worse"
	case now.Count < prev.Count:
		return "better"
	case now.Count > prev.Count:
		return "worse"
	}
	return "unchanged"
}

// evaluate decides a standard in the projects of scope f: each project by
// its rule, the scope passes when every project passes; the items are the
// distinct offenders of the scope's projects.
func (c Config) evaluate(id string, s snapshot, f kpi.ScopeFilter) Result {
	r := Result{Pass: true, Items: []Offender{}}
	inScope := map[string]bool{}
	for _, p := range s.projects {
		if !f.Holds(p.name, p.program, nil) {
			continue
		}
		inScope[p.name] = true
		r.Projects++
		r.present = true
		if c.projectPasses(id, p, s.raw[id]) {
			r.ProjectsPassing++
		} else {
			r.Pass = false
		}
	}
	seen := map[string]bool{}
	for _, o := range s.items[id] {
		if inScope[o.Project] && !seen[o.id] {
			seen[o.id] = true
			r.Items = append(r.Items, o)
		}
	}
	r.Count = len(r.Items)
	return r
}

// evaluateTeam decides a standard for team t as one unit: its offending
// items are the team's items (by s.teams) that break the standard — for
// sprint_length the sprints of the team's boards, or, when the team names
// no board, the sprints that hold one of its items — and it passes by the
// standard's rule applied to them (WIP: the team's items in progress
// within the limit; workflow: the team's share of the done items).
func (c Config) evaluateTeam(id string, s snapshot, t kpi.Team) Result {
	r := Result{Pass: true, Items: []Offender{}}
	inTeam := func(key string) bool { return slices.Contains(s.teams[key], t.Name) }
	for _, ts := range s.teams {
		if slices.Contains(ts, t.Name) {
			r.present = true
			break
		}
	}
	rows := s.raw[id]
	seen := map[string]bool{}
	unknown := 0
	for i, o := range s.items[id] {
		x := rows[i]
		var hit bool
		switch {
		case id == "sprint_length" && len(t.Boards) > 0:
			hit = slices.Contains(t.Boards, x.boardID) || slices.Contains(t.Boards, x.board)
		case id == "sprint_length":
			hit = slices.ContainsFunc(x.keys, inTeam)
		default:
			hit = inTeam(x.key)
		}
		if !hit || seen[o.id] {
			continue
		}
		seen[o.id] = true
		r.Items = append(r.Items, o)
		if id == "workflow" && x.n == 0 {
			unknown++
		}
	}
	r.Count = len(r.Items)
	switch id {
	case "wip":
		r.Pass = r.Count <= c.WIP.Limit
	case "workflow":
		done := 0
		for _, k := range s.doneKeys {
			if inTeam(k) {
				done++
			}
		}
		r.Pass = unknown == 0 && float64(r.Count-unknown) <= math.Floor(*c.Workflow.TolerancePct/100*float64(done)+1e-9)
	default:
		r.Pass = r.Count == 0
	}
	return r
}

// projectPasses applies a standard's rule to one project's rows.
func (c Config) projectPasses(id string, p project, rows []row) bool {
	var n, unknown int
	for _, x := range rows {
		if x.project == p.name {
			n++
			if id == "workflow" && x.n == 0 {
				unknown++
			}
		}
	}
	switch id {
	case "wip":
		return n <= c.WIP.Limit
	case "workflow":
		skipped := n - unknown
		return unknown == 0 && float64(skipped) <= math.Floor(*c.Workflow.TolerancePct/100*float64(p.doneWindow)+1e-9)
	}
	return n == 0
}

func scopeName(f kpi.ScopeFilter) string {
	if f.Kind == "" || f.Kind == kpi.ScopePortfolio {
		return kpi.ScopePortfolio
	}
	return kpi.ScopeName(f.Kind, f.Name)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
