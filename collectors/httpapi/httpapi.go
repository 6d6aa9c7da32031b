// Package httpapi holds what the collectors' HTTP clients share: the error
// of a non-2xx answer and its kind (collectors.ErrorKind), the sentinel
// kinds, transient and bad-response errors, the server's Retry-After,
// URLs made safe to print, and the clock the retries wait on. Each
// collector keeps its own request loop (the trackers' SDKs differ); what
// an answer means is decided here once.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/pmo-oss/pmo/collectors"
)

// KindError is a sentinel error of one collectors error kind (a
// collector's ErrAuth, ErrRateLimited, ErrTransient): errors.Is finds it,
// collectors.ErrorKind reads its kind.
type KindError struct{ kind, msg string }

// NewKind returns a sentinel of kind (collectors.KindAuth, …) whose text
// is msg.
func NewKind(kind, msg string) error { return &KindError{kind, msg} }

func (e *KindError) Error() string     { return e.msg }
func (e *KindError) ErrorKind() string { return e.kind }

// Error is a non-2xx answer from a tracker. Its text never holds a
// credential: tokens travel in headers, the URL is printed through Redact,
// and an auth failure's body is dropped by the caller.
type Error struct {
	Source   string
	Method   string // "" is GET
	URL      string // through Redact
	Status   int
	Messages []string // the tracker's own messages, when it sent any
	Location string   // the new place of a moved resource (301)
	// Kind is a sentinel of NewKind (auth, rate limited, transient) or nil:
	// then the status decides (not found, bad request, bad response).
	Kind error
	// RetryAfter is what the server asked to wait (Retry-After, a rate
	// limit's reset), nil when it said nothing.
	RetryAfter *backoff.RetryAfterError
	// Hint says how to fix it (which config key to check).
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	method := e.Method
	if method == "" {
		method = http.MethodGet
	}
	if collectors.ErrorKind(e.Kind) == collectors.KindAuth {
		fmt.Fprintf(&b, "authentication failed for source %s (HTTP %d from %s %s)", e.Source, e.Status, method, e.URL)
	} else {
		fmt.Fprintf(&b, "HTTP %d from %s %s", e.Status, method, e.URL)
	}
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// ErrorKind classifies the answer for collectors.ErrorKind: the Kind's, or
// not_found (404, 410, a 301 away from the configured place), bad_request
// (another 4xx), bad_response.
func (e *Error) ErrorKind() string {
	var k *KindError
	if errors.As(e.Kind, &k) {
		return k.kind
	}
	switch {
	case e.Status == http.StatusNotFound || e.Status == http.StatusGone || e.Status == http.StatusMovedPermanently:
		return collectors.KindNotFound
	case e.Status >= 400 && e.Status < 500:
		return collectors.KindBadRequest
	}
	return collectors.KindBadResponse
}

// Unwrap lets errors.Is find the kind and errors.As the Retry-After.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.RetryAfter != nil {
		out = append(out, e.RetryAfter)
	}
	return out
}

// Wait is what the server asked to wait, 0 when it said nothing.
func (e *Error) Wait() time.Duration {
	if e.RetryAfter == nil {
		return 0
	}
	return e.RetryAfter.Duration
}

// TransientError is a network failure or a body cut short: worth a retry.
type TransientError struct {
	What string
	Err  error
	// Sentinel is the collector's ErrTransient (errors.Is finds it).
	Sentinel error
}

func (e *TransientError) Error() string     { return e.What + ": " + e.Err.Error() }
func (e *TransientError) ErrorKind() string { return collectors.KindTransient }
func (e *TransientError) Unwrap() []error   { return []error{e.Sentinel, e.Err} }

// BadResponse wraps an answer that is not what pmo asked for (not JSON,
// not the expected shape): not worth a retry.
func BadResponse(err error) error { return &BadResponseError{err} }

// BadResponseError is an answer pmo cannot read (BadResponse).
type BadResponseError struct{ Err error }

func (e *BadResponseError) Error() string     { return e.Err.Error() }
func (e *BadResponseError) Unwrap() error     { return e.Err }
func (e *BadResponseError) ErrorKind() string { return collectors.KindBadResponse }

// RetryAfter reads what the server asked to wait, relative to now:
// Retry-After (seconds or an HTTP date), else the first of resetHeaders
// present (a rate limit's reset: Unix seconds, as GitHub and GitLab send,
// or an ISO time, as Jira Cloud sends). nil when it said nothing; a time
// in the past gives 0 (callers never wait less than their backoff).
func RetryAfter(h http.Header, now time.Time, resetHeaders ...string) *backoff.RetryAfterError {
	wait := func(d time.Duration) *backoff.RetryAfterError { return &backoff.RetryAfterError{Duration: max(0, d)} }
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return wait(time.Duration(s) * time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return wait(t.Sub(now))
		}
	}
	for _, name := range resetHeaders {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return wait(time.Unix(s, 0).Sub(now))
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999Z0700"} {
			if t, err := time.Parse(layout, v); err == nil {
				return wait(t.Sub(now))
			}
		}
	}
	return nil
}

// secretParams are query parameters that carry a credential: Redact masks
// their values.
var secretParams = []string{"access_token", "private_token", "key", "api_key", "token"}

// Redact returns u safe for logs and errors: no user info, and the value
// of a credential query parameter replaced by <secret>.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		masked := false
		for _, p := range secretParams {
			if q.Has(p) {
				q.Set(p, "<secret>")
				masked = true
			}
		}
		if masked {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

// RedactPath is Redact of a path with its query, relative to a base URL.
func RedactPath(p string) string {
	u, err := url.Parse(p)
	if err != nil {
		return "<unparsable path>"
	}
	return Redact(u)
}

// TrimMessage keeps a tracker's message to one readable line's length.
func TrimMessage(m string) string {
	if len(m) > 300 {
		return m[:300] + "…"
	}
	return m
}

// Clock is the time source of the retries: RealClock, or a fake in tests
// that records the waits asked for instead of sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns the context's cause).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
