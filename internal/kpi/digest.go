package kpi

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Digest is what changed between two complete refreshes, read from the KPI
// history (kpi_values): the portfolio_rag transitions with the components
// that moved, the largest movers of the rated KPI values (better or worse
// by the catalog's direction), the items that became overdue or blocked,
// and the releases whose on-time chance dropped.
type Digest struct {
	AsOf     time.Time `json:"as_of"`
	Previous time.Time `json:"previous"` // zero: no earlier complete refresh
	// RAG are the scopes whose portfolio_rag changed, worst change first.
	RAG []RAGTransition `json:"rag"`
	// Movers are, per KPI, its values that moved most (at most
	// DigestMoversPerKPI per KPI, DigestMovers in all), largest first.
	Movers []Mover `json:"movers"`
	// NewOverdue and NewBlocked are the portfolio's items overdue (blocked)
	// now and not at the previous refresh.
	NewOverdue []DigestItem `json:"new_overdue"`
	NewBlocked []DigestItem `json:"new_blocked"`
	// Releases are the release forecasts whose on-time probability dropped
	// by at least DigestReleaseDrop.
	Releases []ReleaseDrop `json:"releases"`
}

// Digest limits.
const (
	DigestMovers       = 12
	DigestMoversPerKPI = 3
	// DigestReleaseDrop is the smallest drop of on_time_probability shown:
	// 5 points, above the Monte Carlo's sampling noise between two as-ofs.
	DigestReleaseDrop = 0.05
)

// RAGTransition is a scope whose portfolio_rag changed.
type RAGTransition struct {
	ScopeKind  string            `json:"scope_kind"`
	Scope      string            `json:"scope"`
	From       *RAG              `json:"from"` // nil: not rated then
	To         *RAG              `json:"to"`
	Components []ComponentChange `json:"components"` // the components whose status changed, in the direction of the change first
}

// ComponentChange is a portfolio_rag component whose status changed.
type ComponentChange struct {
	Component string `json:"component"`
	From      *RAG   `json:"from"` // nil: n/a
	To        *RAG   `json:"to"`
}

// Mover is a rated KPI value that changed.
type Mover struct {
	ScopeKind string  `json:"scope_kind"`
	Scope     string  `json:"scope"`
	KPI       string  `json:"kpi"`
	Window    string  `json:"window"`
	Labels    Labels  `json:"labels"`
	From      float64 `json:"from"`
	To        float64 `json:"to"`
	FromRAG   *RAG    `json:"from_rag"`
	ToRAG     *RAG    `json:"to_rag"`
	// Change is |to − from| / max(|from|, |to|): 0…1, 1 when one side is 0
	// (2 when the sign flips).
	Change float64 `json:"change"`
	// Verdict is "better" or "worse" by the catalog's direction (inside
	// the band or without a direction: by the RAG), "changed" when neither
	// says.
	Verdict string `json:"verdict"`
}

// DigestItem is an item that became overdue or blocked.
type DigestItem struct {
	Key     string `json:"key"`
	Project string `json:"project"` // its project scope, "source/KEY"
	Role    string `json:"role"`    // the explanation's words, e.g. "overdue (due 2025-06-20 at as-of)"
}

// ReleaseDrop is a release forecast whose on-time probability dropped.
type ReleaseDrop struct {
	Project string  `json:"project"` // project scope "jira/R"
	Release string  `json:"release"`
	From    float64 `json:"from"`
	To      float64 `json:"to"`
}

// Empty reports whether nothing changed (or there is nothing to compare).
func (d Digest) Empty() bool {
	return len(d.RAG) == 0 && len(d.Movers) == 0 && len(d.NewOverdue) == 0 && len(d.NewBlocked) == 0 && len(d.Releases) == 0
}

