package kpi

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Config holds every knob of kpis.md C13 that part 1 uses. It is embedded as
// `kpi:` in pmo.yaml. Defaults apply to every scope; Scopes override them for
// one project, program or source.
type Config struct {
	// TZ is the organisation's default reporting time zone (IANA name).
	TZ     string `yaml:"tz"`
	Knobs  `yaml:",inline"`
	Scopes []ScopeConfig `yaml:"scopes,omitempty"`
	// Teams are the team scopes (kpi.teams, teams.go).
	Teams []Team `yaml:"teams,omitempty"`
	// MultiTeam lets an issue belong to every team that selects it; by
	// default it belongs to the first (config order).
	MultiTeam bool `yaml:"multi_team,omitempty"`
}

// ScopeConfig overrides knobs for one scope. Unset fields inherit from the
// defaults (Config), so a scope only lists what differs.
type ScopeConfig struct {
	Kind string `yaml:"kind"` // project, program, source or team
	Name string `yaml:"name"` // project key (or source/KEY), program name, source name, team name
	TZ   string `yaml:"tz,omitempty"`
	// EVM holds the earned-value inputs of exactly this scope (not
	// inherited by the projects of a program).
	EVM   *EVM `yaml:"evm,omitempty"`
	Knobs `yaml:",inline"`
}

// SLE is a service-level expectation: "Percentile of items finish in ≤ Days".
type SLE struct {
	Days       float64 `yaml:"days"`
	Percentile float64 `yaml:"percentile"`
}

// Knobs are the per-scope settings. Pointer and nil-slice fields mean
// "inherit" in a ScopeConfig.
type Knobs struct {
	FlowItemTypes      []string `yaml:"flow_item_types,omitempty"`
	BugTypes           []string `yaml:"bug_types,omitempty"`
	DiscardResolutions []string `yaml:"discard_resolutions,omitempty"`
	// ActiveStatusIDs are the hands-on statuses for flow efficiency. Empty:
	// every status of category In Progress counts as active.
	ActiveStatusIDs []string `yaml:"active_status_ids,omitempty"`
	// CycleTimeStatusIDs are the statuses whose time the Jira control-chart
	// variant of F2 sums (method=control_chart). Empty: every status of
	// category In Progress.
	CycleTimeStatusIDs []string `yaml:"cycle_time_status_ids,omitempty"`
	// CompletenessCompositeFields are the field_completeness (G1) fields the
	// composite averages: estimate, assignee, due_date (default) and
	// optionally parent_epic, component, fix_version.
	CompletenessCompositeFields []string `yaml:"completeness_composite_fields,omitempty"`
	// EstimatedBy: which estimate makes an item count as estimated in
	// field_completeness (G1): either (default), story_points or
	// original_estimate (see completeness.go).
	EstimatedBy string `yaml:"estimated_by,omitempty"`
	// ReadyStatusIDs are the statuses of refined, ready work (B4). Empty:
	// backlog_readiness is NULL.
	ReadyStatusIDs []string `yaml:"ready_status_ids,omitempty"`
	// DoneStatusIDs maps a board id to the status ids of its Done column
	// (kpis.md C3); used instead of the done category for sprint KPIs.
	DoneStatusIDs         map[string][]string `yaml:"done_status_ids,omitempty"`
	StartPolicy           string              `yaml:"start_policy,omitempty"` // last | first
	IncludeSkippedInCycle *bool               `yaml:"include_skipped_in_cycle,omitempty"`
	// SLE: F6 uses it when set (Days > 0); F5 uses the NR percentile of the
	// trailing-12-week day-count cycle time and falls back to it.
	SLE *SLE `yaml:"sle,omitempty"`
	// MinSample: percentiles with n < MinSample are NULL (kpis.md C7 says 5;
	// the worked examples have n = 3, their tests set 1).
	MinSample              *int     `yaml:"min_sample,omitempty"`
	FlowWindowsWeeks       []int    `yaml:"flow_windows_weeks,omitempty"`
	VelocityWindowSprints  *int     `yaml:"velocity_window_sprints,omitempty"`
	VariabilityWindow      *int     `yaml:"variability_window_sprints,omitempty"`
	CommitmentGraceSeconds *int     `yaml:"commitment_grace_seconds,omitempty"`
	StaleDaysInProgress    *float64 `yaml:"stale_days_in_progress,omitempty"`
	StaleDaysToDo          *float64 `yaml:"stale_days_todo,omitempty"`
	// StoryPointsFields is no longer read: the collector decides which of
	// its tracker's fields carry story points (model.ChangeStoryPoints; Jira:
	// sources[].fields.story_points). Setting it is a validation error that
	// says so, rather than an unknown key.
	StoryPointsFields   []string `yaml:"story_points_fields,omitempty"`
	DefectLinkTypes     []string `yaml:"defect_link_types,omitempty"`
	EscapedTypes        []string `yaml:"escaped_types,omitempty"`
	EscapedLabels       []string `yaml:"escaped_labels,omitempty"`
	EscapedEnvironments []string `yaml:"escaped_environments,omitempty"`
	// RiskTypes are the issue types that are risks (K1); their severity is
	// the priority name, weighted by RiskSeverityWeights.
	RiskTypes           []string           `yaml:"risk_types,omitempty"`
	RiskSeverityWeights map[string]float64 `yaml:"risk_severity_weights,omitempty"`
	// BlockingLinkTypes are the link type names (or ids) whose From issue
	// blocks the To issue (K3; Jira "Blocks": From blocks To).
	BlockingLinkTypes []string `yaml:"blocking_link_types,omitempty"`
	// Capacity is the capacity calendar of the scope's people (R2).
	Capacity *Capacity `yaml:"capacity,omitempty"`
	// Monte Carlo forecast (F9): trials, history length in local days,
	// confidence, and the "how many by D" horizon in days after E.
	MCTrials      *int     `yaml:"mc_trials,omitempty"`
	MCHistoryDays *int     `yaml:"mc_history_days,omitempty"`
	MCConfidence  *float64 `yaml:"mc_confidence,omitempty"`
	MCHorizonDays *int     `yaml:"mc_horizon_days,omitempty"`
	// RAGWeights are the portfolio_rag component weights (X1): schedule,
	// cost, delivery, quality, risk, hygiene.
	RAGWeights map[string]float64 `yaml:"rag_weights,omitempty"`
	// Thresholds override the catalog's RAG bands per KPI id: a band
	// replaces the catalog band with the same applies, else it is added
	// (and consulted first). Scope overrides merge the same way on top of
	// the defaults. They do not change the SQL, so they are not part of
	// String (the settings key).
	Thresholds map[string][]ThresholdBand `yaml:"thresholds,omitempty"`
}

