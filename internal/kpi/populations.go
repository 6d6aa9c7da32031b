package kpi

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pmo-oss/pmo/internal/sqlmodel"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Populations of the flow, quality, hygiene, WIP, age and backlog KPIs,
// defined once in the SQL model file models/populations.sql.
//
// Each named set is a SQL predicate over the lifecycle rows of a scope (see
// lifecycleSQL), for one window or at as_of: the rows a KPI counts, samples
// or divides by; each value what a row contributes. The compute queries
// aggregate these sets (flowCols, snapshotKPIs) and `pmo kpi explain` lists
// the rows they select with the same predicates (flowGroup.explain), so the
// items an explanation shows are by construction the items the value was
// computed from; Recompute then derives the value from the listed items
// alone, and `pmo kpi sql` prints the bound query.

// Set names.
const (
	setDone          = "done"               // flow items done in the window (throughput, lead time)
	setCycle         = "cycle"              // done flow items with a start, skipped ones per include_skipped_in_cycle (cycle time)
	setSLEMet        = "sle_met"            // cycle items whose day count is within the SLE
	setArrived       = "arrived"            // flow items started in the window
	setEnteredDone   = "entered_done"       // flow items that entered done in the window
	setReopened      = "reopened"           // flow items reopened in the window
	setCreated       = "created"            // flow items created in the window
	setResolved      = "resolved"           // flow items done in the window, discarded included
	setBugCreated    = "bug_created"        // bugs (and escaped types) created in the window
	setEscaped       = "escaped"            // … that are escaped defects
	setBugDone       = "bug_done"           // bugs done in the window (time to resolve)
	setStoryDone     = "story_done"         // non-bug flow items done in the window (defect ratio)
	setEstPop        = "estimate_pop"       // open flow items and those done in the window
	setEstOK         = "estimate_set"       // … with an estimate
	setAsgPop        = "assignee_pop"       // in-progress flow items and those done in the window
	setAsgOK         = "assignee_set"       // … with an assignee
	setOpen          = "open"               // open flow items
	setReady         = "ready"              // ready backlog: open, in a ready status, estimated, not blocked (planning rows)
	setDueOK         = "due_date_set"       // open flow items with a due date
	setParOK         = "parent_epic_set"    // open flow items with a parent or epic
	setCmpOK         = "component_set"      // open flow items with a component
	setFvOK          = "fix_version_set"    // open flow items with a fix version
	setSkipped       = "skipped"            // done items that skipped In Progress
	setNoResolution  = "no_resolution"      // done items without a resolution
	setRestarted     = "restarted"          // done items that left To Do more than once
	setUnknownStatus = "unknown_status"     // done items with a status of unknown category
	setWorklogAfter  = "worklog_after_done" // done items with work logged after done
	setOpenResolved  = "open_resolved"      // open items with a resolution

	// Snapshot sets (at as_of, no window).
	setInProgress = "in_progress"       // flow items in an In Progress status (WIP)
	setAtRisk     = "at_risk"           // … older than the SLE
	setBacklog    = "backlog"           // flow items in a To Do status
	setBacklogOld = "backlog_over_180d" // … created more than 180 days ago
	setStale      = "stale"             // open items idle longer than stale_days_todo / stale_days_in_progress
)

// Per-row values the KPIs read (SQL over the lifecycle columns).
const (
	valCtDC        = "cycle_day_count"
	valCtDays      = "cycle_days"
	valCCDays      = "control_chart_days"
	valLtDC        = "lead_day_count"
	valLtDays      = "lead_days"
	valActiveDays  = "active_days"
	valTotalDays   = "total_days"
	valLinkedBugs  = "linked_bugs"
	valPriorityRaw = "priority_done"
	valAgeDC       = "age_day_count"
	valAgeDays     = "age_days"
	valBacklogDC   = "backlog_day_count"
	valUnresolved  = "unresolved_days"
)

// populationsModel is the SQL model file of the sets and values.
//
//go:embed models/populations.sql
var populationsModel string

// sqlModel is a parsed model file: its sets, values and relation models by
// name, in file order.
type sqlModel struct {
	sets, values, models map[string]string
	order                []string
}