// Diff compares the values of two snapshots (cur after prev).
func Diff(cur, prev Snapshot) Digest {
	d := Digest{AsOf: cur.AsOf, Previous: prev.AsOf}
	type id struct{ kind, scope, kpi, window, labels string }
	before := make(map[id]Value, len(prev.Values))
	for _, v := range prev.Values {
		before[id{v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String()}] = v
	}
	ragOf := func(v Value, ok bool) *RAG {
		if !ok || v.Value == nil {
			return nil
		}
		r := RAG(math.Round(*v.Value))
		return &r
	}
	dir := map[string]Direction{}
	for _, def := range Catalog {
		dir[def.ID] = def.Direction
	}
	byKPI := map[string][]Mover{}
	for _, v := range cur.Values {
		p, had := before[id{v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String()}]
		switch {
		case v.KPI == "portfolio_rag" && v.Labels["measure"] == "rag":
			from, to := ragOf(p, had), ragOf(v, true)
			if ragText(from, "-") == ragText(to, "-") || !had {
				continue
			}
			t := RAGTransition{ScopeKind: v.ScopeKind, Scope: v.Scope, From: from, To: to}
			for _, c := range cur.Values {
				comp := c.Labels["component"]
				if c.KPI != "portfolio_rag" || c.ScopeKind != v.ScopeKind || c.Scope != v.Scope || comp == "" {
					continue
				}
				pc, ok := before[id{c.ScopeKind, c.Scope, c.KPI, c.Window, c.Labels.String()}]
				cf, ct := ragOf(pc, ok), ragOf(c, true)
				if ragText(cf, "-") != ragText(ct, "-") {
					t.Components = append(t.Components, ComponentChange{Component: comp, From: cf, To: ct})
				}
			}
			worse := ragRank(to) > ragRank(from)
			slices.SortStableFunc(t.Components, func(a, b ComponentChange) int {
				// The components that moved the way the scope did first, the
				// largest step first.
				sa, sb := ragRank(a.To)-ragRank(a.From), ragRank(b.To)-ragRank(b.From)
				if !worse {
					sa, sb = -sa, -sb
				}
				return cmp.Compare(sb, sa)
			})
			d.RAG = append(d.RAG, t)
		case v.KPI == "portfolio_rag", v.Value == nil || !had || p.Value == nil, *v.Value == *p.Value:
		case v.Labels["release"] != "" || v.Labels["sprint"] != "":
			if v.KPI == "monte_carlo_forecast" && v.Labels["measure"] == "on_time_probability" && v.ScopeKind == ScopeProject && *p.Value-*v.Value >= DigestReleaseDrop-1e-12 {
				d.Releases = append(d.Releases, ReleaseDrop{Project: v.Scope, Release: v.Labels["release"], From: *p.Value, To: *v.Value})
			}
		case v.RAG == nil && p.RAG == nil:
			// Unrated values (counts, percentiles without thresholds) are
			// not movers: no threshold says the move matters.
		default:
			dd := dir[v.KPI]
			if dd == NoDirection && ragRank(v.RAG) == ragRank(p.RAG) {
				continue // no direction: only a change of status says better or worse
			}
			m := Mover{ScopeKind: v.ScopeKind, Scope: v.Scope, KPI: v.KPI, Window: v.Window, Labels: v.Labels, From: *p.Value, To: *v.Value,
				FromRAG: p.RAG, ToRAG: v.RAG, Change: math.Abs(*v.Value-*p.Value) / math.Max(math.Abs(*v.Value), math.Abs(*p.Value)), Verdict: "changed"}
			up := *v.Value > *p.Value
			switch {
			case dd == HigherIsBetter && up, dd == LowerIsBetter && !up:
				m.Verdict = "better"
			case dd == HigherIsBetter || dd == LowerIsBetter:
				m.Verdict = "worse"
			case ragRank(v.RAG) < ragRank(p.RAG):
				m.Verdict = "better"
			case ragRank(v.RAG) > ragRank(p.RAG):
				m.Verdict = "worse"
			}
			byKPI[v.KPI] = append(byKPI[v.KPI], m)
		}
	}
	slices.SortStableFunc(d.RAG, func(a, b RAGTransition) int {
		if c := cmp.Compare(ragRank(b.To)-ragRank(b.From), ragRank(a.To)-ragRank(a.From)); c != 0 {
			return c
		}
		return cmp.Compare(scopeOrder(a.ScopeKind, a.Scope), scopeOrder(b.ScopeKind, b.Scope))
	})
	byChange := func(a, b Mover) int {
		// A RAG change first, then the largest relative change; ties in
		// scope, KPI and label order (deterministic).
		ra, rb := ragRank(a.ToRAG) != ragRank(a.FromRAG), ragRank(b.ToRAG) != ragRank(b.FromRAG)
		if ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Change, a.Change); c != 0 {
			return c
		}
		return cmp.Compare(scopeOrder(a.ScopeKind, a.Scope)+"\x00"+a.KPI+"\x00"+a.Window+"\x00"+a.Labels.String(),
			scopeOrder(b.ScopeKind, b.Scope)+"\x00"+b.KPI+"\x00"+b.Window+"\x00"+b.Labels.String())
	}
	var movers []Mover
	for _, ms := range byKPI {
		slices.SortStableFunc(ms, byChange)
		movers = append(movers, ms[:min(len(ms), DigestMoversPerKPI)]...)
	}
	slices.SortStableFunc(movers, byChange)
	d.Movers = movers[:min(len(movers), DigestMovers)]
	slices.SortStableFunc(d.Releases, func(a, b ReleaseDrop) int {
		if c := cmp.Compare(b.From-b.To, a.From-a.To); c != 0 {
			return c
		}
		return cmp.Compare(a.Project+"\x00"+a.Release, b.Project+"\x00"+b.Release)
	})
	return d
}

