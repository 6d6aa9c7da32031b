package gitlab

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
)

// fakeClock records the waits the client asks for and moves its time by
// them, so retry tests assert the schedule without sleeping.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

const testToken = "glpat-s3cr3t-t0ken"

func testClient(t *testing.T, h http.HandlerFunc) (*client, *fakeClock) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := NewConfig()
	cfg.URL = srv.URL
	cfg.Auth.PrivateToken = testToken
	cfg.Projects = []string{"acme/app"}
	cfg.RequestsPerSecond = 0
	cfg.Retry = RetryConfig{MaxAttempts: 5, InitialBackoff: 500 * time.Millisecond, MaxBackoff: 60 * time.Second, MaxElapsed: 10 * time.Minute}
	c, err := newClient("gl", cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	c.clock = fc
	return c, fc
}

// TestClientAnswers pins how each kind of answer is retried and reported:
// 429 with Retry-After, with RateLimit-Reset and with no header at all,
// 5xx, HTML error pages, bodies that are not JSON, 401, 403 and 404.
func TestClientAnswers(t *testing.T) {
	clockStart := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		fail      func(w http.ResponseWriter) // the answer of the failing attempts
		failures  int                         // attempts that fail before one succeeds (-1: all)
		wantCalls int
		wantKind  string
		wantInErr []string
		wantWait  time.Duration // every wait, when set; else within the backoff's bounds
	}{
		{name: "429 Retry-After", failures: 2, wantCalls: 3, wantWait: 7 * time.Second, fail: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
		}},
		{name: "429 RateLimit-Reset", failures: 1, wantCalls: 2, wantWait: 30 * time.Second, fail: func(w http.ResponseWriter) {
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(clockStart.Add(30*time.Second).Unix(), 10))
			w.WriteHeader(429)
		}},
		{name: "429 without headers", failures: 3, wantCalls: 4, fail: func(w http.ResponseWriter) { w.WriteHeader(429) }},
		{name: "429 until the budget runs out", failures: -1, wantCalls: 5, wantKind: collectors.KindRateLimited,
			wantInErr: []string{"giving up after 5 attempts", "HTTP 429"}, fail: func(w http.ResponseWriter) { w.WriteHeader(429) }},
		{name: "500", failures: 2, wantCalls: 3, fail: func(w http.ResponseWriter) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"message":"500 Internal Server Error"}`))
		}},
		{name: "502 HTML", failures: 1, wantCalls: 2, fail: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>Bad Gateway</html>"))
		}},
		{name: "200 HTML", failures: -1, wantCalls: 1, wantKind: collectors.KindBadResponse, wantInErr: []string{"malformed JSON", "is url the GitLab base URL"},
			fail: func(w http.ResponseWriter) { _, _ = w.Write([]byte("<html>sign in</html>")) }},
		{name: "401", failures: -1, wantCalls: 1, wantKind: collectors.KindAuth,
			wantInErr: []string{"authentication failed for source gl", "HTTP 401", "auth.private_token"},
			fail: func(w http.ResponseWriter) {
				w.WriteHeader(401)
				_, _ = w.Write([]byte(`{"message":"401 Unauthorized"}`))
			}},
		{name: "403", failures: -1, wantCalls: 1, wantKind: collectors.KindAuth, wantInErr: []string{"HTTP 403", "Reporter"},
			fail: func(w http.ResponseWriter) { w.WriteHeader(403) }},
		{name: "404", failures: -1, wantCalls: 1, wantKind: collectors.KindNotFound, wantInErr: []string{"HTTP 404", "projects/acme%2Fapp", "check url"},
			fail: func(w http.ResponseWriter) {
				w.WriteHeader(404)
				_, _ = w.Write([]byte(`{"message":"404 Project Not Found"}`))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c, fc := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("PRIVATE-TOKEN") != testToken {
					t.Errorf("request without the token header")
				}
				n := calls.Add(1)
				if tc.failures < 0 || int(n) <= tc.failures {
					tc.fail(w)
					return
				}
				_, _ = w.Write([]byte(`{"id": 7, "path_with_namespace": "acme/app"}`))
			})
			var p wProject
			_, err := c.get(context.Background(), "projects/"+url.PathEscape("acme/app"), url.Values{}, &p)
			if int(calls.Load()) != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tc.wantCalls)
			}
			if tc.wantKind == "" {
				if err != nil || p.ID != 7 {
					t.Fatalf("got %v, %+v", err, p)
				}
			} else {
				if err == nil {
					t.Fatal("no error")
				}
				if k := collectors.ErrorKind(err); k != tc.wantKind {
					t.Errorf("kind %s, want %s (%v)", k, tc.wantKind, err)
				}
				for _, s := range tc.wantInErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("token in %q", err)
				}
			}
			if got := c.retries.Load(); got != int64(tc.wantCalls-1) {
				t.Errorf("%d retries counted, want %d", got, tc.wantCalls-1)
			}
			for i, w := range fc.waits {
				if tc.wantWait > 0 && w != tc.wantWait {
					t.Errorf("wait %d = %s, want %s", i, w, tc.wantWait)
				}
				// Never a retry at once, never longer than max_backoff.
				if w < 250*time.Millisecond || w > 60*time.Second {
					t.Errorf("wait %d = %s, outside [250ms, 60s]", i, w)
				}
			}
		})
	}
}

// TestClientMaxElapsed: a request gives up before its waits would pass
// retry.max_elapsed.
func TestClientMaxElapsed(t *testing.T) {
	c, fc := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "50")
		w.WriteHeader(429)
	})
	c.retry.MaxAttempts, c.retry.MaxElapsed = 100, 2*time.Minute
	_, err := c.get(context.Background(), "projects/1", url.Values{}, &wProject{})
	if err == nil || !strings.Contains(err.Error(), "retry.max_elapsed") || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v", err)
	}
	var total time.Duration
	for _, w := range fc.waits {
		total += w
	}
	if total > 2*time.Minute || len(fc.waits) != 2 {
		t.Errorf("waited %s in %d waits (%v), want 2 waits of 50s", total, len(fc.waits), fc.waits)
	}
}

// TestListWithoutTotals: past 10,000 rows GitLab leaves out X-Total and
// X-Total-Pages; the list is followed by X-Next-Page alone.
func TestListWithoutTotals(t *testing.T) {
	var pages []string
	c, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		pg := r.URL.Query().Get("page")
		pages = append(pages, pg)
		w.Header().Set("X-Page", pg)
		w.Header().Set("X-Per-Page", "2")
		n, _ := strconv.Atoi(pg)
		if n < 3 {
			w.Header().Set("X-Next-Page", strconv.Itoa(n+1))
		} else {
			w.Header().Set("X-Next-Page", "")
		}
		_, _ = w.Write([]byte(`[{"id": ` + strconv.Itoa(2*n) + `}, {"id": ` + strconv.Itoa(2*n+1) + `}]`))
	})
	cfg := NewConfig()
	cfg.PageSize = 2
	r := &run{c: &Collector{cfg: *cfg}, cl: c}
	var ids []int64
	err := listAll(context.Background(), r, "groups/acme/projects", url.Values{}, func(ws []wProject) error {
		for _, w := range ws {
			ids = append(ids, w.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pages, ",") != "1,2,3" || len(ids) != 6 {
		t.Errorf("pages %v, ids %v", pages, ids)
	}
}