var parsedPopulations = sync.OnceValues(func() (sqlModel, error) { return parseModel(populationsModel) })

// parseModel reads the "-- set NAME: text", "-- value NAME: text" and "--
// model NAME: text" entries of a model file (sqlmodel.Parse).
func parseModel(text string) (sqlModel, error) {
	m := sqlModel{sets: map[string]string{}, values: map[string]string{}, models: map[string]string{}}
	es, err := sqlmodel.Parse(text, "set", "value", "model")
	if err != nil {
		return m, fmt.Errorf("kpi model: %w", err)
	}
	for _, e := range es {
		target := map[string]map[string]string{"set": m.sets, "value": m.values, "model": m.models}[e.Kind]
		target[e.Name] = e.SQL
		m.order = append(m.order, e.Name)
	}
	return m, nil
}

// population is the model's sets and values bound for one computation,
// window and SLE: SQL over the lifecycle rows.
type population struct {
	sets, values map[string]string
	// params are the parameters the sets and values were bound with, which
	// the aggregate models that read them bind too.
	params map[string]any
}

// population binds the model's sets and values for window w (snapshot sets
// ignore it) and the SLE of every scope.
func (c *computation) population(w window, sle sleDays) (population, error) {
	m, err := parsedPopulations()
	if err != nil {
		return population{}, err
	}
	var keys []string
	for k := range sle.att {
		keys = append(keys, k)
	}
	for k := range sle.hist {
		if _, ok := sle.att[k]; !ok {
			keys = append(keys, k)
		}
	}
	// "" matches no scope key: transform() needs a non-empty list.
	keys = append(keys, "")
	slices.Sort(keys)
	att, hist, histDays := make([]float64, len(keys)), make([]float64, len(keys)), make([]float64, len(keys))
	for i, k := range keys {
		att[i], hist[i], histDays[i] = -1, 1e18, -1
		if v, ok := sle.att[k]; ok {
			att[i] = v
		}
		if v, ok := sle.hist[k]; ok {
			hist[i], histDays[i] = v, v
		}
	}
	skipped := 0
	if *c.s.IncludeSkippedInCycle {
		skipped = 1
	}
	params := map[string]any{
		"w_from": c.s.zoneFrom(c.asOf, w), "w_to": w.To.Unix(), "as_of": c.asOf.Unix(),
		"e_day": c.s.zoneEDay(c.asOf), "include_skipped": skipped,
		"estimated_by": c.s.EstimatedBy, "sle_keys": keys, "sle_att": att, "sle_hist": hist,
		"stale_todo_s": *c.s.StaleDaysToDo * 86400, "stale_progress_s": *c.s.StaleDaysInProgress * 86400,
		"ready_status_ids": nonNil(c.s.ReadyStatusIDs), "sle_hist_days": histDays,
	}
	p := population{sets: map[string]string{}, values: map[string]string{}, params: params}
	for _, part := range []struct{ from, to map[string]string }{{m.sets, p.sets}, {m.values, p.values}} {
		for name, expr := range part.from {
			q, err := warehouse.BindNamed(expr, params)
			if err != nil {
				return population{}, fmt.Errorf("kpi: binding %s of models/populations.sql: %w", name, err)
			}
			part.to[name] = "(" + q + ")"
		}
	}
	return p, nil
}

// flowKPI is what explain lists for one KPI: the rows of its sets, with
// its values.
type flowKPI struct {
	sets   []string
	values []string
	// snapshot: the sets are at as_of (snapshotSets), not of a window.
	snapshot bool
	// derived are the measures of the KPI computed from other populations
	// (the daily WIP samples: Little's law and conservation checks), which
	// this explanation does not list.
	derived []string
}