// ragRank orders statuses: unrated −1, green 0, amber 1, red 2.
func ragRank(r *RAG) int {
	if r == nil {
		return -1
	}
	return int(*r)
}

// scopeOrder sorts portfolio, sources, programs, projects, then by name.
func scopeOrder(kind, scope string) string {
	rank := map[string]string{ScopePortfolio: "0", ScopeSource: "1", ScopeProgram: "2", ScopeProject: "3"}
	return rank[kind] + kind + ":" + scope
}

// For keeps the changes of one scope (a project page shows its own; the
// portfolio everything). Items and releases are kept on project scopes
// when their key or project belongs to it.
func (d Digest) For(kind, scope string) Digest {
	if kind == ScopePortfolio {
		return d
	}
	out := Digest{AsOf: d.AsOf, Previous: d.Previous}
	for _, t := range d.RAG {
		if t.ScopeKind == kind && t.Scope == scope {
			out.RAG = append(out.RAG, t)
		}
	}
	for _, m := range d.Movers {
		if m.ScopeKind == kind && m.Scope == scope {
			out.Movers = append(out.Movers, m)
		}
	}
	if kind == ScopeProject {
		for _, it := range d.NewOverdue {
			if it.Project == scope {
				out.NewOverdue = append(out.NewOverdue, it)
			}
		}
		for _, it := range d.NewBlocked {
			if it.Project == scope {
				out.NewBlocked = append(out.NewBlocked, it)
			}
		}
		for _, r := range d.Releases {
			if r.Project == scope {
				out.Releases = append(out.Releases, r)
			}
		}
	}
	return out
}

// PreviousComplete returns the as-of of the latest complete refresh before
// asOf (ErrNoValues when there is none).
//
// The first refreshes after migration 107 have no recorded predecessor: the
// values stored before it are then searched as LatestRefresh does.
func PreviousComplete(ctx context.Context, w *warehouse.Warehouse, asOf time.Time) (time.Time, error) {
	ts, fromRecords, err := completeAsOfs(ctx, w, 0)
	if err != nil {
		return time.Time{}, err
	}
	for _, t := range ts {
		if t.Before(asOf) {
			return t, nil
		}
	}
	if fromRecords {
		ts, err := completeAsOfsWithoutRecords(ctx, w, 1, asOf)
		if err != nil {
			return time.Time{}, err
		}
		if len(ts) > 0 {
			return ts[0], nil
		}
	}
	return time.Time{}, ErrNoValues
}

