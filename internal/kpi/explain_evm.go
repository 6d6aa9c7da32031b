package kpi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// evmStat is what the earned-value KPIs' recomputation needs besides the
// items: the scope's configured inputs (nil: none, the values are NULL)
// and whether a baseline of mode effort was found.
type evmStat struct {
	cfg      *EVM
	baseline bool // mode effort: the named baseline exists
}

// Item sets of the earned-value explanations.
const (
	evmDonePoints = "done_points" // agile: a done flow item, its story points count in EV
	evmLogged     = "logged"      // time logged on it counts in AC (hours × rate)
	evmBaseline   = "baseline"    // effort: a baseline issue, its estimate counts in BAC
	evmPlanned    = "planned"     // effort: due on or before E, its estimate counts in PV
	evmEarned     = "earned"      // effort: done at as_of, its estimate counts in EV
)

// explainEVM lists what evm_spi (E1), evm_cpi (E2) and evm_eac (E3) are
// computed from for one scope: in mode agile the done flow items with
// their story points (EV = done points / planned release points × BAC)
// and the issues with logged time (AC when priced by evm.hourly_rate); in
// mode effort the frozen baseline's issues with their estimates, due and
// done flags and logged seconds (0/100 rule). The configured inputs (BAC,
// planned sprints, …) are listed as items too, so the values recompute
// from the list alone.
func explainEVM(ctx context.Context, fg *flowGroup, e *Explanation, ref scopeRef, scopes []ScopeConfig) error {
	c := &computation{w: fg.c.w, s: fg.c.s, asOf: fg.c.asOf, lc: fg.c.lc, scopes: scopes}
	e.Window = "to_date"
	cfg := c.evmFor(ref.Kind, ref.Name)
	st := &evmStat{cfg: cfg}
	e.evm = st
	if cfg == nil {
		return nil // no inputs for this scope: every value is NULL
	}
	input := func(name string, v float64) {
		e.Items = append(e.Items, ExplainItem{Key: "evm." + name, Role: "input (kpi.scopes[].evm." + name + ")", Values: map[string]float64{"value": v}})
	}
	what := fmt.Sprintf("kpi: explaining %s for %s", e.KPI, ref.key())
	if cfg.Mode == "effort" {
		input("hourly_rate", cfg.HourlyRate)
		input("actual_cost", cfg.ActualCost)
		eDay := lastCompleteDay(c.asOf, c.s.loc)
		q, err := c.model("effort_evm_items", map[string]any{"scope": ref.Name, "baseline": cfg.Baseline, "e_day": eDay.Unix() / 86400,
			"end": time.Date(eDay.Year(), eDay.Month(), eDay.Day()+1, 0, 0, 0, 0, c.s.loc)})
		if err != nil {
			return err
		}
		rows, err := c.w.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("%s (baseline %q): %w", what, cfg.Baseline, err)
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var est, logged int64
			var planned, earned uint64
			if err := rows.Scan(&key, &est, &planned, &earned, &logged); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			st.baseline = true
			it := ExplainItem{Key: key, Sets: []string{evmBaseline}, Values: map[string]float64{"estimate_seconds": float64(est), "logged_seconds": float64(logged)}}
			role := "in baseline " + strconv.Quote(cfg.Baseline)
			if planned == 1 {
				it.Sets = append(it.Sets, evmPlanned)
				role += "; due by " + eDay.Format("2006-01-02")
			}
			if earned == 1 {
				it.Sets = append(it.Sets, evmEarned)
				role += "; done (earned)"
			}
			it.Role = role
			e.Items = append(e.Items, it)
		}
		return rows.Err()
	}
	input("bac", cfg.BAC)
	input("planned_release_points", cfg.PlannedReleasePoints)
	input("planned_sprints", float64(cfg.PlannedSprints))
	input("sprints_completed", float64(cfg.SprintsCompleted))
	input("actual_cost", cfg.ActualCost)
	input("hourly_rate", cfg.HourlyRate)
	sc, err := scopedSQL(c.lc, []string{ref.key()})
	if err != nil {
		return err
	}
	q, err := modelSQL("explain_evm_agile", map[string]string{"scoped": "(" + sc + ")"}, nil)
	if err != nil {
		return err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var done uint64
		var points float64
		var spent int64
		if err := rows.Scan(&key, &done, &points, &spent); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		it := ExplainItem{Key: key, Values: map[string]float64{}}
		var role string
		if done == 1 {
			it.Sets = append(it.Sets, evmDonePoints)
			it.Points = &points
			it.Values["points"] = points
			role = "done: its story points are earned"
		}
		if spent > 0 {
			it.Sets = append(it.Sets, evmLogged)
			it.Values["logged_seconds"] = float64(spent)
			role = joinRole(role, "time logged (actual cost when evm.hourly_rate prices it)")
		}
		it.Role = role
		e.Items = append(e.Items, it)
	}
	return rows.Err()
}

func joinRole(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// recomputeEVM derives the earned-value values from the listed items as
// evm() does: the inputs from the evm.* items, done points and logged
// seconds (agile) or the baseline's estimate sums (effort) from the rest.
func (e Explanation) recomputeEVM(labels Labels) (*float64, uint64, bool) {
	st := e.evm
	if st.cfg == nil {
		return nil, 0, true
	}
	in := map[string]float64{}
	var pts, logged, bac, pv, ev float64
	for _, it := range e.Items {
		if name, isInput := strings.CutPrefix(it.Key, "evm."); isInput && len(it.Sets) == 0 {
			in[name] = it.Values["value"]
			continue
		}
		for _, s := range it.Sets {
			switch s {
			case evmDonePoints:
				pts += it.Values["points"]
			case evmLogged:
				logged += it.Values["logged_seconds"]
			case evmBaseline:
				bac += it.Values["estimate_seconds"]
				logged += it.Values["logged_seconds"]
			case evmPlanned:
				pv += it.Values["estimate_seconds"]
			case evmEarned:
				ev += it.Values["estimate_seconds"]
			}
		}
	}
	var v evmValues
	if st.cfg.Mode == "effort" {
		if st.baseline {
			rate := 1.0
			if in["hourly_rate"] > 0 {
				rate = in["hourly_rate"]
			}
			ac := logged / 3600
			if in["actual_cost"] > 0 {
				ac = in["actual_cost"] / rate
			}
			v = evmFormulas(pv/3600*rate, ev/3600*rate, ac*rate, bac/3600*rate)
		}
	} else {
		cfg := EVM{Mode: "agile", BAC: in["bac"], PlannedReleasePoints: in["planned_release_points"],
			PlannedSprints: int(in["planned_sprints"]), SprintsCompleted: int(in["sprints_completed"])}
		ac := in["actual_cost"]
		if ac == 0 && in["hourly_rate"] > 0 {
			ac = logged / 3600 * in["hourly_rate"]
		}
		v = agileEVM(cfg, pts, ac)
	}
	byMeasure := map[string]map[string]*float64{
		"evm_spi": {"": v.SPI, "sv": v.SV, "pv": v.PV, "ev": v.EV},
		"evm_cpi": {"": v.CPI, "cv": v.CV, "ac": v.AC},
		"evm_eac": {"bac": v.BAC, "eac": v.EAC, "etc": v.ETC, "vac": v.VAC, "tcpi_bac": v.TCPI, "eac_atypical": v.EACAtypical,
			"eac_cpi_spi": v.EACCPISPI, "expected_sprints": v.ExpectedSprints},
	}
	m, ok := byMeasure[e.KPI][labels["measure"]]
	if !ok {
		return nil, 0, false
	}
	return m, 1, true
}
