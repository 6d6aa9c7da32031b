package jira

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock records the waits the client asks for and moves its time by them,
// so retry tests assert the schedule without sleeping or reading the wall clock.
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

// TestRetryWaits pins the retry schedule: whatever Retry-After or
// X-RateLimit-Reset says (0, a date in the past), every wait is at least the
// exponential backoff's lower bound for its attempt and at most max_backoff,
// and one request gives up before its waits pass max_elapsed.
func TestRetryWaits(t *testing.T) {
	clockStart := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	past := clockStart.Add(-time.Hour)
	const initial, maxBackoff = 500 * time.Millisecond, 60 * time.Second
	tests := []struct {
		name        string
		header      map[string]string
		status      int
		maxAttempts int
		maxElapsed  time.Duration
		wantCalls   int
		wantKind    error
		wantInErr   string
		// wantWait, when set, is the exact wait wanted each time (the
		// server's own, larger than the backoff); else the backoff's bounds.
		wantWait time.Duration
	}{
		{name: "Retry-After 0", header: map[string]string{"Retry-After": "0"}, status: 429,
			maxAttempts: 8, maxElapsed: 10 * time.Minute, wantCalls: 8, wantKind: ErrRateLimited, wantInErr: "giving up after 8 attempts"},
		{name: "Retry-After date in the past", header: map[string]string{"Retry-After": past.Format(http.TimeFormat)}, status: 429,
			maxAttempts: 8, maxElapsed: 10 * time.Minute, wantCalls: 8, wantKind: ErrRateLimited},
		{name: "X-RateLimit-Reset in the past", header: map[string]string{"X-RateLimit-Reset": past.Format(time.RFC3339)}, status: 429,
			maxAttempts: 8, maxElapsed: 10 * time.Minute, wantCalls: 8, wantKind: ErrRateLimited},
		{name: "429 without a header", status: 429,
			maxAttempts: 8, maxElapsed: 10 * time.Minute, wantCalls: 8, wantKind: ErrRateLimited},
		{name: "503 with Retry-After 0", header: map[string]string{"Retry-After": "0"}, status: 503,
			maxAttempts: 6, maxElapsed: 10 * time.Minute, wantCalls: 6, wantKind: ErrTransient},
		{name: "Retry-After longer than the backoff is honoured", header: map[string]string{"Retry-After": "30"}, status: 429,
			maxAttempts: 4, maxElapsed: 10 * time.Minute, wantCalls: 4, wantKind: ErrRateLimited, wantWait: 30 * time.Second},
		{name: "Retry-After beyond max_backoff is capped", header: map[string]string{"Retry-After": "3600"}, status: 429,
			maxAttempts: 3, maxElapsed: 10 * time.Minute, wantCalls: 3, wantKind: ErrRateLimited, wantWait: maxBackoff},
		{name: "max_elapsed caps the request", header: map[string]string{"Retry-After": "30"}, status: 429,
			maxAttempts: 100, maxElapsed: 100 * time.Second, wantCalls: 4, wantKind: ErrRateLimited, wantWait: 30 * time.Second,
			wantInErr: "giving up after 4 attempts in 1m30s (waiting 30s more would pass retry.max_elapsed 1m40s)"},
		{name: "max_elapsed caps Retry-After 0 storms too", header: map[string]string{"Retry-After": "0"}, status: 429,
			maxAttempts: 1000, maxElapsed: 5 * time.Minute, wantKind: ErrRateLimited, wantInErr: "would pass retry.max_elapsed 5m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			cl, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
			})
			fc := &fakeClock{now: clockStart}
			cl.clock = fc
			cl.retry = RetryConfig{MaxAttempts: tc.maxAttempts, InitialBackoff: initial, MaxBackoff: maxBackoff, MaxElapsed: tc.maxElapsed}
			err := cl.getJSON(context.Background(), "rest/api/2/serverInfo", nil)
			if !errors.Is(err, tc.wantKind) {
				t.Fatalf("error %v is not %v", err, tc.wantKind)
			}
			if tc.wantInErr != "" && !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantInErr)
			}
			if tc.wantCalls > 0 && calls != tc.wantCalls {
				t.Errorf("%d requests, want %d", calls, tc.wantCalls)
			}
			if len(fc.waits) != calls-1 {
				t.Errorf("%d waits for %d requests, want one between each two", len(fc.waits), calls)
			}
			var total time.Duration
			interval := float64(initial) // the backoff's interval before jitter
			for i, w := range fc.waits {
				total += w
				if tc.wantWait > 0 {
					if w != tc.wantWait {
						t.Errorf("wait %d is %s, want %s", i+1, w, tc.wantWait)
						break
					}
					continue
				}
				// ExponentialBackOff's defaults: jitter ±50 %, ×1.5 per attempt.
				lo := time.Duration(0.5 * math.Min(interval, float64(maxBackoff)))
				hi := min(time.Duration(1.5*math.Min(interval, float64(maxBackoff)))+1, maxBackoff)
				if w < lo || w > hi {
					t.Errorf("wait %d is %s, want within the backoff's [%s, %s]", i+1, w, lo, hi)
					break
				}
				interval *= 1.5
			}
			if total > tc.maxElapsed {
				t.Errorf("the waits add up to %s, more than max_elapsed %s", total, tc.maxElapsed)
			}
		})
	}
}
