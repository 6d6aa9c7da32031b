package redmine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
)

// TestClientAnswers checks how the client classifies Redmine's answers, that
// it retries what is transient, and that the key is sent in its header and
// never shows in an error.
func TestClientAnswers(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name     string
		answers  []func(w http.ResponseWriter) // one per attempt; the last repeats
		kind     string                        // "" = success
		contains []string
		attempts int64
	}{
		{"ok", []func(http.ResponseWriter){jsonBody(`{"issue_statuses":[]}`)}, "", nil, 1},
		{"401 bad key", []func(http.ResponseWriter){status(401, `{"errors":["x"]}`)}, collectors.KindAuth,
			[]string{"authentication failed for source rm", "HTTP 401", "auth.api_key"}, 1},
		{"404", []func(http.ResponseWriter){status(404, "")}, collectors.KindNotFound, []string{"HTTP 404", "check url"}, 1},
		{"422 with messages", []func(http.ResponseWriter){status(422, `{"errors":["Updated is invalid"]}`)}, collectors.KindBadRequest,
			[]string{"HTTP 422", "Updated is invalid"}, 1},
		{"HTML", []func(http.ResponseWriter){htmlBody}, collectors.KindBadResponse, []string{"got HTML", "REST API enabled"}, 1},
		{"503 then ok", []func(http.ResponseWriter){retryAfter0(503), retryAfter0(429), status(500, ""), jsonBody(`{}`)}, "", nil, 4},
		{"500 until the budget runs out", []func(http.ResponseWriter){status(500, "")}, collectors.KindTransient,
			[]string{"giving up after 3 attempts", "HTTP 500"}, 3},
		{"429 until the budget runs out", []func(http.ResponseWriter){retryAfter0(429)}, collectors.KindRateLimited,
			[]string{"giving up after 3 attempts", "HTTP 429"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("X-Redmine-API-Key"); got != key {
					t.Errorf("X-Redmine-API-Key = %q", got)
				}
				i := int(n.Add(1)) - 1
				tc.answers[min(i, len(tc.answers)-1)](w)
			}))
			defer srv.Close()
			cfg := NewConfig()
			cfg.URL, cfg.Auth.APIKey, cfg.Projects = srv.URL+"/redmine", key, []string{"p"}
			cfg.Retry = RetryConfig{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxElapsed: 5 * time.Second}
			if tc.attempts > 3 {
				cfg.Retry.MaxAttempts = int(tc.attempts)
			}
			cl, err := newClient("rm", cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			err = cl.get(context.Background(), "issue_statuses.json", &v)
			if got := collectors.ErrorKind(err); got != tc.kind {
				t.Fatalf("error %v of kind %q, want %q", err, got, tc.kind)
			}
			for _, c := range tc.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
			if err != nil && strings.Contains(err.Error(), key) {
				t.Errorf("the key shows in %q", err)
			}
			if n.Load() != tc.attempts || cl.requests.Load() != tc.attempts || cl.retries.Load() != tc.attempts-1 {
				t.Errorf("%d attempts, %d requests, %d retries; want %d attempts", n.Load(), cl.requests.Load(), cl.retries.Load(), tc.attempts)
			}
		})
	}
}

func jsonBody(body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

func status(code int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func retryAfter0(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(code)
	}
}

func htmlBody(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Login</body></html>")
}

// TestErrorsAre: the sentinel kinds are found with errors.Is.
func TestErrorsAre(t *testing.T) {
	e := &HTTPError{Status: 401, Kind: ErrAuth}
	if !errors.Is(e, ErrAuth) || errors.Is(e, ErrTransient) {
		t.Errorf("errors.Is on %v", e)
	}
}

// TestDue: a periodic step is due when its interval has passed since the
// cursor (whole seconds); an interval below a second is due on every run,
// also on a run that starts in the same second as the last (the live tests'
// ReconcileEvery of 1 ns once missed a deletion that way).
func TestDue(t *testing.T) {
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		cursor string // "" = none
		every  time.Duration
		want   bool
	}{
		{"no cursor", "", time.Hour, true},
		{"disabled", "", 0, false},
		{"same second, every run", start.Format(timeLayout), time.Nanosecond, true},
		{"same second, hourly", start.Format(timeLayout), time.Hour, false},
		{"an hour later", start.Add(-time.Hour).Format(timeLayout), time.Hour, true},
		{"unreadable cursor", "yesterday", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sink := collectortest.NewMemorySink()
			if tt.cursor != "" {
				if err := sink.SetCursor(ctx, "rm", cursorReconciled, tt.cursor); err != nil {
					t.Fatal(err)
				}
			}
			r := &run{c: &Collector{source: "rm"}, sink: sink, start: start}
			got, err := r.due(ctx, cursorReconciled, tt.every)
			if err != nil || got != tt.want {
				t.Errorf("due = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
