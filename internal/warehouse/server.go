package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// serverEngine talks to a ClickHouse server over the native protocol.
type serverEngine struct {
	conn driver.Conn
	opts *clickhouse.Options
	db   string // the warehouse database
	noDB bool   // connected without db because it did not exist yet
	ver  string
	addr string
	dsn  string // redacted
}

// ClickHouse server error codes pmo reacts to.
const (
	codeUnknownDatabase      = 81
	codeUnknownUser          = 192
	codeWrongPassword        = 193
	codeAuthenticationFailed = 516
)

// clusterSettings are sent with every query to a cluster (warehouse.cluster)
// unless the DSN sets them: an insert into a Distributed table returns once
// every shard has its rows, so a cursor never runs ahead of its data, a
// read right after a write sees it, and a shard that is down fails the
// insert (the collection then resumes from the last cursor) instead of
// queueing rows on the initiator's disk. The local shard is read like the
// others, over the network (prefer_localhost_replica=0): ClickHouse 18.16
// reading a Distributed table FINAL on the local shard loses the sorting key
// and version columns the query does not name ("Cannot find column
// _version in source stream"). Only integer settings: over the native
// protocol of servers before 19.x clickhouse-go sends no others.
var clusterSettings = map[string]any{
	"insert_distributed_sync":  1,
	"prefer_localhost_replica": 0,
}

func openServer(ctx context.Context, d dsnInfo, rawDSN, db string, cluster bool) (*serverEngine, error) {
	red := RedactDSN(rawDSN)
	u := *d.url
	u.Scheme = "clickhouse"
	opts, err := clickhouse.ParseDSN(u.String())
	if err != nil {
		return nil, fmt.Errorf("parsing warehouse.dsn %q: %s", red, redactText(err.Error(), d))
	}
	if opts.DialTimeout == 0 || opts.DialTimeout > 10*time.Second && !strings.Contains(d.url.RawQuery, "dial_timeout") {
		opts.DialTimeout = 10 * time.Second
	}
	opts.Auth.Database = db
	if cluster {
		if opts.Settings == nil {
			opts.Settings = clickhouse.Settings{}
		}
		for k, v := range clusterSettings {
			if _, set := opts.Settings[k]; !set {
				opts.Settings[k] = v
			}
		}
	}
	e := &serverEngine{addr: d.url.Host, dsn: red, db: db, opts: opts}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, e.connError(err, d)
	}
	if err := conn.Ping(ctx); err != nil {
		var ex *clickhouse.Exception
		if errors.As(err, &ex) && ex.Code == codeUnknownDatabase {
			// The database does not exist yet: connect without it; Migrate
			// creates it and every statement names its database.
			conn.Close()
			e.noDB = true
			opts.Auth.Database = ""
			if conn, err = clickhouse.Open(opts); err == nil {
				err = conn.Ping(ctx)
			}
		}
		if err != nil {
			if conn != nil {
				conn.Close()
			}
			return nil, e.connError(err, d)
		}
	}
	e.conn = conn
	sv, err := conn.ServerVersion()
	if err != nil {
		conn.Close()
		return nil, e.connError(err, d)
	}
	e.ver = fmt.Sprintf("%d.%d.%d", sv.Version.Major, sv.Version.Minor, sv.Version.Patch)
	return e, nil
}

// redactText removes the DSN's password from an error text.
func redactText(s string, d dsnInfo) string {
	if d.url != nil && d.url.User != nil {
		if p, ok := d.url.User.Password(); ok && p != "" {
			s = strings.ReplaceAll(s, p, "<secret>")
		}
	}
	return s
}

// connError turns a connection failure into a one-line error that says
// what to check.
func (e *serverEngine) connError(err error, d dsnInfo) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeUnknownUser, codeWrongPassword, codeAuthenticationFailed:
			user := ""
			if d.url.User != nil {
				user = d.url.User.Username()
			}
			return fmt.Errorf("connecting to ClickHouse at %s (warehouse.dsn %s): authentication failed for user %q: check the user and password in warehouse.dsn", e.addr, e.dsn, user)
		}
		return fmt.Errorf("connecting to ClickHouse at %s (warehouse.dsn %s): %s", e.addr, e.dsn, redactText(firstLine(ex.Message), d))
	}
	if msg := err.Error(); strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") {
		return fmt.Errorf("connecting to ClickHouse at %s (warehouse.dsn %s): TLS failed (%s): with secure=true use the server's TLS port (9440 on ClickHouse Cloud), without it the plain port (9000); skip_verify=true accepts a self-signed certificate", e.addr, e.dsn, redactText(firstLine(rootCause(err).Error()), d))
	}
	var ne net.Error
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &ne) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "dial") {
		return fmt.Errorf("connecting to ClickHouse at %s (warehouse.dsn %s): server unreachable (%s): check host and port, that the server runs, and secure=true for TLS ports such as 9440", e.addr, e.dsn, redactText(firstLine(rootCause(err).Error()), d))
	}
	return fmt.Errorf("connecting to ClickHouse at %s (warehouse.dsn %s): %s", e.addr, e.dsn, redactText(firstLine(err.Error()), d))
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// serverErr shortens ClickHouse exceptions to their first line.
func serverErr(err error) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return fmt.Errorf("code %d: %s", ex.Code, firstLine(ex.Message))
	}
	return err
}

