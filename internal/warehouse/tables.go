package warehouse

import (
	"context"
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
