package kpi

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Provenance of a threshold (kpis.md): taken from a cited source, from a
// weak/secondary source, or a heuristic default to calibrate per organisation.
type Provenance string

const (
	SRC  Provenance = "SRC"
	SRC2 Provenance = "SRC-2"
	HEUR Provenance = "HEUR"
)

// Direction says which way a KPI is good.
type Direction string

const (
	HigherIsBetter Direction = "higher is better"
	LowerIsBetter  Direction = "lower is better"
	InBand         Direction = "inside the band is better"
	NoDirection    Direction = "compare with own history"
)

// Threshold is the RAG banding of one value of a KPI.
type Threshold struct {
	Applies    string // which value it applies to, e.g. "measure=ratio"
	Green      string
	Amber      string
	Red        string
	Provenance Provenance
	// Unrated says why the threshold is not evaluated (e.g. it is advice,
	// not a band); empty: the engine rates the values it applies to.
	Unrated string
}

// Definition is one KPI of the catalog.
type Definition struct {
	ID         string
	Ref        string // kpis.md reference, e.g. "F1"
	Name       string
	Group      string
	Question   string
	Unit       string
	Window     string // default window(s)
	Statistic  string
	Help       string // one line, used as Prometheus HELP
	Direction  Direction
	Thresholds []Threshold
	// Values lists the label sets the KPI emits, with their meaning.
	Values []string
	Notes  string
}

