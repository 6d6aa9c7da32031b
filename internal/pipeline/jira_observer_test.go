package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// TestJiraObserverMetrics collects a simulator that answers 429 and 500 to
// some requests with the real Jira collector: every request is reported
// through collectors.Observer (none ends up as status "unknown"), retries
// are counted by status class and the 429s as rate-limit waits.
func TestJiraObserverMetrics(t *testing.T) {
	// The project keys, from a fault-free simulator of the same organisation.
	keys := strings.Join(simKeys(t, jirasim.Config{Mode: jirasim.Cloud, Issues: 120, Seed: 4}), ", ")
	s, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 120, Seed: 4,
		Faults: jirasim.Faults{Rate: 0.15, Kinds: []jirasim.FaultKind{jirasim.Fault429, jirasim.Fault500}, RetryAfter: 10 * time.Millisecond, Seed: 2}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	yml := fmt.Sprintf("sources:\n  - name: flaky\n    type: jira\n    url: %s\n    deployment: cloud\n    auth: {email: sim@example.com, api_token: sim-token}\n    projects: [%s]\n    retry: {max_attempts: 8, initial_backoff: 5ms, max_backoff: 20ms, max_elapsed: 20s}\n", base, keys)
	cfg, err := pipeline.ParseConfig([]byte(yml), "(test source)", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := pipeline.NewSource(cfg.Sources[0])
	if err != nil {
		t.Fatal(err)
	}
	w := openKeepDB(t, 0)
	p := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{src}, Logger: testLogger(t)}
	pipeline.NewServer(p, pipeline.ServeConfig{})
	st, err := p.Collect(context.Background(), "flaky", false)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Metrics
	get := func(class string) float64 { return testutil.ToFloat64(m.Requests.WithLabelValues("flaky", class)) }
	ok, c4, c5, unknown := get("2xx"), get("4xx"), get("5xx"), get("unknown")
	t.Logf("requests: stats %d; 2xx %v, 4xx %v, 5xx %v, unknown %v; retries %d", st.Requests, ok, c4, c5, unknown, st.Retries)
	if unknown != 0 || ok+c4+c5 != float64(st.Requests) {
		t.Errorf("requests by class 2xx %v + 4xx %v + 5xx %v (unknown %v), want all %d reported", ok, c4, c5, unknown, st.Requests)
	}
	if c4 == 0 || c5 == 0 {
		t.Errorf("no 429 or 500 observed (4xx %v, 5xx %v)", c4, c5)
	}
	r4 := testutil.ToFloat64(m.Retries.WithLabelValues("flaky", "4xx"))
	r5 := testutil.ToFloat64(m.Retries.WithLabelValues("flaky", "5xx"))
	// Every retry is reported with its status (a failed request of an
	// optional endpoint may be given up without one).
	if r4+r5 != float64(st.Retries) || r4 > c4 || r5 > c5 || r4+r5 == 0 {
		t.Errorf("retries 4xx %v, 5xx %v; want %d in all, at most one per failed request (%v, %v)", r4, r5, st.Retries, c4, c5)
	}
	if waits := testutil.ToFloat64(m.RateLimitWaits.WithLabelValues("flaky")); waits < r4 {
		t.Errorf("rate-limit waits %v, want at least one per retried 429 (%v)", waits, r4)
	}
}

// simKeys lists the project keys of a simulated organisation.
func simKeys(t *testing.T, c jirasim.Config) []string {
	t.Helper()
	s, err := jirasim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, base+"/rest/api/2/project", nil)
	req.SetBasicAuth("sim@example.com", "sim-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ps []struct{ Key string }
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}
