package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/pmo-oss/pmo/collectors"
)

var (
	errAuth  = NewKind(collectors.KindAuth, "authentication failed")
	errLimit = NewKind(collectors.KindRateLimited, "rate limited by X")
	errTrans = NewKind(collectors.KindTransient, "transient failure")
)

func TestErrorTextAndKind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		e        Error
		text     string
		kind     string
		is       error
		waitWant time.Duration
	}{
		{"auth", Error{Source: "s", URL: "https://x/api", Status: 401, Kind: errAuth, Hint: "check auth.token"},
			"authentication failed for source s (HTTP 401 from GET https://x/api): check auth.token", collectors.KindAuth, errAuth, 0},
		{"not found", Error{Source: "s", Method: "POST", URL: "https://x/q", Status: 404, Messages: []string{"no such project", "really"}},
			"HTTP 404 from POST https://x/q: no such project; really", collectors.KindNotFound, nil, 0},
		{"gone", Error{URL: "u", Status: 410}, "HTTP 410 from GET u", collectors.KindNotFound, nil, 0},
		{"moved", Error{URL: "u", Status: 301, Location: "v"}, "HTTP 301 from GET u", collectors.KindNotFound, nil, 0},
		{"bad request", Error{URL: "u", Status: 400}, "HTTP 400 from GET u", collectors.KindBadRequest, nil, 0},
		{"rate limited", Error{URL: "u", Status: 429, Kind: errLimit, RetryAfter: &backoff.RetryAfterError{Duration: 3 * time.Second}},
			"HTTP 429 from GET u", collectors.KindRateLimited, errLimit, 3 * time.Second},
		{"5xx", Error{URL: "u", Status: 502, Kind: errTrans}, "HTTP 502 from GET u", collectors.KindTransient, errTrans, 0},
		{"odd 3xx", Error{URL: "u", Status: 302}, "HTTP 302 from GET u", collectors.KindBadResponse, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error = &tc.e
			if got := err.Error(); got != tc.text {
				t.Errorf("text %q, want %q", got, tc.text)
			}
			if got := collectors.ErrorKind(fmt.Errorf("wrapped: %w", err)); got != tc.kind {
				t.Errorf("kind %q, want %q", got, tc.kind)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) false", tc.is)
			}
			var ra *backoff.RetryAfterError
			if got := errors.As(err, &ra); got != (tc.waitWant > 0) || tc.e.Wait() != tc.waitWant {
				t.Errorf("Retry-After found %v, wait %v; want %v", got, tc.e.Wait(), tc.waitWant)
			}
		})
	}
}

func TestTransientAndBadResponse(t *testing.T) {
	cause := errors.New("connection reset")
	var err error = &TransientError{What: "GET u", Err: cause, Sentinel: errTrans}
	if err.Error() != "GET u: connection reset" || !errors.Is(err, errTrans) || !errors.Is(err, cause) || collectors.ErrorKind(err) != collectors.KindTransient {
		t.Errorf("transient: %v kind %s", err, collectors.ErrorKind(err))
	}
	err = BadResponse(cause)
	var be *BadResponseError
	if !errors.As(err, &be) || !errors.Is(err, cause) || collectors.ErrorKind(err) != collectors.KindBadResponse {
		t.Errorf("bad response: %v kind %s", err, collectors.ErrorKind(err))
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header http.Header
		reset  []string
		want   time.Duration // -1: nil
	}{
		{"nothing", http.Header{}, nil, -1},
		{"seconds", http.Header{"Retry-After": {"7"}}, nil, 7 * time.Second},
		{"http date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, nil, 90 * time.Second},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, nil, 0},
		{"unreadable", http.Header{"Retry-After": {"soon"}}, nil, -1},
		{"reset epoch (GitHub, GitLab)", http.Header{"Ratelimit-Reset": {fmt.Sprint(now.Add(time.Minute).Unix())}}, []string{"RateLimit-Reset"}, time.Minute},
		{"reset ISO (Jira Cloud)", http.Header{"X-Ratelimit-Reset": {now.Add(2 * time.Minute).Format(time.RFC3339)}}, []string{"X-RateLimit-Reset"}, 2 * time.Minute},
		{"reset not asked for", http.Header{"X-Ratelimit-Reset": {"1"}}, nil, -1},
		{"Retry-After wins", http.Header{"Retry-After": {"5"}, "X-Ratelimit-Reset": {"1"}}, []string{"X-RateLimit-Reset"}, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RetryAfter(tc.header, now, tc.reset...)
			switch {
			case tc.want < 0 && got != nil:
				t.Errorf("got %v, want nil", got.Duration)
			case tc.want >= 0 && (got == nil || got.Duration != tc.want):
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://bob:pw@jira.example/rest/api/2/search?jql=x", "https://jira.example/rest/api/2/search?jql=x"},
		{"https://api.github.example/repos/a/b?access_token=ghp_secret&page=2", "https://api.github.example/repos/a/b?access_token=%3Csecret%3E&page=2"},
		{"https://gitlab.example/api/v4/projects?private_token=glpat-x", "https://gitlab.example/api/v4/projects?private_token=%3Csecret%3E"},
		{"https://redmine.example/issues.json?key=abc&limit=100", "https://redmine.example/issues.json?key=%3Csecret%3E&limit=100"},
		{"https://x.example/a?b=c", "https://x.example/a?b=c"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Redact(u); got != tc.want {
			t.Errorf("Redact(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if Redact(nil) != "" || RedactPath("%zz") != "<unparsable path>" {
		t.Error("nil URL or unparsable path")
	}
}
