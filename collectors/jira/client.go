package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gojira "github.com/andygrunwald/go-jira"
	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"

	"github.com/pmo-oss/pmo/collectors"
)

// Error kinds callers can test with errors.Is; each also implements
// collectors.ErrorKinder, so code that knows no concrete collector finds the
// kind with collectors.ErrorKind.
var (
	// ErrRateLimited: the server kept answering 429 (or 503 with Retry-After)
	// until the retry budget ran out.
	ErrRateLimited error = &kindError{collectors.KindRateLimited, "rate limited by Jira"}
	// ErrAuth: the server refused the credentials (401) or the permission (403).
	ErrAuth error = &kindError{collectors.KindAuth, "authentication failed"}
	// ErrTransient: a failure that is worth retrying (5xx, timeout, a body cut
	// short); returned when the retry budget ran out.
	ErrTransient error = &kindError{collectors.KindTransient, "transient failure"}
)

// kindError is a sentinel error of one collectors error kind.
type kindError struct{ kind, msg string }

func (e *kindError) Error() string     { return e.msg }
func (e *kindError) ErrorKind() string { return e.kind }

// HTTPError is a non-2xx answer from Jira. Its message never contains
// credentials: the URL is stripped of user info and the body is reduced to
// Jira's error messages.
type HTTPError struct {
	Source   string
	Method   string
	URL      string // without credentials
	Status   int
	Messages []string // Jira's errorMessages / errors / message, when it sent any

	kind       error // ErrAuth, ErrRateLimited, ErrTransient or nil
	retryAfter *backoff.RetryAfterError
	hint       string
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	if e.kind == ErrAuth {
		fmt.Fprintf(&b, "authentication failed for source %s (HTTP %d from %s)", e.Source, e.Status, e.URL)
	} else {
		fmt.Fprintf(&b, "HTTP %d from %s %s", e.Status, e.Method, e.URL)
	}
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	if e.hint != "" {
		b.WriteString(": ")
		b.WriteString(e.hint)
	}
	return b.String()
}

// ErrorKind classifies the answer for collectors.ErrorKind: auth,
// rate_limited, transient, not_found, or bad_request for another 4xx.
func (e *HTTPError) ErrorKind() string {
	var k *kindError
	if errors.As(e.kind, &k) {
		return k.kind
	}
	switch {
	case e.Status == http.StatusNotFound || e.Status == http.StatusGone:
		return collectors.KindNotFound
	case e.Status >= 400 && e.Status < 500:
		return collectors.KindBadRequest
	}
	return collectors.KindBadResponse
}

// Unwrap lets errors.Is find the kind and errors.As the Retry-After.
func (e *HTTPError) Unwrap() []error {
	var out []error
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.retryAfter != nil {
		out = append(out, e.retryAfter)
	}
	return out
}

// transientError wraps a network failure or a body cut short.
type transientError struct {
	what string
	err  error
}

func (e *transientError) Error() string { return e.what + ": " + e.err.Error() }

// ErrorKind is transient: a network failure or a body cut short.
func (e *transientError) ErrorKind() string { return collectors.KindTransient }

// badResponseError is an answer that is not the JSON pmo asked for.
type badResponseError struct{ err error }

func (e *badResponseError) Error() string     { return e.err.Error() }
func (e *badResponseError) Unwrap() error     { return e.err }
func (e *badResponseError) ErrorKind() string { return collectors.KindBadResponse }
func (e *transientError) Unwrap() []error {
	return []error{ErrTransient, e.err}
}

// RetryConfig tunes the retries of one source.
type RetryConfig struct {
	// MaxAttempts per request, the first included (default 8).
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the first wait after a 5xx or timeout (default 500ms).
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps one wait, Retry-After included (default 60s). A wait
	// is never shorter than the exponential backoff, whatever Retry-After says.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxElapsed caps the total time of one request, its attempts and the
	// waits between them (default 10m).
	MaxElapsed time.Duration `yaml:"max_elapsed"`
}

// client does every HTTP request of a source: rate limit, per-attempt
// timeout, retries, error classification, JSON decoding.
type client struct {
	source  string
	jc      *gojira.Client
	base    *url.URL
	limiter *rate.Limiter
	timeout time.Duration
	retry   RetryConfig
	authKey string // the config key to blame on 401/403
	log     *slog.Logger
	clock   clock // realClock{} but in tests

	requests atomic.Int64
	retries  atomic.Int64
	// perEndpoint counts requests by endpoint name (for tests and stats)
	endpoints endpointCounts
}

