package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Options configure Open.
type Options struct {
	// DSN selects the engine: "clickhouse://user:pass@host:9000/db?secure=true"
	// for a ClickHouse server (native protocol) or "chdb:///path/to/dir" for
	// the embedded engine.
	DSN string
	// Database overrides the DSN's database; default "pmo".
	Database string
	// Cluster, when set, makes DDL run ON CLUSTER <name> with Replicated*
	// table engines.
	Cluster string
	// ChDBLibrary is the path of libchdb.so. When empty: $CHDB_LIB_PATH, else
	// .deps/chdb/libchdb.so found upward from the working directory and next
	// to the binary, else /usr/local/lib/libchdb.so.
	ChDBLibrary string
	// BatchSize makes the sink flush a kind's buffer at this many rows
	// (default 50_000).
	BatchSize int
	// FlushInterval makes the sink flush buffers older than this (default 5s).
	FlushInterval time.Duration
	// Logger receives engine and sink events; default slog.Default().
	Logger *slog.Logger
}

// Default values of Options.
const (
	DefaultDatabase      = "pmo"
	DefaultBatchSize     = 50_000
	DefaultFlushInterval = 5 * time.Second
)

// Engine names returned by Warehouse.Engine.
const (
	EngineChDB       = "chdb"
	EngineClickHouse = "clickhouse"
)

// ErrClosed is returned by operations on a closed warehouse or sink.
var ErrClosed = errors.New("warehouse is closed")

// engine is what each ClickHouse engine provides. Queries arrive with their
// arguments already bound.
type engine interface {
	name() string
	version() string
	exec(ctx context.Context, query string) error
	query(ctx context.Context, query string) (rowIter, error)
	// insert writes rows (in cols order) into db.table.
	insert(ctx context.Context, table string, cols []column, rows [][]any) error
	close() error
}

// Warehouse is an open ClickHouse warehouse.
type Warehouse struct {
	eng     engine
	db      string
	cluster string
	opts    Options
	log     *slog.Logger
	sink    *Sink
}

// Open connects to the warehouse named by opts.DSN. It does not migrate.
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	return nil, fmt.Errorf("opening warehouse: not implemented yet")
}

// Engine returns "chdb" or "clickhouse".
func (w *Warehouse) Engine() string { return w.eng.name() }

// ServerVersion returns the ClickHouse version of the engine, e.g. "18.16.1".
func (w *Warehouse) ServerVersion() string { return w.eng.version() }

// Database returns the name of the warehouse database.
func (w *Warehouse) Database() string { return w.db }

// Exec runs a statement. `?` placeholders are bound from args.
func (w *Warehouse) Exec(ctx context.Context, query string, args ...any) error {
	return errors.New("not implemented yet")
}

// Query runs a query. `?` placeholders are bound from args.
func (w *Warehouse) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	return nil, errors.New("not implemented yet")
}

// Counts returns the number of rows each v_<table> view shows, by table name.
func (w *Warehouse) Counts(ctx context.Context) (map[string]uint64, error) {
	return nil, errors.New("not implemented yet")
}

// Sink returns the warehouse's batch sink (one per warehouse).
func (w *Warehouse) Sink() *Sink { return w.sink }

// Close flushes the sink and closes the engine.
func (w *Warehouse) Close() error { return nil }
