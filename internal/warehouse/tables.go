package warehouse

import (
	"context"
	"fmt"
	"strings"
)

// Table plumbing for callers that derive tables from queries (the KPI
// engine materializes a computation's lifecycle once and reads it many
// times): identifiers are quoted here, the queries are the caller's.

// CreateMemoryTableAs creates table name (ENGINE = Memory) holding the
// rows of query.
func (w *Warehouse) CreateMemoryTableAs(ctx context.Context, name, query string) error {
	return w.Exec(ctx, "CREATE TABLE "+quoteIdent(name)+" ENGINE = Memory AS "+query)
}

// DropTable drops table name when it exists.
func (w *Warehouse) DropTable(ctx context.Context, name string) error {
	return w.Exec(ctx, "DROP TABLE IF EXISTS "+quoteIdent(name))
}

// SelectAll is the query that reads every row and column of table name.
func SelectAll(name string) string { return "SELECT * FROM " + quoteIdent(name) }

// InsertSelect inserts the rows of query into the named columns of table.
func (w *Warehouse) InsertSelect(ctx context.Context, table string, cols []string, query string) error {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return w.Exec(ctx, "INSERT INTO "+quoteIdent(table)+" ("+strings.Join(q, ", ")+") "+query)
}

// Optimize merges the parts of every MergeTree table of the database into
// one (OPTIMIZE TABLE … FINAL), as the engine's background merges
// eventually do: reads through the deduplicating views then find one part
// per partition. A warehouse at rest is in that state; benchmarks settle a
// freshly loaded one with it so that they time the queries, not the merges.
// Single node only (a cluster's Distributed tables cannot be optimized).
func (w *Warehouse) Optimize(ctx context.Context) error {
	rows, err := w.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name")
	if err != nil {
		return fmt.Errorf("listing the tables to optimize: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("listing the tables to optimize: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("listing the tables to optimize: %w", err)
	}
	for _, n := range names {
		if err := w.Exec(ctx, "OPTIMIZE TABLE "+quoteIdent(n)+" FINAL"); err != nil {
			return fmt.Errorf("optimizing table %s: %w", n, err)
		}
	}
	return nil
}