// Capacity is a capacity calendar (kpis.md R2): capacity of a person over a
// window = working days in it (weekdays in WorkingDays minus Holidays) ×
// HoursPerDay × FTE. People override FTE, hours/day and add personal
// holidays (leave) by worklog author id.
type Capacity struct {
	WorkingDays []string                  `yaml:"working_days"` // Mon, Tue, ...
	HoursPerDay float64                   `yaml:"hours_per_day"`
	FTE         float64                   `yaml:"fte"`
	Holidays    []string                  `yaml:"holidays,omitempty"` // YYYY-MM-DD
	People      map[string]PersonCapacity `yaml:"people,omitempty"`
}

// PersonCapacity overrides the calendar for one person (worklog author id).
type PersonCapacity struct {
	FTE         *float64 `yaml:"fte,omitempty"`
	HoursPerDay *float64 `yaml:"hours_per_day,omitempty"`
	Holidays    []string `yaml:"holidays,omitempty"` // leave, YYYY-MM-DD
}

// DefaultConfig returns the documented defaults of kpis.md C13.
func DefaultConfig() Config {
	return Config{
		TZ: "UTC",
		Knobs: Knobs{
			FlowItemTypes:               []string{"Story", "Task", "Bug"},
			BugTypes:                    []string{"Bug"},
			DiscardResolutions:          []string{"Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce", "Declined"},
			ActiveStatusIDs:             []string{},
			CycleTimeStatusIDs:          []string{},
			CompletenessCompositeFields: slices.Clone(defaultCompositeFields),
			EstimatedBy:                 EstimatedByEither,
			ReadyStatusIDs:              []string{},
			DoneStatusIDs:               map[string][]string{},
			StartPolicy:                 "last",
			IncludeSkippedInCycle:       ptr(false),
			SLE:                         &SLE{Days: 0, Percentile: 0.85},
			MinSample:                   ptr(5),
			FlowWindowsWeeks:            []int{4, 12},
			VelocityWindowSprints:       ptr(5),
			VariabilityWindow:           ptr(6),
			CommitmentGraceSeconds:      ptr(0),
			StaleDaysInProgress:         ptr(14.0),
			StaleDaysToDo:               ptr(90.0),
			DefectLinkTypes:             []string{"Relates"},
			EscapedTypes:                []string{"Incident"},
			EscapedLabels:               []string{"production"},
			EscapedEnvironments:         []string{"prod", "production"},
			RiskTypes:                   []string{"Risk"},
			RiskSeverityWeights:         map[string]float64{"Highest": 5, "High": 4, "Medium": 3, "Low": 2, "Lowest": 1},
			BlockingLinkTypes:           []string{"Blocks"},
			Capacity:                    &Capacity{WorkingDays: []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, HoursPerDay: 8, FTE: 1},
			MCTrials:                    ptr(10000),
			MCHistoryDays:               ptr(90),
			MCConfidence:                ptr(0.85),
			MCHorizonDays:               ptr(14),
			RAGWeights:                  DefaultRAGWeights(),
		},
	}
}

