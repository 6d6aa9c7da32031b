package warehouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
)

// chDB is loaded lazily through purego (chdb-go panics in its package init
// when the library is missing, and pmo must run without it). The library
// allows one engine per process, so it is process-wide state: one
// connection, one data path, queries serialised by a mutex.

// chdbLib holds the libchdb C API (chdb.h, connection API).
type chdbLib struct {
	connect       func(argc int32, argv **byte) unsafe.Pointer // chdb_connection *
	closeConn     func(conn unsafe.Pointer)
	query         func(conn unsafe.Pointer, query *byte, format *byte) unsafe.Pointer // chdb_result *
	destroyResult func(res unsafe.Pointer)
	resultBuffer  func(res unsafe.Pointer) unsafe.Pointer
	resultLength  func(res unsafe.Pointer) uintptr
	resultError   func(res unsafe.Pointer) unsafe.Pointer // const char *, NULL when none
}

// chdbProcess is the process-wide embedded engine.
type chdbProcess struct {
	mu      sync.Mutex
	lib     *chdbLib
	libPath string
	path    string         // data directory of the open connection
	conn    unsafe.Pointer // chdb_connection * (pointer to the handle)
	ver     string
	curDB   string // the session's current database (USE)
}

var chdbProc chdbProcess // one engine per process: a constraint of libchdb

// ErrChDBMissing is wrapped by Open when the embedded engine's library
// cannot be found.
var ErrChDBMissing = errors.New("chDB library libchdb.so not found")

// findChDBLibrary returns the path of libchdb.so, searching explicit, then
// $CHDB_LIB_PATH, then .deps/chdb/libchdb.so upward from the working
// directory and from the binary's directory, then /usr/local/lib.
func findChDBLibrary(explicit string) (string, error) {
	exists := func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && !st.IsDir()
	}
	if explicit != "" {
		if exists(explicit) {
			return explicit, nil
		}
		return "", fmt.Errorf("%w at %s (warehouse chdb library setting): run `make setup` (scripts/setup.sh) to fetch it, or fix the path", ErrChDBMissing, explicit)
	}
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			p = filepath.Join(p, "libchdb.so")
		}
		if exists(p) {
			return p, nil
		}
		return "", fmt.Errorf("%w at CHDB_LIB_PATH=%s: run `make setup` (scripts/setup.sh) to fetch it, or point CHDB_LIB_PATH at libchdb.so", ErrChDBMissing, p)
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			for _, p := range []string{filepath.Join(dir, ".deps", "chdb", "libchdb.so"), filepath.Join(dir, "libchdb.so")} {
				if exists(p) {
					return p, nil
				}
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if p := "/usr/local/lib/libchdb.so"; exists(p) {
		return p, nil
	}
	return "", fmt.Errorf("%w (looked in CHDB_LIB_PATH, .deps/chdb/ and /usr/local/lib): run `make setup` (scripts/setup.sh) to fetch it, or set CHDB_LIB_PATH", ErrChDBMissing)
}

func loadChDB(path string) (lib *chdbLib, err error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("loading chDB library %s: %w (re-fetch it with `make setup`)", path, err)
	}
	defer func() {
		// RegisterLibFunc panics on a missing symbol (an older libchdb).
		if r := recover(); r != nil {
			lib, err = nil, fmt.Errorf("loading chDB library %s: %v: the library is too old, fetch a current one with `make setup`", path, r)
		}
	}()
	lib = &chdbLib{}
	purego.RegisterLibFunc(&lib.connect, h, "chdb_connect")
	purego.RegisterLibFunc(&lib.closeConn, h, "chdb_close_conn")
	purego.RegisterLibFunc(&lib.query, h, "chdb_query")
	purego.RegisterLibFunc(&lib.destroyResult, h, "chdb_destroy_query_result")
	purego.RegisterLibFunc(&lib.resultBuffer, h, "chdb_result_buffer")
	purego.RegisterLibFunc(&lib.resultLength, h, "chdb_result_length")
	purego.RegisterLibFunc(&lib.resultError, h, "chdb_result_error")
	return lib, nil
}

func cString(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

func goString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// chdbEngine is a Warehouse's view of the process-wide chDB engine.
type chdbEngine struct {
	p *chdbProcess
}

// openChDB opens (or joins) the process-wide engine on dir.
func openChDB(dir, libOpt string) (*chdbEngine, error) {
	p := &chdbProc
	p.mu.Lock()
	defer p.mu.Unlock()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening embedded warehouse at %s: %w", dir, err)
	}
	if p.conn != nil {
		if p.path != abs {
			return nil, fmt.Errorf("opening embedded warehouse at %s: this process already runs chDB on %s, and chDB allows one data directory per process: use one chdb:// path", abs, p.path)
		}
		return &chdbEngine{p: p}, nil
	}
	if p.lib == nil {
		path, err := findChDBLibrary(libOpt)
		if err != nil {
			return nil, fmt.Errorf("opening embedded warehouse: %w", err)
		}
		lib, err := loadChDB(path)
		if err != nil {
			return nil, err
		}
		p.lib, p.libPath = lib, path
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("opening embedded warehouse: creating data directory: %w", err)
	}
	args := []string{"clickhouse", "--path=" + abs}
	argv := make([]*byte, len(args)+1)
	for i, a := range args {
		argv[i] = cString(a)
	}
	conn := p.lib.connect(int32(len(args)), &argv[0])
	if conn == nil || *(*unsafe.Pointer)(conn) == nil {
		return nil, fmt.Errorf("opening embedded warehouse at %s: chDB could not start (is the directory writable and not used by another process?)", abs)
	}
	p.conn, p.path = conn, abs
	out, err := p.run("SELECT version()", "TabSeparated")
	if err != nil {
		p.conn, p.path = nil, ""
		p.lib.closeConn(conn)
		return nil, fmt.Errorf("opening embedded warehouse at %s: %w", abs, err)
	}
	p.ver = strings.TrimSpace(string(out))
	// pmo's SQL is written for the oldest supported server (18.16) and its
	// query interpreter. chDB's newer analyzer spends seconds planning the
	// KPI queries (deep subqueries, many lambdas): a KPI snapshot of 3,000
	// issues took 6.0 s with it and 1.1 s without. The session keeps the
	// setting; a chDB that no longer has it just runs slower.
	for _, set := range []string{"SET enable_analyzer = 0", "SET allow_experimental_analyzer = 0"} {
		if _, err := p.run(set, "TabSeparated"); err == nil {
			break
		}
	}
	return &chdbEngine{p: p}, nil
}

