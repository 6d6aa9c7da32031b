package redmine

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

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"

	"github.com/pmo-oss/pmo/collectors"
)

// Error kinds callers can test with errors.Is; each implements
// collectors.ErrorKinder.
var (
	// ErrRateLimited: the server kept answering 429 (or 503 with Retry-After)
	// until the retry budget ran out.
	ErrRateLimited error = &kindError{collectors.KindRateLimited, "rate limited by Redmine"}
	// ErrAuth: the server refused the API key (401) or the permission (403).
	ErrAuth error = &kindError{collectors.KindAuth, "authentication failed"}
	// ErrTransient: a failure worth retrying (5xx, timeout, a body cut short),
	// returned when the retry budget ran out.
	ErrTransient error = &kindError{collectors.KindTransient, "transient failure"}
)

type kindError struct{ kind, msg string }

func (e *kindError) Error() string     { return e.msg }
func (e *kindError) ErrorKind() string { return e.kind }

// HTTPError is a non-2xx answer from Redmine. Its text never holds the API
// key: the key travels in a header, and the URL is printed without user info.
type HTTPError struct {
	Source   string
	Method   string
	URL      string
	Status   int
	Messages []string // Redmine's {"errors": [...]}

	kind       error
	retryAfter *backoff.RetryAfterError
	hint       string
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	if e.kind == ErrAuth {
		fmt.Fprintf(&b, "authentication failed for source %s (HTTP %d from %s %s)", e.Source, e.Status, e.Method, e.URL)
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

// ErrorKind classifies the answer for collectors.ErrorKind.
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

type transientError struct {
	what string
	err  error
}

func (e *transientError) Error() string     { return e.what + ": " + e.err.Error() }
func (e *transientError) ErrorKind() string { return collectors.KindTransient }
func (e *transientError) Unwrap() []error   { return []error{ErrTransient, e.err} }

type badResponseError struct{ err error }

func (e *badResponseError) Error() string     { return e.err.Error() }
func (e *badResponseError) Unwrap() error     { return e.err }
func (e *badResponseError) ErrorKind() string { return collectors.KindBadResponse }

// client does every HTTP request of a source: API key header, rate limit,
// per-attempt timeout, retries with backoff, error classification, JSON.
type client struct {
	source  string
	hc      *http.Client
	base    *url.URL
	key     string
	limiter *rate.Limiter
	timeout time.Duration
	retry   RetryConfig
	log     *slog.Logger

	requests atomic.Int64
	retries  atomic.Int64
	details  atomic.Int64 // issues/{id}.json requests (for tests and logs)
}

func newClient(source string, cfg *Config, log *slog.Logger) (*client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency + 4
	lim := rate.NewLimiter(rate.Inf, 1)
	if cfg.RequestsPerSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), max(1, int(math.Ceil(cfg.RequestsPerSecond))))
	}
	return &client{source: source, hc: &http.Client{Transport: tr}, base: base, key: cfg.Auth.APIKey.Reveal(),
		limiter: lim, timeout: cfg.Timeout, retry: cfg.Retry, log: log}, nil
}

// redact returns u without user info, safe for logs and errors.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// get requests path (relative to the base URL, with its query) and decodes
// the JSON answer into v, retrying transient failures.
//
// The wait before a retry is the larger of the exponential backoff (with
// jitter) and the server's Retry-After, capped by retry.max_backoff; one
// request with its attempts and waits never takes longer than
// retry.max_elapsed.
func (c *client) get(ctx context.Context, path string, v any) error {
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = c.retry.InitialBackoff
	eb.MaxInterval = c.retry.MaxBackoff
	eb.Reset()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			c.retries.Add(1)
		}
		timeout := c.timeout
		if left := c.retry.MaxElapsed - time.Since(start); left < timeout {
			timeout = max(left, time.Millisecond)
		}
		err := c.once(ctx, path, v, timeout)
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
		if elapsed := time.Since(start); elapsed+wait > c.retry.MaxElapsed {
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
		c.log.Debug("retrying Redmine request", "path", path, "wait", wait, "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		}
	}
}

func (c *client) once(ctx context.Context, path string, v any, timeout time.Duration) error {
	obs := collectors.ObserverFrom(ctx)
	waitStart := time.Now()
	if err := c.limiter.Wait(ctx); err != nil {
		return err
	}
	if d := time.Since(waitStart); d > time.Millisecond {
		obs.RateLimitWait(d)
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u, err := c.base.Parse(path)
	if err != nil {
		return fmt.Errorf("building request GET %s: %w", path, err)
	}
	where := redact(u)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("building request GET %s: %w", where, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Redmine-API-Key", c.key)
	c.requests.Add(1)
	if strings.HasPrefix(path, "issues/") {
		c.details.Add(1)
	}
	start, status := time.Now(), 0
	defer func() { obs.Request(status, time.Since(start)) }()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is printed redacted below
		}
		return &transientError{what: "GET " + where, err: err}
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(resp.Body)
	if rerr == nil {
		status = resp.StatusCode
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.httpError(where, resp, data)
	}
	if rerr != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return &transientError{what: "reading answer of GET " + where, err: rerr}
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") || errors.Is(err, io.ErrUnexpectedEOF) {
			return &transientError{what: "answer of GET " + where + " was cut short", err: err}
		}
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '<' {
			return &badResponseError{fmt.Errorf("malformed JSON from GET %s: got HTML (is url the Redmine base URL, and the REST API enabled in Administration → Settings → API?)", where)}
		}
		return &badResponseError{fmt.Errorf("malformed JSON from GET %s: %w", where, err)}
	}
	return nil
}

func (c *client) httpError(where string, resp *http.Response, body []byte) error {
	e := &HTTPError{Source: c.source, Method: http.MethodGet, URL: where, Status: resp.StatusCode, Messages: redmineMessages(body)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.kind = ErrAuth
		e.Messages = nil
		e.hint = "check auth.api_key, that the REST API is enabled (Administration → Settings → API) and that the account may see this project"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
		e.retryAfter = retryAfter(resp.Header)
	case resp.StatusCode == http.StatusServiceUnavailable:
		e.kind = ErrTransient
		e.retryAfter = retryAfter(resp.Header)
	case resp.StatusCode >= 500:
		e.kind = ErrTransient
	case resp.StatusCode == http.StatusNotFound:
		e.hint = "check url (the Redmine base URL) and that the project or issue exists"
	case resp.StatusCode == http.StatusUnprocessableEntity:
		e.hint = "Redmine refused the query"
	}
	return e
}

// retryAfter reads Retry-After (seconds or HTTP date); nil when absent.
func retryAfter(h http.Header) *backoff.RetryAfterError {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return nil
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return &backoff.RetryAfterError{Duration: time.Duration(s) * time.Second}
	}
	if t, err := http.ParseTime(v); err == nil {
		return &backoff.RetryAfterError{Duration: max(0, time.Until(t))}
	}
	return nil
}

// redmineMessages extracts {"errors": [...]} from an error body.
func redmineMessages(body []byte) []string {
	var eb struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &eb) != nil {
		return nil
	}
	for i, m := range eb.Errors {
		if len(m) > 300 {
			eb.Errors[i] = m[:300] + "…"
		}
	}
	return eb.Errors
}
