package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// sharedChDBDir is the one embedded-warehouse directory of this test
// process: chDB runs one data directory per process, so tests share it and
// each uses a database of its own.
var sharedChDBDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pmo-cli-chdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedChDBDir = filepath.Join(dir, "warehouse")
	// The directory stays: chDB keeps running until the process exits and
	// crashes if its data directory disappears under it. It holds only the
	// tests' databases, which they drop.
	code := m.Run()
	// Under -race, os.Exit runs the race runtime's finaliser, which runs C
	// atexit handlers; chDB's never return there once it has inserted data
	// (the test binary hangs after PASS, then segfaults). syscall.Exit ends
	// the process directly. Races are still reported: the testing package
	// fails a test during which the detector found one.
	syscall.Exit(code)
}

// needEngine skips the test (fails it when CI=true) for a missing engine.
func needEngine(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s", msg)
	}
	t.Skip(msg)
}

// chdbLibrary finds libchdb.so as the warehouse does without configuration:
// $CHDB_LIB_PATH, else .deps/chdb/libchdb.so upward from here.
func chdbLibrary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "libchdb.so")
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, ".deps", "chdb", "libchdb.so")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	needEngine(t, "the embedded engine needs libchdb.so: run scripts/setup.sh (make test does) to fetch it into .deps/chdb/")
	return ""
}

// serverDSN returns the test server's DSN.
func serverDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PMO_TEST_CLICKHOUSE_DSN")
	if dsn == "" {
		needEngine(t, "PMO_TEST_CLICKHOUSE_DSN is not set: run make test, or scripts/clickhouse-test-server.sh start and export the DSN it prints")
	}
	return dsn
}

func uniqueDB(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "pmo_cli_" + strings.ToLower(regexp.MustCompile(`\W`).ReplaceAllString(t.Name(), "_")) + "_" + hex.EncodeToString(b)
}

// engineConfig writes a config for a fresh database on engine ("chdb" or
// "server") and drops the database when the test ends.
func engineConfig(t *testing.T, engine string) (cfgPath, dsn, db string) {
	t.Helper()
	db = uniqueDB(t)
	opts := warehouse.Options{Database: db}
	switch engine {
	case "chdb":
		opts.ChDBLibrary = chdbLibrary(t)
		opts.DSN = "chdb://" + sharedChDBDir
	case "server":
		opts.DSN = serverDSN(t)
	}
	cfgPath = writeConfig(t, fmt.Sprintf("warehouse:\n  dsn: %q\n  database: %s\n  chdb_library: %q\n", opts.DSN, db, opts.ChDBLibrary))
	t.Cleanup(func() {
		ctx := context.Background()
		w, err := warehouse.Open(ctx, opts)
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer w.Close()
		if err := w.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`"); err != nil {
			t.Logf("cleanup: dropping %s: %v", db, err)
		}
	})
	return cfgPath, opts.DSN, db
}

// TestMigrateTwice runs `pmo migrate` twice against each engine: the first
// run applies every migration, the second changes nothing and says so;
// `pmo status` then shows the schema version and empty tables.
func TestMigrateTwice(t *testing.T) {
	for _, engine := range []string{"chdb", "server"} {
		t.Run(engine, func(t *testing.T) {
			cfg, _, db := engineConfig(t, engine)
			r := run(t, nil, "migrate", "-c", cfg)
			t.Logf("first migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			if r.code != 0 {
				t.Fatalf("first migrate: exit %d: %s", r.code, r.stderr)
			}
			m := regexp.MustCompile(`schema migrated from version 0 to (\d+)`).FindStringSubmatch(r.stdout)
			if m == nil || !strings.Contains(r.stdout, "applied 001_") {
				t.Fatalf("first migrate did not report its migrations:\n%s", r.stdout)
			}
			version := m[1]
			r = run(t, nil, "migrate", "-c", cfg)
			want := "schema is up to date at version " + version + ", nothing to do\n"
			if r.code != 0 || r.stdout != want {
				t.Errorf("second migrate: exit %d, stdout %q, want %q; stderr %s", r.code, r.stdout, want, r.stderr)
			}
			r = run(t, nil, "status", "-c", cfg)
			t.Logf("status:\n%s", r.stdout)
			if r.code != 0 {
				t.Fatalf("status: exit %d: %s", r.code, r.stderr)
			}
			for _, w := range []string{`schema version:\s+` + version + `\n`, `database:\s+` + db + `\n`, `\n  issues\s+0\n`, `\n  changes\s+0\n`, `cursors:\n  \(no sources configured\)`} {
				if !regexp.MustCompile(w).MatchString(r.stdout) {
					t.Errorf("status does not match %q", w)
				}
			}
		})
	}
}

// TestWrongPassword: the server refuses the password; the error says so in
// one line, exits 3 and shows neither the wrong nor the real password.
func TestWrongPassword(t *testing.T) {
	dsn := serverDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("PMO_TEST_CLICKHOUSE_DSN does not parse")
	}
	real, _ := u.User.Password()
	user := u.User.Username()
	u.User = url.UserPassword(user, "wrong-Pa55word")
	for _, tc := range []struct{ name, cfg string }{
		{"in the dsn", fmt.Sprintf("warehouse:\n  dsn: %q\n", u.String())},
		{"password key", fmt.Sprintf("warehouse:\n  dsn: %q\n  password: wrong-Pa55word\n", strings.Replace(u.String(), ":wrong-Pa55word@", "@", 1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, "migrate", "-c", writeConfig(t, tc.cfg))
			secrets := []string{"wrong-Pa55word"}
			if real != "" {
				secrets = append(secrets, real)
			}
			checkOneLineError(t, r, ExitWarehouse, []string{"cannot open the warehouse"}, secrets)
			if !regexp.MustCompile(`(?i)password|auth`).MatchString(r.stderr) {
				t.Errorf("the error does not say the credentials are wrong:\n%s", r.stderr)
			}
		})
	}
}