// run executes one query and returns a copy of its result; the caller
// holds p.mu.
func (p *chdbProcess) run(query, format string) ([]byte, error) {
	out, release, err := p.runShared(query, format)
	if err != nil {
		return nil, err
	}
	defer release()
	return bytes.Clone(out), nil
}

// runShared executes one query and returns its result in chDB's own memory,
// not copied (a query's result can be hundreds of megabytes): out is valid
// until release is called, which frees it; release may be called from any
// goroutine, once. The caller holds p.mu.
func (p *chdbProcess) runShared(query, format string) (out []byte, release func(), err error) {
	if p.conn == nil {
		return nil, nil, ErrClosed
	}
	handle := *(*unsafe.Pointer)(p.conn)
	res := p.lib.query(handle, cString(query), cString(format))
	if res == nil {
		return nil, nil, errors.New("chDB returned no result")
	}
	destroy := p.lib.destroyResult
	release = sync.OnceFunc(func() { destroy(res) })
	if e := goString(p.lib.resultError(res)); e != "" {
		release()
		return nil, nil, errors.New(strings.TrimSpace(firstLine(e)))
	}
	n := p.lib.resultLength(res)
	buf := p.lib.resultBuffer(res)
	if n == 0 || buf == nil {
		return nil, release, nil
	}
	return unsafe.Slice((*byte)(buf), n), release, nil
}

// firstLine trims ClickHouse's multi-line exception text (stack traces) to
// its first line.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func (e *chdbEngine) name() string    { return EngineChDB }
func (e *chdbEngine) version() string { return e.p.ver }

// do runs query in database db (empty: unchanged) and returns a copy of
// its result.
func (e *chdbEngine) do(ctx context.Context, db, query, format string) ([]byte, error) {
	out, release, err := e.doShared(ctx, db, query, format)
	if err != nil {
		return nil, err
	}
	defer release()
	return bytes.Clone(out), nil
}

// doShared is do returning the result in chDB's memory (runShared): valid
// until release is called.
func (e *chdbEngine) doShared(ctx context.Context, db, query, format string) ([]byte, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	e.p.mu.Lock()
	defer e.p.mu.Unlock()
	if db != "" && db != e.p.curDB {
		if _, err := e.p.run("USE "+quoteIdent(db), "TabSeparated"); err == nil {
			e.p.curDB = db
		}
		// A database that does not exist yet (before Migrate) is fine:
		// the statement itself will say so if it needs it.
	}
	return e.p.runShared(query, format)
}

func (e *chdbEngine) close() error { return nil } // the process-wide engine stays open

// chdbSession is one Warehouse's handle on the process-wide engine.
type chdbSession struct {
	*chdbEngine
	db  string
	loc *time.Location
}

func (s *chdbSession) exec(ctx context.Context, query string) error {
	_, err := s.do(ctx, s.db, query, "TabSeparated")
	return err
}

// query reads results in the RowBinaryWithNamesAndTypes format (binaryRows),
// or, when a column has a type that reader does not decode, runs the query
// again in the JSON format. Queries are SELECTs: running one twice changes
// nothing.
//
// The binary result is decoded where chDB wrote it (every value the rows
// return is a copy): the rows free it when closed, or, left unclosed, when
// the garbage collector finds them unreachable.
func (s *chdbSession) query(ctx context.Context, query string) (rowIter, error) {
	out, release, err := s.doShared(ctx, s.db, query, "RowBinaryWithNamesAndTypes")
	if err != nil {
		return nil, err
	}
	r, err := newBinaryRows(out, s.loc)
	if err == nil {
		r.release = release
		runtime.AddCleanup(r, func(f func()) { f() }, release)
		return r, nil
	}
	release()
	if !errors.Is(err, errUnsupportedType) {
		return nil, err
	}
	out, err = s.do(ctx, s.db, query, "JSONCompactEachRowWithNamesAndTypes")
	if err != nil {
		return nil, err
	}
	return newJSONRows(out, s.loc)
}

func (s *chdbSession) insert(ctx context.Context, table string, cols []column, rows [][]any) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
	}
	b := make([]byte, 0, 64+len(rows)*256)
	b = append(b, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+") FORMAT TabSeparated\n"...)
	for _, r := range rows {
		b = appendTSVRow(b, cols, r)
	}
	_, err := s.do(ctx, s.db, string(b), "TabSeparated")
	return err
}
