package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoWholePipeline runs `pmo demo --no-serve` at small size: it
// collects, stores a KPI snapshot and a weekly history, writes the reports
// to the folder it names, and says where they are.
func TestDemoWholePipeline(t *testing.T) {
	echartsOrSkip(t)
	cfgPath, dsn, db := engineConfig(t, "chdb")
	out := filepath.Join(t.TempDir(), "reports")
	r := run(t, nil, "-c", cfgPath, "demo", "--issues", "200", "--no-serve", "--history-weeks", "3", "--out", out)
	t.Logf("demo:\n%s", r.stdout)
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, tail(r.stderr, 20))
	}
	for _, want := range []string{
		`KPI snapshot as of 2025-06-30: \d+ values for \d+ projects, \d+ programs, 1 sources and the portfolio`,
		`stored 3 KPI snapshots from 2025-06-09 to 2025-06-23 \(every 7 days\)`,
		`reports written to ` + regexp.QuoteMeta(out) + `\n  open file://.*/index.html`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("demo output does not match %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "current", "index.html")); err != nil {
		t.Errorf("no report: %v", err)
	}
	w := openEngine(t, "chdb", dsn, db)
	if n := countRows(t, w, "SELECT count(DISTINCT as_of) FROM v_kpi_values"); n != 4 {
		t.Errorf("%d KPI snapshots stored, want 4 (one and a 3-week history)", n)
	}
}

// TestDemoServes runs `pmo demo` with serving on a free loopback port,
// reads /metrics and /reports/index.html from the URLs it prints, and
// stops it as Ctrl-C does.
func TestDemoServes(t *testing.T) {
	echartsOrSkip(t)
	cfgPath, _, _ := engineConfig(t, "chdb")
	out := filepath.Join(t.TempDir(), "reports")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stdout, stderr syncBuffer
	a := &App{Stdout: &stdout, Stderr: &stderr, LookupEnv: func(string) (string, bool) { return "", false }, IsTerminal: func(io.Writer) bool { return false }}
	done := make(chan int, 1)
	go func() {
		done <- a.Run(ctx, []string{"-c", cfgPath, "demo", "--issues", "150", "--history-weeks", "1", "--out", out, "--listen", "127.0.0.1:0"})
	}()
	urlRE := regexp.MustCompile(`metrics  (http://127\.0\.0\.1:\d+)/metrics`)
	deadline := time.Now().Add(3 * time.Minute)
	var root string
	for root == "" {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			root = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("demo ended (exit %d) before serving:\n%s\n%s", code, stdout.String(), tail(stderr.String(), 20))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo did not print its URLs:\n%s", stdout.String())
		}
	}
	for _, want := range []string{"/reports/  (files in " + out + ")", "Stop it with Ctrl-C"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout.String())
		}
	}
	get := func(path, want string) {
		t.Helper()
		for {
			resp, err := http.Get(root + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.Contains(string(b), want) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: no 200 with %q (%v)", path, want, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	get("/metrics", "pmo_kpi_snapshot_timestamp_seconds")
	get("/reports/index.html", "<html")
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exit %d after Ctrl-C, want 0; log:\n%s", code, tail(stderr.String(), 20))
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("demo did not stop")
	}
}
