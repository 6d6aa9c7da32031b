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

// flowStat is what Recompute needs besides the items: the window's length
// in local days, the percentile gate, the composite's fields and the SLE.
type flowStat struct {
	days      float64
	minSample uint64
	composite []string
	sleDays   float64 // ≤ 0: no SLE (sle_attainment is NULL)
	sleHist   float64 // the SLE work item age is held to (F5); ≤ 0: none
}

// flowGroup is one settings group's lifecycle, derived once per Explainer,
// and the SLE of each of its scopes.
type flowGroup struct {
	c    *computation
	sle  sleDays
	plan string // the planning source (planningSource), once derived

	// The group's versions at as-of (releaseVersions), read once for
	// every scope's release_schedule_adherence explanation.
	// batch: read each population once for every scope (pops, by KPI and
	// window, then scope key) rather than once per scope.
	batch bool
	pops  map[string]map[string][]ExplainItem

	releases    []releaseVersion
	releaseWin  window
	releaseRead bool
}

// releaseVersions is c.releaseVersions of the group, read once.
func (g *flowGroup) releaseVersions(ctx context.Context) ([]releaseVersion, window, error) {
	if !g.releaseRead {
		v, w, err := g.c.releaseVersions(ctx)
		if err != nil {
			return nil, w, err
		}
		g.releases, g.releaseWin, g.releaseRead = v, w, true
	}
	return g.releases, g.releaseWin, nil
}

func (x *Explainer) flowGroup(ctx context.Context, s settings) (*flowGroup, error) {
	if g := x.flow[s.key()]; g != nil {
		return g, nil
	}
	c := &computation{w: x.w, s: s, asOf: x.asOf}
	lcq, err := lifecycleSQL(s, x.asOf)
	if err != nil {
		return nil, err
	}
	lc, drop := c.materialize(ctx, "lifecycle", lcq)
	x.drops = append(x.drops, drop)
	c.lc = lc
	all, err := scopedSQL(lc, nil)
	if err != nil {
		return nil, err
	}
	sle, err := c.sleBaseline(ctx, all, trailingWeeks(x.asOf, 12, s.loc))
	if err != nil {
		return nil, err
	}
	g := &flowGroup{c: c, sle: sle, batch: x.batch}
	x.flow[s.key()] = g
	return g, nil
}

// explain lists the rows of the KPI's sets (populations.go) for one scope
// and window: the same predicates the compute query aggregates, with the
// values each row contributes.
func (g *flowGroup) explain(ctx context.Context, e *Explanation, ref scopeRef, win window) error {
	c, sle := g.c, g.sle
	e.stat = &flowStat{days: float64(len(win.DayEnds)), minSample: c.minSample(), composite: c.s.CompletenessCompositeFields,
		sleDays: sle.att[ref.key()], sleHist: sle.hist[ref.key()]}
	if flowKPIs[e.KPI].snapshot {
		e.Window = "snapshot"
	}
	items, err := g.items(ctx, e.KPI, ref, win)
	if err != nil {
		return fmt.Errorf("kpi: explaining %s for %s: %w", e.KPI, ref.key(), err)
	}
	e.Items = append(e.Items, items...)
	for _, l := range summaryLabels[e.KPI] {
		if v, n, ok := e.Recompute(l); ok {
			e.Values = append(e.Values, ExplainedValue{Labels: l, Value: v, N: n})
		}
	}
	return nil
}

// items are the population rows of kpi in one scope and window
// (models/explain_populations.sql). Batched, one query reads every scope's
// rows and later scopes come from memory.
func (g *flowGroup) items(ctx context.Context, kpi string, ref scopeRef, win window) ([]ExplainItem, error) {
	p, err := g.c.population(win, g.sle)
	if err != nil {
		return nil, err
	}
	keep := []string{ref.key()}
	ck := kpi + "\x00" + win.Name
	if g.batch {
		if byScope, ok := g.pops[ck]; ok {
			return slices.Clone(byScope[ref.key()]), nil
		}
		keep = nil
	}
	from, err := scopedSQL(g.c.lc, keep)
	if err != nil {
		return nil, err
	}
	q, err := populationQuery(g.c, kpi, p, from)
	if err != nil {
		return nil, err
	}
	byScope, err := g.readPopulation(ctx, kpi, q)
	if err != nil {
		return nil, err
	}
	if g.batch {
		if g.pops == nil {
			g.pops = map[string]map[string][]ExplainItem{}
		}
		g.pops[ck] = byScope
		return slices.Clone(byScope[ref.key()]), nil
	}
	return byScope[ref.key()], nil
}