// completenessFields are the field_completeness (G1) fields; the composite
// averages defaultCompositeFields unless completeness_composite_fields says
// otherwise (kpis.md §4.3 example C: composite 0.75 over the first three).
var (
	completenessFields     = []string{"estimate", "assignee", "due_date", "parent_epic", "component", "fix_version"}
	defaultCompositeFields = []string{"estimate", "assignee", "due_date"}
)

func ptr[T any](v T) *T { return &v }

// Scope kinds.
const (
	ScopePortfolio = "portfolio"
	ScopeSource    = "source"
	ScopeProgram   = "program"
	ScopeProject   = "project"
)

// Validate reports every problem with its key path, e.g.
// `kpi.scopes[0].tz: unknown time zone "Europ/Berlin"`.
func (c Config) Validate() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.TZ == "" {
		add("kpi.tz: missing; set an IANA time zone such as \"Europe/Berlin\" or \"UTC\"")
	} else if _, err := time.LoadLocation(c.TZ); err != nil {
		add("kpi.tz: unknown time zone %q; use an IANA name such as \"Europe/Berlin\"", c.TZ)
	}
	errs = append(errs, c.Knobs.validate("kpi")...)
	seen := map[string]int{}
	for i, s := range c.Scopes {
		p := fmt.Sprintf("kpi.scopes[%d]", i)
		switch s.Kind {
		case ScopeProject, ScopeProgram, ScopeSource, ScopeTeam:
		default:
			add("%s.kind: %q is not a scope kind; use project, program, source or team", p, s.Kind)
		}
		if s.Name == "" {
			add("%s.name: missing; name the project key, program or source the overrides apply to", p)
		}
		if j, dup := seen[s.Kind+"\x00"+s.Name]; dup {
			add("%s: duplicates kpi.scopes[%d] (%s %q); merge them", p, j, s.Kind, s.Name)
		}
		seen[s.Kind+"\x00"+s.Name] = i
		if s.TZ != "" {
			if _, err := time.LoadLocation(s.TZ); err != nil {
				add("%s.tz: unknown time zone %q; use an IANA name such as \"Europe/Berlin\"", p, s.TZ)
			}
		}
		if s.EVM != nil {
			errs = append(errs, s.EVM.validate(p+".evm")...)
		}
		errs = append(errs, s.Knobs.validate(p)...)
	}
	errs = append(errs, c.validateTeams()...)
	if p, err := c.zones(); err == nil {
		if _, err := c.zoneParams(p); err != nil {
			add("kpi.scopes[].tz: %d time zones %v with kpi.tz; pmo computes in at most %d: give some scopes the same tz", len(p.names), p.names, maxZones)
		}
	}
	return errs
}

