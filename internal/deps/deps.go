// Package deps shows the dependencies between groups of work — projects,
// programs or teams (kpi.teams) — at an as-of instant: a group × group
// matrix of open blocking links, the dependency graph, the cycles in it,
// and the critical chain of a release.
//
// It reads the warehouse through internal/raid (raid.ReadDeps), so a
// blocking link (kpi.blocking_link_types), an issue's state at as_of and
// the days a link has been open mean exactly what they mean in the RAID
// log's dependencies register.
//
// The rules:
//
//   - An open dependency is a blocking link active at as_of between two
//     open (not done) issues: From blocks To.
//   - The matrix counts, per (blocker group, blocked group) with the two
//     groups different (by team: an issue of no team is in the group
//     "(no team)"; with kpi.multi_team an issue of several teams is in
//     each of them, so a link counts once per pair of different teams),
//     the open dependencies, the total and the maximum days blocked
//     (days since the link was added; links whose addition is not
//     recorded are counted in Unknown and add no days) and the items at
//     risk: distinct blocked items with a date commitment — a due
//     date in force at as_of or a sprint active at as_of — whose blocker is
//     not done.
//   - The critical chain of a release (a fix version with a release date)
//     is the longest path of open blockers, followed transitively through
//     blocks links, that ends at an open item of the release. Links inside
//     a cycle are not followed (the cycle is reported instead), so the
//     search always ends.
//   - The chain makes its date when the remaining work, worked one item
//     after the other, fits: the sum over the chain's items (its blockers
//     and the release item) of the median cycle time of the item's project
//     — its team today — (flow items done in the CycleWindow days before
//     as_of) is at most the days from as_of to the release date. A project
//     without a done item in the window has no median: the verdict is then
//     unknown.
package deps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Rule is the critical chain's date rule, as explain output states it.
const Rule = "makes the date when the sum of its items' median cycle times (each item's project: its flow items done in the last %d days) is at most the days to the release date; items are worked one after the other"

// Grouping names how issues are grouped into the matrix's rows and columns.
const (
	GroupProject = "project"
	GroupProgram = "program"
	GroupTeam    = "team" // kpi.teams
)

// Groupings lists the groupings.
var Groupings = []string{GroupProject, GroupProgram, GroupTeam}

// NoTeam is the team group of an issue of no team (GroupTeam).
const NoTeam = "(no team)"

// DefaultCycleWindow is the days before as_of whose done items give a
// group's median cycle time.
const DefaultCycleWindow = 90

// groups names the groups of an issue: one, or by team each of its teams
// (several with kpi.multi_team).
func groups(by string, e raid.LinkEnd) []string {
	switch by {
	case GroupProgram:
		return []string{cmp.Or(e.Program, "(no program)")}
	case GroupTeam:
		if len(e.Teams) == 0 {
			return []string{NoTeam}
		}
		return e.Teams
	default:
		return []string{e.Project}
	}
}

// CheckGroupBy reports an unknown grouping.
func CheckGroupBy(by string) error {
	if by == "" || slices.Contains(Groupings, by) {
		return nil
	}
	return fmt.Errorf("unknown grouping %q: expected %s, %s or %s", by, GroupProject, GroupProgram, GroupTeam)
}

// Node is an issue of the graph.
type Node struct {
	raid.LinkEnd
	// Group is its group (by team, its teams joined by ", ").
	Group string `json:"group"`
	// SprintEnd is the end of its sprint active at as_of (YYYY-MM-DD).
	SprintEnd string `json:"sprint_end,omitempty"`
	// AtRisk: it is blocked and has a date commitment (a due date or an
	// active sprint).
	AtRisk bool `json:"at_risk,omitempty"`
}

// Edge is an open dependency: From blocks To (node keys).
type Edge struct {
	From      string `json:"from"`
	To        string `json:"to"`
	FromGroup string `json:"from_group"`
	ToGroup   string `json:"to_group"`
	// DaysBlocked counts from when the link was added (nil: not recorded).
	DaysBlocked *int64 `json:"days_blocked,omitempty"`
	InCycle     bool   `json:"in_cycle,omitempty"`

	fromID, toID string // node ids
}

