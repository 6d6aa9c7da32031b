package kpi

import (
	"context"
	"fmt"
)

// backlogStat is what backlog_readiness's recomputation needs besides the
// items: whether ready statuses are configured (without, the value is NULL).
type backlogStat struct {
	readyConfigured bool
}

// Item sets of the backlog_readiness explanation.
const (
	blReady    = "ready"    // a ready item: its story points count
	blVelocity = "velocity" // a board of the scope: its mean velocity counts in the denominator
)

// explainBacklog lists what backlog_readiness (B4) is computed from for
// one scope: the ready items (the set ready of models/populations.sql,
// read over the planning source with the blocked state at as_of, as risks()
// aggregates it) with their story points, and the scope's boards with the
// mean velocity of their last velocity_window_sprints closed sprints (the
// sprint_velocity values the snapshot has).
func (x *Explainer) explainBacklog(ctx context.Context, e *Explanation, fg *flowGroup, ref scopeRef) error {
	e.Window = "snapshot"
	what := fmt.Sprintf("kpi: explaining %s for %s", e.KPI, ref.key())
	c := &computation{w: fg.c.w, s: fg.c.s, asOf: fg.c.asOf, lc: fg.c.lc}
	e.backlog = &backlogStat{readyConfigured: len(c.s.ReadyStatusIDs) > 0}
	in, out, err := c.blockingTexts(ctx)
	if err != nil {
		return err
	}
	pb, err := c.model("planning_blocked", map[string]any{"in_texts": in, "out_texts": out})
	if err != nil {
		return err
	}
	sc, err := scopedSQL(pb, []string{ref.key()})
	if err != nil {
		return err
	}
	pop, err := c.population(window{From: c.asOf, To: c.asOf}, sleDays{})
	if err != nil {
		return err
	}
	q, err := modelSQL("explain_backlog_ready", map[string]string{"scoped": "(" + sc + ")", "ready": pop.sets[setReady]}, nil)
	if err != nil {
		return err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var pts float64
		if err := rows.Scan(&key, &pts); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		e.Items = append(e.Items, ExplainItem{Key: key, Role: "ready: its story points count", Sets: []string{blReady}, Points: &pts,
			Values: map[string]float64{"points": pts}})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	// The boards' velocities, from the sprint KPIs of the scope.
	var snap Snapshot
	if err := computeSprints(ctx, x.w, x.cfg, x.asOf, ScopeFilter{Kind: ref.Kind, Name: ref.Name}, &snap); err != nil {
		return fmt.Errorf("%s: reading the boards' velocities: %w", what, err)
	}
	for _, b := range boardVelocities(snap.Values)[ref.Kind+"\x00"+ref.Name] {
		e.Items = append(e.Items, ExplainItem{Key: "board " + b.board, Role: "velocity: mean of the board's " + b.window + " closed sprints",
			Sets: []string{blVelocity}, Values: map[string]float64{"velocity": b.points}})
	}
	return nil
}

// recomputeBacklog derives backlog_readiness from the listed items as
// risks() and backlogReadinessValues do: ready points (n = ready items) and
// ready points / the mean of the boards' velocities.
func (e Explanation) recomputeBacklog(labels Labels) (*float64, uint64, bool) {
	var pts float64
	var n uint64
	var vel []boardVelocity
	for _, it := range e.Items {
		switch {
		case inSet(it, blReady):
			pts += it.Values["points"]
			n++
		case inSet(it, blVelocity):
			vel = append(vel, boardVelocity{points: it.Values["velocity"]})
		}
	}
	var rp *float64
	if e.backlog.readyConfigured {
		rp = fptr(pts)
	}
	switch {
	case labels["measure"] == "ready_points":
		return rp, n, true
	case len(labels) == 0:
		return readinessOf(rp, vel), n, true
	}
	return nil, 0, false
}