// flowKPIs are the KPIs whose populations are the sets above.
var flowKPIs = map[string]flowKPI{
	"throughput":      {sets: []string{setDone}},
	"cycle_time":      {sets: []string{setCycle}, values: []string{valCtDC, valCtDays, valCCDays}},
	"lead_time":       {sets: []string{setDone}, values: []string{valLtDC, valLtDays}},
	"bug_mttr":        {sets: []string{setBugDone}, values: []string{valLtDC, valLtDays}},
	"sle_attainment":  {sets: []string{setCycle, setSLEMet}, values: []string{valCtDC}},
	"flow_efficiency": {sets: []string{setCycle}, values: []string{valActiveDays, valTotalDays}},
	"arrival_departure_ratio": {sets: []string{setArrived, setDone},
		derived: []string{"littles_law_quotient", "littles_law_ct_days", "conservation_gap"}},
	"reopen_rate":         {sets: []string{setEnteredDone, setReopened}},
	"created_vs_resolved": {sets: []string{setCreated, setResolved}},
	"escaped_defect_rate": {sets: []string{setBugCreated, setEscaped}},
	"defect_ratio":        {sets: []string{setStoryDone}, values: []string{valLinkedBugs}},
	"field_completeness":  {sets: []string{setEstPop, setEstOK, setAsgPop, setAsgOK, setOpen, setDueOK, setParOK, setCmpOK, setFvOK}},
	"wip": {sets: []string{setInProgress}, values: []string{valAgeDC, valAgeDays}, snapshot: true,
		derived: []string{"daily_average"}},
	"work_item_age": {sets: []string{setInProgress, setAtRisk}, values: []string{valAgeDC, valAgeDays}, snapshot: true},
	"backlog_age":   {sets: []string{setBacklog, setBacklogOld, setOpen}, values: []string{valBacklogDC, valUnresolved}, snapshot: true},
	"stale_ratio":   {sets: []string{setOpen, setStale}, values: []string{valUnresolved}, snapshot: true},
	"workflow_consistency": {sets: []string{setDone, setSkipped, setNoResolution, setRestarted, setUnknownStatus, setWorklogAfter,
		setOpen, setOpenResolved}},
}

// roleOf names an item's role from the sets it is in, in the KPI's order.
func roleOf(sets []string) string {
	if len(sets) == 0 {
		return ""
	}
	return strings.Join(sets, ", ")
}

func inSet(it ExplainItem, set string) bool { return slices.Contains(it.Sets, set) }

// summaryLabels are the values an explanation of each flow KPI states
// (recomputed from its items) above the items, the ones a report shows.
var summaryLabels = map[string][]Labels{
	"throughput":              {{"measure": "count"}, {"measure": "per_week"}},
	"cycle_time":              durationSummary,
	"lead_time":               durationSummary,
	"bug_mttr":                durationSummary,
	"sle_attainment":          {{"measure": "ratio"}, {"measure": "sle_days"}},
	"flow_efficiency":         {{"measure": "ratio_of_sums"}, {"measure": "mean_per_item"}},
	"arrival_departure_ratio": {{"measure": "arrivals"}, {"measure": "departures"}, {"measure": "ratio"}},
	"reopen_rate":             {{}},
	"created_vs_resolved":     {{"measure": "created"}, {"measure": "resolved"}, {"measure": "net"}, {"measure": "ratio"}},
	"escaped_defect_rate":     {{}},
	"defect_ratio":            {{}},
	"field_completeness": {{"field": "estimate"}, {"field": "assignee"}, {"field": "due_date"}, {"field": "parent_epic"},
		{"field": "component"}, {"field": "fix_version"}, {"field": "composite"}},
	"wip":           {{"measure": "count"}, {"measure": "per_assignee"}},
	"work_item_age": {{"measure": "mean_age", "unit": "dc"}, {"measure": "at_risk_ratio"}, {"measure": "sle_days"}},
	"backlog_age": {{"method": "nr", "quantile": "0.5", "unit": "dc"}, {"method": "nr", "quantile": "0.85", "unit": "dc"},
		{"measure": "share_over_180d"}},
	"stale_ratio": {{}},
	"workflow_consistency": {{"class": "skipped_in_progress"}, {"class": "done_without_resolution"}, {"class": "restarted"},
		{"class": "unknown_status"}, {"class": "worklog_after_done"}, {"class": "resolution_not_done"}},
}

var durationSummary = []Labels{
	{"method": "nr", "quantile": "0.5", "unit": "dc"}, {"method": "nr", "quantile": "0.85", "unit": "dc"},
	{"method": "nr", "quantile": "0.95", "unit": "dc"}, {"method": "mean", "unit": "days"},
}

// nonNil is xs, or an empty list for nil (a bound list is never NULL).
func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
