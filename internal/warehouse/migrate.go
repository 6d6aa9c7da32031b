package warehouse

import (
	"context"
	"errors"
)

// MigrateResult tells what Migrate did.
type MigrateResult struct {
	From, To int      // schema version before and after
	Applied  []string // names of the migrations applied, e.g. "001_tables"
}

// Migrate applies the embedded migrations the database lacks. It is
// idempotent: a second run applies nothing and returns From == To.
func (w *Warehouse) Migrate(ctx context.Context) (MigrateResult, error) {
	return MigrateResult{}, errors.New("not implemented yet")
}

// SchemaVersion returns the number of the last applied migration (0 when none).
func (w *Warehouse) SchemaVersion(ctx context.Context) (int, error) {
	return 0, errors.New("not implemented yet")
}
