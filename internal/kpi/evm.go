package kpi

import (
	"context"
	"fmt"
	"strings"
)

// EVM holds a scope's earned-value inputs (kpis.md §3.4). Mode "agile" is
// AgileEVM (Sulaiman et al. 2006): a release baseline of planned release
// points, planned sprints and budget; the sprints completed so far and the
// actual cost are configured, done points come from the warehouse.
type EVM struct {
	Mode string `yaml:"mode"` // agile | effort
	// Baseline names the frozen baseline of mode effort (kpi.CreateBaseline).
	Baseline             string  `yaml:"baseline,omitempty"`
	BAC                  float64 `yaml:"bac"`
	PlannedReleasePoints float64 `yaml:"planned_release_points"`
	PlannedSprints       int     `yaml:"planned_sprints"`
	SprintsCompleted     int     `yaml:"sprints_completed"`
	// ActualCost to date; when 0 and HourlyRate > 0, AC = hours logged on
	// the scope's issues before as_of × HourlyRate.
	ActualCost float64 `yaml:"actual_cost"`
	HourlyRate float64 `yaml:"hourly_rate"`
}

func (e *EVM) validate(p string) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch e.Mode {
	case "effort":
		if e.Baseline == "" {
			add("%s.baseline: missing; name the baseline created with kpi.CreateBaseline (mode effort)", p)
		}
		if e.ActualCost < 0 || e.HourlyRate < 0 {
			add("%s: actual_cost and hourly_rate must not be negative", p)
		}
		return errs
	case "agile":
	default:
		add("%s.mode: %q is not a mode; use \"agile\" (AgileEVM) or \"effort\" (frozen baseline, 0/100 rule)", p, e.Mode)
		return errs
	}
	if e.BAC <= 0 {
		add("%s.bac: %v must be positive (budget at completion)", p, e.BAC)
	}
	if e.PlannedReleasePoints <= 0 {
		add("%s.planned_release_points: %v must be positive", p, e.PlannedReleasePoints)
	}
	if e.PlannedSprints <= 0 {
		add("%s.planned_sprints: %d must be positive", p, e.PlannedSprints)
	}
	if e.SprintsCompleted < 0 {
		add("%s.sprints_completed: %d is negative", p, e.SprintsCompleted)
	}
	if e.ActualCost < 0 || e.HourlyRate < 0 {
		add("%s: actual_cost and hourly_rate must not be negative", p)
	}
	return errs
}

// evmValues are the earned-value results; nil = not computable.
type evmValues struct {
	BAC, PV, EV, AC, SV, CV, SPI, CPI, EAC, ETC, VAC, TCPI, EACAtypical, EACCPISPI, ExpectedSprints *float64
}

func sub(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	return fptr(*a - *b)
}

// agileEVM applies the AgileEVM formulas (kpis.md §3.4 mode A, E1–E3).
func agileEVM(e EVM, donePoints, ac float64) evmValues {
	v := evmFormulas(float64(e.SprintsCompleted)/float64(e.PlannedSprints)*e.BAC, donePoints/e.PlannedReleasePoints*e.BAC, ac, e.BAC)
	v.ExpectedSprints = ratio(fptr(float64(e.PlannedSprints)), v.SPI)
	return v
}

// evmFormulas applies E1–E3 to PV, EV, AC and BAC (PV = 0 or AC = 0 →
// the indices that divide by them are NULL).
func evmFormulas(pv, ev, ac, bacV float64) evmValues {
	bac := fptr(bacV)
	v := evmValues{AC: fptr(ac), PV: fptr(pv), EV: fptr(ev), BAC: bac}
	v.SV, v.CV = sub(v.EV, v.PV), sub(v.EV, v.AC)
	v.SPI, v.CPI = ratio(v.EV, v.PV), ratio(v.EV, v.AC)
	if ac == 0 {
		v.AC, v.CV = nil, nil
	}
	v.EAC = ratio(bac, v.CPI)
	if v.EAC != nil {
		v.ETC, v.VAC = sub(v.EAC, v.AC), sub(bac, v.EAC)
	}
	v.TCPI = ratio(sub(bac, v.EV), sub(bac, v.AC))
	if v.AC != nil {
		v.EACAtypical = fptr(*v.AC + bacV - *v.EV)
		if v.CPI != nil && v.SPI != nil && *v.CPI**v.SPI != 0 {
			v.EACCPISPI = fptr(*v.AC + (bacV-*v.EV)/(*v.CPI**v.SPI))
		}
	}
	return v
}

