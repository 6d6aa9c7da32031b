package standards

import (
	"context"
	"embed"
	"sync"

	"github.com/pmo-oss/pmo/internal/sqlmodel"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// The relation models of models/standards.sql (internal/sqlmodel).

//go:embed models/*.sql
var modelFiles embed.FS

var relationModels = sync.OnceValues(func() (*sqlmodel.Set, error) { return sqlmodel.Load("standards", modelFiles, "models/*.sql") })

// modelSQL renders model name (sqlmodel.Set.SQL).
func modelSQL(name string, rels map[string]string, params map[string]any) (string, error) {
	ms, err := relationModels()
	if err != nil {
		return "", err
	}
	return ms.SQL(name, rels, params)
}

// query runs model name and calls scan for each row (sqlmodel.Set.Each).
func query(ctx context.Context, w *warehouse.Warehouse, name, what string, rels map[string]string, params map[string]any, scan func(r *warehouse.Rows) error) error {
	ms, err := relationModels()
	if err != nil {
		return err
	}
	return ms.Each(ctx, w, name, what, rels, params, scan)
}

// tmpPrefix names the Memory tables read derives (sqlmodel.Materialize).
const tmpPrefix = "standards_tmp_"

// materialize derives model name into a Memory table and returns the
// relation that reads it and its cleanup (rels: the relations it reads
// that are materialized already); "" when the model cannot be
// rendered (the queries then report that error themselves).
func materialize(ctx context.Context, w *warehouse.Warehouse, name string, rels map[string]string, params map[string]any) (string, func()) {
	q, err := modelSQL(name, rels, params)
	if err != nil {
		return "", func() {}
	}
	table, drop := sqlmodel.Materialize(ctx, w, tmpPrefix, "standards "+name, q)
	return "(" + table + ")", drop
}

// dropStale drops the temporary tables of runs that died more than an hour
// ago.
func dropStale(ctx context.Context, w *warehouse.Warehouse) { sqlmodel.DropStale(ctx, w, tmpPrefix) }
