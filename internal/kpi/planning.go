package kpi

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Part 2 of the catalog: planning (P1, P3), risks and dependencies (K1–K3)
// and effort (R1–R3). Counts, sums and sorted arrays come from ClickHouse;
// Go only forms ratios and applies the capacity calendar.

// planning computes due_date_adherence (P1) and estimation_accuracy (P3)
// for items done in each window, with the due date in force at completion
// and the original estimate at started_at replayed from the changelog (see
// planningSourceSQL). The from argument is unused: the planning source
// joins the field history to the lifecycle.
func (c *computation) planning(ctx context.Context, _ string, wins []window) error {
	from, err := scopedSQL(c.plan, c.keep)
	if err != nil {
		return err
	}
	for _, w := range wins {
		p := population{params: map[string]any{"w_from": c.s.zoneFrom(c.asOf, w), "w_to": w.To.Unix()}}
		res, err := c.aggregate(ctx, "planning KPIs ("+w.Name+")", "planning_window", from, p, nil)
		if err != nil {
			return err
		}
		for _, r := range res {
			c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "on_time_ratio"}, ratio(r.f("dd_ok"), r.f("dd_pop")), r.n("dd_pop"))
			c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "late"}, fptr(float64(r.n("late_n"))), r.n("dd_pop"))
			ln := r.n("late_n")
			for _, q := range []float64{0.5, 0.85} {
				c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "lateness", "method": "nr", "quantile": qLabel(q), "unit": "dc"}, c.gate(r.pct("late_xs", "nr", q), ln), ln)
			}
			// The baseline_due variant (kpis.md P1): against the first
			// due date, with the number of due-date changes.
			const bv = "baseline_due"
			bn := r.n("bd_pop")
			c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "on_time_ratio", "variant": bv}, ratio(r.f("bd_ok"), r.f("bd_pop")), bn)
			c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "late", "variant": bv}, fptr(float64(r.n("blate_n"))), bn)
			c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "due_date_changes", "variant": bv}, fptr(float64(r.n("bd_chg"))), bn)
			bln := r.n("blate_n")
			for _, q := range []float64{0.5, 0.85} {
				c.emit(r, "due_date_adherence", w.Name, Labels{"measure": "lateness", "method": "nr", "quantile": qLabel(q), "unit": "dc", "variant": bv}, c.gate(r.pct("blate_xs", "nr", q), bln), bln)
			}
			en := r.n("ea_n")
			var med *float64
			if en > 0 {
				med = r.pct("ea_xs", "r7", 0.5)
			}
			c.emit(r, "estimation_accuracy", w.Name, Labels{"measure": "median"}, med, en)
			c.emit(r, "estimation_accuracy", w.Name, Labels{"measure": "ratio_of_sums"}, ratio(r.f("ea_spent"), r.f("ea_est")), en)
			c.emit(r, "estimation_accuracy", w.Name, Labels{"measure": "within_band"}, ratio(r.f("ea_band"), r.f("ea_n")), en)
		}
	}
	return nil
}

// riskStaleDays: a risk not updated for this long is unreviewed (K1).
const riskStaleDays = 14

// riskLevels are the K1 flag levels of the severity weights: "high" is the
// weight of High (else the top one), top the largest weight.
func riskLevels(w map[string]float64) (high, top float64) {
	for _, x := range w {
		top = math.Max(top, x)
	}
	high, ok := w["High"]
	if !ok {
		high = top
	}
	return high, top
}