// databaseCreated reconnects with the warehouse database as the default
// once Migrate has created it, so unqualified table names resolve there.
func (e *serverEngine) databaseCreated(ctx context.Context) error {
	if !e.noDB {
		return nil
	}
	opts := *e.opts
	opts.Auth.Database = e.db
	conn, err := clickhouse.Open(&opts)
	if err == nil {
		err = conn.Ping(ctx)
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return fmt.Errorf("reconnecting to ClickHouse at %s with database %s: %w", e.addr, e.db, serverErr(err))
	}
	old := e.conn
	e.conn, e.noDB = conn, false
	return old.Close()
}

func (e *serverEngine) name() string    { return EngineClickHouse }
func (e *serverEngine) version() string { return e.ver }
func (e *serverEngine) close() error    { return e.conn.Close() }

// insertValues matches INSERT … VALUES, which hangs over the native
// protocol on ClickHouse 18.16.
var insertValues = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s.*\bVALUES\s*\(`)

func (e *serverEngine) exec(ctx context.Context, query string) error {
	if insertValues.MatchString(query) {
		return errors.New("INSERT … VALUES does not work over the native protocol on every server version: use Warehouse.Insert or INSERT … SELECT")
	}
	return serverErr(e.conn.Exec(ctx, query))
}

func (e *serverEngine) query(ctx context.Context, query string) (rowIter, error) {
	rows, err := e.conn.Query(ctx, query)
	if err != nil {
		return nil, serverErr(err)
	}
	it := &serverRows{rows: rows, cols: rows.Columns()}
	for _, ct := range rows.ColumnTypes() {
		it.types = append(it.types, ct.ScanType())
	}
	return it, nil
}

func (e *serverEngine) insert(ctx context.Context, table string, cols []column, rows [][]any) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
	}
	b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+")")
	if err != nil {
		return serverErr(err)
	}
	defer b.Close()
	// Column-wise appends: one typed slice per column, much cheaper than
	// appending row by row.
	for i := range cols {
		col, err := columnSlice(rows, i)
		if err != nil {
			return fmt.Errorf("column %s: %w", cols[i].name, err)
		}
		if err := b.Column(i).Append(col); err != nil {
			return fmt.Errorf("column %s: %w", cols[i].name, serverErr(err))
		}
	}
	return serverErr(b.Send())
}

// columnSlice gathers column i of rows into a typed slice.
func columnSlice(rows [][]any, i int) (any, error) {
	switch rows[0][i].(type) {
	case string:
		return gather[string](rows, i)
	case int64:
		return gather[int64](rows, i)
	case uint8:
		return gather[uint8](rows, i)
	case uint32:
		return gather[uint32](rows, i)
	case uint64:
		return gather[uint64](rows, i)
	case float64:
		return gather[float64](rows, i)
	case time.Time:
		return gather[time.Time](rows, i)
	case *time.Time:
		return gather[*time.Time](rows, i)
	case *float64:
		return gather[*float64](rows, i)
	case *int64:
		return gather[*int64](rows, i)
	case *string:
		return gather[*string](rows, i)
	case []string:
		return gather[[]string](rows, i)
	case dateValue, *dateValue:
		out := make([]*time.Time, len(rows))
		for j, r := range rows {
			switch x := r[i].(type) {
			case dateValue:
				t := x.t
				out[j] = &t
			case *dateValue:
				t := x.t
				out[j] = &t
			case *time.Time:
				out[j] = x
			default:
				return nil, fmt.Errorf("row %d: %T among dates", j, r[i])
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", rows[0][i])
}

func gather[T any](rows [][]any, i int) ([]T, error) {
	out := make([]T, len(rows))
	for j, r := range rows {
		v, ok := r[i].(T)
		if !ok {
			return nil, fmt.Errorf("row %d: %T among %T values", j, r[i], out[0])
		}
		out[j] = v
	}
	return out, nil
}

type serverRows struct {
	rows  driver.Rows
	cols  []string
	types []reflect.Type
}

func (r *serverRows) columns() []string { return r.cols }

func (r *serverRows) next() ([]any, error) {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return nil, serverErr(err)
		}
		return nil, io.EOF
	}
	ptrs := make([]any, len(r.types))
	for i, t := range r.types {
		ptrs[i] = reflect.New(t).Interface()
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make([]any, len(ptrs))
	for i, p := range ptrs {
		out[i] = normalize(reflect.ValueOf(p).Elem())
	}
	return out, nil
}

func (r *serverRows) close() error { return r.rows.Close() }
