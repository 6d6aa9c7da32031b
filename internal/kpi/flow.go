package kpi

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// flow computes the windowed flow, quality, backlog-flow and hygiene KPIs,
// one query per window (models/flow.sql flow_window) over the lifecycle
// rows of the scope group.
func (c *computation) flow(ctx context.Context, from string, wins []window, sle sleDays) error {
	for _, w := range wins {
		p, err := c.population(w, sle)
		if err != nil {
			return err
		}
		res, err := c.aggregate(ctx, "flow KPIs ("+w.Name+")", "flow_window", from, p, nil)
		if err != nil {
			return err
		}
		if err := c.emitFlow(res, w); err != nil {
			return err
		}
	}
	return nil
}

const prioSep = "\x1f"

// bugsByPriority computes bug_mttr per priority (Q4): NR/R7 P50/P85 in
// day-counts and exact days, and the mean, for bugs done in each window,
// grouped by the priority in force when the bug was done
// (models/flow.sql bug_mttr_priority).
func (c *computation) bugsByPriority(ctx context.Context, from string, wins []window) error {
	for _, w := range wins {
		p, err := c.population(w, sleDays{})
		if err != nil {
			return err
		}
		res, err := c.aggregate(ctx, "bug_mttr by priority ("+w.Name+")", "bug_mttr_priority", from, p, map[string]any{"prio_sep": prioSep})
		if err != nil {
			return err
		}
		for _, r := range res {
			scope, prio, _ := strings.Cut(r.scope, prioSep)
			r.scope = scope
			if prio == "" {
				prio = "none"
			}
			n := r.n("n")
			for _, q := range []float64{0.5, 0.85} {
				for _, m := range []string{"nr", "r7"} {
					c.emit(r, "bug_mttr", w.Name, Labels{"priority": prio, "quantile": qLabel(q), "method": m, "unit": "dc"}, c.gate(r.pct("dc_xs", m, q), n), n)
					c.emit(r, "bug_mttr", w.Name, Labels{"priority": prio, "quantile": qLabel(q), "method": m, "unit": "days"}, c.gate(r.pct("ex_xs", m, q), n), n)
				}
			}
			c.emit(r, "bug_mttr", w.Name, Labels{"priority": prio, "method": "mean", "unit": "days"}, ratio(r.f("ex_sum"), r.f("n")), n)
		}
	}
	return nil
}