func (k Knobs) validate(p string) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if k.StoryPointsFields != nil {
		add("%s.story_points_fields: no longer read: the collector decides which tracker fields carry story points (jira: sources[].fields.story_points); remove the key", p)
	}
	if k.StartPolicy != "" && k.StartPolicy != "last" && k.StartPolicy != "first" {
		add("%s.start_policy: %q is not a policy; use \"last\" or \"first\"", p, k.StartPolicy)
	}
	if k.SLE != nil {
		if k.SLE.Days < 0 {
			add("%s.sle.days: %v is negative; use 0 (derive from history) or a number of days", p, k.SLE.Days)
		}
		if k.SLE.Percentile <= 0 || k.SLE.Percentile >= 1 {
			add("%s.sle.percentile: %v is outside (0, 1); use e.g. 0.85", p, k.SLE.Percentile)
		}
	}
	if k.MinSample != nil && *k.MinSample < 1 {
		add("%s.min_sample: %d must be at least 1", p, *k.MinSample)
	}
	for i, w := range k.FlowWindowsWeeks {
		if w < 1 || w > 520 {
			add("%s.flow_windows_weeks[%d]: %d weeks is outside 1..520", p, i, w)
		}
	}
	for name, v := range map[string]*int{"velocity_window_sprints": k.VelocityWindowSprints, "variability_window_sprints": k.VariabilityWindow} {
		if v != nil && *v < 1 {
			add("%s.%s: %d must be at least 1", p, name, *v)
		}
	}
	if k.CommitmentGraceSeconds != nil && *k.CommitmentGraceSeconds < 0 {
		add("%s.commitment_grace_seconds: %d is negative", p, *k.CommitmentGraceSeconds)
	}
	for name, v := range map[string]*float64{"stale_days_in_progress": k.StaleDaysInProgress, "stale_days_todo": k.StaleDaysToDo} {
		if v != nil && *v <= 0 {
			add("%s.%s: %v must be positive", p, name, *v)
		}
	}
	for sev, w := range k.RiskSeverityWeights {
		if w < 0 {
			add("%s.risk_severity_weights.%s: %v is negative; use a weight ≥ 0", p, sev, w)
		}
	}
	for i, t := range k.RiskTypes {
		if strings.TrimSpace(t) == "" {
			add("%s.risk_types[%d]: empty type name", p, i)
		}
	}
	for i, t := range k.BlockingLinkTypes {
		if strings.TrimSpace(t) == "" {
			add("%s.blocking_link_types[%d]: empty link type name", p, i)
		}
	}
	if k.MCTrials != nil && (*k.MCTrials < 100 || *k.MCTrials > 1000000) {
		add("%s.mc_trials: %d is outside 100..1000000; use e.g. 10000", p, *k.MCTrials)
	}
	if k.MCHistoryDays != nil && (*k.MCHistoryDays < 10 || *k.MCHistoryDays > 3650) {
		add("%s.mc_history_days: %d is outside 10..3650 (kpis.md F9: at least 10 days of history)", p, *k.MCHistoryDays)
	}
	if k.MCConfidence != nil && (*k.MCConfidence <= 0 || *k.MCConfidence >= 1) {
		add("%s.mc_confidence: %v is outside (0, 1); use e.g. 0.85", p, *k.MCConfidence)
	}
	if k.MCHorizonDays != nil && (*k.MCHorizonDays < 1 || *k.MCHorizonDays > 3650) {
		add("%s.mc_horizon_days: %d is outside 1..3650", p, *k.MCHorizonDays)
	}
	for name, w := range k.RAGWeights {
		if !slices.Contains(ragComponents, name) {
			add("%s.rag_weights.%s: not a component; use %s", p, name, strings.Join(ragComponents, ", "))
		} else if w < 0 {
			add("%s.rag_weights.%s: %v is negative", p, name, w)
		}
	}
	if k.Capacity != nil {
		errs = append(errs, k.Capacity.validate(p+".capacity")...)
	}
	errs = append(errs, validateThresholds(p, k.Thresholds)...)
	for i, f := range k.CompletenessCompositeFields {
		if !slices.Contains(completenessFields, f) {
			add("%s.completeness_composite_fields[%d]: %q is not a field_completeness field; use %s", p, i, f, strings.Join(completenessFields, ", "))
		}
	}
	if k.EstimatedBy != "" {
		if err := validEstimatedBy(p, k.EstimatedBy); err != nil {
			errs = append(errs, err)
		}
	}
	for i, t := range k.FlowItemTypes {
		if strings.TrimSpace(t) == "" {
			add("%s.flow_item_types[%d]: empty type name", p, i)
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

// settings is the resolved configuration of one scope.
type settings struct {
	TZ  string
	loc *time.Location
	Knobs
	// teams are the lifecycle's team parameters (kpi.teams, the same for
	// every scope).
	teams map[string]any
	// zones is the configuration's time-zone plan and zoneParams its
	// lifecycle parameters (zones.go; the same for every scope).
	zones      zonePlan
	zoneParams map[string]any
}

// resolve returns the effective settings of a scope. Project scopes inherit
// from their program and source overrides (project > program > source >
// defaults); program and source scopes inherit from their own override only.
func (c Config) resolve(kind, name, program, source string) (settings, error) {
	d := DefaultConfig()
	s := settings{TZ: firstNonEmpty(c.TZ, d.TZ), Knobs: merge(d.Knobs, c.Knobs)}
	apply := func(k, n string) {
		for _, sc := range c.Scopes {
			if sc.Kind == k && sc.Name == n && n != "" {
				if sc.TZ != "" {
					s.TZ = sc.TZ
				}
				s.Knobs = merge(s.Knobs, sc.Knobs)
			}
		}
	}
	switch kind {
	case ScopeProject:
		apply(ScopeSource, source)
		apply(ScopeProgram, program)
		apply(ScopeProject, name)
		if i := strings.IndexByte(name, '/'); i >= 0 {
			apply(ScopeProject, name[i+1:]) // plain project key
		}
	case ScopeProgram, ScopeSource:
		apply(kind, name)
	case ScopeTeam:
		// A team inherits its program's overrides (kpi.teams[].program).
		if t, ok := c.team(name); ok {
			apply(ScopeProgram, t.Program)
		}
		apply(kind, name)
	}
	loc, err := time.LoadLocation(s.TZ)
	if err != nil {
		return s, fmt.Errorf("kpi: scope %s %q: unknown time zone %q", kind, name, s.TZ)
	}
	s.loc = loc
	s.teams = teamParams(c.Teams, c.MultiTeam)
	if s.zones, err = c.zones(); err != nil {
		return s, err
	}
	if s.zoneParams, err = c.zoneParams(s.zones); err != nil {
		return s, err
	}
	return s, nil
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// usesDoneStatusIDs reports whether any board's Done column is configured
// by status ids (kpi.done_status_ids, here or in a kpi.scopes entry): then
// the sprint replay needs every status change's ids.
func (c Config) usesDoneStatusIDs() bool {
	if len(c.DoneStatusIDs) > 0 {
		return true
	}
	for _, s := range c.Scopes {
		if len(s.DoneStatusIDs) > 0 {
			return true
		}
	}
	return false
}

// merge returns base with every field set in over replacing it.
func merge(base, over Knobs) Knobs {
	out := base
	if over.FlowItemTypes != nil {
		out.FlowItemTypes = over.FlowItemTypes
	}
	if over.BugTypes != nil {
		out.BugTypes = over.BugTypes
	}
	if over.DiscardResolutions != nil {
		out.DiscardResolutions = over.DiscardResolutions
	}
	if over.ActiveStatusIDs != nil {
		out.ActiveStatusIDs = over.ActiveStatusIDs
	}
	if over.CycleTimeStatusIDs != nil {
		out.CycleTimeStatusIDs = over.CycleTimeStatusIDs
	}
	if over.CompletenessCompositeFields != nil {
		out.CompletenessCompositeFields = over.CompletenessCompositeFields
	}
	if over.EstimatedBy != "" {
		out.EstimatedBy = over.EstimatedBy
	}
	if over.ReadyStatusIDs != nil {
		out.ReadyStatusIDs = over.ReadyStatusIDs
	}
	if over.DoneStatusIDs != nil {
		out.DoneStatusIDs = over.DoneStatusIDs
	}
	if over.StartPolicy != "" {
		out.StartPolicy = over.StartPolicy
	}
	if over.IncludeSkippedInCycle != nil {
		out.IncludeSkippedInCycle = over.IncludeSkippedInCycle
	}
	if over.SLE != nil {
		out.SLE = over.SLE
	}
	if over.MinSample != nil {
		out.MinSample = over.MinSample
	}
	if over.FlowWindowsWeeks != nil {
		out.FlowWindowsWeeks = over.FlowWindowsWeeks
	}
	if over.VelocityWindowSprints != nil {
		out.VelocityWindowSprints = over.VelocityWindowSprints
	}
	if over.VariabilityWindow != nil {
		out.VariabilityWindow = over.VariabilityWindow
	}
	if over.CommitmentGraceSeconds != nil {
		out.CommitmentGraceSeconds = over.CommitmentGraceSeconds
	}
	if over.StaleDaysInProgress != nil {
		out.StaleDaysInProgress = over.StaleDaysInProgress
	}
	if over.StaleDaysToDo != nil {
		out.StaleDaysToDo = over.StaleDaysToDo
	}
	if over.DefectLinkTypes != nil {
		out.DefectLinkTypes = over.DefectLinkTypes
	}
	if over.EscapedTypes != nil {
		out.EscapedTypes = over.EscapedTypes
	}
	if over.EscapedLabels != nil {
		out.EscapedLabels = over.EscapedLabels
	}
	if over.EscapedEnvironments != nil {
		out.EscapedEnvironments = over.EscapedEnvironments
	}
	if over.RiskTypes != nil {
		out.RiskTypes = over.RiskTypes
	}
	if over.RiskSeverityWeights != nil {
		out.RiskSeverityWeights = over.RiskSeverityWeights
	}
	if over.BlockingLinkTypes != nil {
		out.BlockingLinkTypes = over.BlockingLinkTypes
	}
	if over.Capacity != nil {
		out.Capacity = over.Capacity
	}
	if over.MCTrials != nil {
		out.MCTrials = over.MCTrials
	}
	if over.MCHistoryDays != nil {
		out.MCHistoryDays = over.MCHistoryDays
	}
	if over.MCConfidence != nil {
		out.MCConfidence = over.MCConfidence
	}
	if over.MCHorizonDays != nil {
		out.MCHorizonDays = over.MCHorizonDays
	}
	if over.RAGWeights != nil {
		out.RAGWeights = over.RAGWeights
	}
	out.Thresholds = mergeThresholds(base.Thresholds, over.Thresholds)
	return out
}

// key identifies settings that give identical SQL, so scopes sharing them
// are computed by one query.
func (s settings) key() string {
	return fmt.Sprintf("%s|%v", s.TZ, s.Knobs.String())
}

// String renders the knobs deterministically (maps sorted).
func (k Knobs) String() string {
	boards := make([]string, 0, len(k.DoneStatusIDs))
	for b, ids := range k.DoneStatusIDs {
		boards = append(boards, b+"="+strings.Join(ids, ","))
	}
	slices.Sort(boards)
	return fmt.Sprintf("%q %q %q %q %q %q %q %v %s %v %v %v %v %v %v %v %v %v %q %q %q %q %q %q %v %q %v %v %v %v %v %v",
		k.FlowItemTypes, k.BugTypes, k.DiscardResolutions, k.ActiveStatusIDs, k.CycleTimeStatusIDs, k.CompletenessCompositeFields, k.ReadyStatusIDs, boards, k.StartPolicy,
		deref(k.IncludeSkippedInCycle), deref(k.SLE), deref(k.MinSample), k.FlowWindowsWeeks,
		deref(k.VelocityWindowSprints), deref(k.VariabilityWindow), deref(k.CommitmentGraceSeconds),
		deref(k.StaleDaysInProgress), deref(k.StaleDaysToDo), k.StoryPointsFields, k.DefectLinkTypes,
		k.EscapedTypes, k.EscapedLabels, k.EscapedEnvironments, k.RiskTypes, sortedWeights(k.RiskSeverityWeights),
		k.BlockingLinkTypes, capacityString(k.Capacity), deref(k.MCTrials), deref(k.MCHistoryDays), deref(k.MCConfidence), deref(k.MCHorizonDays), sortedWeights(k.RAGWeights)) +
		" estimated_by=" + k.EstimatedBy
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
