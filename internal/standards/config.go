package standards

import (
	"fmt"
	"slices"
	"strings"
)

// Config is the `kpi.standards` section of pmo.yaml: which of the PMO's
// standards the scorecard checks and their thresholds. The populations it
// shares with the KPI engine (kpi.flow_item_types, kpi.tz) come from
// kpi.Config.
type Config struct {
	// PeriodDays is the report period: the trend compares as_of with as_of
	// minus this many days (default 7).
	PeriodDays int `yaml:"period_days"`

	RequiredFields RequiredFields `yaml:"required_fields"`
	Workflow       Workflow       `yaml:"workflow"`
	WIP            WIP            `yaml:"wip"`
	Estimates      Estimates      `yaml:"estimates"`
	DueDates       Toggle         `yaml:"due_dates"`
	SprintLength   SprintLength   `yaml:"sprint_length"`
	Stale          Stale          `yaml:"stale"`
}

// Toggle turns a standard off (enabled: false); unset is on.
type Toggle struct {
	Enabled *bool `yaml:"enabled"`
}

// On reports whether the standard is checked.
func (t Toggle) On() bool { return t.Enabled == nil || *t.Enabled }

// RequiredFields: the fields every flow item in progress or committed to
// an active sprint must have.
type RequiredFields struct {
	Toggle `yaml:",inline"`
	Fields []string `yaml:"fields"` // of Fields (default assignee, priority, estimate)
}

// Workflow: every item's status has a known category (new, in progress,
// done) and at most TolerancePct per cent of the items done in the last
// WindowDays skipped in progress.
type Workflow struct {
	Toggle       `yaml:",inline"`
	TolerancePct *float64 `yaml:"tolerance_pct"` // default 10 (0: none may skip)
	WindowDays   int      `yaml:"window_days"`   // default 28
}

// WIP: at most Limit flow items in progress per project.
type WIP struct {
	Toggle `yaml:",inline"`
	Limit  int `yaml:"limit"` // default 15
}

// Estimates: every ready item — not started, and in an active or future
// sprint or in one of ReadyStatuses — has story points or an original
// estimate.
type Estimates struct {
	Toggle        `yaml:",inline"`
	ReadyStatuses []string `yaml:"ready_statuses"` // status names (default Ready, Selected for Development)
}

// SprintLength: sprints planned for LengthDays ± ToleranceDays (the
// sprints active at as_of or completed in the last WindowDays).
type SprintLength struct {
	Toggle        `yaml:",inline"`
	LengthDays    int  `yaml:"length_days"`    // default 14
	ToleranceDays *int `yaml:"tolerance_days"` // default 1 (0: exactly LengthDays)
	WindowDays    int  `yaml:"window_days"`    // default 90
}

// Stale: no open flow item without an update for Days or more.
type Stale struct {
	Toggle `yaml:",inline"`
	Days   int `yaml:"days"` // default 30
}

// Fields are the names kpi.standards.required_fields.fields accepts:
// tracker-neutral fields of internal/model (estimate: story points or an
// original estimate).
var Fields = []string{"assignee", "due_date", "estimate", "priority", "components", "fix_version"}

// DefaultConfig returns the defaults of kpi.standards.
func DefaultConfig() Config {
	return Config{
		PeriodDays:     7,
		RequiredFields: RequiredFields{Fields: []string{"assignee", "priority", "estimate"}},
		Workflow:       Workflow{TolerancePct: ptr(10.0), WindowDays: 28},
		WIP:            WIP{Limit: 15},
		Estimates:      Estimates{ReadyStatuses: []string{"Ready", "Selected for Development"}},
		SprintLength:   SprintLength{LengthDays: 14, ToleranceDays: ptr(1), WindowDays: 90},
		Stale:          Stale{Days: 30},
	}
}

// WithDefaults fills what is unset with its default (a list set as []
// stays empty, a tolerance set as 0 stays 0).
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.PeriodDays, d.PeriodDays)
	setInt(&c.Workflow.WindowDays, d.Workflow.WindowDays)
	setInt(&c.WIP.Limit, d.WIP.Limit)
	setInt(&c.SprintLength.LengthDays, d.SprintLength.LengthDays)
	setInt(&c.SprintLength.WindowDays, d.SprintLength.WindowDays)
	setInt(&c.Stale.Days, d.Stale.Days)
	if c.Workflow.TolerancePct == nil {
		c.Workflow.TolerancePct = d.Workflow.TolerancePct
	}
	if c.SprintLength.ToleranceDays == nil {
		c.SprintLength.ToleranceDays = d.SprintLength.ToleranceDays
	}
	if c.RequiredFields.Fields == nil {
		c.RequiredFields.Fields = d.RequiredFields.Fields
	}
	if c.Estimates.ReadyStatuses == nil {
		c.Estimates.ReadyStatuses = d.Estimates.ReadyStatuses
	}
	return c
}

// Validate reports every problem with its key path under kpi.standards.
func (c Config) Validate() []error {
	var errs []error
	neg := func(key string, v int, advice string) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("kpi.standards.%s: %d is negative; %s", key, v, advice))
		}
	}
	neg("period_days", c.PeriodDays, "use a number of days ≥ 1 (default 7, a weekly report)")
	neg("workflow.window_days", c.Workflow.WindowDays, "use a number of days ≥ 1 (default 28)")
	neg("wip.limit", c.WIP.Limit, "use the most items in progress a project may have (default 15)")
	neg("sprint_length.length_days", c.SprintLength.LengthDays, "use the agreed sprint length in days (default 14)")
	if t := c.SprintLength.ToleranceDays; t != nil {
		neg("sprint_length.tolerance_days", *t, "use a number of days ≥ 0 (default 1)")
	}
	neg("sprint_length.window_days", c.SprintLength.WindowDays, "use a number of days ≥ 1 (default 90)")
	neg("stale.days", c.Stale.Days, "use a number of days ≥ 1 (default 30)")
	if p := c.Workflow.TolerancePct; p != nil && (*p < 0 || *p > 100) {
		errs = append(errs, fmt.Errorf("kpi.standards.workflow.tolerance_pct: %g is not a percentage; use 0 to 100 (default 10)", *p))
	}
	for i, f := range c.RequiredFields.Fields {
		if !slices.Contains(Fields, f) {
			errs = append(errs, fmt.Errorf("kpi.standards.required_fields.fields[%d]: unknown field %q; use one of %s", i, f, strings.Join(Fields, ", ")))
		}
	}
	for i, s := range c.Estimates.ReadyStatuses {
		if strings.TrimSpace(s) == "" {
			errs = append(errs, fmt.Errorf("kpi.standards.estimates.ready_statuses[%d]: empty name; remove it or name a status", i))
		}
	}
	return errs
}

func ptr[T any](v T) *T { return &v }