// Catalog lists the KPIs the engine computes, in kpis.md order.
var Catalog = []Definition{
	{ID: "throughput", Ref: "F1", Name: "Throughput", Group: "Flow", Question: "How many work items does the team finish per week, and is that stable?",
		Unit: "items (count), items/week, items/day", Window: "trailing 4 w and 12 w", Statistic: "count of non-discarded flow items whose final done_at is in W",
		Help: "Non-discarded flow items finished in the window (final done instant, reopened items once).", Direction: NoDirection,
		Thresholds: []Threshold{{Applies: "measure=per_week", Green: "≥ 75 % of the 26-week mean", Amber: "50–75 % of the 26-week mean", Red: "< 50 % of the 26-week mean", Provenance: HEUR}},
		Values:     []string{"measure=count", "measure=per_week", "measure=per_day"},
		Notes: "Items that skipped In Progress are counted; discarded items and sub-tasks are not. " +
			"The RAG compares per_week with the scope's 26-week per_week value, so it is rated only when flow_windows_weeks includes 26 (unrated otherwise)."},
	{ID: "cycle_time", Ref: "F2", Name: "Cycle time", Group: "Flow", Question: "Once we start an item, how long until it is done (what can we promise)?",
		Unit: "days (dc = Vacanti day-count; days = exact)", Window: "done in trailing 4 w and 12 w", Statistic: "NR and R7 P50/P85/P95, mean; n",
		Help: "Cycle time from the last exit from To Do to the final done instant of items done in the window.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "method=nr,quantile=0.85,unit=dc", Green: "≤ team SLE", Amber: "", Red: "> team SLE", Provenance: SRC}},
		Values:     []string{"method=nr|r7,quantile=0.5|0.85|0.95,unit=dc|days", "method=mean,unit=days", "method=control_chart,unit=days"},
		Notes: "Percentiles are NULL when n < min_sample (default 5). Skipped-In-Progress items are excluded unless include_skipped_in_cycle. " +
			"method=control_chart is the Jira control-chart variant: the mean over the same items of the time spent in cycle_time_status_ids (default: every In Progress status), so time outside them (e.g. in Done before a reopen) does not count."},
	{ID: "lead_time", Ref: "F3", Name: "Lead time", Group: "Flow", Question: "How long does a request wait plus take, from creation to delivery?",
		Unit: "days", Window: "done in trailing 4 w and 12 w", Statistic: "NR and R7 P50/P85/P95, mean (DevLake parity); n",
		Help: "Lead time from creation to the final done instant of items done in the window.", Direction: LowerIsBetter,
		Values: []string{"method=nr|r7,quantile=0.5|0.85|0.95,unit=dc|days", "method=mean,unit=days"}},
	{ID: "wip", Ref: "F4", Name: "Work in progress", Group: "Flow", Question: "How much work have we started and not finished?",
		Unit: "items", Window: "snapshot; daily average over 4 w / 12 w", Statistic: "count; mean of end-of-local-day samples",
		Help: "Non-discarded flow items in an In Progress category status.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=per_assignee", Green: "≤ 2", Amber: "≤ 3", Red: "> 3", Provenance: HEUR}},
		Values:     []string{"measure=count (snapshot)", "measure=per_assignee (snapshot)", "measure=daily_average (window)"}},
	{ID: "work_item_age", Ref: "F5", Name: "Work item age and at-risk WIP", Group: "Flow", Question: "Which in-flight items are already older than what we usually need?",
		Unit: "days, ratio", Window: "snapshot", Statistic: "per-item dc; share of WIP older than the SLE",
		Help: "Share of work in progress older than the service-level expectation.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=at_risk_ratio", Green: "≤ 0.15", Amber: "0.15–0.30", Red: "> 0.30", Provenance: HEUR}},
		Values:     []string{"measure=at_risk_ratio", "measure=sle_days", "measure=mean_age,unit=dc|days"},
		Notes:      "SLE days = NR percentile (sle.percentile) of the trailing-12-week day-count cycle time; the configured sle.days when that history has fewer than min_sample items."},
	{ID: "sle_attainment", Ref: "F6", Name: "SLE attainment", Group: "Flow", Question: "Do we keep our service-level expectation?",
		Unit: "ratio", Window: "done in trailing 4 w and 12 w", Statistic: "ratio of counts",
		Help: "Share of the cycle-time population finished within the SLE days.", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "measure=ratio", Green: "≥ sle.percentile", Amber: "≥ sle.percentile − 0.10", Red: "below", Provenance: HEUR}},
		Values:     []string{"measure=ratio", "measure=sle_days"},
		Notes:      "Uses the configured sle.days; without one, the 12-week NR history value."},
	{ID: "flow_efficiency", Ref: "F7", Name: "Flow efficiency", Group: "Flow", Question: "What share of elapsed cycle time is active work rather than waiting?",
		Unit: "ratio", Window: "done in trailing 4 w and 12 w", Statistic: "ratio of sums (per-item mean secondary)",
		Help: "Time in active statuses divided by cycle time, summed over items done in the window.", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "measure=ratio_of_sums", Green: "≥ 0.40", Amber: "0.15–0.40", Red: "< 0.15", Provenance: HEUR}},
		Values:     []string{"measure=ratio_of_sums", "measure=mean_per_item"},
		Notes:      "Active statuses: active_status_ids, or every In Progress category status when empty."},
	{ID: "arrival_departure_ratio", Ref: "F8", Name: "Arrival/departure ratio and Little's-law check", Group: "Flow", Question: "Is work entering faster than it leaves?",
		Unit: "ratio, items, days", Window: "trailing 4 w and 12 w", Statistic: "ratio of counts; Little's-law quotient",
		Help: "Items started divided by items finished in the window.", Direction: InBand,
		Thresholds: []Threshold{{Applies: "measure=ratio", Green: "0.9–1.1", Amber: "0.7–0.9 or 1.1–1.3", Red: "otherwise", Provenance: HEUR},
			{Applies: "measure=littles_law_quotient", Green: "0.75–1.25", Red: "otherwise (forecasts unreliable)", Provenance: HEUR}},
		Values: []string{"measure=ratio|arrivals|departures", "measure=littles_law_ct_days|littles_law_quotient", "measure=conservation_gap"}},
	{ID: "monte_carlo_forecast", Ref: "F9", Name: "Monte Carlo forecast", Group: "Flow", Question: "How many items will be done in the next days, and when will the open backlog — or a release — be done?",
		Unit: "items; days after E", Window: "history: mc_history_days local days ending at E (window label e.g. 90d)", Statistic: "mc_trials seeded trials; how many = largest v with P(total ≥ v) ≥ c; when = NR c-quantile of days",
		Help: "Monte Carlo forecast from the daily throughput history: items done within the horizon, days until the open backlog is done, at mc_confidence.", Direction: NoDirection,
		Thresholds: []Threshold{{Applies: "measure=how_many|when_days", Green: "85 % is the common commitment level", Provenance: SRC2, Unrated: "a commitment level (mc_confidence), not a band of values"}},
		Values: []string{"measure=how_many (mc_horizon_days after E)", "measure=when_days (days after E until the open backlog is done)", "measure=backlog",
			"confidence=0.5|0.7|0.85|0.95,measure=how_many|when_days (the same trials read at each confidence)",
			"measure=remaining|when_days,release=<version> (project scopes: unreleased versions)", "confidence=0.5|0.7|0.85|0.95,measure=when_days,release=<version>",
			"measure=days_left|how_many|on_time_probability|late_days,release=<version> (versions with a release date)"},
		Notes: "Seeded by scope and as_of (reproducible). All-zero history → NULL; a when-forecast beyond 3650 days → NULL. Forecast date = E + when_days. " +
			"Values without a confidence label are at mc_confidence (the commitment level); the confidence=… values read the same trials at 50/70/85/95 %. " +
			"The backlog is the scope's open non-discarded flow items. Release forecasts (project scopes, label release = version name): every unreleased, unarchived version with a release date or remaining items; " +
			"remaining = its non-discarded flow items not done at as_of; when_days from the project's daily throughput history (as Jira's version report predicts from the project's pace); " +
			"with a release date D: days_left = local days from E to D (negative when past), how_many = items of the release done by D at mc_confidence (at most remaining), on_time_probability = share of trials done by D, late_days = when_days − days from E to D (negative = early)."},
	{ID: "sprint_velocity", Ref: "S1", Name: "Velocity", Group: "Sprint", Question: "How much estimated work does the team complete per sprint?",
		Unit: "points/sprint", Window: "per sprint; last N closed sprints (velocity_window_sprints)", Statistic: "sum per sprint; mean of last N",
		Help: "Story points of issues completed in the sprint (C8 reconstruction).", Direction: NoDirection,
		Values: []string{"sprint=…,variant=points|count", "board=…,variant=points (window lastN)"}},
	{ID: "velocity_variability", Ref: "S2", Name: "Velocity CV and sprint predictability", Group: "Sprint", Question: "Is our delivery rate stable enough to plan with?",
		Unit: "ratio", Window: "last 6 closed sprints", Statistic: "sample CV; velocity / mean of previous 3",
		Help: "Sample coefficient of variation of velocity over the last closed sprints.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=cv", Green: "≤ 0.20", Amber: "0.20–0.35", Red: "> 0.35", Provenance: HEUR},
			{Applies: "measure=predictability", Green: "0.95–1.05", Provenance: SRC}},
		Values: []string{"board=…,measure=cv (window lastN)", "sprint=…,measure=predictability"}},
	{ID: "say_do_ratio", Ref: "S3", Name: "Say/do ratio", Group: "Sprint", Question: "Did the team deliver what it said it would?",
		Unit: "ratio", Window: "per sprint; mean of last N", Statistic: "completed / commitment",
		Help: "Completed points divided by the points committed at sprint start.", Direction: InBand,
		Thresholds: []Threshold{{Applies: "variant=points", Green: "> 0.90", Amber: "0.60–0.90", Red: "< 0.60", Provenance: SRC}},
		Values:     []string{"sprint=…,variant=points|count", "board=…,variant=points (window lastN)"}},
	{ID: "commitment_completion_rate", Ref: "S4", Name: "Strict commitment completion", Group: "Sprint", Question: "How much of the original commitment was delivered?",
		Unit: "ratio", Window: "per sprint", Statistic: "Σ est(t_start) of committed ∩ completed / commitment",
		Help: "Share of the sprint-start commitment completed, ignoring added work.", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "variant=points", Green: "> 0.90", Amber: "0.60–0.90", Red: "< 0.60", Provenance: SRC}},
		Values:     []string{"sprint=…,variant=points|count"}},
	{ID: "sprint_scope_change", Ref: "S5", Name: "Scope churn", Group: "Sprint", Question: "How stable was the sprint after it started?",
		Unit: "ratio", Window: "per sprint", Statistic: "(added + removed) / committed",
		Help: "Work added plus removed after sprint start relative to the commitment.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "variant=points", Green: "≤ 0.10", Amber: "0.10–0.25", Red: "> 0.25", Provenance: HEUR}},
		Values:     []string{"sprint=…,variant=points|count", "sprint=…,measure=estimate_change"}},
	{ID: "sprint_carryover", Ref: "S6", Name: "Carry-over and sprint report", Group: "Sprint", Question: "How much sprint scope rolls into the next sprint?",
		Unit: "ratio; points and issues", Window: "per sprint", Statistic: "not completed / final scope; full C8 report",
		Help: "Share of the final sprint scope not completed at sprint close.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "variant=points", Green: "≤ 0.10", Amber: "0.10–0.20", Red: "> 0.20", Provenance: HEUR}},
		Values: []string{"sprint=…,variant=points|count (ratio)",
			"sprint=…,measure=committed|added|removed|completed|not_completed,variant=points|count",
			"sprint=…,measure=completed_outside,variant=count", "sprint=…,measure=estimate_change|invariant_gap,variant=points"},
		Notes: "invariant_gap = commitment + added − removed + estimate change − (completed + not completed); 0 when C8 holds."},
	{ID: "due_date_adherence", Ref: "P1", Name: "On-time completion vs due date", Group: "Planning", Question: "Do we finish items by the date we promised?",
		Unit: "ratio; days (dc)", Window: "done in trailing 4 w and 12 w", Statistic: "ratio of counts; lateness NR P50/P85",
		Help: "Share of flow items done in the window with a due date that were done on or before the due date in force at completion (local dates).", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "measure=on_time_ratio", Green: "≥ 0.90", Amber: "0.60–0.90", Red: "< 0.60", Provenance: HEUR}},
		Values: []string{"measure=on_time_ratio", "measure=late", "measure=lateness,method=nr,quantile=0.5|0.85,unit=dc",
			"variant=baseline_due with measure=on_time_ratio|late|due_date_changes|lateness,method=nr,quantile=0.5|0.85,unit=dc"},
		Notes: "Default: evaluated against the due date in force at done_at, replayed from the due_date changes (the to of the last change at or before done_at; none before but some after: the from of the first change after; never changed: the current due date), so a due date moved after completion does not make a late item on time. " +
			"variant=baseline_due: against the first non-null due date of the changelog up to as_of (else the current one); measure=due_date_changes is the number of changelog items up to as_of that altered a due date already set (setting the first one is not a change), summed over the variant's population. " +
			"Items without a due date are excluded (see field_completeness); discarded items are excluded."},
	{ID: "release_schedule_adherence", Ref: "P2", Name: "Release on-time rate and slip", Group: "Planning", Question: "Do releases (fix versions) ship on their planned dates?",
		Unit: "ratio; days", Window: "versions released in the trailing 26 w (26w)", Statistic: "ratio of counts; slip days NR P50/P85",
		Help: "Share of versions released in the window on or before their baseline (first planned) release date.", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "measure=on_time_ratio", Green: "≥ 0.80", Amber: "0.60–0.80", Red: "< 0.60", Provenance: HEUR},
			{Applies: "measure=slip_ratio,method=max", Green: "≤ 0.10", Red: "> 0.10", Provenance: HEUR}},
		Values: []string{"measure=on_time_ratio", "measure=slip_days,method=nr,quantile=0.5|0.85", "measure=slip_ratio,method=max",
			"measure=forecast_late (project scopes, window mc_history_days)"},
		Notes: "C12: baseline = first non-null release date observed in the daily version snapshots. Released date (observed) = the first observation day with released = 1, when an earlier observation saw the version unreleased. " +
			"A version pmo first saw already released (e.g. every old version on a fresh install) cannot be dated by the snapshots — its first observation day is the first collection, not the release — so its released date is the fallback of C12: the last local done day of its non-discarded issues, " +
			"only when none of them is open at as_of (open work at as_of: not delivered by then, excluded) and at most its first observation day (it was released by then); without a done issue it is excluded. `pmo kpi explain release_schedule_adherence` lists every version with the date used and why (observed or fallback) or why it is excluded. " +
			"slip_days = released date − baseline (negative = early); versions without a baseline date are excluded; NULL (n = 0) for a scope with versions but none released in W; percentiles NULL below min_sample. " +
			"measure=forecast_late: per project, of its unreleased, unarchived versions with a release date (n), those whose F9 when-forecast (project throughput history, mc_confidence) of their remaining non-discarded flow items, counted from the last complete day, falls after the planned date; the per-version forecasts are monte_carlo_forecast values with a release label. " +
			"measure=slip_ratio,method=max: the largest slip (0 when early) over planned duration (version start date → baseline release date) of the versions released in W that have a start date; above 0.10 is red (P2)."},
	{ID: "estimation_accuracy", Ref: "P3", Name: "Actual vs estimated effort", Group: "Planning", Question: "How reliable are our effort estimates?",
		Unit: "ratio", Window: "done in trailing 4 w and 12 w", Statistic: "median (R7) of spent/estimate; ratio of sums; share in [0.8, 1.25]",
		Help: "Logged time divided by the original estimate at start of flow items done in the window (sub-tasks rolled up).", Direction: InBand,
		Thresholds: []Threshold{{Applies: "measure=median|ratio_of_sums", Green: "0.8–1.2", Amber: "0.6–0.8 or 1.2–1.5", Red: "otherwise", Provenance: SRC2},
			{Applies: "measure=within_band", Green: "≥ 0.70", Amber: "0.50–0.70", Red: "< 0.50", Provenance: HEUR}},
		Values: []string{"measure=median|ratio_of_sums|within_band"},
		Notes: "Spent = worklog seconds started before as_of (C10) on the item and its sub-tasks. Estimate = the original estimate in force at started_at (done_at if never started), replayed from the original_estimate changes like the due date of due_date_adherence; when the item has none, the sum of its sub-tasks' original estimates in force when the item started (or when the sub-task was created, if later). " +
			"Sub-tasks are not items of their own. Items without time spent or estimate are excluded (no time logged → NULL)."},
	{ID: "scope_growth", Ref: "P4", Name: "Release scope growth", Group: "Planning", Question: "How much has the scope of a release grown since it was baselined?",
		Unit: "ratio", Window: "since the version's start date (since_baseline)", Statistic: "(scope(as_of) − scope(t_b)) / scope(t_b), ratio of sums",
		Help: "Growth of a release's scope (story points or issues) since its start date.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "variant=points", Green: "≤ 0.10", Amber: "0.10–0.25", Red: "> 0.25", Provenance: HEUR}},
		Values:     []string{"version=…,variant=points|count"},
		Notes: "Per fix version with a start date on or before as_of; t_b = local midnight of the start date. Members: non-discarded, non-sub-task issues; at t_b those created before it, with the story points at t_b from the changelog. " +
			"Membership at each instant is replayed from the fix_version changes (an issue moved into the release after t_b is growth, one removed from it leaves the current scope); issues whose versions never changed use their current fixVersions. Epic scope growth is not built. " +
			"The version label is unbounded, so the values are in kpi_values and reports but not exported to Prometheus."},
	{ID: "evm_spi", Ref: "E1", Name: "Schedule performance index", Group: "Earned value", Question: "Are we ahead of or behind the planned schedule in earned terms?",
		Unit: "ratio (SV, PV, EV in budget currency)", Window: "release to date", Statistic: "EV / PV (AgileEVM: PV = n/PS × BAC, EV = done points / PRP × BAC)",
		Help: "Earned value divided by planned value (AgileEVM from configured release baseline and done story points).", Direction: InBand,
		Thresholds: []Threshold{{Applies: "variant=agile|effort", Green: "0.95–1.05", Amber: "0.90–0.95 or 1.05–1.10", Red: "otherwise", Provenance: SRC}},
		Values:     []string{"variant=agile|effort (SPI)", "variant=agile|effort,measure=sv|pv|ev"},
		Notes:      "Only for scopes with kpi.scopes[].evm (NULL elsewhere). Mode agile (AgileEVM): sprints_completed and actual_cost come from the config. Mode effort (0/100 rule): from the frozen baseline (kpi.CreateBaseline), in hours or × hourly_rate."},
	{ID: "evm_cpi", Ref: "E2", Name: "Cost performance index", Group: "Earned value", Question: "Are we getting the planned value for the cost spent?",
		Unit: "ratio (CV, AC in budget currency)", Window: "release to date", Statistic: "EV / AC",
		Help: "Earned value divided by actual cost (AgileEVM).", Direction: InBand,
		Thresholds: []Threshold{{Applies: "variant=agile|effort", Green: "0.95–1.05", Amber: "0.90–0.95 or 1.05–1.10", Red: "otherwise", Provenance: SRC}},
		Values:     []string{"variant=agile|effort (CPI)", "variant=agile|effort,measure=cv|ac"},
		Notes:      "AC = evm.actual_cost, else hours logged on the scope before as_of × evm.hourly_rate. AC = 0 → NULL."},
	{ID: "evm_eac", Ref: "E3", Name: "Estimate at completion", Group: "Earned value", Question: "What will the work cost at completion, and how efficient must the rest be?",
		Unit: "budget currency; ratio; sprints", Window: "release to date", Statistic: "EAC = BAC/CPI; ETC; VAC; TCPI; EAC variants; expected sprints = PS/SPI",
		Help: "Estimate at completion (BAC / CPI) and its derived forecasts (AgileEVM).", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=tcpi_bac", Green: "≤ 1.00", Amber: "1.00–1.10", Red: "> 1.10", Provenance: HEUR}},
		Values:     []string{"variant=agile|effort,measure=bac|eac|etc|vac|tcpi_bac|eac_atypical|eac_cpi_spi", "variant=agile,measure=expected_sprints"}},
	{ID: "defect_ratio", Ref: "Q1", Name: "Defect injection rate", Group: "Quality", Question: "How many defects come with the work we deliver?",
		Unit: "ratio", Window: "done in trailing 4 w and 12 w", Statistic: "linked bugs / non-bug items done",
		Help: "Bugs linked to (defect_link_types) or parented by the non-bug items done in the window, per item.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Green: "≤ 0.25", Amber: "0.25–1.25", Red: "> 1.25", Provenance: SRC}}},
	{ID: "escaped_defect_rate", Ref: "Q2", Name: "Escaped defect rate", Group: "Quality", Question: "What share of defects escape to production?",
		Unit: "ratio", Window: "bugs created in trailing 4 w and 12 w", Statistic: "ratio of counts",
		Help: "Share of bugs created in the window that match the escaped markers.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Green: "≤ 0.05", Amber: "0.05–0.15", Red: "> 0.15", Provenance: HEUR}}},
	{ID: "reopen_rate", Ref: "Q3", Name: "Reopen rate", Group: "Quality", Question: "How often is done not really done?",
		Unit: "ratio", Window: "trailing 4 w and 12 w", Statistic: "ratio of distinct counts",
		Help: "Items reopened (done to not done) in the window over items that entered done in it.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Green: "< 0.02", Amber: "0.02–0.10", Red: "≥ 0.10", Provenance: SRC}}},
	{ID: "bug_mttr", Ref: "Q4", Name: "Bug time to resolve", Group: "Quality", Question: "How fast do we fix bugs?",
		Unit: "days", Window: "done in trailing 4 w and 12 w", Statistic: "NR and R7 P50/P85/P95, mean",
		Help: "Time from creation to final done of non-discarded bugs done in the window.", Direction: LowerIsBetter,
		Values: []string{"method=nr|r7,quantile=…,unit=dc|days", "method=mean,unit=days", "priority=…,method=nr|r7,quantile=0.5|0.85,unit=dc|days", "priority=…,method=mean,unit=days"},
		Notes:  "Per priority: the priority at as_of (current value); bugs without one are priority=none."},
	{ID: "created_vs_resolved", Ref: "B1", Name: "Created vs resolved", Group: "Backlog", Question: "Is the backlog growing or shrinking?",
		Unit: "items, ratio", Window: "trailing 4 w and 12 w", Statistic: "counts, difference, ratio",
		Help: "Flow items created and resolved (discarded included) in the window.", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "measure=ratio", Green: "≥ 1.0", Amber: "0.9–1.0", Red: "< 0.9", Provenance: HEUR}},
		Values:     []string{"measure=created|resolved|net|ratio"}},
	{ID: "backlog_age", Ref: "B2", Name: "Backlog age", Group: "Backlog", Question: "How old is the work we have not started?",
		Unit: "days", Window: "snapshot", Statistic: "NR/R7 P50/P85 (dc); share > 180 d; Jira average age",
		Help: "Age in local days of flow items still in a To Do category status.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "method=nr,quantile=0.5,unit=dc", Green: "≤ 90", Amber: "90–180", Red: "> 180", Provenance: HEUR}},
		Values:     []string{"method=nr|r7,quantile=0.5|0.85,unit=dc", "measure=share_over_180d", "measure=jira_average_age,unit=days"}},
	{ID: "stale_ratio", Ref: "B3", Name: "Stale items", Group: "Backlog", Question: "How much open work is nobody touching?",
		Unit: "ratio", Window: "snapshot", Statistic: "ratio of counts",
		Help: "Open flow items not updated for stale_days (14 in progress, 90 to do).", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Green: "≤ 0.10", Amber: "0.10–0.25", Red: "> 0.25", Provenance: HEUR}}},
	{ID: "backlog_readiness", Ref: "B4", Name: "Ready backlog depth", Group: "Backlog", Question: "Do we have enough refined work for the next sprints?",
		Unit: "sprints; points", Window: "snapshot", Statistic: "Σ story points of ready items / mean velocity of the last velocity_window_sprints closed sprints",
		Help: "Story points of ready backlog items (ready status, estimated, not blocked) divided by the mean velocity.", Direction: InBand,
		Thresholds: []Threshold{{Applies: "(no labels)", Green: "2–4", Amber: "1–2 or > 4 (waste)", Red: "< 1", Provenance: HEUR},
			{Applies: "(no labels)", Green: "≥ 2 (KnowHOW recommends 2 sprints)", Provenance: SRC, Unrated: "the cited lower bound behind the HEUR band above, which rates the value"}},
		Values: []string{"(no labels): sprints", "measure=ready_points"},
		Notes: "Ready = open non-discarded flow item in one of ready_status_ids with story points > 0 and no blocker that is not done (blocking_link_types, current links). " +
			"Velocity = sprint_velocity of the scope's boards (mean of the last velocity_window_sprints closed sprints, averaged over boards), so only project scopes with a board have a value. NULL without ready_status_ids or without velocity."},
	{ID: "field_completeness", Ref: "G1", Name: "Data hygiene", Group: "Governance", Question: "Can the PMO trust the numbers?",
		Unit: "ratio", Window: "trailing 4 w and 12 w populations", Statistic: "coverage per field; composite mean",
		Help: "Share of the field's population with the field set.", Direction: HigherIsBetter,
		Thresholds: []Threshold{{Applies: "field=composite", Green: "≥ 0.90", Amber: "0.70–0.90", Red: "< 0.70", Provenance: HEUR},
			{Applies: "field=estimate|assignee|due_date|parent_epic|component|fix_version", Green: "≥ 0.95", Amber: "0.80–0.95", Red: "< 0.80", Provenance: HEUR}},
		Values: []string{"field=estimate|assignee|due_date|parent_epic|component|fix_version|composite"},
		Notes: "Populations: estimate = open flow items and those done in W; assignee = In Progress or done in W; due_date, parent_epic (parent or epic link), component, fix_version = open flow items. " +
			"An item counts as estimated per kpi.estimated_by: either (default) = story points or an original estimate (C9 has both: points drive Scrum/AgileEVM, time drives effort/EVM hours; example C §4.3 counts tasks estimated in hours only), story_points = story points only, original_estimate = original estimate only; a value of 0 is set. " +
			"`pmo kpi explain field_completeness` lists the estimate population with the field that made each item count (or what it lacks). " +
			"The composite is the mean of the completeness_composite_fields coverages (default estimate, assignee, due_date; NULL coverages are left out)."},
	{ID: "workflow_consistency", Ref: "G2", Name: "Workflow anomalies", Group: "Governance", Question: "Is the workflow used as designed?",
		Unit: "ratio", Window: "trailing 4 w and 12 w", Statistic: "count / population per anomaly class",
		Help: "Share of items showing a workflow anomaly, per class.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Green: "≤ 0.02", Amber: "0.02–0.10", Red: "> 0.10", Provenance: HEUR}},
		Values: []string{"class=skipped_in_progress|done_without_resolution|restarted|unknown_status|worklog_after_done (over items done in W)",
			"class=resolution_not_done (over open items)"}},
	{ID: "logged_hours", Ref: "R1", Name: "Logged hours", Group: "Resources", Question: "Where and by whom is time being spent?",
		Unit: "hours", Window: "month of the last complete day (to as_of)", Statistic: "sum of worklog hours by local start day",
		Help: "Hours logged in the window, attributed to the local day the worklog started.", Direction: NoDirection,
		Values: []string{"measure=total", "author=…", "type=…"}},
	{ID: "utilization", Ref: "R2", Name: "Logged-time utilisation", Group: "Resources", Question: "How loaded are people relative to available capacity?",
		Unit: "ratio; hours", Window: "month of the last complete day (to as_of)", Statistic: "logged / capacity; team = Σ logged / Σ capacity",
		Help: "Logged hours divided by calendar capacity (working days × hours/day × FTE minus holidays) of the people who logged time.", Direction: InBand,
		Thresholds: []Threshold{{Applies: "measure=team", Green: "0.70–0.85", Amber: "0.60–0.70 or 0.85–1.00", Red: "otherwise", Provenance: HEUR}},
		Values:     []string{"measure=team", "measure=capacity_hours", "author=…"},
		Notes:      "Capacity from kpi.capacity (per scope; people override FTE, hours/day, leave). The team is the set of worklog authors of the scope in the window. Low values usually mean under-logging."},
	{ID: "work_distribution", Ref: "R3", Name: "Investment mix and concentration", Group: "Resources", Question: "What does our capacity go into, and does it depend on a few people?",
		Unit: "ratio", Window: "month of the last complete day (to as_of)", Statistic: "share of hours by issue type; top-person share; HHI",
		Help: "Share of logged hours by issue type, and the concentration of hours on people.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=top_person_share", Green: "≤ 0.50", Amber: "> 0.50", Provenance: HEUR},
			{Applies: "type=Bug", Green: "≤ 0.30", Amber: "0.30–0.50", Red: "> 0.50", Provenance: HEUR}},
		Values: []string{"type=…", "measure=top_person_share|hhi"}},
	{ID: "risk_exposure", Ref: "K1", Name: "Open risks by severity and age", Group: "Risks", Question: "Which risks are open, how severe, how old, and are they reviewed?",
		Unit: "score; items", Window: "snapshot", Statistic: "Σ severity weight of open risks; counts",
		Help: "Sum of severity weights (risk_severity_weights by priority) of open issues of the risk_types.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=red_flags", Green: "≤ 0", Red: "> 0", Provenance: HEUR},
			{Applies: "measure=amber_flags", Green: "≤ 0", Amber: "> 0", Provenance: HEUR}},
		Values: []string{"measure=exposure|open|high_risk_aged|stale_risks", "measure=red_flags|amber_flags"},
		Notes:  "high_risk_aged: severity ≥ High and age (dc) > 30; stale: not updated for ≥ 14 days. red_flags = top-severity risks open > 30 d + stale risks; amber_flags = High or worse open > 60 d."},
	{ID: "overdue_ratio", Ref: "K2", Name: "Overdue open items", Group: "Risks", Question: "How much open work has missed its due date, by how much?",
		Unit: "ratio; days", Window: "snapshot", Statistic: "ratio of counts; overdue days NR P50/P85",
		Help: "Share of open flow items with a due date whose due date is on or before the last complete local day.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=ratio", Green: "≤ 0.05", Amber: "0.05–0.15", Red: "> 0.15", Provenance: HEUR}},
		Values:     []string{"measure=ratio", "measure=overdue_days,method=nr,quantile=0.5|0.85,unit=dc"},
		Notes:      "The due date is the one in force at as_of, replayed from the due_date changes (a backfilled snapshot sees the plan of its day). overdue_days = E − due (0 = the due date is the day that has just ended)."},
	{ID: "blocked_ratio", Ref: "K3", Name: "Blocked items", Group: "Risks", Question: "How much work is waiting on other work?",
		Unit: "ratio", Window: "snapshot", Statistic: "ratio of counts",
		Help: "Share of open flow items with at least one blocker (blocking_link_types) linked and not done at as_of.", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=ratio", Green: "≤ 0.10", Amber: "0.10–0.20", Red: "> 0.20", Provenance: HEUR}},
		Values:     []string{"measure=ratio", "measure=ratio,variant=wip", "measure=cross_project_share", "measure=blocked_days,method=nr,quantile=0.5|0.85,unit=days"},
		Notes: "Blocked at as_of (C11): a blocking link that existed at as_of whose blocker was not done at as_of. A link's existence is replayed from the link changes of either issue (model.ChangeLink: the text ends with the link type's inward or outward text and the other issue's key, e.g. Jira's \"This issue is blocked by KEY\" on the blocked issue and \"This issue blocks KEY\" on the blocker), so links added after as_of or removed before it do not count, and a link removed since (no longer in the tracker) does. " +
			"Fallback without link changes for a link (changelog not collected or truncated, localised texts): a current link counts, as if it existed since both issues did. variant=wip: over open items In Progress. cross_project_share: share of the blocked items with a blocker in another project. " +
			"blocked_days: exact days since the blocking links of a blocked item were added (the earliest addition before as_of of its active links; items with a link of unknown addition are left out; the blocker's own reopening is not considered)."},
	{ID: "portfolio_rag", Ref: "X1", Name: "Portfolio RAG health", Group: "Portfolio", Question: "Which projects need PMO attention now?",
		Unit: "RAG (0 green, 1 amber, 2 red); score 0–100", Window: "snapshot (windowed components: the longest flow window)", Statistic: "worst of the components; Σ w·v / Σ w with v(G)=100, v(A)=50, v(R)=0",
		Help: "Worst RAG status of the scope's components (schedule, cost, delivery, quality, risk, hygiene).", Direction: LowerIsBetter,
		Thresholds: []Threshold{{Applies: "measure=rag", Green: "≤ 0", Amber: "≤ 1", Red: "> 1", Provenance: SRC},
			{Applies: "measure=score", Green: "≥ 75", Amber: "50–75", Red: "< 50", Provenance: HEUR}},
		Values: []string{"measure=rag|score|low_confidence", "component=schedule|cost|delivery|quality|risk|hygiene (NULL = n/a)"},
		Notes: "schedule = evm_spi, else say/do (mean of the scope's boards, last N), else due-date adherence; cost = evm_cpi; delivery = due-date adherence, else release_schedule_adherence on_time_ratio (26w); " +
			"quality = escaped defect rate, else reopen rate; risk = risk_exposure flags (worst of the red_flags and amber_flags statuses); hygiene = field_completeness composite. " +
			"Each component is the RAG of its KPI value under the scope's thresholds (kpi.thresholds overrides included); say/do is the mean over the scope's boards rated with the say_do_ratio thresholds. " +
			"A missing or unrated component is n/a and dropped from the weights (rag_weights); low_confidence = 1 when hygiene is red."},
}

