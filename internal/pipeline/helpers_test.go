package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/pmo-oss/pmo/collectors/all"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// sim starts a Jira simulator with n issues.
func sim(t *testing.T, n int) (*jirasim.Server, string) {
	t.Helper()
	s, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: n, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, base
}

// simSource configures the real Jira collector on the simulator, through
// the configuration loader as a user would.
func simSource(t *testing.T, name, base, schedule string) pipeline.Source {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/rest/api/2/project", nil)
	req.SetBasicAuth("sim@example.com", "sim-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct{ Key string }
	err = json.NewDecoder(resp.Body).Decode(&ps)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	yml := fmt.Sprintf("sources:\n  - name: %s\n    type: jira\n    url: %s\n    deployment: cloud\n    auth: {email: sim@example.com, api_token: sim-token}\n    projects: [%s]\n    retry: {max_attempts: 2, initial_backoff: 10ms, max_backoff: 50ms, max_elapsed: 2s}\n",
		name, base, strings.Join(keys, ", "))
	cfg, err := pipeline.ParseConfig([]byte(yml), "(test source)", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	srcs, err := pipeline.NewSource(s)
	if err != nil {
		t.Fatal(err)
	}
	srcs.Schedule = schedule
	return srcs
}

// events records what the pipeline did, in order.
type events struct {
	mu  sync.Mutex
	evs []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, s)
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.evs...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testLogger logs to the test output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// counts returns the reader counts of the warehouse.
func counts(t *testing.T, w *warehouse.Warehouse) map[string]uint64 {
	t.Helper()
	c, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get fetches a URL and returns status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// openKeepDB opens a fresh, migrated chDB warehouse like whtest.Open, but
// does not drop its database at the end: after a collection was cancelled
// half-way, DROP DATABASE on chDB 26.x hangs (reproduced with a plain
// Pipeline.Collect under a deadline; reported to the warehouse owner). The
// database lives in whtest's per-process temporary chDB folder.
func openKeepDB(t *testing.T, batchSize int) *warehouse.Warehouse {
	t.Helper()
	dsn, err := whtest.ChDBDSN()
	if err != nil {
		t.Fatal(err)
	}
	db := fmt.Sprintf("t_keep_%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: db, BatchSize: batchSize})
	if err != nil {
		if errors.Is(err, warehouse.ErrChDBMissing) {
			whtest.Unavailable(t, "pipeline: "+err.Error())
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := w.Sink().Close(ctx); err != nil {
			t.Errorf("closing the sink: %v", err)
		}
		_ = w.Close()
	})
	if _, err := w.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}
