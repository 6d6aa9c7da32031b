package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/kpi"
)

// NewSource builds the collector of one configured source from the
// collector types registered in collectors (the pipeline knows no concrete
// collector; collectors/all registers them in the pmo binary).
func NewSource(s config.Source) (Source, error) {
	t, err := collectors.Lookup(s.Type)
	if err != nil {
		return Source{}, fmt.Errorf("source %s: %w", s.Name, err)
	}
	c, err := t.New(s.Name, s.Settings)
	if err != nil {
		return Source{}, fmt.Errorf("setting up source %s (%s): %w", s.Name, s.Type, err)
	}
	return Source{Name: s.Name, Schedule: s.Schedule, Program: s.Program, Collector: c}, nil
}

// NewSources builds the collector of every given source, in order. A
// configuration problem fails before anything touches the warehouse.
func NewSources(sources []config.Source) ([]Source, error) {
	out := make([]Source, 0, len(sources))
	for _, s := range sources {
		src, err := NewSource(s)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

// ComputeKPIs computes the KPIs of the scopes sf selects as of asOf, stores
// them in kpi_values with their refresh record (kpi_refreshes) and, when
// they cover the whole portfolio, hands them to the exporter (when there
// is one): a scoped computation never replaces the latest portfolio. It is
// what `pmo kpi`, `pmo demo` and every refresh of `pmo serve` run.
func (p *Pipeline) ComputeKPIs(ctx context.Context, asOf time.Time, sf kpi.ScopeFilter) (kpi.Snapshot, error) {
	p.init()
	snap, err := kpi.Compute(ctx, p.Warehouse, *p.KPI, asOf, sf)
	if err != nil {
		return kpi.Snapshot{}, fmt.Errorf("computing the KPIs as of %s: %w", asOf.Format(time.RFC3339), err)
	}
	r := kpi.RefreshOf(snap, sf, kpi.NewRunID(), p.Version)
	if err := kpi.StoreRefresh(ctx, p.Warehouse, snap, r); err != nil {
		return kpi.Snapshot{}, err
	}
	for _, c := range snap.Checks {
		p.Logger.Warn("KPI consistency check failed", "check", c)
	}
	if r.Complete {
		p.publish(ctx, snap)
	}
	return snap, nil
}

// BackfillKPIs computes and stores one snapshot per date (the history of
// trend charts), calling stored after each; it stops at the first failure
// and says how many were stored.
func (p *Pipeline) BackfillKPIs(ctx context.Context, dates []time.Time, sf kpi.ScopeFilter, stored func(i int, asOf time.Time)) error {
	p.init()
	run := kpi.Run{ID: kpi.NewRunID(), Version: p.Version}
	for i, t := range dates {
		// One point per call: Backfill computes and stores it the same way
		// as a range, and the caller can show progress.
		if _, err := kpi.BackfillRun(ctx, p.Warehouse, *p.KPI, t, t, 24*time.Hour, sf, run); err != nil {
			return fmt.Errorf("backfilling KPI history (%d of %d snapshots stored): %w", i, len(dates), err)
		}
		if stored != nil {
			stored(i, t)
		}
	}
	return nil
}
