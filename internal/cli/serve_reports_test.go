package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeReports: pmo serve writes the reports after its first KPI
// refresh and again on a fast report.schedule, serves them under
// /reports/, and emails a scheduled email.reports entry to a real SMTP
// server.
func TestServeReports(t *testing.T) {
	echartsOrSkip(t)
	cfgPath, _, _ := engineConfig(t, "chdb")
	if r := run(t, nil, "-c", cfgPath, "demo", "--issues", "150", "--no-serve", "--history-weeks", "0", "--out", t.TempDir()); r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
	}
	in, smtpAddr := startInbox(t)
	host, port, _ := net.SplitHostPort(smtpAddr)
	addr := closedPort(t)
	out := filepath.Join(t.TempDir(), "reports")
	base, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, string(base)+fmt.Sprintf("serve:\n  listen: %q\n  shutdown_grace: 1s\nreport:\n  out: %q\n  schedule: \"@every 1s\"\n"+
		"email:\n  host: %s\n  port: %s\n  tls: none\n  from: pmo@example.com\n  reports:\n    - name: board\n      to: [board@example.com]\n      schedule: \"@every 1s\"\n      attach: none\n",
		addr, out, host, port))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stderr syncBuffer
	a := &App{Stdout: io.Discard, Stderr: &stderr, LookupEnv: func(string) (string, bool) { return "", false }, IsTerminal: func(io.Writer) bool { return false }}
	done := make(chan int, 1)
	go func() { done <- a.Run(ctx, []string{"serve", "-c", cfg}) }()
	// Two publications (the first and a scheduled rewrite) and an email,
	// woken by the log and the inbox; then the page is served.
	waitFor(t, 3*time.Minute, "two report publications and a scheduled email", func() bool {
		in.mu.Lock()
		mails := len(in.msgs)
		in.mu.Unlock()
		return mails > 0 && strings.Count(stderr.String(), `"msg":"reports written"`) >= 2
	}, &stderr.changes, &in.changes)
	if resp, err := http.Get("http://" + addr + "/reports/index.html"); err != nil {
		t.Fatalf("GET /reports/index.html: %v; log:\n%s", err, tail(stderr.String(), 30))
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<html") {
			t.Fatalf("GET /reports/index.html: %d after two publications", resp.StatusCode)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "current", "index.html")); err != nil {
		t.Errorf("report.out: %v", err)
	}
	// Files someone puts into report.out are never replaced, removed or
	// served: two publications later (the first may have begun before
	// they were put there) they are still there.
	foreign := map[string]string{"keep.txt": "keep me", filepath.Join("sub", "notes.md"): "mine"}
	for name, body := range foreign {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(out, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	written := strings.Count(stderr.String(), `"msg":"reports written"`)
	// A publication takes a while under -race on a busy machine.
	waitFor(t, 6*time.Minute, "two more publications", func() bool {
		return strings.Count(stderr.String(), `"msg":"reports written"`) >= written+2
	}, &stderr.changes)
	for name, body := range foreign {
		if b, err := os.ReadFile(filepath.Join(out, name)); err != nil || string(b) != body {
			t.Errorf("report.out/%s after publishing: %q, %v; want it kept", name, b, err)
		}
	}
	for _, path := range []string{"/reports/keep.txt", "/reports/sub/notes.md", "/reports/sub/", "/reports/assets/", "/reports/.pmo-files", "/reports/../keep.txt"} {
		if resp, err := http.Get("http://" + addr + path); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404 (only the reports pmo wrote are served, no listings)", path, resp.StatusCode)
			}
		}
	}
	resp, err := http.Get("http://" + addr + "/")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `href="/reports/"`) {
			t.Errorf("the index page does not link /reports/:\n%s", b)
		}
	}
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d, want 0; log:\n%s", code, tail(stderr.String(), 20))
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
}