// Lookup returns the definition of a KPI id.
func Lookup(id string) (Definition, bool) {
	for _, d := range Catalog {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}

// WriteDocs renders the catalog as Markdown (docs/kpis.md).
func WriteDocs(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# KPI catalog\n\n")
	b.WriteString("<!-- Generated from internal/kpi/catalog.go by `go test ./internal/kpi -run TestDocs -update`. Do not edit. -->\n\n")
	b.WriteString("The definitions, conventions and worked examples are the contract in `kpis.md` (shared material); this page lists what\n")
	b.WriteString("`pmo kpi` computes, the values each KPI emits (as `kpi{labels}` rows of `kpi_values`) and the default thresholds.\n")
	b.WriteString("Threshold provenance: **SRC** cited source, **SRC-2** secondary source, **HEUR** heuristic default (configurable).\n")
	b.WriteString("The engine rates every value with the thresholds of its scope (these, with the `kpi.thresholds` overrides of\n")
	b.WriteString("docs/configuration.md) and stores the status with it (`kpi_values.rag`: 0 green, 1 amber, 2 red, NULL not rated);\n")
	b.WriteString("`pmo kpi`, `pmo_kpi_rag`, the reports and `portfolio_rag` use that status.\n\n")
	b.WriteString("Scopes: `portfolio:all`, `source:<name>`, `program:<project category>`, `project:<source>/<KEY>`. Sprint KPIs are\n")
	b.WriteString("reported for the project of the sprint's board only (velocity is team-relative). NULL means not computable\n")
	b.WriteString("(e.g. a zero denominator, or a percentile over fewer than `min_sample` items). Durations: `unit=dc` is the\n")
	b.WriteString("Vacanti day-count in the scope's time zone, `unit=days` is exact elapsed days (seconds / 86400).\n\n")
	b.WriteString("Instants: trackers send milliseconds; the warehouse keeps whole seconds (`DateTime`, UTC, on both engines) and drops\n")
	b.WriteString("the milliseconds — truncation to the earlier second, the same on both engines (chDB gets whole seconds written out,\n")
	b.WriteString("the server gets Unix seconds from clickhouse-go) — and `as_of` is cut to a whole second. So, against the tracker's\n")
	b.WriteString("millisecond instants: exact-day values (`unit=days`: cycle, lead and bug times, ages, their means and percentiles)\n")
	b.WriteString("are within 1 s = 1/86400 d (a difference of two truncated instants is off by less than 1 s, and so are means and\n")
	b.WriteString("percentiles of such differences); day-counts (`unit=dc`), local days, weeks and window membership are exact, as\n")
	b.WriteString("local midnights and window bounds fall on whole seconds and truncation never carries an instant across a whole\n")
	b.WriteString("second (rounding would, for the last half second of a day). Two changes of one issue less than 1 s apart may be\n")
	b.WriteString("stored in the same second and then compare as simultaneous: a Sprint change in the second a sprint starts counts\n")
	b.WriteString("as at the start (committed, C8). Changes of one issue in the same second (e.g. an automation moving an issue twice\n")
	b.WriteString("within a second) are taken in the order of the tracker's change ids (as numbers), then of their items.\n")
	b.WriteString("Flow efficiency adds several intervals per item, each within 1 s.\n\n")
	b.WriteString("| Ref | id | Name | Unit | Window | Statistic |\n|---|---|---|---|---|---|\n")
	for _, d := range Catalog {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", d.Ref, d.ID, d.Name, d.Unit, d.Window, d.Statistic)
	}
	group := ""
	for _, d := range Catalog {
		if d.Group != group {
			group = d.Group
			fmt.Fprintf(&b, "\n## %s\n", group)
		}
		fmt.Fprintf(&b, "\n### %s `%s` — %s\n\n", d.Ref, d.ID, d.Name)
		fmt.Fprintf(&b, "- **Question:** %s\n- **Help:** %s\n- **Unit:** %s · **Window:** %s · **Statistic:** %s\n- **Direction:** %s\n",
			d.Question, d.Help, d.Unit, d.Window, d.Statistic, d.Direction)
		if len(d.Values) > 0 {
			b.WriteString("- **Values:** ")
			for i, v := range d.Values {
				if i > 0 {
					b.WriteString("; ")
				}
				b.WriteString("`" + v + "`")
			}
			b.WriteString("\n")
		}
		for _, t := range d.Thresholds {
			applies := ""
			if t.Applies != "" {
				applies = " (`" + t.Applies + "`)"
			}
			var parts []string
			for _, p := range [][2]string{{"green", t.Green}, {"amber", t.Amber}, {"red", t.Red}} {
				if p[1] != "" {
					parts = append(parts, p[0]+" "+p[1])
				}
			}
			rated := ""
			if why := t.Unrated; why != "" {
				rated = " — not rated: " + why
			}
			fmt.Fprintf(&b, "- **Threshold%s [%s]:** %s%s\n", applies, t.Provenance, strings.Join(parts, ", "), rated)
		}
		if d.Notes != "" {
			fmt.Fprintf(&b, "- **Notes:** %s\n", d.Notes)
		}
	}
	b.WriteString("\n## Configuration (`kpi:` in pmo.yaml)\n\n")
	b.WriteString("Every knob can be set globally and overridden per scope under `kpi.scopes` (`kind: project|program|source`, `name:`).\n")
	b.WriteString("A project inherits source, then program, then project overrides.\n\n```yaml\n")
	b.WriteString(defaultConfigYAML())
	b.WriteString("```\n\n")
	b.WriteString("`min_sample` defaults to 5 as kpis.md C7 requires; the worked examples of kpis.md §4 (n = 3) are tested with `min_sample: 1`.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func defaultConfigYAML() string {
	c := DefaultConfig()
	c.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "ALPHA", TZ: "Europe/Berlin", Knobs: Knobs{SLE: &SLE{Days: 8, Percentile: 0.85},
		Thresholds: map[string][]ThresholdBand{"due_date_adherence": {{Applies: "measure=on_time_ratio", Green: "≥ 0.80", Amber: "0.50–0.80", Red: "< 0.50"}}}}}}
	b, err := yaml.Marshal(map[string]Config{"kpi": c})
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return string(b)
}
