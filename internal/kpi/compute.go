package kpi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/sqlmodel"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"golang.org/x/sync/errgroup"
)

// ScopeFilter selects the scopes to compute. Zero value: every scope.
// Name matches a scope exactly, or a project by its key without the source
// prefix ("ALPHA" matches "jira/ALPHA").
type ScopeFilter struct {
	Kind string // portfolio, source, program, project, team; empty = all kinds
	Name string // empty = all names
}

// ParseScopeFilter parses "kind", "kind:name" or "" (all).
func ParseScopeFilter(s string) (ScopeFilter, error) {
	if s == "" {
		return ScopeFilter{}, nil
	}
	kind, name, _ := strings.Cut(s, ":")
	switch kind {
	case ScopePortfolio, ScopeSource, ScopeProgram, ScopeProject, ScopeTeam:
		return ScopeFilter{Kind: kind, Name: name}, nil
	}
	return ScopeFilter{}, fmt.Errorf("kpi: scope %q: kind %q is not one of portfolio, source, program, project, team (use e.g. project:ALPHA or team:Payments)", s, kind)
}

func (f ScopeFilter) match(r scopeRef) bool {
	if f.Kind != "" && f.Kind != r.Kind {
		return false
	}
	if f.Name == "" {
		return true
	}
	if r.Name == f.Name {
		return true
	}
	return r.Kind == ScopeProject && strings.HasSuffix(r.Name, "/"+f.Name)
}

// scopeRef is one scope and what a project scope belongs to.
type scopeRef struct {
	Kind, Name      string
	Program, Source string
}

func (r scopeRef) key() string { return r.Kind + ":" + r.Name }

// group is a set of scopes that share settings and so one set of queries.
type group struct {
	s      settings
	scopes []scopeRef
	keep   []string // scope keys; nil = every scope
}

// Compute computes every KPI of the catalog for the scopes selected by f at
// as_of. Values not computable are NULL. The snapshot is not stored (see
// Store).
func Compute(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, f ScopeFilter) (Snapshot, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return Snapshot{}, errors.Join(errs...)
	}
	asOf = asOf.UTC().Truncate(time.Second)
	snap := Snapshot{AsOf: asOf, ComputedAt: time.Now().UTC().Truncate(time.Second)}
	groups, err := scopeGroups(ctx, w, cfg, asOf, f)
	if err != nil {
		return Snapshot{}, err
	}
	// The sprint reports read their own rows and share nothing with the
	// groups' computation but the warehouse: they run alongside it (the
	// engine runs one query at a time; the Go work of one side — decoding,
	// the sprint replay, the Monte Carlo trials — overlaps the other's
	// queries), into their own snapshot, appended after.
	var sprints Snapshot
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error { return computeSprints(ectx, w, cfg, asOf, f, &sprints) })
	eg.Go(func() error {
		// Groups whose lifecycle SQL is the same — settings that differ
		// only in the time zone: each issue counts its days in its own zone
		// (models/lifecycle.sql) — share one materialized lifecycle; they
		// run one after the other, so one table is alive at a time.
		lcqs := make([]string, len(groups))
		order := make([]int, len(groups))
		for i, g := range groups {
			q, err := lifecycleSQL(g.s, asOf)
			if err != nil {
				return err
			}
			lcqs[i], order[i] = q, i
		}
		slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(lcqs[a], lcqs[b]) })
		sqlmodel.DropStale(ectx, w, tmpPrefix)
		var cur, table string
		drop := func() {}
		defer func() { drop() }()
		for _, i := range order {
			if lcqs[i] != cur || table == "" {
				drop()
				table, drop = materialize(ectx, w, "lifecycle", lcqs[i])
				cur = lcqs[i]
			}
			g := groups[i]
			c := &computation{w: w, s: g.s, asOf: asOf, keep: g.keep, snap: &snap, scopes: cfg.Scopes, lc: table}
			if err := c.run(ectx); err != nil {
				return err
			}
		}
		return nil
	})
	if err := eg.Wait(); err != nil {
		return Snapshot{}, err
	}
	snap.Values = append(snap.Values, sprints.Values...)
	snap.Checks = append(snap.Checks, sprints.Checks...)
	backlogReadinessValues(&snap)
	type ragIn struct {
		win     string
		weights map[string]float64
	}
	rag := map[string]ragIn{}
	for _, g := range groups {
		if len(g.s.FlowWindowsWeeks) == 0 {
			continue
		}
		long := slices.Max(g.s.FlowWindowsWeeks)
		for _, r := range g.scopes {
			rag[r.Kind+"\x00"+r.Name] = ragIn{fmt.Sprintf("%dw", long), g.s.RAGWeights}
		}
	}
	// RAG: every value is rated once, with its scope's thresholds; the
	// portfolio RAG then combines the rated components and is rated too.
	rater := newRater(cfg, groups)
	rater.rate(&snap, 0)
	n := len(snap.Values)
	portfolioRAGValues(&snap, func(kind, scope string) (string, map[string]float64) {
		in := rag[kind+"\x00"+scope]
		return in.win, in.weights
	}, rater.evaluator)
	rater.rate(&snap, n)
	for i := range snap.Values {
		snap.Values[i].AsOf = asOf
		snap.Values[i].ComputedAt = snap.ComputedAt
	}
	snap.sort()
	return snap, nil
}