// DigestSince computes the digest of cur against the previous complete
// refresh before it: the value changes from the KPI history, and the items
// newly overdue or blocked in the portfolio from the explanations of
// overdue_ratio and blocked_ratio at both as-ofs. Without a previous
// complete refresh the digest is empty (Previous zero).
func DigestSince(ctx context.Context, w *warehouse.Warehouse, cfg Config, cur Snapshot) (Digest, error) {
	prevAt, err := PreviousComplete(ctx, w, cur.AsOf)
	if err != nil {
		if err == ErrNoValues {
			return Digest{AsOf: cur.AsOf}, nil
		}
		return Digest{}, fmt.Errorf("kpi: what changed since the previous refresh: %w", err)
	}
	prev, err := History(ctx, w, prevAt, prevAt)
	if err != nil {
		return Digest{}, fmt.Errorf("kpi: what changed since the refresh as of %s: %w", prevAt.Format(time.DateOnly), err)
	}
	prev.AsOf = prevAt
	d := Diff(cur, prev)
	// One Explainer per as-of: both KPIs read the same derived lifecycle.
	for _, at := range []struct {
		asOf time.Time
		now  bool
	}{{cur.AsOf, true}, {prevAt, false}} {
		x := NewExplainer(w, cfg, at.asOf)
		overdue, err := flagged(ctx, x, "overdue_ratio", func(role string) bool { return strings.HasPrefix(role, "overdue") })
		if err == nil {
			var blocked []DigestItem
			blocked, err = flagged(ctx, x, "blocked_ratio", func(role string) bool { return strings.Contains(role, "), blocked") })
			if at.now {
				d.NewOverdue, d.NewBlocked = overdue, blocked
			} else {
				d.NewOverdue, d.NewBlocked = minus(d.NewOverdue, overdue), minus(d.NewBlocked, blocked)
			}
		}
		x.Close(ctx)
		if err != nil {
			return Digest{}, err
		}
	}
	return d, nil
}

// minus returns the items of a whose key is not in b.
func minus(a, b []DigestItem) []DigestItem {
	var out []DigestItem
	for _, it := range a {
		if !slices.ContainsFunc(b, func(x DigestItem) bool { return x.Key == it.Key }) {
			out = append(out, it)
		}
	}
	return out
}

// flagged lists the portfolio's items whose explanation role of kpiID
// matches, by key.
func flagged(ctx context.Context, x *Explainer, kpiID string, match func(string) bool) ([]DigestItem, error) {
	e, err := x.Explain(ctx, kpiID, ScopePortfolio, "")
	if err != nil {
		return nil, fmt.Errorf("kpi: what changed: the items of %s as of %s: %w", kpiID, x.asOf.Format(time.DateOnly), err)
	}
	var out []DigestItem
	var keys []string
	for _, it := range e.Items {
		if match(it.Role) {
			out = append(out, DigestItem{Key: it.Key, Role: it.Role})
			keys = append(keys, it.Key)
		}
	}
	// Each item's project, whatever the tracker's key looks like (Jira
	// PAY-1, GitHub owner/repo#1, Redmine ident-1).
	q, err := modelSQL("issue_projects", nil, map[string]any{"keys": nonNil(keys)})
	if err != nil {
		return nil, err
	}
	rows, err := x.w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: what changed: the projects of the items of %s: %w", kpiID, err)
	}
	defer rows.Close()
	project := map[string]string{}
	for rows.Next() {
		var key, p string
		if err := rows.Scan(&key, &p); err != nil {
			return nil, fmt.Errorf("kpi: what changed: the projects of the items of %s: %w", kpiID, err)
		}
		if _, seen := project[key]; !seen {
			project[key] = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpi: what changed: the projects of the items of %s: %w", kpiID, err)
	}
	for i := range out {
		out[i].Project = project[out[i].Key]
	}
	slices.SortFunc(out, func(a, b DigestItem) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
