package jira

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/secret"
)

const testToken = "s3cr3t-T0KEN-value"

func testConfig(url string) *Config {
	c := NewConfig()
	c.URL = url
	c.Auth.Email = "sim@example.com"
	c.Auth.APIToken = secret.Secret(testToken)
	c.Projects = []string{"ABC"}
	c.RequestsPerSecond = 0
	c.Timeout = 2 * time.Second
	c.Retry = RetryConfig{MaxAttempts: 5, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxElapsed: 10 * time.Second}
	return c
}

// logBuffer collects log output to check that secrets never reach it.
type logBuffer struct{ strings.Builder }

func newTestClient(t *testing.T, h http.HandlerFunc) (*client, *logBuffer) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var lb logBuffer
	log := slog.New(slog.NewTextHandler(&lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cl, err := newClient("jira-test", testConfig(srv.URL), log)
	if err != nil {
		t.Fatal(err)
	}
	return cl, &lb
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(n int64, w http.ResponseWriter, r *http.Request)
		wantKind  error  // nil: success
		errKind   string // collectors.ErrorKind of the error ("" on success)
		wantCalls int64
		wantInErr []string
	}{
		{
			name: "ok",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"version":"1"}`)
			},
			wantCalls: 1,
		},
		{
			name: "401 is an auth error, not retried",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"message":"Client must be authenticated to access this resource.","status-code":401}`)
			},
			wantKind: ErrAuth, errKind: "auth", wantCalls: 1,
			wantInErr: []string{"authentication failed for source jira-test (HTTP 401 from", "check auth.email and auth.api_token"},
		},
		{
			name: "403 is an auth error",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(403)
			},
			wantKind: ErrAuth, errKind: "auth", wantCalls: 1,
		},
		{
			name: "400 is not retried and shows Jira's message",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"errorMessages":["Error in the JQL Query: bad"],"errors":{}}`)
			},
			errKind: "bad_request", wantCalls: 1, wantInErr: []string{"HTTP 400", "Error in the JQL Query: bad"},
		},
		{
			name: "410 says what to do",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(410)
				fmt.Fprint(w, `{"errorMessages":["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."],"errors":{}}`)
			},
			errKind: "not_found", wantCalls: 1, wantInErr: []string{"HTTP 410", "/rest/api/3/search/jql"},
		},
		{
			name: "429 with Retry-After 0 then ok",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				if n < 3 {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(429)
					return
				}
				fmt.Fprint(w, `{}`)
			},
			wantCalls: 3,
		},
		{
			name: "429 with X-RateLimit-Reset then ok",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("X-RateLimit-Reset", time.Now().Add(5*time.Millisecond).UTC().Format(time.RFC3339Nano))
					w.WriteHeader(429)
					return
				}
				fmt.Fprint(w, `{}`)
			},
			wantCalls: 2,
		},
		{
			name: "429 forever gives ErrRateLimited",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(429)
			},
			wantKind: ErrRateLimited, errKind: "rate_limited", wantCalls: 5, wantInErr: []string{"giving up after 5 attempts"},
		},
		{
			name: "500 and 503 are retried",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				switch n {
				case 1:
					w.WriteHeader(500)
				case 2:
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(503)
				default:
					fmt.Fprint(w, `{}`)
				}
			},
			wantCalls: 3,
		},
		{
			name: "502 forever gives ErrTransient",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(502)
				fmt.Fprint(w, `<html>bad gateway</html>`)
			},
			wantKind: ErrTransient, errKind: "transient", wantCalls: 5,
		},
		{
			name: "truncated body is retried",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Content-Length", "100")
					fmt.Fprint(w, `{"issues":[{"id":"1`)
					return // the server closes the connection short of Content-Length
				}
				fmt.Fprint(w, `{}`)
			},
			wantCalls: 2,
		},
		{
			name: "JSON cut short with a complete body is retried",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					fmt.Fprint(w, `{"issues":[{"id":"1`)
					return
				}
				fmt.Fprint(w, `{}`)
			},
			wantCalls: 2,
		},
		{
			name: "timeout is retried",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				fmt.Fprint(w, `{}`)
			},
			wantCalls: 2,
		},
		{
			name: "malformed JSON names the URL and is not retried",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"version": nope}`)
			},
			errKind: "bad_response", wantCalls: 1, wantInErr: []string{"malformed JSON from GET http://127.0.0.1", "/rest/api/2/serverInfo"},
		},
		{
			name: "HTML instead of JSON",
			handler: func(n int64, w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `<!DOCTYPE html><html></html>`)
			},
			errKind: "bad_response", wantCalls: 1, wantInErr: []string{"got HTML"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			cl, logs := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if u, p, ok := r.BasicAuth(); !ok || u != "sim@example.com" || p != testToken {
					t.Errorf("request without the configured basic auth")
				}
				tc.handler(n, w, r)
			})
			if tc.name == "timeout is retried" {
				cl.timeout = 100 * time.Millisecond
			}
			var v map[string]any
			err := cl.getJSON(context.Background(), "rest/api/2/serverInfo", &v)
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tc.wantCalls)
			}
			if tc.wantKind == nil && len(tc.wantInErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if cl.retries.Load() != tc.wantCalls-1 {
					t.Errorf("retries = %d, want %d", cl.retries.Load(), tc.wantCalls-1)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantKind != nil && !errors.Is(err, tc.wantKind) {
				t.Errorf("error %q is not %v", err, tc.wantKind)
			}
			if got := collectors.ErrorKind(fmt.Errorf("collecting: %w", err)); got != tc.errKind {
				t.Errorf("collectors.ErrorKind(%q) = %q, want %q", err, got, tc.errKind)
			}
			for _, s := range tc.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), logs.String()} {
				if strings.Contains(text, testToken) {
					t.Errorf("the token leaked: %s", text)
				}
			}
		})
	}
}

func TestClientCancel(t *testing.T) {
	cl, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	})
	cl.retry.MaxBackoff = time.Minute
	cl.retry.MaxElapsed = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := cl.getJSON(ctx, "rest/api/2/serverInfo", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s to notice the cancellation", d)
	}
}

func TestClientBearer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer pat-123" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := testConfig(srv.URL)
	c.Auth = Auth{PersonalAccessToken: "pat-123"}
	cl, err := newClient("dc", c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.getJSON(context.Background(), "rest/api/2/serverInfo", nil); err != nil {
		t.Fatal(err)
	}
}