// Cell is one (blocker group, blocked group) entry of the matrix.
type Cell struct {
	From           string `json:"from"` // the blockers' group
	To             string `json:"to"`   // the blocked items' group
	Open           int    `json:"open"`
	DaysBlocked    int64  `json:"days_blocked"`
	MaxDaysBlocked int64  `json:"max_days_blocked"`
	Unknown        int    `json:"unknown_days"` // links whose addition is not recorded
	AtRisk         int    `json:"at_risk"`
}

// Matrix is the group × group matrix of open cross-group dependencies.
type Matrix struct {
	GroupBy string   `json:"group_by"`
	Groups  []string `json:"groups"`
	Cells   []Cell   `json:"cells"` // by From, then To
}

// Cell returns the cell (from, to), zero when there is none.
func (m Matrix) Cell(from, to string) Cell {
	for _, c := range m.Cells {
		if c.From == from && c.To == to {
			return c
		}
	}
	return Cell{From: from, To: to}
}

// ChainItem is one item of a critical chain.
type ChainItem struct {
	Key     string `json:"key"`
	Summary string `json:"summary"`
	URL     string `json:"url,omitempty"`
	Group   string `json:"group"`
	Status  string `json:"status"`
	// DaysBlocked: how long this item has blocked the next one (nil on
	// the release item, or when the link's addition is not recorded).
	DaysBlocked *int64 `json:"days_blocked,omitempty"`
	// CycleDays is its project's median cycle time (nil: no sample).
	CycleDays *float64 `json:"median_cycle_days,omitempty"`
}

// Chain is the critical chain of a release: its blockers first, the
// release item last.
type Chain struct {
	Version       string      `json:"version"`
	Release       string      `json:"release_date"` // YYYY-MM-DD
	Items         []ChainItem `json:"items"`
	DaysToRelease int64       `json:"days_to_release"`
	// NeededDays is the sum of the items' median cycle times (nil: a
	// project has no sample).
	NeededDays *float64 `json:"needed_days,omitempty"`
	// Verdict: "makes the date", "misses the date" or "unknown".
	Verdict string `json:"verdict"`
	Rule    string `json:"rule"`
}

// Blockers is the number of open blockers ahead of the release item.
func (c Chain) Blockers() int { return max(len(c.Items)-1, 0) }

// Verdicts.
const (
	Makes   = "makes the date"
	Misses  = "misses the date"
	Unknown = "unknown"
)

// Report is the dependency view of one scope at as_of.
type Report struct {
	Scope  string    `json:"scope"`
	AsOf   time.Time `json:"as_of"`
	Nodes  []Node    `json:"nodes"`
	Edges  []Edge    `json:"edges"`
	Matrix Matrix    `json:"matrix"`
	// Cycles are the sets of issues that block each other in a circle.
	Cycles [][]string `json:"cycles"`
	// Chain is the critical chain: of Options.Release when given, else the
	// longest among the scope's unreleased releases dated on or after
	// as_of (nil: no such release).
	Chain *Chain `json:"critical_chain,omitempty"`
	// Release is the release asked for (Options.Release).
	Release string `json:"release,omitempty"`
}

// Empty reports whether there is nothing to show.
func (r Report) Empty() bool { return len(r.Edges) == 0 && r.Chain == nil }

// Options say what to build.
type Options struct {
	KPI  kpi.Config
	RAID raid.Config
	AsOf time.Time
	// Scope selects the scope (zero: the portfolio): the dependencies with
	// either issue in it.
	Scope kpi.ScopeFilter
	// GroupBy: GroupProject (default), GroupProgram or GroupTeam.
	GroupBy string
	// Release names the fix version whose chain is asked for.
	Release string
	// CycleWindow: days of done items for the median cycle times (0:
	// DefaultCycleWindow).
	CycleWindow int
}

// ErrNoRelease: the release asked for has no open item in the scope, or no
// release date.
var ErrNoRelease = errors.New("no such release")

