// Package whtest gives tests a fresh, migrated warehouse on each real
// engine: the embedded chDB (library fetched by `make setup`) and a
// ClickHouse server named by $PMO_TEST_CLICKHOUSE_DSN (`make test` starts a
// throwaway Debian clickhouse-server and sets it).
//
// Without an engine a test skips with a message saying how to get it, and
// fails instead when CI=true.
package whtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Engines are the engine names ForEachEngine runs.
var Engines = []string{"chdb", "server"}

// EnvServerDSN names the env var with the test server's DSN.
const EnvServerDSN = "PMO_TEST_CLICKHOUSE_DSN"

// ForEachEngine runs fn as subtests "chdb" and "server", each on a fresh,
// migrated database of its own. Without an engine the subtest skips with a
// message saying how to get it (make test does), or fails when CI=true.
func ForEachEngine(t *testing.T, fn func(t *testing.T, w *warehouse.Warehouse)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { fn(t, Open(t, e)) })
	}
}

// OnEngine runs fn as one subtest on the named engine, for tests whose
// subject does not depend on the engine (a page, a command's flow) once
// the numbers are held equal on both engines elsewhere (the KPI suite):
// CI time goes to what can differ.
func OnEngine(t *testing.T, engine string, fn func(t *testing.T, w *warehouse.Warehouse)) {
	t.Helper()
	t.Run(engine, func(t *testing.T) { fn(t, Open(t, engine)) })
}

var (
	chdbOnce sync.Once
	chdbDir  string
	chdbErr  error
)

// ChDBDSN returns the DSN of this process's chDB data directory. chDB allows
// one data directory per process, so every test of a binary shares it (and
// gets its own database from Open).
func ChDBDSN() (string, error) {
	chdbOnce.Do(func() {
		removeStaleDirs()
		chdbDir = filepath.Join(os.TempDir(), fmt.Sprintf("pmo-whtest-chdb-%d", os.Getpid()))
		_ = os.RemoveAll(chdbDir)
		chdbErr = os.MkdirAll(chdbDir, 0o700)
	})
	if chdbErr != nil {
		return "", chdbErr
	}
	return "chdb://" + chdbDir, nil
}

// removeStaleDirs removes the chDB directories of test processes that have
// ended (a running chDB must keep its directory, so each process leaves its
// own behind).
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pmo-whtest-chdb-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "pmo-whtest-chdb-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			_ = os.RemoveAll(d)
		}
	}
}

// Main runs a test binary's tests and ends the process with syscall.Exit.
// Use it in every package whose tests open chDB:
//
//	func TestMain(m *testing.M) { whtest.Main(m) }
//
// Under -race, os.Exit runs the race runtime's finaliser and with it C
// atexit handlers; chDB's stall for minutes there and then crash. Races are
// still reported: the testing package fails the test during which the
// detector found one.
func Main(m *testing.M) {
	code := m.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	syscall.Exit(code)
}

// Unavailable skips the test with msg, or fails it when CI=true.
func Unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: required)", msg)
	}
	t.Skip(msg)
}

// Tool returns the path of a program the test needs (prometheus, promtool,
// ...) or, when it is not on PATH, skips the test — fails it under CI=true.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, name+" not found on PATH: scripts/setup.sh installs it (make setup)")
	}
	return p
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// dbName makes a database name unique to the test.
func dbName(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return "t_" + strings.Trim(name, "_") + "_" + hex.EncodeToString(b)
}

// Open returns a fresh, migrated warehouse on engine "chdb" or "server",
// closed and its database dropped when the test ends. Options may adjust
// the warehouse options (batch size, flush interval, ...).
func Open(t testing.TB, engine string, options ...func(*warehouse.Options)) *warehouse.Warehouse {
	t.Helper()
	opts := warehouse.Options{Database: dbName(t), Logger: slog.New(slog.DiscardHandler)}
	switch engine {
	case "chdb":
		dsn, err := ChDBDSN()
		if err != nil {
			t.Fatalf("whtest: creating the chDB data directory: %v", err)
		}
		opts.DSN = dsn
	case "server":
		opts.DSN = os.Getenv(EnvServerDSN)
		if opts.DSN == "" {
			Unavailable(t, "whtest: no ClickHouse server: set "+EnvServerDSN+" (`make test` starts a throwaway one; by hand: eval $(scripts/clickhouse-test-server.sh start >/dev/null; scripts/clickhouse-test-server.sh env))")
		}
	default:
		t.Fatalf("whtest: unknown engine %q: use \"chdb\" or \"server\"", engine)
	}
	for _, o := range options {
		o(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := warehouse.Open(ctx, opts)
	if err != nil {
		if errors.Is(err, warehouse.ErrChDBMissing) {
			Unavailable(t, "whtest: "+err.Error())
		}
		t.Fatalf("whtest: opening the %s warehouse: %v", engine, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := w.Sink().Close(ctx); err != nil {
			t.Errorf("whtest: closing the sink: %v", err)
		}
		drop := "DROP DATABASE IF EXISTS " + w.Database()
		if w.Engine() == warehouse.EngineChDB {
			// Cancel background merges first: DROP waits for them. (DROP …
			// SYNC hangs under the race detector.)
			if err := stopMerges(ctx, w); err != nil {
				t.Logf("whtest: stopping merges in %s: %v", w.Database(), err)
			}
		}
		if err := w.Exec(ctx, drop); err != nil {
			t.Errorf("whtest: dropping test database %s: %v", w.Database(), err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("whtest: closing the warehouse: %v", err)
		}
	})
	if _, err := w.Migrate(ctx); err != nil {
		t.Fatalf("whtest: migrating the %s warehouse: %v", engine, err)
	}
	return w
}

func stopMerges(ctx context.Context, w *warehouse.Warehouse) error {
	rows, err := w.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND engine LIKE '%MergeTree%'", w.Database())
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, n)
	}
	rows.Close()
	for _, t := range tables {
		if err := w.Exec(ctx, "SYSTEM STOP MERGES "+w.Database()+".`"+t+"`"); err != nil {
			return err
		}
	}
	return rows.Err()
}