// scopeGroups lists the scopes present at as_of and groups them by settings.
func scopeGroups(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, f ScopeFilter) ([]group, error) {
	q, err := scopeProjectsSQL(asOf)
	if err != nil {
		return nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: listing scopes: %w", err)
	}
	defer rows.Close()
	refs := []scopeRef{{Kind: ScopePortfolio, Name: "all"}}
	seen := map[string]bool{}
	for rows.Next() {
		var src, key, prog string
		if err := rows.Scan(&src, &key, &prog); err != nil {
			return nil, fmt.Errorf("kpi: listing scopes: %w", err)
		}
		for _, r := range []scopeRef{{Kind: ScopeSource, Name: src}, {Kind: ScopeProgram, Name: prog}, {Kind: ScopeProject, Name: src + "/" + key, Program: prog, Source: src}} {
			if r.Name == "" || seen[r.key()] {
				continue
			}
			seen[r.key()] = true
			refs = append(refs, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpi: listing scopes: %w", err)
	}
	teams, err := scopeTeams(ctx, w, cfg, asOf)
	if err != nil {
		return nil, err
	}
	for _, name := range teams {
		t, _ := cfg.team(name)
		refs = append(refs, scopeRef{Kind: ScopeTeam, Name: name, Program: t.Program})
	}
	byKey := map[string]*group{}
	var order []string
	total := 0
	for _, r := range refs {
		if !f.match(r) {
			continue
		}
		total++
		s, err := cfg.resolve(r.Kind, r.Name, r.Program, r.Source)
		if err != nil {
			return nil, err
		}
		k := s.key()
		g, ok := byKey[k]
		if !ok {
			g = &group{s: s}
			byKey[k] = g
			order = append(order, k)
		}
		g.scopes = append(g.scopes, r)
		g.keep = append(g.keep, r.key())
	}
	var out []group
	for _, k := range order {
		g := byKey[k]
		if len(order) == 1 && total == len(refs) {
			g.keep = nil // everything: no filter needed
		}
		out = append(out, *g)
	}
	return out, nil
}

// computation runs the SQL of one settings group.
type computation struct {
	w    *warehouse.Warehouse
	s    settings
	asOf time.Time
	keep []string
	snap *Snapshot
	// scopes are the per-scope overrides (EVM inputs are per exact scope).
	scopes []ScopeConfig
	// lc is the FROM source of the lifecycle rows (unscoped).
	lc string
	// little carries throughput and mean cycle time per window and scope
	// from the flow query to the WIP query (Little's law, F8).
	little map[string]littleIn
	// plan is the FROM source of the planning rows: the lifecycle with the
	// replayed due dates and estimates (planningSourceSQL), read by P1, P3
	// and K2.
	plan string
	// mcHist is each project's daily throughput history (F9), from the
	// forecast to the release forecasts.
	mcHist map[string][]int
	// finish holds the work a step left running in the background (the
	// Monte Carlo trials), done after the last step, in order.
	finish []func()
	// sgTrace, when set (explaining scope_growth), sees every issue's part
	// in every version's scope growth.
	sgTrace func(sgItem)
}

func (c *computation) emit(r result, kpi, win string, labels Labels, v *float64, n uint64) {
	if labels == nil {
		labels = Labels{}
	}
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
		// ClickHouse answers avg() over no rows with nan: not computable
		// is NULL, never a number (kpis.md §0).
		v = nil
	}
	c.snap.Values = append(c.snap.Values, Value{ScopeKind: r.kind, Scope: r.scope, KPI: kpi, Window: win, Labels: labels, Value: v, N: n})
}

// ratio returns a/b, or nil when b is 0 or either is NULL (0/0 → NULL).
func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *b == 0 {
		return nil
	}
	v := *a / *b
	return &v
}

func fptr(f float64) *float64 { return &f }

func (c *computation) minSample() uint64 { return uint64(*c.s.MinSample) }

// gate applies the C7 rule: percentiles over fewer than min_sample items are NULL.
func (c *computation) gate(v *float64, n uint64) *float64 {
	if n < c.minSample() {
		return nil
	}
	return v
}

var quantiles = []float64{0.5, 0.85, 0.95}

func qLabel(q float64) string { return strconv.FormatFloat(q, 'f', -1, 64) }
func qName(q float64) string  { return strconv.Itoa(int(q*100 + 0.5)) }