func (c *computation) emitFlow(res []result, w window) error {
	days := float64(len(w.DayEnds))
	for _, r := range res {
		tp := r.f("tp")
		c.emit(r, "throughput", w.Name, Labels{"measure": "count"}, tp, r.n("tp"))
		c.emit(r, "throughput", w.Name, Labels{"measure": "per_week"}, ratio(tp, fptr(days/7)), r.n("tp"))
		c.emit(r, "throughput", w.Name, Labels{"measure": "per_day"}, ratio(tp, fptr(days)), r.n("tp"))

		c.percentiles(r, "cycle_time", w.Name, "ct", "ct_n", "ct_ex_sum")
		// Jira control-chart variant (kpis.md F2): mean time in the
		// cycle_time_status_ids statuses over the same population.
		c.emit(r, "cycle_time", w.Name, Labels{"method": "control_chart", "unit": "days"}, ratio(r.f("cc_sum"), r.f("ct_n")), r.n("ct_n"))
		c.percentiles(r, "lead_time", w.Name, "lt", "lt_n", "lt_ex_sum")
		c.percentiles(r, "bug_mttr", w.Name, "ttr", "ttr_n", "ttr_ex_sum")

		ctn := r.n("ct_n")
		var sleV *float64
		if sd := r.f("sle_days"); sd != nil && *sd > 0 {
			sleV = ratio(r.f("sle_ok"), r.f("ct_n"))
			c.emit(r, "sle_attainment", w.Name, Labels{"measure": "sle_days"}, sd, ctn)
		}
		c.emit(r, "sle_attainment", w.Name, Labels{"measure": "ratio"}, sleV, ctn)

		c.emit(r, "flow_efficiency", w.Name, Labels{"measure": "ratio_of_sums"}, ratio(r.f("fe_active"), r.f("fe_total")), ctn)
		c.emit(r, "flow_efficiency", w.Name, Labels{"measure": "mean_per_item"}, r.f("fe_item"), r.n("fe_item_n"))

		c.emit(r, "arrival_departure_ratio", w.Name, Labels{"measure": "arrivals"}, r.f("arrivals"), r.n("arrivals"))
		c.emit(r, "arrival_departure_ratio", w.Name, Labels{"measure": "departures"}, tp, r.n("tp"))
		c.emit(r, "arrival_departure_ratio", w.Name, Labels{"measure": "ratio"}, ratio(r.f("arrivals"), tp), r.n("tp"))
		c.flowCache(r, w, tp, ratio(r.f("ct_ex_sum"), r.f("ct_n")))

		c.emit(r, "reopen_rate", w.Name, nil, ratio(r.f("reopen_num"), r.f("reopen_den")), r.n("reopen_den"))

		cr, rs := r.f("created_n"), r.f("resolved_n")
		c.emit(r, "created_vs_resolved", w.Name, Labels{"measure": "created"}, cr, r.n("created_n"))
		c.emit(r, "created_vs_resolved", w.Name, Labels{"measure": "resolved"}, rs, r.n("resolved_n"))
		c.emit(r, "created_vs_resolved", w.Name, Labels{"measure": "net"}, fptr(*cr-*rs), r.n("created_n"))
		c.emit(r, "created_vs_resolved", w.Name, Labels{"measure": "ratio"}, ratio(rs, cr), r.n("created_n"))

		c.emit(r, "escaped_defect_rate", w.Name, nil, ratio(r.f("esc_num"), r.f("esc_den")), r.n("esc_den"))
		c.emit(r, "defect_ratio", w.Name, nil, ratio(r.f("linked"), r.f("stories")), r.n("stories"))

		// kpis.md G1: parent/epic, component and fixVersion coverage over
		// open flow items; the composite averages the configured fields.
		var fields []*float64
		for _, fc := range []struct{ name, ok, pop string }{{"estimate", "est_ok", "est_pop"}, {"assignee", "asg_ok", "asg_pop"}, {"due_date", "due_ok", "open_n"},
			{"parent_epic", "par_ok", "open_n"}, {"component", "cmp_ok", "open_n"}, {"fix_version", "fv_ok", "open_n"}} {
			v := ratio(r.f(fc.ok), r.f(fc.pop))
			c.emit(r, "field_completeness", w.Name, Labels{"field": fc.name}, v, r.n(fc.pop))
			if v != nil && slices.Contains(c.s.CompletenessCompositeFields, fc.name) {
				fields = append(fields, v)
			}
		}
		var comp *float64
		if len(fields) > 0 {
			sum := 0.0
			for _, v := range fields {
				sum += *v
			}
			comp = fptr(sum / float64(len(fields)))
		}
		c.emit(r, "field_completeness", w.Name, Labels{"field": "composite"}, comp, uint64(len(fields)))

		for _, wc := range []struct{ class, num, den string }{
			{"skipped_in_progress", "wc_skipped", "tp"}, {"done_without_resolution", "wc_nores", "tp"},
			{"restarted", "wc_restart", "tp"}, {"unknown_status", "wc_unknown", "tp"}, {"worklog_after_done", "wc_worklog", "tp"}, {"resolution_not_done", "wc_resopen", "open_n"},
		} {
			c.emit(r, "workflow_consistency", w.Name, Labels{"class": wc.class}, ratio(r.f(wc.num), r.f(wc.den)), r.n(wc.den))
		}
	}
	return nil
}

// percentiles emits NR and R7 P50/P85/P95 in day-counts and exact days plus
// the exact mean, each with n; NULL below min_sample.
func (c *computation) percentiles(r result, kpi, win, prefix, nName, sumName string) {
	n := r.n(nName)
	for _, q := range quantiles {
		for _, m := range []string{"nr", "r7"} {
			c.emit(r, kpi, win, Labels{"quantile": qLabel(q), "method": m, "unit": "dc"}, c.gate(r.pct(prefix+"_dc_xs", m, q), n), n)
			c.emit(r, kpi, win, Labels{"quantile": qLabel(q), "method": m, "unit": "days"}, c.gate(r.pct(prefix+"_ex_xs", m, q), n), n)
		}
	}
	c.emit(r, kpi, win, Labels{"method": "mean", "unit": "days"}, ratio(r.f(sumName), r.f(nName)), n)
}

