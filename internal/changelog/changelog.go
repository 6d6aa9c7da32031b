// Package changelog builds a PMO's change log: for a scope (the portfolio,
// a source, a program, a project or a team, as the KPI engine's scopes) and a
// period, one chronological list of the scope changes a PMO must see —
// items added to or removed from a sprint after it started, a release's
// scope growth, due-date and release-date moves, priority changes and
// re-estimates of items in an active sprint — each with its issue, who
// made it, when, what and by how much.
//
// The rows are read by SQL models over the warehouse views the KPI engine
// reads (models/changelog.sql), in the tracker-neutral vocabulary of
// internal/model (change kinds; priority names in from_string/to_string);
// each issue's sprint membership and estimate are replayed here in history
// order, by the rules of kpis.md C8/C9.
package changelog

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/sqlmodel"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// The kinds of entries, in the order a filter lists them.
const (
	KindSprint      = "sprint"       // added to / removed from a sprint after it started
	KindRelease     = "release"      // added to / removed from a fix version after its start date
	KindDueDate     = "due_date"     // an issue's due date moved or cleared
	KindReleaseDate = "release_date" // a version's release date moved or cleared (as observed by the collections)
	KindPriority    = "priority"     // priority raised (up) or lowered (down)
	KindEstimate    = "estimate"     // story points changed while the item is in an active sprint
)

// Kinds lists every kind of entry.
var Kinds = []string{KindSprint, KindRelease, KindDueDate, KindReleaseDate, KindPriority, KindEstimate}

// DefaultPeriodDays is the default period: the week before the as-of
// instant (the report period).
const DefaultPeriodDays = 7

// Entry is one change.
type Entry struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	// Change says which way: added, removed (sprint, release); later,
	// earlier, cleared (due_date, release_date); up, down, changed
	// (priority: by kpi.risk_severity_weights; changed when a name has no
	// weight); up, down, set, cleared (estimate).
	Change string `json:"change"`
	// Key is the issue's key (for a release_date entry, the version's name);
	// URL links it to the tracker.
	Key     string `json:"key"`
	Summary string `json:"summary,omitempty"`
	URL     string `json:"url,omitempty"`
	Project string `json:"project"` // source/KEY
	Program string `json:"program,omitempty"`
	// Teams are the issue's teams (kpi.teams; none without it); for a
	// release_date entry, the teams of the issues the version holds.
	Teams []string `json:"teams,omitempty"`
	// Author is who made the change (display name when the warehouse knows
	// it, else the tracker's account id); "" when the tracker does not
	// record it (release dates are observed, not logged).
	Author string `json:"author,omitempty"`
	// Target is the sprint or version concerned.
	Target string `json:"target,omitempty"`
	// From and To are the values before and after: priority names, due or
	// release dates (YYYY-MM-DD), story points.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Days is how far a date moved (positive: later).
	Days *int64 `json:"days,omitempty"`
	// Points: the item's story points at the change for a sprint or
	// release entry; the change of the estimate for an estimate entry.
	Points *float64 `json:"points,omitempty"`
}