// evmFor returns the EVM inputs configured for exactly this scope.
func (c *computation) evmFor(kind, scope string) *EVM {
	for _, sc := range c.scopes {
		if sc.EVM == nil || sc.Kind != kind {
			continue
		}
		if sc.Name == scope || (kind == ScopeProject && strings.HasSuffix(scope, "/"+sc.Name)) {
			return sc.EVM
		}
	}
	return nil
}

// evm computes evm_spi, evm_cpi and evm_eac (mode A) for the scopes with
// EVM inputs (NULL for the others): done points = story points of the non-discarded flow items
// done at as_of.
func (c *computation) evm(ctx context.Context, from string) error {
	res, err := c.aggregate(ctx, "earned value", "evm_agile", from, population{}, nil)
	if err != nil {
		return err
	}
	const win = "to_date"
	for _, r := range res {
		e := c.evmFor(r.kind, r.scope)
		if e == nil {
			// No EVM inputs for this scope: listed as not computable.
			c.emit(r, "evm_spi", win, Labels{"variant": "agile"}, nil, 0)
			c.emit(r, "evm_cpi", win, Labels{"variant": "agile"}, nil, 0)
			c.emit(r, "evm_eac", win, Labels{"variant": "agile", "measure": "eac"}, nil, 0)
			continue
		}
		variant := e.Mode
		var v evmValues
		if e.Mode == "effort" {
			v, err = c.effortEVM(ctx, r.scope, *e)
			if err != nil {
				return err
			}
		} else {
			ac := e.ActualCost
			if ac == 0 && e.HourlyRate > 0 && r.f("hrs") != nil {
				ac = *r.f("hrs") * e.HourlyRate
			}
			pts := 0.0
			if p := r.f("pts"); p != nil {
				pts = *p
			}
			v = agileEVM(*e, pts, ac)
		}
		l := func(m string) Labels {
			if m == "" {
				return Labels{"variant": variant}
			}
			return Labels{"variant": variant, "measure": m}
		}
		c.emit(r, "evm_eac", win, l("bac"), v.BAC, 1)
		c.emit(r, "evm_spi", win, l(""), v.SPI, 1)
		c.emit(r, "evm_spi", win, l("sv"), v.SV, 1)
		c.emit(r, "evm_spi", win, l("pv"), v.PV, 1)
		c.emit(r, "evm_spi", win, l("ev"), v.EV, 1)
		c.emit(r, "evm_cpi", win, l(""), v.CPI, 1)
		c.emit(r, "evm_cpi", win, l("cv"), v.CV, 1)
		c.emit(r, "evm_cpi", win, l("ac"), v.AC, 1)
		c.emit(r, "evm_eac", win, l("eac"), v.EAC, 1)
		c.emit(r, "evm_eac", win, l("etc"), v.ETC, 1)
		c.emit(r, "evm_eac", win, l("vac"), v.VAC, 1)
		c.emit(r, "evm_eac", win, l("tcpi_bac"), v.TCPI, 1)
		c.emit(r, "evm_eac", win, l("eac_atypical"), v.EACAtypical, 1)
		c.emit(r, "evm_eac", win, l("eac_cpi_spi"), v.EACCPISPI, 1)
		c.emit(r, "evm_eac", win, l("expected_sprints"), v.ExpectedSprints, 1)
	}
	return nil
}