// flowCache keeps what the WIP query of the same window needs for the
// Little's-law check.
func (c *computation) flowCache(r result, w window, tp, meanCT *float64) {
	if c.little == nil {
		c.little = map[string]littleIn{}
	}
	c.little[w.Name+"|"+r.kind+":"+r.scope] = littleIn{tp: tp, meanCT: meanCT, arrivals: r.f("arrivals")}
}

type littleIn struct{ tp, meanCT, arrivals *float64 }

// sampleInstants are the WIP sample instants of windows wins, Unix seconds
// sorted: each window's start and the end of every local day in it; and
// the earliest of them (as_of at the latest).
func sampleInstants(wins []window, asOf time.Time) (inst []int64, earliest int64) {
	set := map[int64]bool{}
	earliest = asOf.Unix()
	for _, w := range wins {
		set[w.From.Unix()] = true
		earliest = min(earliest, w.From.Unix())
		for _, t := range w.DayEnds {
			set[t.Unix()] = true
		}
	}
	for t := range set {
		inst = append(inst, t)
	}
	slices.Sort(inst)
	return inst, earliest
}

// wipZoneKey separates the zones' WIP samples in one sorted array (zone zi's
// are zi * wipZoneKey + instant): above any Unix second pmo meets (year 36812).
const wipZoneKey int64 = 1 << 40

// wip samples WIP at the start of each window and at the end of every
// local day in it (F4), for the daily average, Little's law and
// conservation (F8). One query samples the union of all windows' instants.
func (c *computation) wip(ctx context.Context, wins []window) error {
	inst, earliest := sampleInstants(wins, c.asOf)
	idx := make(map[int64]int, len(inst))
	for i, t := range inst {
		idx[t] = i
	}
	// The same instants in every zone of the plan (kpis.md C1): the k-th
	// sample of each zone ends the same day of its windows, so an issue's
	// delta lands on the index of its own zone's day.
	zp := c.s.zonePlan()
	var keyed []int64 // zi * wipZoneKey + instant, zone by zone (models/wip.sql)
	for z, loc := range zp.locs {
		zw := make([]window, len(wins))
		for i, w := range wins {
			zw[i] = zoneWindow(c.asOf, w, loc)
		}
		zs, ze := sampleInstants(zw, c.asOf)
		if len(zs) != len(inst) {
			return fmt.Errorf("kpi: computing wip: %d daily samples in time zone %s but %d in %s", len(zs), zp.names[z], len(inst), c.s.TZ)
		}
		earliest = min(earliest, ze)
		for _, t := range zs {
			keyed = append(keyed, int64(z+1)*wipZoneKey+t)
		}
	}
	// The WIP deltas per project and sample (models/wip.sql).
	q, err := c.model("wip_deltas", map[string]any{"samples": keyed, "n_samples": len(inst), "zone_key": wipZoneKey, "earliest": earliest})
	if err != nil {
		return err
	}
	defer func(t time.Time) { slog.Debug("kpi: query", "what", "wip", "took", time.Since(t)) }(time.Now())
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: computing wip: %w", err)
	}
	defer rows.Close()
	deltas := map[string][]float64{}
	add := func(k string, i int, d float64) {
		if deltas[k] == nil {
			deltas[k] = make([]float64, len(inst)+1)
		}
		deltas[k][i] += d
	}
	for rows.Next() {
		var src, key, prog string
		var teams []string
		var i uint64
		var d int64
		if err := rows.Scan(&src, &key, &prog, &teams, &i, &d); err != nil {
			return fmt.Errorf("kpi: computing wip: reading row: %w", err)
		}
		if i < 1 || int(i) > len(inst)+1 {
			continue
		}
		for _, k := range []string{ScopePortfolio + ":all", ScopeSource + ":" + src, ScopeProgram + ":" + prog, ScopeProject + ":" + src + "/" + key} {
			if !strings.HasSuffix(k, ":") {
				add(k, int(i)-1, float64(d))
			}
		}
		for _, tm := range teams {
			add(ScopeTeam+":"+tm, int(i)-1, float64(d))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: computing wip: %w", err)
	}
	got := map[string][]float64{}
	for k, ds := range deltas {
		series := make([]float64, len(inst))
		run := 0.0
		for i := range inst {
			run += ds[i]
			series[i] = run
		}
		got[k] = series
	}
	for _, w := range wins {
		if err := c.emitWIP(w, got, idx); err != nil {
			return err
		}
	}
	return nil
}

