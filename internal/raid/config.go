package raid

import (
	"fmt"
	"strings"
)

// Config is the `kpi.raid` section of pmo.yaml: what the RAID log reads
// beyond the KPI knobs it shares (kpi.risk_types, kpi.risk_severity_weights,
// kpi.blocking_link_types, kpi.flow_item_types, kpi.tz).
type Config struct {
	// StaleDays: an open entry not updated for this many days is stale
	// (default 14, the review period of risk_exposure's unreviewed risks).
	StaleDays int `yaml:"stale_days"`
	// PeriodDays is the report period: the trend of a risk compares as_of
	// with as_of minus this many days (default 7).
	PeriodDays int `yaml:"period_days"`
	// AssumptionTypes and AssumptionLabels: an issue of one of these types,
	// or with one of these labels, is an assumption.
	AssumptionTypes  []string `yaml:"assumption_types"`
	AssumptionLabels []string `yaml:"assumption_labels"`
	// DecisionTypes and DecisionLabels: the same for decisions (an issue
	// that is both is listed as an assumption).
	DecisionTypes  []string `yaml:"decision_types"`
	DecisionLabels []string `yaml:"decision_labels"`
}

// DefaultConfig returns the defaults of kpi.raid.
func DefaultConfig() Config {
	return Config{
		StaleDays:        14,
		PeriodDays:       7,
		AssumptionTypes:  []string{"Assumption"},
		AssumptionLabels: []string{"assumption"},
		DecisionTypes:    []string{"Decision"},
		DecisionLabels:   []string{"decision"},
	}
}

// WithDefaults fills what is unset with its default (an empty list set
// as [] stays empty).
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.StaleDays == 0 {
		c.StaleDays = d.StaleDays
	}
	if c.PeriodDays == 0 {
		c.PeriodDays = d.PeriodDays
	}
	for _, l := range []struct{ v, d *[]string }{{&c.AssumptionTypes, &d.AssumptionTypes}, {&c.AssumptionLabels, &d.AssumptionLabels},
		{&c.DecisionTypes, &d.DecisionTypes}, {&c.DecisionLabels, &d.DecisionLabels}} {
		if *l.v == nil {
			*l.v = *l.d
		}
	}
	return c
}

// Validate reports every problem with its key path under kpi.raid.
func (c Config) Validate() []error {
	var errs []error
	if c.StaleDays < 0 {
		errs = append(errs, fmt.Errorf("kpi.raid.stale_days: %d is negative; use a number of days ≥ 1 (default 14)", c.StaleDays))
	}
	if c.PeriodDays < 0 {
		errs = append(errs, fmt.Errorf("kpi.raid.period_days: %d is negative; use a number of days ≥ 1 (default 7, a weekly report)", c.PeriodDays))
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"assumption_types", c.AssumptionTypes}, {"assumption_labels", c.AssumptionLabels},
		{"decision_types", c.DecisionTypes}, {"decision_labels", c.DecisionLabels}} {
		for i, v := range l.list {
			if strings.TrimSpace(v) == "" {
				errs = append(errs, fmt.Errorf("kpi.raid.%s[%d]: empty name; remove it or name an issue type or label", l.key, i))
			}
		}
	}
	return errs
}