// Log is the change log of one scope over [From, To).
type Log struct {
	Scope   string    `json:"scope"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Entries []Entry   `json:"entries"`
}

// For returns the entries of one scope (kind, name as the KPI engine writes
// them; a team by the entries' teams).
func (l Log) For(kind, name string) Log {
	f := kpi.ScopeFilter{Kind: kind, Name: name}
	out := l
	out.Scope = kpi.ScopeName(kind, name)
	out.Entries = []Entry{}
	for _, e := range l.Entries {
		if f.Holds(e.Project, e.Program, e.Teams) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// Only returns the entries of the given kinds (none: all).
func (l Log) Only(kinds ...string) Log {
	if len(kinds) == 0 {
		return l
	}
	out := l
	out.Entries = []Entry{}
	for _, e := range l.Entries {
		if slices.Contains(kinds, e.Kind) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// Count returns the number of entries of each kind.
func (l Log) Count() map[string]int {
	n := map[string]int{}
	for _, e := range l.Entries {
		n[e.Kind]++
	}
	return n
}

// CheckKinds returns an error naming the valid kinds when one is not.
func CheckKinds(kinds []string) error {
	for _, k := range kinds {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("unknown kind %q; expected one or more of %s", k, strings.Join(Kinds, ", "))
		}
	}
	return nil
}

// Options say what to build.
type Options struct {
	// KPI gives the shared knobs: kpi.risk_severity_weights (which way a
	// priority moved) and kpi.tz (civil days: a version's start date).
	KPI kpi.Config
	// From and To are the period [From, To); a zero From is
	// DefaultPeriodDays before To.
	From, To time.Time
	// Scope selects the scope (zero: the portfolio).
	Scope kpi.ScopeFilter
}

// Build reads the change log of opts.Scope over the period from the
// warehouse.
func Build(ctx context.Context, w *warehouse.Warehouse, opts Options) (Log, error) {
	if opts.To.IsZero() {
		return Log{}, fmt.Errorf("changelog: no end of the period (as-of instant) given")
	}
	from := opts.From
	if from.IsZero() {
		from = opts.To.AddDate(0, 0, -DefaultPeriodDays)
	}
	if !from.Before(opts.To) {
		return Log{}, fmt.Errorf("changelog: the period starts (%s) at or after its end (%s); give --from before --to",
			from.UTC().Format(time.RFC3339), opts.To.UTC().Format(time.RFC3339))
	}
	loc, err := time.LoadLocation(cmp.Or(opts.KPI.TZ, "UTC"))
	if err != nil {
		return Log{}, fmt.Errorf("changelog: kpi.tz: unknown time zone %q; use an IANA name such as \"Europe/Berlin\"", opts.KPI.TZ)
	}
	r := reader{ctx: ctx, w: w, params: map[string]any{"from": from.UTC(), "to": opts.To.UTC()}}
	d, err := r.read()
	if err != nil {
		return Log{}, err
	}
	teams, err := kpi.IssueTeams(ctx, w, opts.KPI, opts.To)
	if err != nil {
		return Log{}, fmt.Errorf("changelog: %w", err)
	}
	b := builder{data: d, from: from.Unix(), to: opts.To.Unix(), loc: loc, weights: opts.KPI.RiskSeverityWeights}
	l := Log{Scope: scopeName(opts.Scope), From: from.UTC(), To: opts.To.UTC(), Entries: b.entries()}
	if teams != nil {
		for i := range l.Entries {
			if e := &l.Entries[i]; e.Kind != KindReleaseDate {
				e.Teams = teams[e.Key]
			}
		}
		if err := r.releaseTeams(d, teams, l.Entries); err != nil {
			return Log{}, err
		}
	}
	if opts.Scope.Kind == "" || opts.Scope.Kind == kpi.ScopePortfolio {
		return l, nil
	}
	out := l.For(opts.Scope.Kind, opts.Scope.Name)
	out.Scope = l.Scope
	return out, nil
}

// releaseTeams gives each release-date entry the teams of the issues its
// version holds (teams: issue key → teams).
func (r reader) releaseTeams(d data, teams map[string][]string, entries []Entry) error {
	err := r.query("version_members", "the issues of the versions whose release date moved", func(rows *warehouse.Rows) error {
		var k ref
		var key string
		if err := rows.Scan(&k.source, &k.id, &key); err != nil {
			return err
		}
		if v := d.versions[k]; v != nil {
			v.members = append(v.members, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	byVersion := map[[2]string][]string{} // project, name → teams
	for _, v := range d.versions {
		var ts []string
		for _, key := range v.members {
			for _, t := range teams[key] {
				if !slices.Contains(ts, t) {
					ts = append(ts, t)
				}
			}
		}
		slices.Sort(ts)
		byVersion[[2]string{v.project, v.name}] = ts
	}
	for i := range entries {
		if e := &entries[i]; e.Kind == KindReleaseDate {
			e.Teams = byVersion[[2]string{e.Project, e.Target}]
		}
	}
	return nil
}

func scopeName(f kpi.ScopeFilter) string {
	if f.Kind == "" || f.Kind == kpi.ScopePortfolio {
		return kpi.ScopePortfolio
	}
	return f.String()
}

// The rows the models read.

type ref struct{ source, id string }

type issue struct {
	key, summary, url, project, program, reporter string
	created                                       int64
	sprints, versions                             []string
	sp                                            *float64
	history                                       []change
}

type change struct {
	at, cid, item                  int64
	id, author, kind               string
	from, fromString, to, toString string
}

type sprint struct {
	name            string
	start, complete int64
}

type version struct {
	name, project, program string
	startDay               int64
	dates                  []observation
	members                []string // the keys of the issues it holds (read with kpi.teams only)
}

type observation struct{ at, day int64 }

type data struct {
	issues   map[ref]*issue
	order    []ref
	people   map[ref]string
	sprints  map[ref]sprint
	versions map[ref]*version
	vorder   []ref
}

type reader struct {
	ctx    context.Context
	w      *warehouse.Warehouse
	params map[string]any
}

func (r reader) query(name, what string, scan func(*warehouse.Rows) error) error {
	ms, err := relationModels()
	if err != nil {
		return err
	}
	return ms.Each(r.ctx, r.w, name, what, nil, r.params, scan)
}

func (r reader) read() (data, error) {
	d := data{issues: map[ref]*issue{}, people: map[ref]string{}, sprints: map[ref]sprint{}, versions: map[ref]*version{}}
	err := r.query("issues", "the changed issues", func(rows *warehouse.Rows) error {
		var k ref
		var x issue
		var pkey string
		var spSet bool
		var sp float64
		if err := rows.Scan(&k.source, &k.id, &x.key, &x.summary, &x.url, &pkey, &x.program, &x.reporter, &x.created,
			&x.sprints, &x.versions, &spSet, &sp); err != nil {
			return err
		}
		x.project = k.source + "/" + pkey
		if spSet {
			x.sp = &sp
		}
		d.issues[k] = &x
		d.order = append(d.order, k)
		return nil
	})
	if err != nil {
		return d, err
	}
	err = r.query("history", "the changes", func(rows *warehouse.Rows) error {
		var k ref
		var c change
		if err := rows.Scan(&k.source, &k.id, &c.at, &c.cid, &c.id, &c.item, &c.author, &c.kind, &c.from, &c.fromString,
			&c.to, &c.toString); err != nil {
			return err
		}
		if is := d.issues[k]; is != nil {
			is.history = append(is.history, c)
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	for _, is := range d.issues {
		slices.SortFunc(is.history, func(a, b change) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.cid, b.cid), cmp.Compare(a.id, b.id), cmp.Compare(a.item, b.item))
		})
	}
	err = r.query("people", "the people's names", func(rows *warehouse.Rows) error {
		var k ref
		var name string
		if err := rows.Scan(&k.source, &k.id, &name); err != nil {
			return err
		}
		d.people[k] = name
		return nil
	})
	if err != nil {
		return d, err
	}
	err = r.query("sprints", "the sprints", func(rows *warehouse.Rows) error {
		var k ref
		var s sprint
		if err := rows.Scan(&k.source, &k.id, &s.name, &s.start, &s.complete); err != nil {
			return err
		}
		d.sprints[k] = s
		return nil
	})
	if err != nil {
		return d, err
	}
	err = r.query("versions", "the versions", func(rows *warehouse.Rows) error {
		var k ref
		var v version
		var pkey string
		if err := rows.Scan(&k.source, &k.id, &v.name, &pkey, &v.program, &v.startDay); err != nil {
			return err
		}
		v.project = k.source + "/" + pkey
		if pkey == "" {
			v.project = ""
		}
		d.versions[k] = &v
		d.vorder = append(d.vorder, k)
		return nil
	})
	if err != nil {
		return d, err
	}
	err = r.query("version_dates", "the versions' release dates as observed", func(rows *warehouse.Rows) error {
		var k ref
		var o observation
		if err := rows.Scan(&k.source, &k.id, &o.at, &o.day); err != nil {
			return err
		}
		if v := d.versions[k]; v != nil {
			v.dates = append(v.dates, o)
		}
		return nil
	})
	return d, err
}

// builder turns the rows into entries.
type builder struct {
	data
	from, to int64 // the period, Unix seconds
	loc      *time.Location
	weights  map[string]float64
}

func (b builder) in(at int64) bool { return at >= b.from && at < b.to }

func (b builder) entries() []Entry {
	out := []Entry{}
	for _, k := range b.order {
		out = append(out, b.issueEntries(k, b.issues[k])...)
	}
	for _, k := range b.vorder {
		out = append(out, b.releaseDateEntries(b.versions[k])...)
	}
	rank := func(kind string) int { return slices.Index(Kinds, kind) }
	slices.SortStableFunc(out, func(x, y Entry) int {
		return cmp.Or(x.At.Compare(y.At), cmp.Compare(rank(x.Kind), rank(y.Kind)), cmp.Compare(x.Key, y.Key),
			cmp.Compare(x.Target, y.Target), cmp.Compare(x.Change, y.Change))
	})
	return out
}

func (b builder) person(source, id string) string {
	if n := b.people[ref{source, id}]; n != "" {
		return n
	}
	return id
}

// sprintSet parses a sprint change's value: comma-separated sprint ids.
func sprintSet(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// value is a change's value of a kind: from/to, or the strings when those
// are empty; priorities by name (from_string/to_string).
func (c change) value(before bool) string {
	raw, str := c.to, c.toString
	if before {
		raw, str = c.from, c.fromString
	}
	if c.kind == "priority" {
		return cmp.Or(str, raw)
	}
	return strings.TrimSpace(cmp.Or(raw, str))
}

// at returns the value of a field at instant t by the replay rule of
// kpis.md C9: the to of the last change at or before t; if none, the from
// of the first change; if the field never changed, current.
func at(hist []change, kind string, t int64, strict bool, current string) string {
	var first *change
	last := ""
	found := false
	for i := range hist {
		c := &hist[i]
		if c.kind != kind {
			continue
		}
		if first == nil {
			first = c
		}
		if c.at < t || (!strict && c.at == t) {
			last, found = c.value(false), true
		}
	}
	switch {
	case found:
		return last
	case first != nil:
		return first.value(true)
	}
	return current
}

func points(s string) *float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func fmtPoints(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

// dayNumber parses a date value (YYYY-MM-DD, possibly longer) as days
// since 1970-01-01; ok false when empty or not a date.
func dayNumber(s string) (int64, bool) {
	if len(s) < 10 {
		return 0, false
	}
	d, err := time.Parse(time.DateOnly, s[:10])
	if err != nil {
		return 0, false
	}
	return d.Unix() / 86400, true
}

func dayString(day int64) string { return time.Unix(day*86400, 0).UTC().Format(time.DateOnly) }

func (b builder) issueEntries(k ref, is *issue) []Entry {
	var out []Entry
	base := func(at int64, kind, chg, author string) Entry {
		return Entry{At: time.Unix(at, 0).UTC(), Kind: kind, Change: chg, Key: is.key, Summary: is.summary, URL: is.url,
			Project: is.project, Program: is.program, Author: b.person(k.source, author)}
	}
	curSP := fmtPoints(is.sp)
	est := func(t int64) *float64 { return points(at(is.history, "story_points", t, false, curSP)) }
	started := func(id string, t int64, inclusiveEnd bool) (sprint, bool) {
		s, ok := b.sprints[ref{k.source, id}]
		if !ok || s.start == 0 || t < s.start {
			return s, false
		}
		if s.complete != 0 && (t > s.complete || (!inclusiveEnd && t == s.complete)) {
			return s, false
		}
		return s, true
	}
	// Created straight into a started sprint: added at creation (kpis.md C8;
	// no change records a field set on create).
	if b.in(is.created) {
		cur := strings.Join(is.sprints, ",")
		for _, id := range sprintSet(at(is.history, "sprint", is.created, false, cur)) {
			if s, ok := started(id, is.created, false); ok && is.created > s.start {
				e := base(is.created, KindSprint, "added", is.reporter)
				e.Target, e.Points = s.name, est(is.created)
				out = append(out, e)
			}
		}
	}
	// Created straight into a started release (no change records a field
	// set on create): added at creation, as for sprints.
	if b.in(is.created) {
		for _, id := range versionsAtCreation(is) {
			if v := b.versions[ref{k.source, id}]; v != nil && v.startDay != 0 && civilDay(is.created, b.loc) >= v.startDay {
				e := base(is.created, KindRelease, "added", is.reporter)
				e.Target, e.Points = v.name, est(is.created)
				out = append(out, e)
			}
		}
	}
	for _, c := range is.history {
		if !b.in(c.at) {
			continue
		}
		switch c.kind {
		case "sprint":
			before, after := sprintSet(c.value(true)), sprintSet(c.value(false))
			for _, m := range []struct {
				chg      string
				ids, not []string
			}{{"added", after, before}, {"removed", before, after}} {
				for _, id := range m.ids {
					if slices.Contains(m.not, id) {
						continue
					}
					// join and leave events in (t_start, t_close] (kpis.md C8)
					if s, ok := started(id, c.at, true); ok && c.at > s.start {
						e := base(c.at, KindSprint, m.chg, c.author)
						e.Target, e.Points = s.name, est(c.at)
						out = append(out, e)
					}
				}
			}
		case "fix_version":
			chg, id := "added", c.to
			if id == "" {
				chg, id = "removed", c.from
			}
			v := b.versions[ref{k.source, id}]
			if v == nil || v.startDay == 0 || civilDay(c.at, b.loc) < v.startDay {
				continue
			}
			e := base(c.at, KindRelease, chg, c.author)
			e.Target, e.Points = v.name, est(c.at)
			out = append(out, e)
		case "due_date":
			fd, fok := dayNumber(c.value(true))
			td, tok := dayNumber(c.value(false))
			if !fok || (tok && fd == td) {
				continue // a first due date is not a move
			}
			e := base(c.at, KindDueDate, "cleared", c.author)
			e.From = dayString(fd)
			if tok {
				days := td - fd
				e.To, e.Days, e.Change = dayString(td), &days, "later"
				if days < 0 {
					e.Change = "earlier"
				}
			}
			out = append(out, e)
		case "priority":
			from, to := c.value(true), c.value(false)
			if from == to {
				continue
			}
			e := base(c.at, KindPriority, "changed", c.author)
			e.From, e.To = from, to
			wf, okf := b.weights[from]
			wt, okt := b.weights[to]
			if okf && okt && wf != wt {
				e.Change = "up"
				if wt < wf {
					e.Change = "down"
				}
			}
			out = append(out, e)
		case "story_points":
			// in a sprint under way at the change (membership just before it)
			var target string
			for _, id := range sprintSet(at(is.history, "sprint", c.at, false, strings.Join(is.sprints, ","))) {
				if s, ok := started(id, c.at, false); ok {
					target = s.name
				}
			}
			if target == "" {
				continue
			}
			pf, pt := points(c.value(true)), points(c.value(false))
			if pf == nil && pt == nil || pf != nil && pt != nil && *pf == *pt {
				continue
			}
			e := base(c.at, KindEstimate, "", c.author)
			e.Target, e.From, e.To = target, fmtPoints(pf), fmtPoints(pt)
			switch {
			case pf == nil:
				e.Change, e.Points = "set", pt
			case pt == nil:
				d := -*pf
				e.Change, e.Points = "cleared", &d
			default:
				d := *pt - *pf
				e.Change, e.Points = "up", &d
				if d < 0 {
					e.Change = "down"
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// versionsAtCreation replays an issue's fix-version changes backwards from
// its current versions: the versions it was created with.
func versionsAtCreation(is *issue) []string {
	set := slices.Clone(is.versions)
	for i := len(is.history) - 1; i >= 0; i-- {
		c := is.history[i]
		if c.kind != "fix_version" {
			continue
		}
		if c.to != "" {
			set = slices.DeleteFunc(set, func(v string) bool { return v == c.to })
		}
		if c.from != "" && !slices.Contains(set, c.from) {
			set = append(set, c.from)
		}
	}
	return set
}

// civilDay is the day number of instant t in loc.
func civilDay(t int64, loc *time.Location) int64 {
	y, m, d := time.Unix(t, 0).In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// releaseDateEntries: a version's release date as observed by successive
// collections (the trackers keep only the current date): each observation
// in the period whose date differs from the one before is a move, dated
// when pmo first saw it; who moved it is not known.
func (b builder) releaseDateEntries(v *version) []Entry {
	var out []Entry
	for i := 1; i < len(v.dates); i++ {
		prev, cur := v.dates[i-1], v.dates[i]
		if !b.in(cur.at) || prev.day == cur.day || prev.day == 0 {
			continue // unchanged, or a first release date (not a move)
		}
		e := Entry{At: time.Unix(cur.at, 0).UTC(), Kind: KindReleaseDate, Change: "cleared", Key: v.name, Project: v.project,
			Program: v.program, Target: v.name, From: dayString(prev.day)}
		if cur.day != 0 {
			days := cur.day - prev.day
			e.To, e.Days, e.Change = dayString(cur.day), &days, "later"
			if days < 0 {
				e.Change = "earlier"
			}
		}
		out = append(out, e)
	}
	return out
}

// The models of models/changelog.sql (internal/sqlmodel).

//go:embed models/*.sql
var modelFiles embed.FS

var relationModels = sync.OnceValues(func() (*sqlmodel.Set, error) { return sqlmodel.Load("changelog", modelFiles, "models/*.sql") })
