package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

func TestServeUsageErrors(t *testing.T) {
	r := run(t, nil, "serve", "--listen", "nonsense")
	checkOneLineError(t, r, ExitUsage, []string{"--listen", "nonsense"}, nil)
	cfg := writeConfig(t, "serve:\n  default_schedule: every hour\n  pushgateway: ftp://u:s3cret@gw\n")
	r = run(t, nil, "serve", "-c", cfg)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "serve.default_schedule") || !strings.Contains(r.stderr, "serve.pushgateway") || strings.Contains(r.stderr, "s3cret") {
		t.Errorf("bad serve section: exit %d\n%s", r.code, r.stderr)
	}
}

func TestPushHelpers(t *testing.T) {
	var (
		mu    sync.Mutex
		paths []string
		body  strings.Builder
	)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		b, _ := io.ReadAll(r.Body)
		body.Write(b)
	}))
	defer gw.Close()
	a := &App{Stdout: io.Discard, Stderr: io.Discard, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg := pipeline.DefaultConfig()
	cfg.Serve.Pushgateway = gw.URL // the flag overrides it below
	stats := []collectors.Stats{{Source: "jira", Records: map[model.Kind]int64{model.KindIssue: 3}, Duration: time.Second}, {Source: "gh"}}
	if err := a.pushCollectRun(context.Background(), cfg, "", stats, []string{"gh"}, fmt.Errorf("boom")); err != nil {
		t.Fatal(err)
	}
	if err := a.pushKPIRun(context.Background(), cfg, gw.URL, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 2 || !strings.HasPrefix(paths[0], "PUT /metrics/job/pmo_collect/") || !strings.HasPrefix(paths[1], "PUT /metrics/job/pmo_kpi/") {
		t.Errorf("pushes: %v", paths)
	}
	for _, want := range []string{"pmo_source_runs_total", "jira", "gh", "failure", "pmo_kpi_refresh_last_success_timestamp_seconds"} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("pushed metrics lack %q", want)
		}
	}
	// No URL anywhere: nothing is pushed, no error.
	if err := a.pushKPIRun(context.Background(), pipeline.DefaultConfig(), "", time.Second, nil); err != nil {
		t.Error(err)
	}
	addPushgatewayFlag(a.serveCommand(), new(string))
}

// TestServeEndToEnd runs `pmo migrate` and `pmo serve --run-now` on the
// embedded engine with the simulator, waits for /readyz and the first
// collection on /metrics, then stops serve as SIGTERM does: exit 0.
func TestServeEndToEnd(t *testing.T) {
	cfgPath, dsn, db := engineConfig(t, "chdb")
	_ = cfgPath
	sim, err := jirasim.New(jirasim.Config{Issues: 150, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	addr := closedPort(t)
	cfg := writeConfig(t, fmt.Sprintf("warehouse:\n  dsn: %q\n  database: %s\n  chdb_library: %q\nserve:\n  listen: %q\n  shutdown_grace: 1s\nsources:\n  - name: sim\n    type: jira\n    schedule: \"@daily\"\n    url: %s\n    deployment: cloud\n    auth: {email: sim@example.com, api_token: \"${SIM_TOKEN}\"}\n    projects: [%s]\n",
		dsn, db, chdbLibrary(t), addr, base, strings.Join(sim.ProjectKeys(), ", ")))
	env := map[string]string{"SIM_TOKEN": "sim-token"}
	if r := run(t, env, "migrate", "-c", cfg); r.code != 0 {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	ctx, stop := context.WithCancel(context.Background())
	var stderr syncBuffer
	a := &App{Stdout: io.Discard, Stderr: &stderr, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		IsTerminal: func(io.Writer) bool { return false }}
	done := make(chan int, 1)
	go func() { done <- a.Run(ctx, []string{"serve", "-c", cfg, "--run-now"}) }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `pmo_source_runs_total{result="success",source="sim"} 1`) {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no successful collection on /metrics within 3 minutes; log:\n%s", tail(stderr.String(), 40))
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/readyz: %v %v", err, resp)
	}
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d after the signal, want 0; log:\n%s", code, tail(stderr.String(), 20))
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
	log := stderr.String()
	if !strings.Contains(log, `"msg":"shutting down"`) || strings.Contains(log, "sim-token") {
		t.Errorf("log (JSON when not a terminal, no secrets):\n%s", tail(log, 20))
	}
}

type syncBuffer struct {
	mu      sync.Mutex
	b       strings.Builder
	changes notifier // a write wakes waitFor
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	s.mu.Unlock()
	s.changes.changed()
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
