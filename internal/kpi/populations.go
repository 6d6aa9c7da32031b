package kpi

import (
	"fmt"
	"slices"
	"strings"
)

// Populations of the windowed flow, quality and hygiene KPIs, defined once.
//
// Each named set is a SQL predicate over the lifecycle rows of a scope (see
// lifecycleSQL) for one window: the rows a KPI counts, samples or divides
// by. The compute query aggregates these predicates (flowCols) and `pmo kpi
// explain` lists the rows they select with the same predicates
// (explainFlowKPI), so the items an explanation shows are by construction
// the items the value was computed from; Recompute then derives the value
// from the listed items alone.

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

var flowValueSQL = map[string]string{
	valCtDC:       "toFloat64" + ctDC,
	valCtDays:     "toFloat64" + ctEx,
	valCCDays:     "toFloat64(cc_s) / 86400",
	valLtDC:       "toFloat64" + ltDC,
	valLtDays:     "toFloat64" + ltEx,
	valActiveDays: "toFloat64(active_s) / 86400",
	valTotalDays:  "toFloat64(done_s - start_s) / 86400",
	valLinkedBugs: "toFloat64(linked_bugs)",
}

// valuesSQL is every value's SQL at this computation's as_of.
func (c *computation) valuesSQL() map[string]string {
	as := sqlSecs(c.asOf)
	eDay := fmt.Sprint(lastCompleteDay(c.asOf, c.s.loc).Unix() / 86400)
	out := map[string]string{
		valAgeDC:      "toFloat64(" + eDay + " - start_day + 1)",
		valAgeDays:    "toFloat64(" + as + " - start_s) / 86400",
		valBacklogDC:  "toFloat64(" + eDay + " - created_day + 1)",
		valUnresolved: "toFloat64(" + as + " - toInt64(created)) / 86400",
	}
	for k, v := range flowValueSQL {
		out[k] = v
	}
	return out
}

// snapshotSets returns the predicates of the sets at as_of.
func (c *computation) snapshotSets(sle sleDays) map[string]string {
	as := sqlSecs(c.asOf)
	v := c.valuesSQL()
	wip := pFlow + " AND cat_now = 'indeterminate'"
	backlog := pFlow + " AND cat_now = 'new'"
	open := pFlow + " AND NOT is_done"
	idle := "(" + as + " - toInt64(updated))"
	p := func(s string) string { return "(" + s + ")" }
	return map[string]string{
		setInProgress: p(wip),
		setAtRisk:     p(wip + " AND " + v[valAgeDC] + " > " + transformSQL(sle.hist, "toFloat64(1e18)")),
		setBacklog:    p(backlog),
		setBacklogOld: p(backlog + " AND " + v[valBacklogDC] + " > 180"),
		setOpen:       p(open),
		setStale: p(open + " AND ((cat_now = 'new' AND " + idle + " >= " + sqlFloat(*c.s.StaleDaysToDo*86400) +
			") OR (cat_now != 'new' AND " + idle + " >= " + sqlFloat(*c.s.StaleDaysInProgress*86400) + "))"),
	}
}

// flowSets returns every set's predicate for window w.
func (c *computation) flowSets(w window, sle sleDays) map[string]string {
	dw := pFlow + " AND is_done AND " + inW("done_s", w)
	ct := c.ctPop(w)
	bugCreated := "(is_bug OR is_escaped_type) AND NOT discarded AND " + inW("toInt64(created)", w)
	estPop := pFlow + " AND (NOT is_done OR " + inW("done_s", w) + ")"
	asgPop := pFlow + " AND (cat_now = 'indeterminate' OR (is_done AND " + inW("done_s", w) + "))"
	open := pFlow + " AND NOT is_done"
	p := func(s string) string { return "(" + s + ")" }
	return map[string]string{
		setDone:          p(dw),
		setCycle:         p(ct),
		setSLEMet:        p(ct + " AND " + ctDC + " <= " + transformSQL(sle.att, "toFloat64(-1)")),
		setArrived:       p(pFlow + " AND started AND " + inW("start_s", w)),
		setEnteredDone:   p(pFlow + " AND arrayExists(x_r -> " + inW("toInt64(x_r)", w) + ", done_entry_ats)"),
		setReopened:      p(pFlow + " AND arrayExists(x_r -> " + inW("toInt64(x_r)", w) + ", reopen_ats)"),
		setCreated:       p("is_flow AND " + inW("toInt64(created)", w)),
		setResolved:      p("is_flow AND is_done AND " + inW("done_s", w)),
		setBugCreated:    p(bugCreated),
		setEscaped:       p(bugCreated + " AND escaped"),
		setBugDone:       p("is_bug AND NOT discarded AND is_done AND " + inW("done_s", w)),
		setStoryDone:     p(dw + " AND NOT is_bug"),
		setEstPop:        p(estPop),
		setEstOK:         p(estPop + " AND " + estimatedSQL(c.s.EstimatedBy)),
		setAsgPop:        p(asgPop),
		setAsgOK:         p(asgPop + " AND assignee_id != ''"),
		setOpen:          p(open),
		setDueOK:         p(open + " AND due_date IS NOT NULL"),
		setParOK:         p(open + " AND (parent_id != '' OR epic_key != '')"),
		setCmpOK:         p(open + " AND notEmpty(components)"),
		setFvOK:          p(open + " AND notEmpty(fix_version_ids)"),
		setSkipped:       p(dw + " AND skipped"),
		setNoResolution:  p(dw + " AND resolution = ''"),
		setRestarted:     p(dw + " AND restarted"),
		setUnknownStatus: p(dw + " AND has_unknown"),
		setWorklogAfter:  p(dw + " AND last_worklog_s > done_s"),
		setOpenResolved:  p(open + " AND resolution != ''"),
	}
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

// countIf is the SQL count of the rows of set name.
func countIf(sets map[string]string, name string) string { return "countIf(" + sets[name] + ")" }

// sortedSample is the SQL sorted array of value v over the rows of set name.
func sortedSample(sets map[string]string, name, v string) string {
	return "arraySort(groupArrayIf(" + flowValueSQL[v] + ", " + sets[name] + "))"
}

// sumIf is the SQL sum of value v over the rows of set name.
func sumIf(sets map[string]string, name, v string) string {
	return "sumIf(" + flowValueSQL[v] + ", " + sets[name] + ")"
}

// avgIf is the SQL mean of value v (SQL) over the rows of set name.
func avgIf(sets map[string]string, name, v string) string {
	return "avgIf(" + v + ", " + sets[name] + ")"
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