type endpointCounts struct {
	search, other atomic.Int64
}

func newClient(source string, cfg *Config, log *slog.Logger) (*client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency + 4
	tr.MaxIdleConns = cfg.Concurrency + 4
	var rt http.RoundTripper = tr
	authKey := "auth"
	switch {
	case cfg.Auth.APIToken.IsSet():
		rt = &gojira.BasicAuthTransport{Username: cfg.Auth.Email, Password: cfg.Auth.APIToken.Reveal(), Transport: tr}
		authKey = "auth.email and auth.api_token"
	case cfg.Auth.PersonalAccessToken.IsSet():
		rt = &gojira.BearerAuthTransport{Token: cfg.Auth.PersonalAccessToken.Reveal(), Transport: tr}
		authKey = "auth.personal_access_token"
	case cfg.Auth.Password.IsSet():
		rt = &gojira.BasicAuthTransport{Username: cfg.Auth.Username, Password: cfg.Auth.Password.Reveal(), Transport: tr}
		authKey = "auth.username and auth.password"
	}
	jc, err := gojira.NewClient(&http.Client{Transport: rt}, base.String())
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	lim := rate.NewLimiter(rate.Inf, 1)
	if cfg.RequestsPerSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), max(1, int(math.Ceil(cfg.RequestsPerSecond))))
	}
	return &client{
		source: source, jc: jc, base: base, limiter: lim, timeout: cfg.Timeout,
		retry: cfg.Retry, authKey: authKey, log: log, clock: realClock{},
	}, nil
}

// redact returns u without user info, as a string safe for logs and errors.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	return c.String()
}

// getJSON requests path (relative to the base URL) and decodes the answer
// into v, retrying transient failures.
func (c *client) getJSON(ctx context.Context, path string, v any) error {
	return c.call(ctx, http.MethodGet, path, nil, v)
}

func (c *client) postJSON(ctx context.Context, path string, body, v any) error {
	return c.call(ctx, http.MethodPost, path, body, v)
}