// run computes the group's KPIs from its lifecycle rows (c.lc, the
// materialized lifecycle model of its settings: see Compute).
func (c *computation) run(ctx context.Context) error {
	lc := c.lc
	from, err := scopedSQL(lc, c.keep)
	if err != nil {
		return err
	}
	// The SLE baseline (kpis.md F5/F6): NR percentile of the trailing
	// 12-week day-count cycle time per scope.
	base := trailingWeeks(c.asOf, 12, c.s.loc)
	sleHist, err := c.sleBaseline(ctx, from, base)
	if err != nil {
		return err
	}
	var wins []window
	for _, weeks := range c.s.FlowWindowsWeeks {
		wins = append(wins, trailingWeeks(c.asOf, weeks, c.s.loc))
	}
	// One scan for every window's flow KPIs, one for every window's WIP.
	if err := c.flow(ctx, from, wins, sleHist); err != nil {
		return err
	}
	if err := c.wip(ctx, wins); err != nil {
		return err
	}
	// The planning source scans the changelog once for P1, P3 and K2.
	pq, err := c.model("planning_source", nil)
	if err != nil {
		return err
	}
	plan, dropPlan := c.materialize(ctx, "planning source", pq)
	defer dropPlan()
	c.plan = plan
	// The rest in order, each step timed for the debug log (make bench
	// with KPI_DEBUG=1 shows where a snapshot spends its time).
	steps := []struct {
		what string
		run  func() error
	}{
		{"bug_mttr by priority", func() error { return c.bugsByPriority(ctx, from, wins) }},
		{"snapshot KPIs", func() error { return c.snapshotKPIs(ctx, from, sleHist) }},
		{"planning", func() error { return c.planning(ctx, from, wins) }},
		{"risks and dependencies", func() error { return c.risks(ctx, from) }},
		{"effort", func() error { return c.effort(ctx) }},
		{"monte carlo forecast", func() error { return c.forecast(ctx, from) }},
		{"scope growth", func() error { return c.scopeGrowth(ctx) }},
		{"release adherence", func() error { return c.releaseAdherence(ctx) }},
		{"release forecasts", func() error { return c.releaseForecast(ctx) }},
		{"earned value", func() error { return c.evm(ctx, from) }},
	}
	// Background work is finished on every return: an error of a later
	// step must not leave its goroutines behind.
	defer func() {
		for _, f := range c.finish {
			f()
		}
		c.finish = nil
	}()
	for _, st := range steps {
		t0 := time.Now()
		if err := st.run(); err != nil {
			return err
		}
		slog.Debug("kpi: step", "what", st.what, "took", time.Since(t0))
	}
	t0 := time.Now()
	for _, f := range c.finish {
		f()
	}
	c.finish = nil
	slog.Debug("kpi: step", "what", "background work (monte carlo trials)", "took", time.Since(t0))
	return nil
}

// materialize derives a building block (the lifecycle, the planning
// source; what names it in the debug log) once per computation into a
// Memory table that the KPI queries of this group read (instead of
// re-deriving it in every query), and returns the FROM source and a
// cleanup. When the table cannot be created (e.g. a read-only user) the
// queries inline the SQL.
func (c *computation) materialize(ctx context.Context, what, q string) (string, func()) {
	c.dropStale(ctx)
	return materialize(ctx, c.w, what, q)
}

// materialize stores the rows of query q into a temporary Memory table
// (sqlmodel.Materialize) and returns a query of them and a cleanup.
func materialize(ctx context.Context, w *warehouse.Warehouse, what, q string) (string, func()) {
	return sqlmodel.Materialize(ctx, w, tmpPrefix, what, q)
}

// tmpPrefix names the engine's temporary tables.
const tmpPrefix = "kpi_tmp_lifecycle_"

// dropStale drops temporary tables left by a computation that died more
// than an hour ago (their names carry the creation instant).
func (c *computation) dropStale(ctx context.Context) { sqlmodel.DropStale(ctx, c.w, tmpPrefix) }

// sleBaseline returns per scope key the SLE days for F5 (history NR P of
// the 12-week day-count cycle time, or the configured SLE when history has
// fewer than min_sample items) and for F6 (the configured SLE, else history).
type sleDays struct{ hist, att map[string]float64 }

func (c *computation) sleBaseline(ctx context.Context, from string, w window) (sleDays, error) {
	p, err := c.population(w, sleDays{})
	if err != nil {
		return sleDays{}, err
	}
	res, err := c.aggregate(ctx, "the SLE baseline", "sle_history", from, p, nil)
	if err != nil {
		return sleDays{}, err
	}
	q := c.s.SLE.Percentile
	out := sleDays{hist: map[string]float64{}, att: map[string]float64{}}
	conf := c.s.SLE.Days
	for _, r := range res {
		k := r.kind + ":" + r.scope
		h := conf
		if nr := r.pct("xs", "nr", q); r.n("n") >= c.minSample() && nr != nil {
			h = *nr
		}
		if h > 0 {
			out.hist[k] = h
		}
		a := conf
		if a <= 0 {
			a = h
		}
		if a > 0 {
			out.att[k] = a
		}
	}
	return out, nil
}
