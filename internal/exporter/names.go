// Package exporter serves pmo's KPIs and the pipeline's own health to
// Prometheus.
//
// KPIs come from the latest stored snapshot (kpi.Snapshot), turned into
// ready-made constant metrics once per KPI refresh (KPICollector.Update), so
// a scrape reads memory only. Each KPI maps to one metric family per unit
// (Prometheus base units: days become seconds, shares are _ratio in 0–1,
// counts are _items), with HELP from the KPI catalog and the exported unit. Labels are bounded:
// the scope (scope, source, program, project; team for the team scope, bounded by kpi.teams), the window, and a small fixed
// set of value dimensions (measure, method, quantile, basis, variant, field,
// class, board, confidence, release). A value with any other dimension — a sprint name, an issue,
// a person — is never exported; it is counted in pmo_kpi_values{state}.
// NULL values are absent, not zero.
//
// Metrics holds the pipeline's self-metrics (per source run outcomes,
// records written, API requests by status class, warehouse write latency,
// scheduler next runs); the pipeline package feeds it.
package exporter

import (
	"strconv"
	"strings"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// unit is the Prometheus unit of a family; it decides the name suffix and
// the scaling of the stored value.
type unit int

const (
	unitRatio   unit = iota // 0–1 share: _ratio
	unitItems               // a count of work items (or items per period): _items
	unitSeconds             // stored in days, exported in seconds: _seconds
	unitPoints              // story points: _points
	unitHours               // stored in hours, exported in seconds: _seconds
	unitScore               // a dimensionless weighted score: _score
	unitAmount              // money in the configured budget currency: no suffix
	unitSprints             // a number of sprints: _sprints
	unitStatus              // a status code or flag: no suffix
)

func (u unit) suffix() string {
	switch u {
	case unitItems:
		return "_items"
	case unitSeconds:
		return "_seconds"
	case unitPoints:
		return "_points"
	case unitHours:
		return "_seconds"
	case unitScore:
		return "_score"
	case unitAmount, unitStatus:
		return ""
	case unitSprints:
		return "_sprints"
	}
	return "_ratio"
}

// word is how HELP names the unit: the word of the name's suffix, "" for
// the units without one.
func (u unit) word() string {
	switch u {
	case unitItems:
		return "items"
	case unitSeconds, unitHours:
		return "seconds"
	case unitPoints:
		return "story points"
	case unitScore:
		return "score"
	case unitSprints:
		return "sprints"
	case unitAmount, unitStatus:
		return ""
	}
	return "ratio"
}

// helpText is the HELP of family f: its own text, else its KPI's catalog
// Help, followed by the exported unit ("… Unit: seconds."). Texts are written
// for the exported unit: a family in seconds never speaks of days or hours
// (TestHelpUnits).
func helpText(f family, catalogHelp string) string {
	h := f.help
	if h == "" {
		h = catalogHelp
	}
	if w := f.unit.word(); w != "" {
		h += " Unit: " + w + "."
	}
	return h
}

func (u unit) scale() float64 {
	switch u {
	case unitSeconds:
		return 86400
	case unitHours:
		return 3600
	}
	return 1
}

// family is where one KPI value goes: a metric family name (without the
// pmo_ prefix and unit suffix) and its unit. dropMeasure removes the
// measure label when the name already says it.
type family struct {
	name        string
	unit        unit
	dropMeasure bool
	// help is the HELP text when the catalog's Help (which describes the
	// KPI's headline value, in the units people read) does not fit this
	// family; the unit is appended by helpText.
	help string
}

// rule maps one KPI: a default family and overrides by measure label.
type rule struct {
	def      family
	measures map[string]family
}

// rules maps every KPI of kpi.Catalog (TestEveryCatalogKPIMapped keeps the
// table complete). Unknown KPIs are not exported and are counted as
// state="unmapped".
var rules = map[string]rule{
	"throughput": {def: family{name: "throughput", unit: unitItems}},
	"cycle_time": {def: family{name: "cycle_time", unit: unitSeconds}},
	"lead_time":  {def: family{name: "lead_time", unit: unitSeconds}},
	"wip":        {def: family{name: "wip", unit: unitItems}},
	"work_item_age": {def: family{name: "work_item_age", unit: unitSeconds, help: "Age of the work in progress."}, measures: map[string]family{
		"at_risk_ratio": {name: "work_item_age_at_risk", unit: unitRatio, dropMeasure: true},
		"sle_days":      {name: "work_item_age_sle", unit: unitSeconds, dropMeasure: true, help: "Service-level expectation used to call work in progress at risk."},
		"mean_age":      {name: "work_item_age_mean", unit: unitSeconds, dropMeasure: true, help: "Mean age of the work in progress."},
	}},
	"sle_attainment": {def: family{name: "sle_attainment", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"sle_days": {name: "sle_attainment_sle", unit: unitSeconds, dropMeasure: true, help: "Service-level expectation the SLE attainment is measured against."},
	}},
	"flow_efficiency": {def: family{name: "flow_efficiency", unit: unitRatio}},
	"arrival_departure_ratio": {def: family{name: "arrival_departure", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"arrivals":             {name: "arrivals_departures", unit: unitItems, help: "Items started (arrivals) and finished (departures) in the window."},
		"departures":           {name: "arrivals_departures", unit: unitItems, help: "Items started (arrivals) and finished (departures) in the window."},
		"littles_law_ct_days":  {name: "littles_law_cycle_time", unit: unitSeconds, dropMeasure: true, help: "Cycle time predicted by Little's law (average WIP / throughput)."},
		"littles_law_quotient": {name: "littles_law_quotient", unit: unitRatio, dropMeasure: true, help: "Little's-law predicted cycle time divided by the measured mean cycle time (near 1 when forecasts are reliable)."},
		"conservation_gap":     {name: "littles_law_conservation_gap", unit: unitItems, dropMeasure: true, help: "Work-conservation gap of the window: WIP change not explained by arrivals minus departures."},
	}},
	"sprint_velocity":            {def: family{name: "sprint_velocity", unit: unitPoints}},
	"velocity_variability":       {def: family{name: "velocity_variability", unit: unitRatio}},
	"say_do_ratio":               {def: family{name: "say_do", unit: unitRatio}},
	"commitment_completion_rate": {def: family{name: "commitment_completion", unit: unitRatio}},
	"sprint_scope_change": {def: family{name: "sprint_scope_change", unit: unitRatio}, measures: map[string]family{
		"estimate_change": {name: "sprint_estimate_change", unit: unitPoints, dropMeasure: true, help: "Change of estimates of the sprint's issues after sprint start."},
	}},
	"sprint_carryover":    {def: family{name: "sprint_carryover", unit: unitRatio}},
	"defect_ratio":        {def: family{name: "defect", unit: unitRatio}},
	"escaped_defect_rate": {def: family{name: "escaped_defect", unit: unitRatio}},
	"reopen_rate":         {def: family{name: "reopen", unit: unitRatio}},
	"bug_mttr":            {def: family{name: "bug_time_to_resolve", unit: unitSeconds}},
	"created_vs_resolved": {def: family{name: "created_resolved", unit: unitItems}, measures: map[string]family{
		"ratio": {name: "created_resolved", unit: unitRatio, dropMeasure: true, help: "Flow items resolved divided by flow items created in the window."},
	}},
	"backlog_age": {def: family{name: "backlog_age", unit: unitSeconds, help: "Age of flow items still in a To Do category status."}, measures: map[string]family{
		"share_over_180d":  {name: "backlog_over_180d", unit: unitRatio, dropMeasure: true, help: "Share of the not-started backlog older than 180 days."},
		"jira_average_age": {name: "backlog_jira_average_age", unit: unitSeconds, dropMeasure: true, help: "Average age of unresolved issues as Jira's Average Age report computes it."},
	}},
	"stale_ratio": {def: family{name: "stale", unit: unitRatio}},
	"backlog_readiness": {def: family{name: "backlog_readiness", unit: unitSprints}, measures: map[string]family{
		"ready_points": {name: "backlog_ready", unit: unitPoints, dropMeasure: true, help: "Story points of ready backlog items (ready status, estimated, not blocked)."},
	}},
	"field_completeness":   {def: family{name: "field_completeness", unit: unitRatio}},
	"workflow_consistency": {def: family{name: "workflow_anomaly", unit: unitRatio}},
	"due_date_adherence": {def: family{name: "due_date_on_time", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"late":     {name: "due_date_late", unit: unitItems, dropMeasure: true, help: "Items done in the window after their due date."},
		"lateness": {name: "due_date_lateness", unit: unitSeconds, dropMeasure: true, help: "Lateness (local dates: done date minus due date) of items done in the window after their due date."},
		// variant=baseline_due only: re-plans of the items' due dates.
		"due_date_changes": {name: "due_date_changes", unit: unitStatus, dropMeasure: true, help: "Number of due-date changes (re-plans of a date already set) of the items done in the window with a baseline due date."},
	}},
	"monte_carlo_forecast": {def: family{name: "monte_carlo_how_many", unit: unitItems, dropMeasure: true, help: "Items done within the forecast horizon after the last complete day (with a release label: by the release's date), at the configured confidence or the confidence label (Monte Carlo from the daily throughput history)."}, measures: map[string]family{
		"when_days":           {name: "monte_carlo_when", unit: unitSeconds, dropMeasure: true, help: "Time after the last complete day until the open backlog (with a release label: the release's remaining items) is done, at the configured confidence or the confidence label (Monte Carlo)."},
		"backlog":             {name: "monte_carlo_backlog", unit: unitItems, dropMeasure: true, help: "Open backlog items the Monte Carlo when-forecast is for."},
		"remaining":           {name: "release_remaining", unit: unitItems, dropMeasure: true, help: "Open non-discarded flow items of an unreleased version."},
		"on_time_probability": {name: "release_on_time_probability", unit: unitRatio, dropMeasure: true, help: "Share of Monte Carlo trials finishing an unreleased version's remaining items by its release date."},
		"days_left":           {name: "release_time_left", unit: unitSeconds, dropMeasure: true, help: "Time from the last complete day to an unreleased version's release date (negative when past)."},
		"late_days":           {name: "release_forecast_lateness", unit: unitSeconds, dropMeasure: true, help: "Monte Carlo finish date of an unreleased version minus its release date, at the configured confidence (negative = early)."},
	}},
	"release_schedule_adherence": {def: family{name: "release_on_time", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"slip_days":     {name: "release_slip", unit: unitSeconds, dropMeasure: true, help: "Time between the release and the baseline release date of versions released in the window (negative = early)."},
		"forecast_late": {name: "release_forecast_late", unit: unitStatus, dropMeasure: true, help: "Unreleased versions with a release date whose Monte Carlo when-forecast of their remaining items is after that date."},
		"slip_ratio":    {name: "release_slip", unit: unitRatio, dropMeasure: true, help: "Largest slip of the versions released in the window over their planned duration (start date to baseline release date)."},
	}},
	"estimation_accuracy": {def: family{name: "estimation_accuracy", unit: unitRatio}},
	// scope_growth values carry a version label: not exported (unbounded).
	"scope_growth": {def: family{name: "scope_growth", unit: unitRatio}},
	"logged_hours": {def: family{name: "logged_time", unit: unitHours, help: "Time logged in the window, attributed to the local day the worklog started."}},
	"utilization": {def: family{name: "utilization", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"capacity_hours": {name: "capacity", unit: unitHours, dropMeasure: true, help: "Calendar capacity of the people who logged time in the window."},
	}},
	"work_distribution": {def: family{name: "work_distribution", unit: unitRatio}},
	"risk_exposure": {def: family{name: "risks", unit: unitItems, help: "Open issues of the risk_types, by measure: open; high_risk_aged (High or worse, open over 30 days); stale_risks (not updated for 14 days); red_flags and amber_flags (risks raising a red or amber flag)."}, measures: map[string]family{
		"exposure": {name: "risk_exposure", unit: unitScore, dropMeasure: true},
	}},
	"overdue_ratio": {def: family{name: "overdue", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"overdue_days": {name: "overdue_time", unit: unitSeconds, dropMeasure: true, help: "Time past the due date (local dates) of overdue open items."},
	}},
	"portfolio_rag": {def: family{name: "portfolio_health", unit: unitScore, dropMeasure: true, help: "Portfolio RAG ranking score 0–100 (weighted component statuses)."}, measures: map[string]family{
		"rag":            {name: "portfolio_rag", unit: unitStatus, dropMeasure: true, help: "Portfolio RAG status: 0 green, 1 amber, 2 red (worst of the components)."},
		"low_confidence": {name: "portfolio_rag_low_confidence", unit: unitStatus, dropMeasure: true, help: "1 when the scope's data hygiene is red: its RAG is low confidence."},
	}},
	"blocked_ratio": {def: family{name: "blocked", unit: unitRatio, dropMeasure: true}, measures: map[string]family{
		"cross_project_share": {name: "blocked_cross_project", unit: unitRatio, dropMeasure: true, help: "Share of the blocked open items with a blocker in another project."},
		"blocked_days":        {name: "blocked_time", unit: unitSeconds, dropMeasure: true, help: "Time since the blocking links of blocked open items were added (Link changelog)."},
	}},
	// Earned value (kpis.md E1, E2), mapped ahead of their catalog entries
	// so the alert rules on SPI work as soon as they are computed.
	"evm_spi": {def: family{name: "evm_spi", unit: unitRatio}, measures: map[string]family{
		"sv": {name: "evm_amount", unit: unitAmount, help: "Earned-value amounts in the budget currency (PV, EV, AC, SV, CV, EAC, ETC, VAC)."},
		"pv": {name: "evm_amount", unit: unitAmount, help: "Earned-value amounts in the budget currency (PV, EV, AC, SV, CV, EAC, ETC, VAC)."},
		"ev": {name: "evm_amount", unit: unitAmount, help: "Earned-value amounts in the budget currency (PV, EV, AC, SV, CV, EAC, ETC, VAC)."},
	}},
	"evm_cpi": {def: family{name: "evm_cpi", unit: unitRatio}, measures: map[string]family{
		"cv": {name: "evm_amount", unit: unitAmount, help: "Earned-value amounts in the budget currency (PV, EV, AC, SV, CV, EAC, ETC, VAC)."},
		"ac": {name: "evm_amount", unit: unitAmount, help: "Earned-value amounts in the budget currency (PV, EV, AC, SV, CV, EAC, ETC, VAC)."},
	}},
	// evm_eac measure=bac goes to evm_amount like the other amounts.
	"evm_eac": {def: family{name: "evm_amount", unit: unitAmount, help: "Earned-value amounts in the budget currency (PV, EV, AC, SV, CV, EAC, ETC, VAC)."}, measures: map[string]family{
		"tcpi_bac":         {name: "evm_tcpi", unit: unitRatio, dropMeasure: true, help: "To-complete performance index against the budget: (BAC − EV) / (BAC − AC)."},
		"expected_sprints": {name: "evm_expected", unit: unitSprints, dropMeasure: true, help: "AgileEVM schedule forecast: planned sprints / SPI."},
	}},
}

// Sprint KPIs whose values carry a per-sprint or count variant in another
// unit: sprint_carryover measure=committed|... and variant=count are
// counts; variant=points amounts are points.
func sprintUnit(kpiID string, l kpi.Labels, f family) family {
	switch kpiID {
	case "sprint_velocity":
		if l["variant"] == "count" {
			f.unit = unitItems
			f.help = "Issues completed in the sprint (C8 reconstruction)."
		}
	case "sprint_carryover":
		if l["measure"] != "" {
			f.name = "sprint_carryover_amount"
			f.help = "Sprint report amounts at close (committed, added, removed, completed, not completed, ...)."
			f.unit = unitPoints
			if l["variant"] == "count" {
				f.unit = unitItems
			}
		}
	}
	return f
}

// labelNames are the value dimensions that may become Prometheus labels,
// and their label name. "unit" (dc or days) becomes basis, because the
// family name already carries the unit (seconds).
var labelNames = map[string]string{
	"measure":  "measure",
	"method":   "method",
	"quantile": "percentile",
	"unit":     "basis",
	"variant":  "variant",
	"field":    "field",
	"class":    "class",
	"board":    "board",
	// Monte Carlo confidence, exported as percent like quantiles.
	"confidence": "confidence",
	// Release forecasts: unreleased versions of a project (bounded by the
	// open releases; released ones leave the label set).
	"release": "release",
}

// The quantile dimension is exported as percentile="85" rather than
// quantile="0.85": promtool reserves the quantile label for summaries.

// basisValues renames the unit label values: dc is the Vacanti day count,
// days the exact elapsed time.
var basisValues = map[string]string{"dc": "day_count", "days": "elapsed"}

// scopeLabels are the labels every KPI series has.
var scopeLabels = []string{"scope", "source", "program", "project", "window"}

// mapValue returns the family of v, its metric labels (beyond the scope
// labels; the measure label included even when the family drops it) and
// the reason it is not exported ("" when it is).
func mapValue(v kpi.Value) (family, map[string]string, string) {
	r, ok := rules[v.KPI]
	if !ok {
		return family{}, nil, "unmapped"
	}
	f := r.def
	if m, ok := r.measures[v.Labels["measure"]]; ok {
		f = m
	}
	f = sprintUnit(v.KPI, v.Labels, f)
	out := make(map[string]string, len(v.Labels))
	for k, val := range v.Labels {
		name, ok := labelNames[k]
		if !ok {
			// sprint names, priorities, people...: unbounded over time.
			if k == "sprint" {
				return family{}, nil, "per_sprint"
			}
			return family{}, nil, "unbounded_label"
		}
		switch k {
		case "unit":
			if b, ok := basisValues[val]; ok {
				val = b
			}
		case "quantile", "confidence":
			if q, err := strconv.ParseFloat(val, 64); err == nil {
				val = strconv.FormatFloat(q*100, 'f', -1, 64)
			}
		}
		out[name] = val
	}
	if f.unit == unitSeconds && out["basis"] == "" {
		out["basis"] = "elapsed"
	}
	return f, out, ""
}

// scopeValues splits a KPI scope into the scope labels.
func scopeValues(kind, scope string, programs map[string]string) (source, program, project string) {
	switch kind {
	case kpi.ScopeSource:
		return scope, "", ""
	case kpi.ScopeProgram:
		return "", scope, ""
	case kpi.ScopeProject:
		src, key, ok := strings.Cut(scope, "/")
		if !ok {
			return "", programs[scope], scope
		}
		return src, programs[scope], key
	}
	return "", "", ""
}
