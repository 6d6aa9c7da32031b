package kpi

import (
	"context"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

func computeSprints(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, f ScopeFilter, snap *Snapshot) error {
	return nil
}