func (c *computation) emitWIP(w window, got map[string][]float64, idx map[int64]int) error {
	days := float64(len(w.DayEnds))
	for key, li := range c.little {
		win, sk, _ := strings.Cut(key, "|")
		if win != w.Name {
			continue
		}
		kind, scope, _ := strings.Cut(sk, ":")
		r := result{kind: kind, scope: scope}
		all := got[sk]
		at := func(t time.Time) float64 {
			if all == nil {
				return 0 // no WIP candidates: all zero
			}
			return all[idx[t.Unix()]]
		}
		series := []float64{at(w.From)}
		for _, t := range w.DayEnds {
			series = append(series, at(t))
		}
		var sum float64
		for _, v := range series[1:] {
			sum += v
		}
		var avg *float64
		if days > 0 {
			avg = fptr(sum / days)
		}
		c.emit(r, "wip", w.Name, Labels{"measure": "daily_average"}, avg, uint64(days))
		var pred *float64
		if li.tp != nil && *li.tp > 0 && avg != nil {
			pred = fptr(*avg / (*li.tp / days))
		}
		c.emit(r, "arrival_departure_ratio", w.Name, Labels{"measure": "littles_law_ct_days"}, pred, uint64(days))
		c.emit(r, "arrival_departure_ratio", w.Name, Labels{"measure": "littles_law_quotient"}, ratio(pred, li.meanCT), uint64(days))
		if li.arrivals != nil && li.tp != nil {
			gap := series[len(series)-1] - (series[0] + *li.arrivals - *li.tp)
			c.emit(r, "arrival_departure_ratio", w.Name, Labels{"measure": "conservation_gap"}, &gap, uint64(days))
		}
	}
	return nil
}

// snapshotKPIs computes the KPIs evaluated at as_of: wip, work_item_age,
// backlog_age, stale_ratio (models/flow.sql snapshot_now).
func (c *computation) snapshotKPIs(ctx context.Context, from string, sle sleDays) error {
	p, err := c.population(window{}, sle)
	if err != nil {
		return err
	}
	res, err := c.aggregate(ctx, "snapshot KPIs", "snapshot_now", from, p, nil)
	if err != nil {
		return err
	}
	const snap = "snapshot"
	for _, r := range res {
		wip := r.f("wip")
		nw := r.n("wip")
		c.emit(r, "wip", snap, Labels{"measure": "count"}, wip, nw)
		c.emit(r, "wip", snap, Labels{"measure": "per_assignee"}, ratio(wip, r.f("wip_people")), nw)
		var mean, meanEx *float64
		if nw > 0 {
			mean, meanEx = r.f("age_dc_mean"), r.f("age_ex_mean")
		}
		c.emit(r, "work_item_age", snap, Labels{"measure": "mean_age", "unit": "dc"}, mean, nw)
		c.emit(r, "work_item_age", snap, Labels{"measure": "mean_age", "unit": "days"}, meanEx, nw)
		var atRisk *float64
		if sd := r.f("sle_days"); sd != nil && *sd > 0 {
			atRisk = ratio(r.f("at_risk"), wip)
			c.emit(r, "work_item_age", snap, Labels{"measure": "sle_days"}, sd, nw)
		}
		c.emit(r, "work_item_age", snap, Labels{"measure": "at_risk_ratio"}, atRisk, nw)

		bn := r.n("bl_n")
		for _, q := range []float64{0.5, 0.85} {
			for _, m := range []string{"nr", "r7"} {
				c.emit(r, "backlog_age", snap, Labels{"quantile": qLabel(q), "method": m, "unit": "dc"}, c.gate(r.pct("bl_xs", m, q), bn), bn)
			}
		}
		c.emit(r, "backlog_age", snap, Labels{"measure": "share_over_180d"}, ratio(r.f("bl_180"), r.f("bl_n")), bn)
		var unres *float64
		if r.n("open_n") > 0 {
			unres = r.f("unres_age")
		}
		c.emit(r, "backlog_age", snap, Labels{"measure": "jira_average_age", "unit": "days"}, unres, r.n("open_n"))
		c.emit(r, "stale_ratio", snap, nil, ratio(r.f("stale_n"), r.f("open_n")), r.n("open_n"))
	}
	return nil
}
