package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// Options configure Open.
type Options struct {
	// DSN selects the engine: "clickhouse://user:pass@host:9000/db?secure=true"
	// for a ClickHouse server (native protocol) or "chdb:///path/to/dir" for
	// the embedded engine.
	DSN string
	// Database overrides the DSN's database; default "pmo".
	Database string
	// Cluster, when set, makes DDL run ON CLUSTER <name>: Replicated* tables
	// on each shard (<table>_local) under Distributed tables that keep the
	// tables' names, sharded by each table's key. Queries to the cluster
	// carry clusterSettings. Only for a ClickHouse server.
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

var dbNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to the warehouse named by opts.DSN. It does not migrate.
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	d, err := parseDSN(opts.DSN)
	if err != nil {
		return nil, err
	}
	db := opts.Database
	if db == "" {
		db = d.database
	}
	if db == "" {
		db = DefaultDatabase
	}
	if !dbNameRE.MatchString(db) {
		return nil, fmt.Errorf("warehouse database name %q is not valid: use letters, digits and underscores (warehouse.database or the DSN path)", db)
	}
	if opts.Cluster != "" && !dbNameRE.MatchString(opts.Cluster) {
		return nil, fmt.Errorf("warehouse cluster name %q is not valid: use letters, digits and underscores (warehouse.cluster)", opts.Cluster)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := &Warehouse{db: db, cluster: opts.Cluster, opts: opts, log: opts.Logger}
	switch d.scheme {
	case "chdb":
		if opts.Cluster != "" {
			return nil, fmt.Errorf("warehouse.cluster %q needs a ClickHouse server: the embedded engine (warehouse.dsn chdb://...) is one node; remove warehouse.cluster or point warehouse.dsn at a node of the cluster (clickhouse://...)", opts.Cluster)
		}
		e, err := openChDB(d.path, opts.ChDBLibrary)
		if err != nil {
			return nil, err
		}
		s := &chdbSession{chdbEngine: e, db: db, loc: time.UTC}
		if tz, err := e.do(ctx, "", "SELECT timezone()", "TabSeparated"); err == nil {
			if loc, err := time.LoadLocation(strings.TrimSpace(string(tz))); err == nil {
				s.loc = loc
			}
		}
		w.eng = s
	case "clickhouse":
		e, err := openServer(ctx, d, opts.DSN, db, opts.Cluster != "")
		if err != nil {
			return nil, err
		}
		w.eng = e
	}
	w.log = w.log.With("warehouse", w.eng.name(), "database", db)
	w.sink = newSink(w)
	return w, nil
}

// Engine returns "chdb" or "clickhouse".
func (w *Warehouse) Engine() string { return w.eng.name() }

// ServerVersion returns the ClickHouse version of the engine, e.g. "18.16.1".
func (w *Warehouse) ServerVersion() string { return w.eng.version() }

// Database returns the name of the warehouse database.
func (w *Warehouse) Database() string { return w.db }

// Exec runs a statement. `?` placeholders are bound from args (see Query).
func (w *Warehouse) Exec(ctx context.Context, query string, args ...any) error {
	q, err := bind(query, args)
	if err != nil {
		return err
	}
	if err := w.eng.exec(ctx, q); err != nil {
		return fmt.Errorf("running %s on the %s warehouse: %w", shortQuery(query), w.eng.name(), err)
	}
	return nil
}

// Query runs a query. `?` placeholders (outside quotes and comments) are
// bound the same way on both engines: strings quoted and escaped, time.Time
// as toDateTime('…', 'UTC'), model.Date as toDate('…'), []string/[]int64/
// []float64 as array literals, nil and nil pointers as NULL, bools as 1/0.
// Unqualified table names resolve in the warehouse database.
func (w *Warehouse) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	q, err := bind(query, args)
	if err != nil {
		return nil, err
	}
	it, err := w.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("running %s on the %s warehouse: %w", shortQuery(query), w.eng.name(), err)
	}
	return &Rows{it: it, query: query}, nil
}

// Counts returns the number of rows each v_<table> view shows, keyed by
// table name (model.Kind), as readers see them.
func (w *Warehouse) Counts(ctx context.Context) (map[string]uint64, error) {
	parts := make([]string, 0, len(model.Kinds))
	for _, k := range model.Kinds {
		parts = append(parts, fmt.Sprintf("SELECT %s AS t, count() AS n FROM %s.v_%s", quoteString(string(k)), quoteIdent(w.db), k))
	}
	rows, err := w.Query(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, fmt.Errorf("counting warehouse rows: %w", err)
	}
	defer rows.Close()
	out := make(map[string]uint64, len(parts))
	for rows.Next() {
		var t string
		var n uint64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// Sink returns the warehouse's batch sink (one per warehouse).
func (w *Warehouse) Sink() *Sink { return w.sink }

// Close flushes the sink and closes the engine.
func (w *Warehouse) Close() error {
	var errs []error
	if w.sink != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		errs = append(errs, w.sink.Close(ctx))
		cancel()
	}
	if w.eng != nil {
		errs = append(errs, w.eng.close())
	}
	return errors.Join(errs...)
}
