package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/pmo-oss/pmo/collectors/all"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with the given environment (nothing else of
// the real environment is visible to it).
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{
		Stdout:     &out,
		Stderr:     &errb,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		IsTerminal: func(io.Writer) bool { return false },
	}
	code := a.Run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// writeConfig writes a config file into a temp dir and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pmo.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// checkOneLineError checks that stderr is exactly one "pmo: ..." line that
// contains every want and none of the secrets, and that the code is right.
func checkOneLineError(t *testing.T, r result, code int, want []string, secrets []string) {
	t.Helper()
	t.Logf("exit %d, stderr: %s", r.code, r.stderr)
	if r.code != code {
		t.Errorf("exit code = %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	var errLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "pmo: ") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 {
		t.Errorf("want exactly one \"pmo: \" error line, got %d:\n%s", len(errLines), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	for _, s := range secrets {
		if strings.Contains(r.stderr+r.stdout, s) {
			t.Errorf("output shows the secret %q:\n%s", s, r.stderr)
		}
	}
	for _, bad := range []string{"goroutine ", "panic:", "Usage:"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("stderr has %q (a stack trace or usage dump):\n%s", bad, r.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "pmo ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("pmo version = %d %q %q", r.code, r.stdout, r.stderr)
	}
	var out bytes.Buffer
	a := &App{Stdout: &out, Stderr: &out, Build: BuildInfo{Version: "v1.2.3", Commit: "abc123", Date: "2026-01-02T03:04:05Z"}}
	if code := a.Run(context.Background(), []string{"version"}); code != 0 {
		t.Fatal(out.String())
	}
	for _, w := range []string{"pmo v1.2.3", "abc123", "2026-01-02T03:04:05Z"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("version output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestHelp checks that every command documents itself with examples and
// that the root help documents the exit codes.
func TestHelp(t *testing.T) {
	for _, cmd := range [][]string{{}, {"version"}, {"config"}, {"config", "check"}, {"migrate"}, {"status"}, {"collect"}, {"demo"}, {"kpi"}, {"kpi", "explain"}, {"serve"}, {"report"}, {"email"}} {
		r := run(t, nil, append(cmd, "--help")...)
		if r.code != 0 {
			t.Errorf("%v --help: exit %d", cmd, r.code)
		}
		if !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%v --help has no examples:\n%s", cmd, r.stdout)
		}
	}
	r := run(t, nil, "--help")
	for _, w := range []string{"Exit codes:", "130", "--config", "--log-level", "--log-format"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("pmo --help lacks %q", w)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"migrate", "--nope"}, "unknown flag: --nope"},
		{"unknown command", []string{"migrat"}, `unknown command "migrat" for "pmo"; did you mean migrate? (see pmo --help)`},
		{"extra argument", []string{"migrate", "now"}, `unknown command "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, tt.args...)
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			checkOneLineError(t, r, ExitUsage, want, nil)
		})
	}
	r := run(t, nil, "--log-level", "loud", "migrate", "-c", writeConfig(t, "warehouse: {dsn: 'chdb:///nonexistent'}\n"))
	checkOneLineError(t, r, ExitUsage, []string{`--log-level "loud" is not a log level`}, nil)
}

// TestConfigCheckGolden runs `pmo config check` on every file under
// testdata/configs and compares exit code and output with the golden file
// (go test -update rewrites them).
func TestConfigCheckGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "configs", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no testdata/configs/*.yaml")
	}
	env := map[string]string{"JIRA_TOKEN": "jira-token-value"}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			r := run(t, env, "config", "check", "--config", f)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
			for _, s := range []string{"jira-token-value", "hunter2"} {
				if strings.Contains(got, s) {
					t.Errorf("output shows secret %q", s)
				}
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestConfigFileResolution: --config beats $PMO_CONFIG beats ./pmo.yaml; a
// named file that does not exist is an error, a missing default is not
// (except for config check).
func TestConfigFileResolution(t *testing.T) {
	good := writeConfig(t, "log: {level: warn}\n")
	r := run(t, map[string]string{"PMO_CONFIG": good}, "config", "check")
	if r.code != 0 || !strings.Contains(r.stdout, good+": ok") {
		t.Errorf("PMO_CONFIG not used: %+v", r)
	}
	r = run(t, map[string]string{"PMO_CONFIG": "/nonexistent/pmo.yaml"}, "config", "check", "-c", good)
	if r.code != 0 {
		t.Errorf("--config does not beat PMO_CONFIG: %+v", r)
	}
	r = run(t, map[string]string{"PMO_CONFIG": "/nonexistent/pmo.yaml"}, "migrate")
	checkOneLineError(t, r, ExitUsage, []string{"/nonexistent/pmo.yaml: file not found", "--config"}, nil)
	r = run(t, nil, "config", "check") // no ./pmo.yaml in the package dir
	checkOneLineError(t, r, ExitUsage, []string{"pmo.yaml: file not found"}, nil)
}

func TestConfigCheckPrintHidesSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pat"), []byte("pat-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
warehouse:
  dsn: clickhouse://pmo:dsn-password@127.0.0.1:9000/pmo
sources:
  - name: cloud
    type: jira
    url: https://example.atlassian.net
    auth: {email: a@example.com, api_token: "${JIRA_TOKEN}"}
    projects: [ABC]
  - name: dc
    type: jira
    url: https://jira.example.com
    auth: {personal_access_token_file: %s}
    projects: [DEF]
serve:
  pushgateway: https://push:push-password@gw.example.com:9091?token=push-token
`, filepath.Join(dir, "pat")))
	r := run(t, map[string]string{"JIRA_TOKEN": "token-from-env"}, "config", "check", "--print", "-c", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range []string{"dsn-password", "token-from-env", "pat-from-file", "push-password", "push-token"} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("--print shows secret %q:\n%s", s, r.stdout)
		}
	}
	if strings.Count(r.stdout, "<secret>") < 5 {
		t.Errorf("want at least five <secret> in:\n%s", r.stdout)
	}
	// The effective serve and report defaults, not empty strings.
	for _, want := range []string{"listen: 127.0.0.1:9477", "default_schedule: '@hourly'", "time_zone: UTC", "shutdown_grace: 20s",
		"out: ./.pmo/reports", "history_weeks: 26", "https://push:<secret>@gw.example.com:9091?token=<secret>"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--print lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestUnreachableServer(t *testing.T) {
	addr := closedPort(t)
	cfg := writeConfig(t, fmt.Sprintf("warehouse:\n  dsn: clickhouse://pmo:s3cret-pw@%s/pmo?dial_timeout=2s\n", addr))
	for _, cmd := range []string{"migrate", "status"} {
		t.Run(cmd, func(t *testing.T) {
			r := run(t, nil, cmd, "-c", cfg)
			checkOneLineError(t, r, ExitWarehouse, []string{"cannot open the warehouse", addr}, []string{"s3cret-pw"})
		})
	}
}

func TestUnknownScheme(t *testing.T) {
	cfg := writeConfig(t, "warehouse:\n  dsn: postgres://u:pg-secret@localhost/pmo\n")
	for _, cmd := range []string{"migrate", "config"} {
		args := []string{cmd, "-c", cfg}
		if cmd == "config" {
			args = []string{"config", "check", "-c", cfg}
		}
		r := run(t, nil, args...)
		checkOneLineError(t, r, ExitUsage, []string{`warehouse.dsn: unknown scheme "postgres"`, "clickhouse://", "chdb://"}, []string{"pg-secret"})
	}
}

// TestMissingChDBLibrary runs the CLI in a fresh child process of this test
// binary: chDB loads once per process, so once another test has opened the
// embedded engine here, a missing library path could no longer be noticed.
func TestMissingChDBLibrary(t *testing.T) {
	if os.Getenv("PMO_CLI_MISSING_CHDB_CHILD") == "1" {
		missing := filepath.Join(t.TempDir(), "no", "libchdb.so")
		cfg := writeConfig(t, fmt.Sprintf("warehouse:\n  dsn: chdb://%s\n  chdb_library: %s\n", sharedChDBDir, missing))
		r := run(t, nil, "migrate", "-c", cfg)
		fmt.Fprintf(os.Stderr, "EXIT-CODE: %d\nSTDERR: %q\n", r.code, r.stderr)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMissingChDBLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), "PMO_CLI_MISSING_CHDB_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var r result
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "EXIT-CODE: "); ok {
			r.code, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "STDERR: "); ok {
			r.stderr, _ = strconv.Unquote(v)
		}
	}
	checkOneLineError(t, r, ExitWarehouse, []string{"cannot open the warehouse", "libchdb.so"}, nil)
	if !regexp.MustCompile(`setup|install`).MatchString(r.stderr) {
		t.Errorf("the error does not say how to get the library:\n%s", r.stderr)
	}
}
