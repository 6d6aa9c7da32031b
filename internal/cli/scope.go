package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// resolveScope is the one check of --scope and --as-of that pmo kpi,
// report and email share: a malformed scope, an as-of before the
// warehouse's first issue ("no data before D") and a scope the warehouse
// does not have (named, with the known scopes listed) are usage errors
// (exit 2). A zero asOf means "the latest": every scope ever seen counts.
func (a *App) resolveScope(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config, scope string, asOf time.Time) (kpi.ScopeFilter, error) {
	f, err := parseScope(scope)
	if err != nil {
		return f, err
	}
	loc, err := time.LoadLocation(cmpOr(cfg.KPI.TZ, "UTC"))
	if err != nil {
		loc = time.UTC
	}
	if !asOf.IsZero() {
		if err := kpi.CheckAsOf(ctx, w, asOf, loc); err != nil {
			if errors.Is(err, kpi.ErrNoData) {
				return f, withCode(ExitUsage, err)
			}
			return f, err
		}
	}
	if f.Kind == "" || f.Kind == kpi.ScopePortfolio {
		return f, nil
	}
	at := asOf
	if at.IsZero() {
		at = time.Now()
	}
	known, err := kpi.ConfigScopes(ctx, w, cfg.KPI, at)
	if err != nil {
		return f, err
	}
	if err := kpi.CheckScope(f, known, asOf); err != nil {
		return f, withCode(ExitUsage, fmt.Errorf("--scope: %w", err))
	}
	return f, nil
}