// Build reads the warehouse and builds the report of opts.Scope.
func Build(ctx context.Context, w *warehouse.Warehouse, opts Options) (Report, error) {
	opts.CycleWindow = cmp.Or(opts.CycleWindow, DefaultCycleWindow)
	if err := CheckGroupBy(opts.GroupBy); err != nil {
		return Report{}, fmt.Errorf("deps: %w", err)
	}
	d, err := raid.ReadDeps(ctx, w, raid.Options{KPI: opts.KPI, RAID: opts.RAID, AsOf: opts.AsOf}, opts.CycleWindow)
	if err != nil {
		return Report{}, fmt.Errorf("deps: %w", err)
	}
	loc, err := time.LoadLocation(cmp.Or(opts.KPI.TZ, "UTC"))
	if err != nil {
		return Report{}, fmt.Errorf("deps: kpi.tz: %w", err)
	}
	return Compute(d, opts, loc)
}

// Compute builds the report from what raid.ReadDeps read.
func Compute(d raid.DepData, opts Options, loc *time.Location) (Report, error) {
	opts.CycleWindow = cmp.Or(opts.CycleWindow, DefaultCycleWindow)
	by := cmp.Or(opts.GroupBy, GroupProject)
	g := newGraph(d, by)
	r := Report{Scope: scopeName(opts.Scope), AsOf: opts.AsOf.UTC(), Release: opts.Release, Cycles: [][]string{}}
	in := func(id string) bool { n := g.nodes[id]; return opts.Scope.Holds(n.Project, n.Program, n.Teams) }

	// The graph of the scope: the links with either issue in it.
	shown := map[string]bool{}
	for _, e := range g.edges {
		if in(e.fromID) || in(e.toID) {
			r.Edges = append(r.Edges, e)
			shown[e.fromID], shown[e.toID] = true, true
		}
	}
	for _, id := range g.order {
		if shown[id] {
			r.Nodes = append(r.Nodes, *g.nodes[id])
		}
	}
	r.Matrix = matrix(by, r.Edges, g, opts.KPI.Teams)
	for _, c := range g.cycles {
		if slices.ContainsFunc(c, in) {
			r.Cycles = append(r.Cycles, keys(g, c))
		}
	}

	// The critical chain.
	asOfDay := civilDay(opts.AsOf, loc)
	type rel struct {
		version, date string
		released      bool
		targets       []string
	}
	rels := map[string]*rel{}
	var names []string
	for _, ri := range d.Releases {
		id := g.add(ri.Issue)
		if !in(id) {
			continue
		}
		x, ok := rels[ri.Version]
		if !ok {
			x = &rel{version: ri.Version, date: ri.Release, released: true}
			rels[ri.Version] = x
			names = append(names, ri.Version)
		}
		// A version name shared by several projects: the earliest date.
		x.date = min(x.date, ri.Release)
		x.released = x.released && ri.Released
		if !slices.Contains(x.targets, id) {
			x.targets = append(x.targets, id)
		}
	}
	slices.Sort(names)
	chainIDs := map[*Chain][]string{}
	chainOf := func(x *rel) *Chain {
		c := g.critical(x.targets)
		if c == nil {
			return nil
		}
		out := &Chain{Version: x.version, Release: x.date, Rule: fmt.Sprintf(Rule, opts.CycleWindow)}
		day, _ := time.Parse(time.DateOnly, x.date)
		out.DaysToRelease = int64(day.Sub(asOfDay).Hours() / 24)
		need, known := 0.0, true
		for i, id := range c {
			n := g.nodes[id]
			it := ChainItem{Key: n.Key, Summary: n.Summary, URL: n.URL, Group: n.Group, Status: n.Status}
			if i+1 < len(c) {
				it.DaysBlocked = g.edge[[2]string{id, c[i+1]}].DaysBlocked
			}
			if m, ok := median(d.CycleDays[n.Project]); ok {
				it.CycleDays = &m
				need += m
			} else {
				known = false
			}
			out.Items = append(out.Items, it)
		}
		switch {
		case !known:
			out.Verdict = Unknown
		case need <= float64(out.DaysToRelease):
			out.Verdict = Makes
		default:
			out.Verdict = Misses
		}
		if known {
			out.NeededDays = &need
		}
		chainIDs[out] = c
		return out
	}
	// The graph shows the chain's links too, when they lie outside the
	// scope (the matrix does not count them).
	withChain := func() {
		ids := chainIDs[r.Chain]
		for i := 0; i+1 < len(ids); i++ {
			if in(ids[i]) || in(ids[i+1]) {
				continue // shown already
			}
			e := g.edge[[2]string{ids[i], ids[i+1]}]
			r.Edges = append(r.Edges, e)
			for _, id := range ids[i : i+2] {
				if !shown[id] {
					shown[id] = true
					r.Nodes = append(r.Nodes, *g.nodes[id])
				}
			}
		}
	}
	if opts.Release != "" {
		x, ok := rels[opts.Release]
		if !ok {
			return Report{}, fmt.Errorf("deps: release %q: %w: no open item of %s is planned into a fix version of that name with a release date (check the version's name and release date in the tracker, and --scope)", opts.Release, ErrNoRelease, r.Scope)
		}
		r.Chain = chainOf(x)
		withChain()
		return r, nil
	}
	asOf := asOfDay.Format(time.DateOnly)
	for _, name := range names {
		x := rels[name]
		if x.released || x.date < asOf {
			continue
		}
		c := chainOf(x)
		if c == nil || c.Blockers() == 0 {
			continue
		}
		if r.Chain == nil || c.Blockers() > r.Chain.Blockers() || c.Blockers() == r.Chain.Blockers() && c.Release < r.Chain.Release {
			r.Chain = c
		}
	}
	withChain()
	return r, nil
}

func civilDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func scopeName(f kpi.ScopeFilter) string {
	if f.Kind == "" || f.Kind == kpi.ScopePortfolio {
		return kpi.ScopePortfolio
	}
	return f.String()
}

// median of a sorted sample: the middle value, or the mean of the two
// middle values.
func median(xs []float64) (float64, bool) {
	n := len(xs)
	if n == 0 {
		return 0, false
	}
	if n%2 == 1 {
		return xs[n/2], true
	}
	return (xs[n/2-1] + xs[n/2]) / 2, true
}

func keys(g *graph, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = g.nodes[id].Key
	}
	return out
}

func matrix(by string, edges []Edge, g *graph, teams []kpi.Team) Matrix {
	m := Matrix{GroupBy: by, Groups: []string{}, Cells: []Cell{}}
	cells := map[[2]string]*Cell{}
	risky := map[[2]string]map[string]bool{}
	for _, e := range edges {
		for _, from := range groups(by, g.nodes[e.fromID].LinkEnd) {
			for _, to := range groups(by, g.nodes[e.toID].LinkEnd) {
				if from == to {
					continue
				}
				k := [2]string{from, to}
				c, ok := cells[k]
				if !ok {
					c = &Cell{From: k[0], To: k[1]}
					cells[k], risky[k] = c, map[string]bool{}
				}
				c.Open++
				if e.DaysBlocked != nil {
					c.DaysBlocked += *e.DaysBlocked
					c.MaxDaysBlocked = max(c.MaxDaysBlocked, *e.DaysBlocked)
				} else {
					c.Unknown++
				}
				if g.nodes[e.toID].AtRisk {
					risky[k][e.toID] = true
				}
			}
		}
	}
	for k, c := range cells {
		c.AtRisk = len(risky[k])
		m.Cells = append(m.Cells, *c)
		for _, name := range k {
			if !slices.Contains(m.Groups, name) {
				m.Groups = append(m.Groups, name)
			}
		}
	}
	// Teams in the order of kpi.teams, "(no team)" last; else by name.
	rank := func(name string) int { return 0 }
	if by == GroupTeam {
		rank = func(name string) int {
			if i := slices.IndexFunc(teams, func(t kpi.Team) bool { return t.Name == name }); i >= 0 {
				return i
			}
			return len(teams)
		}
	}
	order := func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) }
	slices.SortFunc(m.Groups, order)
	slices.SortFunc(m.Cells, func(a, b Cell) int { return cmp.Or(order(a.From, b.From), order(a.To, b.To)) })
	return m
}
