package sqlmodel

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Materialize stores the rows of query q into a temporary Memory table
// named prefix + its creation instant (so that DropStale finds the tables of
// a run that died) and returns a query of them (a SELECT of the table) and a
// cleanup that drops the table; what names the rows in the debug log. When
// the table cannot be created (e.g. a read-only user) the query is q itself.
func Materialize(ctx context.Context, w *warehouse.Warehouse, prefix, what, q string) (string, func()) {
	name := fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano(), rand.Uint32())
	t0 := time.Now()
	if err := w.CreateMemoryTableAs(ctx, name, q); err != nil {
		slog.Debug("rows not materialized; inlining their query", "what", what, "err", err)
		return q, func() {}
	}
	slog.Debug("rows materialized", "what", what, "table", name, "took", time.Since(t0))
	return warehouse.SelectAll(name), func() {
		if err := w.DropTable(context.WithoutCancel(ctx), name); err != nil {
			slog.Warn("dropping a temporary table", "what", what, "table", name, "err", err)
		}
	}
}

// DropStale drops the temporary tables named prefix… (Materialize) that a
// run which died more than an hour ago left behind.
func DropStale(ctx context.Context, w *warehouse.Warehouse, prefix string) {
	rows, err := w.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, ?)", prefix)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		ns, _, _ := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		if t, err := strconv.ParseInt(ns, 10, 64); err == nil && time.Since(time.Unix(0, t)) > time.Hour {
			stale = append(stale, name)
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		if err := w.DropTable(ctx, name); err == nil {
			slog.Info("dropped a stale temporary table", "table", name)
		}
	}
}
