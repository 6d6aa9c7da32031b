package github

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
)

// fakeClock records the waits asked for instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return time.Now() }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return ctx.Err()
}

func testConfig(base string) *Config {
	cfg := NewConfig()
	cfg.URL = base
	cfg.Token = secret.Secret("tok-SECRET")
	cfg.Repositories = []string{"octo-org/api"}
	cfg.Timeout = 2 * time.Second
	cfg.Retry.MaxAttempts = 4
	return cfg
}

// TestRetries answers one request with a scripted sequence and checks
// what the client waited and what it returned.
func TestRetries(t *testing.T) {
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	reset := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	ok := answer{200, nil, `{"id": 1}`}
	primary := func(d time.Duration) answer {
		return answer{403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(d)},
			`{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`}
	}
	tests := []struct {
		name     string
		answers  []answer
		wantKind string        // "" = success
		minWait  time.Duration // of the first wait
		maxWait  time.Duration
		calls    int
	}{
		{"primary limit waits for the reset", []answer{primary(30 * time.Second), ok}, "", 29 * time.Second, 32 * time.Second, 2},
		{"primary limit as 429", []answer{{429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(20 * time.Second)}, `{"message":"rate"}`}, ok},
			"", 19 * time.Second, 22 * time.Second, 2},
		{"primary limit past max_rate_limit_wait fails at once", []answer{primary(2 * time.Hour)}, collectors.KindRateLimited, 0, 0, 1},
		{"secondary limit honours retry-after", []answer{{403, map[string]string{"Retry-After": "7"},
			`{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}, ok},
			"", 7 * time.Second, 7 * time.Second, 2},
		{"secondary limit without retry-after waits a minute", []answer{{429, nil,
			`{"message":"secondary","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}, ok},
			"", time.Minute, time.Minute, 2},
		{"403 with retry-after is a secondary limit", []answer{{403, map[string]string{"Retry-After": "5"}, `{"message":"You have triggered an abuse detection mechanism."}`}, ok},
			"", 5 * time.Second, 5 * time.Second, 2},
		{"429 with retry-after", []answer{{429, map[string]string{"Retry-After": "3"}, `{"message":"slow down"}`}, ok}, "", 3 * time.Second, 3 * time.Second, 2},
		{"5xx retried with backoff", []answer{{502, nil, `{"message":"Server Error"}`}, {500, nil, ""}, ok}, "", 500 * time.Millisecond, 1500 * time.Millisecond, 3},
		{"5xx until the attempts run out", []answer{{500, nil, ""}, {500, nil, ""}, {500, nil, ""}, {500, nil, ""}}, collectors.KindTransient, 0, 2 * time.Second, 4},
		{"body cut short is retried", []answer{{200, map[string]string{"Content-Length": "100"}, `{"id":`}, ok}, "", 500 * time.Millisecond, 1500 * time.Millisecond, 2},
		{"403 without a rate limit is auth", []answer{{403, nil, `{"message":"Resource not accessible by personal access token"}`}}, collectors.KindAuth, 0, 0, 1},
		{"401 is auth", []answer{{401, nil, `{"message":"Bad credentials"}`}}, collectors.KindAuth, 0, 0, 1},
		{"404 is not found", []answer{{404, nil, `{"message":"Not Found"}`}}, collectors.KindNotFound, 0, 0, 1},
		{"HTML is a bad response", []answer{{200, nil, `<html>login</html>`}}, collectors.KindBadResponse, 0, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-GitHub-Api-Version") != APIVersion || r.Header.Get("Authorization") != "Bearer tok-SECRET" {
					t.Errorf("request headers: version %q, authorization present %v", r.Header.Get("X-GitHub-Api-Version"), r.Header.Get("Authorization") != "")
				}
				n := int(calls.Add(1)) - 1
				a := tc.answers[min(n, len(tc.answers)-1)]
				for k, v := range a.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(a.status)
				fmt.Fprint(w, a.body)
			}))
			defer srv.Close()
			cfg := testConfig(srv.URL + "/api/v3")
			cfg.Retry.InitialBackoff = time.Second
			cl, err := newClient("gh", cfg, testLog())
			if err != nil {
				t.Fatal(err)
			}
			fc := &fakeClock{}
			cl.clock = fc
			var v map[string]any
			_, err = cl.get(context.Background(), "repos/octo-org/api", "", &v)
			if got := collectors.ErrorKind(err); got != tc.wantKind {
				t.Fatalf("error kind %q (%v), want %q", got, err, tc.wantKind)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("token in error: %v", err)
			}
			if int(calls.Load()) != tc.calls {
				t.Errorf("%d requests, want %d", calls.Load(), tc.calls)
			}
			if tc.maxWait > 0 {
				if len(fc.waits) == 0 {
					t.Fatalf("no wait, want %s..%s", tc.minWait, tc.maxWait)
				}
				if w := fc.waits[0]; w < tc.minWait || w > tc.maxWait {
					t.Errorf("first wait %s, want %s..%s", w, tc.minWait, tc.maxWait)
				}
			} else if len(fc.waits) > 0 {
				t.Errorf("waited %v, want no wait", fc.waits)
			}
		})
	}
}

// TestFaults collects the same simulated data without and with 20 %
// faulty answers (rate limits, 5xx, bodies cut short, hangs): the records
// must be identical.
func TestFaults(t *testing.T) {
	sim := githubsim.New(githubsim.Config{Repos: []string{"octo-org/api", "octo-org/web"}, Issues: 25, Seed: 11, HangFor: time.Second})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Token = "sim-token"
	cfg.Repositories = []string{"octo-org/api", "octo-org/web"}
	cfg.PageSize = 7
	cfg.Timeout = 150 * time.Millisecond
	cfg.Retry.MaxAttempts = 12
	var logs bytes.Buffer // every log line, debug included: no token may show
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	run := func() (*collectortest.MemorySink, collectors.Stats) {
		c, err := New("gh", cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.clock = &fakeClock{}
		sink := collectortest.NewMemorySink()
		st, err := c.Collect(context.Background(), sink, collectors.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		return sink, st
	}
	clean, _ := run()
	sim.SetFaultRate(0.2)
	sim.ResetStats()
	faulty, st := run()
	ss := sim.Stats()
	t.Logf("with faults: %d requests, %d faults, %d retries", st.Requests, ss.Faults, st.Retries)
	if ss.Faults < 5 || st.Retries < ss.Faults {
		t.Errorf("%d faults injected, %d retries: want some faults, each retried", ss.Faults, st.Retries)
	}
	want, got := clean.DigestByKind(), faulty.DigestByKind()
	for _, k := range model.Kinds {
		if want[k] != got[k] {
			t.Errorf("%s differ between the clean and the faulty run", k)
		}
	}
	if len(clean.Records(model.KindChange)) == 0 {
		t.Fatal("no changes collected")
	}
	if !strings.Contains(logs.String(), "retrying GitHub request") || strings.Contains(logs.String(), "sim-token") {
		t.Errorf("the debug log shows no retry, or shows the token (%d bytes)", logs.Len())
	}
}

func testLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
