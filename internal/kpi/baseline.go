package kpi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// CreateBaseline freezes the earned-value baseline name of one project at
// at (kpis.md §3.4 mode H): the non-discarded flow items of the project that
// exist and are not done at at, with their original estimate and due date.
// project is a key ("ALPHA") or "source/KEY". Baselines are frozen: an
// existing (project, name) is an error. It returns the number of issues.
//
// The estimate and due date are the values the warehouse holds when the
// baseline is created (create it on the baseline date; the estimate and due
// date changelogs are not replayed).
func CreateBaseline(ctx context.Context, w *warehouse.Warehouse, cfg Config, project, name string, at time.Time) (int, error) {
	if name == "" {
		return 0, errors.New("kpi: creating a baseline: the name is empty; name it, e.g. \"2025-03-01\"")
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return 0, errors.Join(errs...)
	}
	at = at.UTC().Truncate(time.Second)
	groups, err := scopeGroups(ctx, w, cfg, at, ScopeFilter{Kind: ScopeProject, Name: project})
	if err != nil {
		return 0, err
	}
	if len(groups) != 1 || len(groups[0].scopes) != 1 {
		return 0, fmt.Errorf("kpi: creating baseline %q: %w: project %q has no issues created before %s (or the name is ambiguous); use the project key or source/KEY", name, ErrNoScope, project, at.Format(time.RFC3339))
	}
	g, scope := groups[0], groups[0].scopes[0].Name
	rows, err := w.Query(ctx, "SELECT count() FROM kpi_baselines WHERE scope = ? AND name = ?", scope, name)
	if err != nil {
		return 0, fmt.Errorf("kpi: creating baseline %q of %s: %w", name, scope, err)
	}
	var exists uint64
	for rows.Next() {
		if err := rows.Scan(&exists); err != nil {
			rows.Close()
			return 0, fmt.Errorf("kpi: creating baseline %q of %s: %w", name, scope, err)
		}
	}
	rows.Close()
	if exists > 0 {
		return 0, fmt.Errorf("kpi: baseline %q of %s: %w; create a new one under another name", name, scope, ErrBaselineExists)
	}
	now := time.Now().UTC()
	c := &computation{w: w, s: g.s, asOf: at}
	sel, err := c.model("baseline_rows", map[string]any{
		"scope": scope, "baseline": name, "baseline_at": at, "created_at": now, "version": uint64(now.UnixNano()),
	})
	if err != nil {
		return 0, fmt.Errorf("kpi: creating baseline %q of %s: %w", name, scope, err)
	}
	cols := []string{"scope", "name", "baseline_at", "source", "issue_id", "key", "estimate_seconds", "due_date", "created_at", "_version"}
	if err := w.InsertSelect(ctx, "kpi_baselines", cols, sel); err != nil {
		return 0, fmt.Errorf("kpi: creating baseline %q of %s: %w", name, scope, err)
	}
	rows, err = w.Query(ctx, "SELECT count() FROM kpi_baselines WHERE scope = ? AND name = ?", scope, name)
	if err != nil {
		return 0, fmt.Errorf("kpi: creating baseline %q of %s: counting: %w", name, scope, err)
	}
	defer rows.Close()
	var n uint64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("kpi: creating baseline %q of %s: counting: %w", name, scope, err)
		}
	}
	return int(n), rows.Err()
}

// effortEVM computes mode H (0/100 rule) for one project scope from its
// frozen baseline: BAC = Σ estimate; PV = Σ estimate of baseline issues due
// on or before E; EV = Σ estimate of baseline issues done (not discarded)
// at as_of; AC = worklog hours on baseline issues and their sub-tasks
// started before the end of E. Hours, or money with evm.hourly_rate.
func (c *computation) effortEVM(ctx context.Context, scope string, e EVM) (evmValues, error) {
	eDay := lastCompleteDay(c.asOf, c.s.loc)
	end := time.Date(eDay.Year(), eDay.Month(), eDay.Day()+1, 0, 0, 0, 0, c.s.loc) // ld(started) ≤ E
	q, err := c.model("effort_evm", map[string]any{"scope": scope, "baseline": e.Baseline, "e_day": eDay.Unix() / 86400, "end": end})
	if err != nil {
		return evmValues{}, err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return evmValues{}, fmt.Errorf("kpi: computing earned value of %s (baseline %q): %w", scope, e.Baseline, err)
	}
	defer rows.Close()
	var n uint64
	var bac, pv, ev, ac float64
	for rows.Next() {
		if err := rows.Scan(&n, &bac, &pv, &ev, &ac); err != nil {
			return evmValues{}, fmt.Errorf("kpi: computing earned value of %s: reading row: %w", scope, err)
		}
	}
	if err := rows.Err(); err != nil {
		return evmValues{}, fmt.Errorf("kpi: computing earned value of %s: %w", scope, err)
	}
	if n == 0 {
		return evmValues{}, nil // no such baseline: not computable
	}
	rate := 1.0
	if e.HourlyRate > 0 {
		rate = e.HourlyRate
	}
	if e.ActualCost > 0 {
		ac = e.ActualCost / rate
	}
	return evmFormulas(pv*rate, ev*rate, ac*rate, bac*rate), nil
}