// readPopulation runs a population model and returns its rows as explain
// items by scope key, reading the columns by name: in_NAME flags the sets
// an item is in, v_NAME the values it contributes.
func (g *flowGroup) readPopulation(ctx context.Context, kpi, q string) (map[string][]ExplainItem, error) {
	fk := flowKPIs[kpi]
	rows, err := g.c.w.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := rows.Columns()
	vals := make([]any, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	out := map[string][]ExplainItem{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		var scopeKey string
		var started, done bool
		var startS, doneS int64
		has := map[string]bool{}
		it := ExplainItem{}
		for i, col := range cols {
			v := vals[i]
			f, isNum := number(v)
			switch {
			case col == "scope_key":
				scopeKey, _ = v.(string)
			case col == "key":
				it.Key, _ = v.(string)
			case col == "started":
				started = isNum && f == 1
			case col == "is_done":
				done = isNum && f == 1
			case col == "start_s":
				startS = int64(f)
			case col == "done_s":
				doneS = int64(f)
			case col == "priority_done":
				if kpi == "bug_mttr" {
					s, _ := v.(string)
					it.Priority = cmp.Or(s, "none")
				}
			case col == "assignee_id":
				if kpi == "wip" {
					it.Assignee, _ = v.(string)
				}
			case strings.HasPrefix(col, "in_"):
				if isNum && f == 1 {
					it.Sets = append(it.Sets, col[len("in_"):])
				}
			case strings.HasPrefix(col, "has_"):
				has[col[len("has_"):]] = isNum && f == 1
			case strings.HasPrefix(col, "v_"):
				if !isNum {
					return nil, fmt.Errorf("column %s holds %T, want a number", col, v)
				}
				if it.Values == nil {
					it.Values = map[string]float64{}
				}
				it.Values[col[len("v_"):]] = f
			}
		}
		if started {
			it.Start = tptr(time.Unix(startS, 0).UTC())
		}
		if done {
			it.Done = tptr(time.Unix(doneS, 0).UTC())
		}
		// The day count and exact days a reader sees first.
		for _, pair := range [][2]string{{valCtDC, valCtDays}, {valLtDC, valLtDays}, {valAgeDC, valAgeDays}, {valBacklogDC, valUnresolved}} {
			if dc, ok := it.Values[pair[0]]; ok {
				d := int64(dc)
				x := it.Values[pair[1]]
				it.DayCount, it.Days = &d, &x
				break
			}
		}
		it.Role = roleOf(orderSets(it.Sets, fk.sets))
		if kpi == "field_completeness" && inSet(it, setEstPop) {
			// Which estimate made the item count (kpi.estimated_by).
			var spp *float64
			var oep *int64
			if has["story_points"] {
				spp = fptr(it.Values["story_points"])
			}
			if has["original_estimate"] {
				oe := int64(it.Values["original_estimate_seconds"])
				oep = &oe
			}
			delete(it.Values, "story_points")
			delete(it.Values, "original_estimate_seconds")
			if len(it.Values) == 0 {
				it.Values = nil
			}
			_, why := estimatedBy(g.c.s.EstimatedBy, spp, oep)
			it.Role += "; " + why
		}
		out[scopeKey] = append(out[scopeKey], it)
	}
	return out, rows.Err()
}

// orderSets puts sets in the KPI's order (the order roles are named in).
func orderSets(sets, order []string) []string {
	out := make([]string, 0, len(sets))
	for _, s := range order {
		if slices.Contains(sets, s) {
			out = append(out, s)
		}
	}
	return out
}

// populationQuery renders the population model of kpi
// (models/explain_populations.sql) over from, the lifecycle rows cut to
// the scopes explained: what explain reads and `pmo kpi sql` prints.
func populationQuery(c *computation, kpi string, p population, from string) (string, error) {
	rels, err := popRelations()
	if err != nil {
		return "", err
	}
	rels["rows"] = "(" + from + ")"
	return modelSQL("population_"+kpi, rels, withParams(c.s.modelParams(c.asOf), p.params))
}

// SQL returns the exact query `pmo kpi explain` runs for a population-
// defined KPI, scope and window at as_of, with the lifecycle inlined and
// every parameter bound: the rows the value is computed from, for review or
// a Grafana drill-down table. The SLE day counts it embeds are the ones the
// warehouse gives at as_of.
func SQL(ctx context.Context, w *warehouse.Warehouse, cfg Config, kpi, scope, window string, asOf time.Time) (string, error) {
	fk, ok := flowKPIs[kpi]
	if !ok {
		if _, known := Lookup(kpi); !known {
			return "", fmt.Errorf("kpi: sql: %w %q", ErrUnknownKPI, kpi)
		}
		var ids []string
		for _, d := range Catalog {
			if _, ok := flowKPIs[d.ID]; ok {
				ids = append(ids, d.ID)
			}
		}
		return "", fmt.Errorf("kpi: sql: %s is not defined by a SQL model yet (%w); the population models cover: %s", kpi, ErrNoExplanation, strings.Join(ids, ", "))
	}
	x := NewExplainer(w, cfg, asOf)
	defer x.Close(ctx)
	g, ref, win, err := x.resolve(ctx, kpi, scope, window)
	if err != nil {
		return "", err
	}
	lc, err := lifecycleSQL(g.s, x.asOf)
	if err != nil {
		return "", err
	}
	c := &computation{w: w, s: g.s, asOf: x.asOf, lc: lc}
	from, err := scopedSQL(c.lc, []string{ref.key()})
	if err != nil {
		return "", err
	}
	sle, err := c.sleBaseline(ctx, from, trailingWeeks(x.asOf, 12, g.s.loc))
	if err != nil {
		return "", err
	}
	p, err := c.population(win, sle)
	if err != nil {
		return "", err
	}
	wname := win.Name
	if fk.snapshot {
		wname = "snapshot"
	}
	head := fmt.Sprintf("-- pmo kpi sql %s: the rows of %s for %s, window %s, as of %s (tz %s); model population_%s of internal/kpi/models/explain_populations.sql, sets and values of internal/kpi/models/populations.sql\n",
		kpi, strings.Join(fk.sets, ", "), ref.key(), wname, x.asOf.Format(time.RFC3339), g.s.TZ, kpi)
	q, err := populationQuery(c, kpi, p, from)
	if err != nil {
		return "", err
	}
	return head + q, nil
}

// ExplainedValue is a value recomputed from an explanation's items.
type ExplainedValue struct {
	Labels Labels   `json:"labels"`
	Value  *float64 `json:"value"`
	N      uint64   `json:"n"`
}

// Recompute derives the value with the given labels (and its n) from the
// explanation's items alone, by the KPI's statistic; ok is false for a KPI
// or labels it cannot recompute. It is how a reader checks a number: a flow
// KPI's value is the same whether read from the snapshot or recomputed
// from its explanation (a test holds every KPI × scope to 1e-9).
func (e Explanation) Recompute(labels Labels) (v *float64, n uint64, ok bool) {
	if e.KPI == "portfolio_rag" && e.rag != nil {
		return e.recomputeRAG(labels)
	}
	if e.KPI == "scope_growth" && e.growth {
		return e.recomputeScopeGrowth(labels)
	}
	if e.effort != nil {
		return e.recomputeEffort(labels)
	}
	if e.evm != nil {
		return e.recomputeEVM(labels)
	}
	if e.backlog != nil {
		return e.recomputeBacklog(labels)
	}
	st := e.stat
	if st == nil {
		return nil, 0, false
	}
	members := func(set string) []ExplainItem {
		var out []ExplainItem
		for _, it := range e.Items {
			if inSet(it, set) {
				out = append(out, it)
			}
		}
		return out
	}
	count := func(set string) float64 { return float64(len(members(set))) }
	ratioOf := func(num, den string) (*float64, uint64, bool) {
		d := count(den)
		return ratio(fptr(count(num)), fptr(d)), uint64(d), true
	}
	sample := func(items []ExplainItem, value string) []float64 {
		xs := make([]float64, 0, len(items))
		for _, it := range items {
			xs = append(xs, it.Values[value])
		}
		slices.Sort(xs)
		return xs
	}
	// durations: percentiles, mean and control-chart mean over a sample.
	durations := func(items []ExplainItem, dc, days string) (*float64, uint64, bool) {
		n := uint64(len(items))
		switch labels["method"] {
		case "mean":
			return ratio(fptr(sum(sample(items, days))), fptr(float64(n))), n, true
		case "control_chart":
			return ratio(fptr(sum(sample(items, valCCDays))), fptr(float64(n))), n, true
		case "nr", "r7":
			xs := sample(items, days)
			if labels["unit"] == "dc" {
				xs = sample(items, dc)
			}
			return percentileOf(labels, xs, st.minSample)
		}
		return nil, 0, false
	}
	switch e.KPI {
	case "throughput":
		tp := count(setDone)
		switch labels["measure"] {
		case "count":
			return fptr(tp), uint64(tp), true
		case "per_week":
			return ratio(fptr(tp), fptr(st.days/7)), uint64(tp), true
		case "per_day":
			return ratio(fptr(tp), fptr(st.days)), uint64(tp), true
		}
	case "cycle_time":
		return durations(members(setCycle), valCtDC, valCtDays)
	case "lead_time":
		return durations(members(setDone), valLtDC, valLtDays)
	case "bug_mttr":
		items := members(setBugDone)
		if p, ok := labels["priority"]; ok {
			items = slices.DeleteFunc(items, func(it ExplainItem) bool { return it.Priority != p })
		}
		return durations(items, valLtDC, valLtDays)
	case "sle_attainment":
		switch labels["measure"] {
		case "ratio":
			if st.sleDays <= 0 {
				return nil, uint64(count(setCycle)), true
			}
			return ratioOf(setSLEMet, setCycle)
		case "sle_days":
			return fptr(st.sleDays), uint64(count(setCycle)), true
		}
	case "flow_efficiency":
		items := members(setCycle)
		switch labels["measure"] {
		case "ratio_of_sums":
			return ratio(fptr(sum(sample(items, valActiveDays))), fptr(sum(sample(items, valTotalDays)))), uint64(len(items)), true
		case "mean_per_item":
			var xs []float64
			for _, it := range items {
				if t := it.Values[valTotalDays]; t > 0 {
					xs = append(xs, it.Values[valActiveDays]/t)
				}
			}
			return ratio(fptr(sum(xs)), fptr(float64(len(xs)))), uint64(len(xs)), true
		}
	case "arrival_departure_ratio":
		arr, dep := count(setArrived), count(setDone)
		switch labels["measure"] {
		case "arrivals":
			return fptr(arr), uint64(arr), true
		case "departures":
			return fptr(dep), uint64(dep), true
		case "ratio":
			return ratio(fptr(arr), fptr(dep)), uint64(dep), true
		}
	case "reopen_rate":
		return ratioOf(setReopened, setEnteredDone)
	case "created_vs_resolved":
		cr, rs := count(setCreated), count(setResolved)
		switch labels["measure"] {
		case "created":
			return fptr(cr), uint64(cr), true
		case "resolved":
			return fptr(rs), uint64(rs), true
		case "net":
			return fptr(cr - rs), uint64(cr), true
		case "ratio":
			return ratio(fptr(rs), fptr(cr)), uint64(cr), true
		}
	case "escaped_defect_rate":
		return ratioOf(setEscaped, setBugCreated)
	case "defect_ratio":
		items := members(setStoryDone)
		return ratio(fptr(sum(sample(items, valLinkedBugs))), fptr(float64(len(items)))), uint64(len(items)), true
	case "field_completeness":
		field := func(name string) (*float64, uint64) {
			num, den := fieldSets[name][0], fieldSets[name][1]
			d := count(den)
			return ratio(fptr(count(num)), fptr(d)), uint64(d)
		}
		if labels["field"] == "composite" {
			var vs []float64
			for _, f := range completenessFields {
				if v, _ := field(f); v != nil && slices.Contains(st.composite, f) {
					vs = append(vs, *v)
				}
			}
			if len(vs) == 0 {
				return nil, 0, true
			}
			return fptr(sum(vs) / float64(len(vs))), uint64(len(vs)), true
		}
		if _, known := fieldSets[labels["field"]]; known {
			v, n := field(labels["field"])
			return v, n, true
		}
	case "wip":
		items := members(setInProgress)
		n := uint64(len(items))
		switch labels["measure"] {
		case "count":
			return fptr(float64(n)), n, true
		case "per_assignee":
			people := map[string]bool{}
			for _, it := range items {
				if it.Assignee != "" {
					people[it.Assignee] = true
				}
			}
			return ratio(fptr(float64(n)), fptr(float64(len(people)))), n, true
		}
	case "work_item_age":
		items := members(setInProgress)
		n := uint64(len(items))
		switch labels["measure"] {
		case "mean_age":
			v := valAgeDays
			if labels["unit"] == "dc" {
				v = valAgeDC
			}
			return ratio(fptr(sum(sample(items, v))), fptr(float64(n))), n, true
		case "sle_days":
			if st.sleHist <= 0 {
				return nil, n, false // not emitted without an SLE
			}
			return fptr(st.sleHist), n, true
		case "at_risk_ratio":
			if st.sleHist <= 0 {
				return nil, n, true
			}
			return ratioOf(setAtRisk, setInProgress)
		}
	case "backlog_age":
		items := members(setBacklog)
		switch {
		case labels["measure"] == "share_over_180d":
			return ratioOf(setBacklogOld, setBacklog)
		case labels["measure"] == "jira_average_age":
			open := members(setOpen)
			return ratio(fptr(sum(sample(open, valUnresolved))), fptr(float64(len(open)))), uint64(len(open)), true
		case labels["method"] == "nr" || labels["method"] == "r7":
			return percentileOf(labels, sample(items, valBacklogDC), st.minSample)
		}
	case "stale_ratio":
		return ratioOf(setStale, setOpen)
	case "workflow_consistency":
		if p, known := consistencySets[labels["class"]]; known {
			return ratioOf(p[0], p[1])
		}
	}
	return nil, 0, false
}

// fieldSets are field_completeness's (numerator, denominator) sets per field.
var fieldSets = map[string][2]string{
	"estimate": {setEstOK, setEstPop}, "assignee": {setAsgOK, setAsgPop}, "due_date": {setDueOK, setOpen},
	"parent_epic": {setParOK, setOpen}, "component": {setCmpOK, setOpen}, "fix_version": {setFvOK, setOpen},
}

// consistencySets are workflow_consistency's (numerator, denominator) sets per class.
var consistencySets = map[string][2]string{
	"skipped_in_progress": {setSkipped, setDone}, "done_without_resolution": {setNoResolution, setDone},
	"restarted": {setRestarted, setDone}, "unknown_status": {setUnknownStatus, setDone},
	"worklog_after_done": {setWorklogAfter, setDone}, "resolution_not_done": {setOpenResolved, setOpen},
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// percentileOf is the percentile the labels name (method nr or r7,
// quantile) of the sorted sample xs, NULL below min_sample (C7).
func percentileOf(labels Labels, xs []float64, minSample uint64) (*float64, uint64, bool) {
	q, err := parseQuantile(labels["quantile"])
	if err != nil {
		return nil, 0, false
	}
	n := uint64(len(xs))
	if n == 0 || n < minSample {
		return nil, n, true
	}
	if labels["method"] == "nr" {
		return fptr(nearestRankOf(xs, q)), n, true
	}
	return fptr(r7Of(xs, q)), n, true
}

// nearestRankOf is the NR percentile of sorted xs (kpis.md C7): x[⌈p·n⌉].
func nearestRankOf(xs []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(xs)) - 1e-9))
	return xs[max(i, 1)-1]
}

// r7Of is the R-7 (linear interpolation) percentile of sorted xs.
func r7Of(xs []float64, p float64) float64 {
	h := float64(len(xs)-1) * p
	lo := int(math.Floor(h))
	return xs[lo] + (h-math.Floor(h))*(xs[min(lo+1, len(xs)-1)]-xs[lo])
}

func parseQuantile(s string) (float64, error) {
	var q float64
	_, err := fmt.Sscan(s, &q)
	return q, err
}