// clock is the time source of the retries: the real one, or a fake in tests
// that records the waits asked for instead of sleeping.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns the context's cause).
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// call does method path with retries and decodes the JSON answer into v.
//
// The wait before a retry is the larger of the exponential backoff (with
// jitter, growing from retry.initial_backoff) and the server's Retry-After /
// X-RateLimit-Reset, capped by retry.max_backoff: a "Retry-After: 0" or a
// reset time in the past never makes the client retry at once. One request,
// attempts and waits together, never takes longer than retry.max_elapsed: the
// client gives up rather than start a wait that would pass it, and an attempt's
// timeout is cut to what is left of it.
func (c *client) call(ctx context.Context, method, path string, body, v any) error {
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = c.retry.InitialBackoff
	eb.MaxInterval = c.retry.MaxBackoff
	eb.Reset()
	start := c.clock.Now()
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			c.retries.Add(1)
		}
		timeout := c.timeout
		if left := c.retry.MaxElapsed - c.clock.Now().Sub(start); left < timeout {
			timeout = max(left, time.Millisecond)
		}
		err := c.once(ctx, method, path, body, v, timeout)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if !errors.Is(err, ErrTransient) && !errors.Is(err, ErrRateLimited) {
			return err
		}
		if attempt >= c.retry.MaxAttempts {
			if attempt == 1 {
				return err
			}
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait := eb.NextBackOff()
		var he *HTTPError
		errors.As(err, &he)
		if he != nil && he.retryAfter != nil && he.retryAfter.Duration > wait {
			wait = he.retryAfter.Duration
		}
		wait = min(wait, c.retry.MaxBackoff)
		if elapsed := c.clock.Now().Sub(start); elapsed+wait > c.retry.MaxElapsed {
			return fmt.Errorf("giving up after %d attempts in %s (waiting %s more would pass retry.max_elapsed %s): %w",
				attempt, elapsed.Round(time.Millisecond), wait.Round(time.Millisecond), c.retry.MaxElapsed, err)
		}
		status := 0
		if he != nil {
			status = he.Status
		}
		obs := collectors.ObserverFrom(ctx)
		obs.Retry(status, wait)
		if he != nil && (he.Status == http.StatusTooManyRequests || he.retryAfter != nil) {
			obs.RateLimitWait(wait)
		}
		c.log.Debug("retrying Jira request", "source", c.source, "method", method, "path", path, "wait", wait, "error", err.Error())
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// once makes one attempt.
func (c *client) once(ctx context.Context, method, path string, body, v any, timeout time.Duration) error {
	obs := collectors.ObserverFrom(ctx)
	waitStart := time.Now()
	if err := c.limiter.Wait(ctx); err != nil {
		return err
	}
	if d := time.Since(waitStart); d > time.Millisecond {
		obs.RateLimitWait(d) // the configured request rate held this request back
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := c.jc.NewRequestWithContext(actx, method, path, body)
	if err != nil {
		return fmt.Errorf("building request %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	where := redact(req.URL)
	c.requests.Add(1)
	if strings.Contains(path, "/search") {
		c.endpoints.search.Add(1)
	} else {
		c.endpoints.other.Add(1)
	}
	start, status := time.Now(), 0 // 0: no (complete) answer
	defer func() { obs.Request(status, time.Since(start)) }()
	resp, err := c.jc.Do(req, nil)
	if err != nil && (resp == nil || resp.Response == nil) {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		// Network error or per-attempt timeout: worth a retry. Strip the
		// URL from *url.Error so nothing but our redacted form shows.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &transientError{what: method + " " + where, err: err}
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(resp.Body)
	if rerr == nil {
		status = resp.StatusCode
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.httpError(method, where, resp.Response, data)
	}
	if rerr != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return &transientError{what: "reading answer of " + method + " " + where, err: rerr}
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") || errors.Is(err, io.ErrUnexpectedEOF) {
			return &transientError{what: "answer of " + method + " " + where + " was cut short", err: err}
		}
		if len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '<' {
			return &badResponseError{fmt.Errorf("malformed JSON from %s %s: got HTML (is url the Jira base URL?)", method, where)}
		}
		return &badResponseError{fmt.Errorf("malformed JSON from %s %s: %w", method, where, err)}
	}
	return nil
}

func (c *client) httpError(method, where string, resp *http.Response, body []byte) error {
	e := &HTTPError{Source: c.source, Method: method, URL: where, Status: resp.StatusCode, Messages: jiraMessages(body)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.kind = ErrAuth
		e.Messages = nil // auth bodies may echo the user; keep the line short
		e.hint = "check " + c.authKey + " and that the account may read this site"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
		e.retryAfter = retryAfter(resp.Header, c.clock.Now())
	case resp.StatusCode == http.StatusServiceUnavailable:
		e.kind = ErrTransient
		e.retryAfter = retryAfter(resp.Header, c.clock.Now())
	case resp.StatusCode >= 500:
		e.kind = ErrTransient
	case resp.StatusCode == http.StatusGone:
		e.hint = "this search endpoint was removed from Jira Cloud; set deployment: cloud (or auto) so /rest/api/3/search/jql is used"
	case resp.StatusCode == http.StatusNotFound:
		e.hint = "check url (the Jira base URL) and that the project or board exists"
	}
	return e
}

// retryAfter reads Retry-After (seconds or HTTP date) or X-RateLimit-Reset
// (ISO timestamp), relative to now. nil means the server said nothing. A date
// in the past gives 0; the caller never waits less than its backoff anyway.
func retryAfter(h http.Header, now time.Time) *backoff.RetryAfterError {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return &backoff.RetryAfterError{Duration: time.Duration(s) * time.Second}
		}
		if t, err := http.ParseTime(v); err == nil {
			return &backoff.RetryAfterError{Duration: max(0, t.Sub(now))}
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999Z0700"} {
			if t, err := time.Parse(layout, v); err == nil {
				return &backoff.RetryAfterError{Duration: max(0, t.Sub(now))}
			}
		}
	}
	return nil
}

// jiraMessages extracts the human messages of a Jira error body:
// {"errorMessages":[…],"errors":{k:v}} or Cloud's {"message":…}. HTML and
// other bodies give nothing (they would only add noise).
func jiraMessages(body []byte) []string {
	var eb struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	if json.Unmarshal(body, &eb) != nil {
		return nil
	}
	out := append([]string(nil), eb.ErrorMessages...)
	for k, v := range eb.Errors {
		out = append(out, k+": "+v)
	}
	if eb.Message != "" {
		out = append(out, eb.Message)
	}
	for i, m := range out {
		if len(m) > 300 {
			out[i] = m[:300] + "…"
		}
	}
	return out
}
