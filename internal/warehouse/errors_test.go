package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// checkOneLine fails unless err is a one-line message containing every
// want and none of the secrets.
func checkOneLine(t *testing.T, err error, want []string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error has several lines:\n%s", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q leaks the secret %q", msg, s)
		}
	}
	t.Logf("error: %s", msg)
}

func TestOpenBadDSN(t *testing.T) {
	tests := []struct {
		name, dsn string
		want      []string
	}{
		{"unknown scheme", "postgres://u:hunter2@db:5432/pmo", []string{`unknown warehouse DSN scheme "postgres" in warehouse.dsn`, "clickhouse://", "chdb:///path"}},
		{"http", "http://u:hunter2@db:8123/pmo", []string{`"http"`, "native protocol", "clickhouse://"}},
		{"empty", "", []string{"warehouse.dsn is empty"}},
		{"no scheme", "db:9000", []string{"not a URL", "clickhouse://"}},
		{"bad port", "clickhouse://u:hunter2@db:port/pmo", []string{"not a valid URL", "u:<secret>@"}},
		{"bad database", "clickhouse://u:hunter2@db:9000/pmo-prod", []string{`database name "pmo-prod"`, "warehouse.database"}},
		{"empty chdb path", "chdb://", []string{"names no directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := warehouse.Open(context.Background(), warehouse.Options{DSN: tt.dsn})
			checkOneLine(t, err, tt.want, "hunter2")
		})
	}
}

func TestOpenUnreachableServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	_, err := warehouse.Open(ctx, warehouse.Options{DSN: "clickhouse://pmo:hunter2@127.0.0.1:1/pmo?dial_timeout=2s"})
	checkOneLine(t, err, []string{"127.0.0.1:1", "unreachable", "pmo:<secret>@", "check host and port"}, "hunter2")
}

func TestOpenWrongPassword(t *testing.T) {
	dsn := os.Getenv(whtest.EnvServerDSN)
	if dsn == "" {
		whtest.Unavailable(t, "no ClickHouse server: set "+whtest.EnvServerDSN+" (make test does)")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	real, _ := u.User.Password()
	u.User = url.UserPassword(u.User.Username(), "wrong-Pa55word")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = warehouse.Open(ctx, warehouse.Options{DSN: u.String()})
	checkOneLine(t, err, []string{"authentication failed", fmt.Sprintf("user %q", u.User.Username()), "<secret>", "check the user and password"}, "wrong-Pa55word", real)
}

// TestMissingChDBLibrary runs this test binary again without the library
// (chDB loads once per process) and checks the one-line error.
func TestMissingChDBLibrary(t *testing.T) {
	if os.Getenv("PMO_WH_MISSING_CHDB_CHILD") == "1" {
		_, err := warehouse.Open(context.Background(), warehouse.Options{DSN: "chdb://" + t.TempDir()})
		if err != nil {
			fmt.Fprintf(os.Stderr, "OPEN-ERROR: %v\n", err)
			if errors.Is(err, warehouse.ErrChDBMissing) {
				fmt.Fprintln(os.Stderr, "IS-MISSING")
			}
		}
		// A server DSN still works in a process without the library.
		_, err = warehouse.Open(context.Background(), warehouse.Options{DSN: "postgres://x"})
		fmt.Fprintf(os.Stderr, "OTHER: %v\n", err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMissingChDBLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), "PMO_WH_MISSING_CHDB_CHILD=1", "CHDB_LIB_PATH="+t.TempDir()+"/nowhere/libchdb.so")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var line string
	for _, l := range strings.Split(string(out), "\n") {
		if m, ok := strings.CutPrefix(l, "OPEN-ERROR: "); ok {
			line = m
		}
	}
	checkOneLine(t, errors.New(line), []string{"libchdb.so not found", "CHDB_LIB_PATH", "make setup", "scripts/setup.sh"})
	if !strings.Contains(string(out), "IS-MISSING") {
		t.Error("the error does not wrap warehouse.ErrChDBMissing")
	}
	if !strings.Contains(string(out), "unknown warehouse DSN scheme") {
		t.Errorf("the process without chDB did not keep working:\n%s", out)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"clickhouse://pmo:s3cr%40t@h:9000/db?secure=true": "clickhouse://pmo:<secret>@h:9000/db?secure=true",
		"clickhouse://pmo@h:9000/db":                      "clickhouse://pmo@h:9000/db",
		"clickhouse://h:9000/db?password=abc&x=1":         "clickhouse://h:9000/db?password=<secret>&x=1",
		"chdb:///var/lib/pmo":                             "chdb:///var/lib/pmo",
	} {
		if got := warehouse.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenTLSAgainstPlainServer checks that secure=true is honoured: the
// plaintext test server cannot complete a TLS handshake.
func TestOpenTLSAgainstPlainServer(t *testing.T) {
	dsn := os.Getenv(whtest.EnvServerDSN)
	if dsn == "" {
		whtest.Unavailable(t, "no ClickHouse server: set "+whtest.EnvServerDSN+" (make test does)")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	u.RawQuery = "secure=true&skip_verify=true&dial_timeout=3s"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = warehouse.Open(ctx, warehouse.Options{DSN: u.String()})
	checkOneLine(t, err, []string{"connecting to ClickHouse at " + u.Host, "<secret>", "TLS failed", "9440"}, pw)
}