// risks computes the snapshot KPIs overdue_ratio (K2, due dates in force
// at as_of), blocked_ratio (K3) and risk_exposure (K1) at as_of. The from argument is unused: the source
// joins the blocked state at as_of (blockedItemsSQL) to the lifecycle.
func (c *computation) risks(ctx context.Context, _ string) error {
	in, out, err := c.blockingTexts(ctx)
	if err != nil {
		return err
	}
	// K2 reads the due date in force at as_of (due_asof of the planning
	// source, replayed from the due-date changelog like P1), so a
	// backfilled snapshot sees the past plan.
	pb, err := c.model("planning_blocked", map[string]any{"in_texts": in, "out_texts": out})
	if err != nil {
		return err
	}
	from, err := scopedSQL(pb, c.keep)
	if err != nil {
		return err
	}
	// B4's ready items are the set ready of models/populations.sql.
	pop, err := c.population(window{From: c.asOf, To: c.asOf}, sleDays{})
	if err != nil {
		return err
	}
	// Severity by priority name; "" (weight 0) keeps the lists non-empty.
	names := []string{""}
	for n := range c.s.RiskSeverityWeights {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	weights := make([]float64, len(names))
	for i, n := range names {
		weights[i] = c.s.RiskSeverityWeights[n]
	}
	highW, maxW := riskLevels(c.s.RiskSeverityWeights)
	res, err := c.aggregate(ctx, "risk and dependency KPIs", "risks_now", from, pop, map[string]any{
		"risk_types": nonNil(c.s.RiskTypes), "severity_names": names, "severity_weights": weights,
		"high_w": highW, "top_w": maxW, "stale_s": int64(riskStaleDays * 86400), "e_day": c.s.zoneEDay(c.asOf),
	})
	if err != nil {
		return err
	}
	const snap = "snapshot"
	for _, r := range res {
		c.emit(r, "overdue_ratio", snap, Labels{"measure": "ratio"}, ratio(r.f("od_n"), r.f("od_pop")), r.n("od_pop"))
		on := r.n("od_n")
		for _, q := range []float64{0.5, 0.85} {
			c.emit(r, "overdue_ratio", snap, Labels{"measure": "overdue_days", "method": "nr", "quantile": qLabel(q), "unit": "dc"}, c.gate(r.pct("od_xs", "nr", q), on), on)
		}
		c.emit(r, "blocked_ratio", snap, Labels{"measure": "ratio"}, ratio(r.f("blocked_n"), r.f("open_n")), r.n("open_n"))
		bn := r.n("blocked_n")
		c.emit(r, "blocked_ratio", snap, Labels{"measure": "ratio", "variant": "wip"}, ratio(r.f("blocked_wip_n"), r.f("blocked_wip")), r.n("blocked_wip"))
		c.emit(r, "blocked_ratio", snap, Labels{"measure": "cross_project_share"}, ratio(r.f("blocked_x"), r.f("blocked_n")), bn)
		bdn := r.n("bd_n")
		for _, q := range []float64{0.5, 0.85} {
			c.emit(r, "blocked_ratio", snap, Labels{"measure": "blocked_days", "method": "nr", "quantile": qLabel(q), "unit": "days"}, c.gate(r.pct("bd_xs", "nr", q), bdn), bdn)
		}
		// backlog_readiness needs the velocity of the sprint replay; the
		// ratio is completed by backlogReadinessValues.
		var rp *float64
		if len(c.s.ReadyStatusIDs) > 0 {
			rp = r.f("ready_pts")
		}
		c.emit(r, "backlog_readiness", snap, Labels{"measure": "ready_points"}, rp, r.n("ready_n"))
		rn := r.n("rk_n")
		c.emit(r, "risk_exposure", snap, Labels{"measure": "exposure"}, r.f("rk_exp"), rn)
		c.emit(r, "risk_exposure", snap, Labels{"measure": "open"}, r.f("rk_n"), rn)
		c.emit(r, "risk_exposure", snap, Labels{"measure": "high_risk_aged"}, r.f("rk_high_aged"), rn)
		c.emit(r, "risk_exposure", snap, Labels{"measure": "stale_risks"}, r.f("rk_stale"), rn)
		// RAG flags (kpis.md K1): red = a top-severity risk open > 30 d or
		// a risk unreviewed ≥ 14 d; amber = a High (or worse) risk open > 60 d.
		red := r.n("rk_top_aged") + r.n("rk_stale")
		c.emit(r, "risk_exposure", snap, Labels{"measure": "red_flags"}, fptr(float64(red)), rn)
		c.emit(r, "risk_exposure", snap, Labels{"measure": "amber_flags"}, fptr(float64(r.n("rk_high_60"))), rn)
	}
	return nil
}

// monthWindow is the calendar month of E up to as_of: [local midnight of
// the first day of E's month, as_of), and its civil first and last days.
func monthWindow(asOf time.Time, loc *time.Location) (w window, first, last time.Time) {
	e := lastCompleteDay(asOf, loc)
	first = time.Date(e.Year(), e.Month(), 1, 0, 0, 0, 0, time.UTC)
	from := time.Date(e.Year(), e.Month(), 1, 0, 0, 0, 0, loc)
	return window{Name: "month", From: from.UTC(), To: asOf.UTC()}, first, e
}

// effort computes logged_hours (R1), utilization (R2) and
// work_distribution (R3) over the month window from worklogs attributed to
// the local day of their start (kpis.md C10).
func (c *computation) effort(ctx context.Context) error {
	w, first, last := monthWindow(c.asOf, c.s.loc)
	q, err := c.model("effort_hours", withParams(c.keepParams(), map[string]any{"w_from": c.s.zoneFromTime(c.asOf, w), "w_to": w.To}))
	if err != nil {
		return err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: computing effort KPIs: %w", err)
	}
	defer rows.Close()
	type agg struct {
		kind, scope      string
		total            float64
		byAuthor, byType map[string]float64
	}
	var order []*agg
	byScope := map[string]*agg{}
	for rows.Next() {
		var kind, scope, author, typ string
		var h float64
		if err := rows.Scan(&kind, &scope, &author, &typ, &h); err != nil {
			return fmt.Errorf("kpi: computing effort KPIs: reading row: %w", err)
		}
		a, ok := byScope[kind+":"+scope]
		if !ok {
			a = &agg{kind: kind, scope: scope, byAuthor: map[string]float64{}, byType: map[string]float64{}}
			byScope[kind+":"+scope] = a
			order = append(order, a)
		}
		a.total += h
		a.byAuthor[author] += h
		a.byType[typ] += h
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing effort KPIs: %w", err)
	}
	for _, a := range order {
		r := result{kind: a.kind, scope: a.scope}
		n := uint64(len(a.byAuthor))
		c.emit(r, "logged_hours", w.Name, Labels{"measure": "total"}, fptr(a.total), n)
		var capSum, top, hhi float64
		for _, author := range keysOf(a.byAuthor) {
			h := a.byAuthor[author]
			c.emit(r, "logged_hours", w.Name, Labels{"author": author}, fptr(h), 1)
			capH := c.s.Capacity.hours(author, first, last)
			capSum += capH
			c.emit(r, "utilization", w.Name, Labels{"author": author}, ratio(fptr(h), fptr(capH)), 1)
			if a.total > 0 {
				s := h / a.total
				top = math.Max(top, s)
				hhi += s * s
			}
		}
		c.emit(r, "utilization", w.Name, Labels{"measure": "team"}, ratio(fptr(a.total), fptr(capSum)), n)
		c.emit(r, "utilization", w.Name, Labels{"measure": "capacity_hours"}, fptr(capSum), n)
		for _, typ := range keysOf(a.byType) {
			c.emit(r, "logged_hours", w.Name, Labels{"type": typ}, fptr(a.byType[typ]), n)
			c.emit(r, "work_distribution", w.Name, Labels{"type": typ}, ratio(fptr(a.byType[typ]), fptr(a.total)), n)
		}
		var topP, hhiP *float64
		if a.total > 0 {
			topP, hhiP = fptr(top), fptr(hhi)
		}
		c.emit(r, "work_distribution", w.Name, Labels{"measure": "top_person_share"}, topP, n)
		c.emit(r, "work_distribution", w.Name, Labels{"measure": "hhi"}, hhiP, n)
	}
	return nil
}

func keysOf(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// backlogReadinessValues adds backlog_readiness (kpis.md B4) = ready points
// / mean velocity of the scope's boards (the mean of each board's last
// velocity_window_sprints closed sprints, averaged over the boards). Sprint
// KPIs exist for the project of the board only, so other scopes get NULL;
// NULL also without ready statuses or a velocity.
func backlogReadinessValues(snap *Snapshot) {
	vel := boardVelocities(snap.Values)
	n := len(snap.Values)
	for i := 0; i < n; i++ {
		v := snap.Values[i]
		if v.KPI != "backlog_readiness" || v.Labels["measure"] != "ready_points" {
			continue
		}
		snap.Values = append(snap.Values, Value{ScopeKind: v.ScopeKind, Scope: v.Scope, KPI: "backlog_readiness", Window: v.Window, Labels: Labels{},
			Value: readinessOf(v.Value, vel[v.ScopeKind+"\x00"+v.Scope]), N: v.N})
	}
}

// boardVelocity is one board's mean velocity over its last
// velocity_window_sprints closed sprints (sprint_velocity, variant points).
type boardVelocity struct {
	board  string
	window string
	points float64
}

// boardVelocities are the boards' mean velocities by scope ("kind\x00name").
func boardVelocities(vs []Value) map[string][]boardVelocity {
	out := map[string][]boardVelocity{}
	for _, v := range vs {
		if v.KPI == "sprint_velocity" && v.Labels["board"] != "" && v.Labels["variant"] == "points" && strings.HasPrefix(v.Window, "last") && v.Value != nil {
			k := v.ScopeKind + "\x00" + v.Scope
			out[k] = append(out[k], boardVelocity{board: v.Labels["board"], window: v.Window, points: *v.Value})
		}
	}
	return out
}

// readinessOf is ready points / the mean of the boards' velocities, NULL
// without ready points or a velocity.
func readinessOf(readyPoints *float64, vel []boardVelocity) *float64 {
	if readyPoints == nil || len(vel) == 0 {
		return nil
	}
	xs := make([]float64, len(vel))
	for i, b := range vel {
		xs[i] = b.points
	}
	return ratio(readyPoints, fptr(mean(xs)))
}
