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
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
)

// HTTPError is a non-2xx answer from Redmine (httpapi.Error): its text names the
// source and the request without credentials, and how to fix it.
type HTTPError = httpapi.Error

// Error kinds callers can test with errors.Is; each implements
// collectors.ErrorKinder.
var (
	// ErrRateLimited: the server kept answering 429 (or 503 with Retry-After)
	// until the retry budget ran out.
	ErrRateLimited error = httpapi.NewKind(collectors.KindRateLimited, "rate limited by Redmine")
	// ErrAuth: the server refused the API key (401) or the permission (403).
	ErrAuth error = httpapi.NewKind(collectors.KindAuth, "authentication failed")
	// ErrTransient: a failure worth retrying (5xx, timeout, a body cut short),
	// returned when the retry budget ran out.
	ErrTransient error = httpapi.NewKind(collectors.KindTransient, "transient failure")
)

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
		if he != nil && he.RetryAfter != nil && he.RetryAfter.Duration > wait {
			wait = he.RetryAfter.Duration
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
		if he != nil && (he.Status == http.StatusTooManyRequests || he.RetryAfter != nil) {
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
	where := httpapi.Redact(u)
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
		return &httpapi.TransientError{What: "GET " + where, Err: err, Sentinel: ErrTransient}
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
		return &httpapi.TransientError{What: "reading answer of GET " + where, Err: rerr, Sentinel: ErrTransient}
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") || errors.Is(err, io.ErrUnexpectedEOF) {
			return &httpapi.TransientError{What: "answer of GET " + where + " was cut short", Err: err, Sentinel: ErrTransient}
		}
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '<' {
			return httpapi.BadResponse(fmt.Errorf("malformed JSON from GET %s: got HTML (is url the Redmine base URL, and the REST API enabled in Administration → Settings → API?)", where))
		}
		return httpapi.BadResponse(fmt.Errorf("malformed JSON from GET %s: %w", where, err))
	}
	return nil
}

func (c *client) httpError(where string, resp *http.Response, body []byte) error {
	e := &HTTPError{Source: c.source, Method: http.MethodGet, URL: where, Status: resp.StatusCode, Messages: redmineMessages(body)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Kind = ErrAuth
		e.Messages = nil
		e.Hint = "check auth.api_key, that the REST API is enabled (Administration → Settings → API) and that the account may see this project"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = httpapi.RetryAfter(resp.Header, time.Now())
	case resp.StatusCode == http.StatusServiceUnavailable:
		e.Kind = ErrTransient
		e.RetryAfter = httpapi.RetryAfter(resp.Header, time.Now())
	case resp.StatusCode >= 500:
		e.Kind = ErrTransient
	case resp.StatusCode == http.StatusNotFound:
		e.Hint = "check url (the Redmine base URL) and that the project or issue exists"
	case resp.StatusCode == http.StatusUnprocessableEntity:
		e.Hint = "Redmine refused the query"
	}
	return e
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
