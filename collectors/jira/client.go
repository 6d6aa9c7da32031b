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
	"strings"
	"sync/atomic"
	"time"

	gojira "github.com/andygrunwald/go-jira"
	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
)

// HTTPError is a non-2xx answer from Jira (httpapi.Error): its text names the
// source and the request without credentials, and how to fix it.
type HTTPError = httpapi.Error

// Error kinds callers can test with errors.Is; each also implements
// collectors.ErrorKinder, so code that knows no concrete collector finds the
// kind with collectors.ErrorKind.
var (
	// ErrRateLimited: the server kept answering 429 (or 503 with Retry-After)
	// until the retry budget ran out.
	ErrRateLimited error = httpapi.NewKind(collectors.KindRateLimited, "rate limited by Jira")
	// ErrAuth: the server refused the credentials (401) or the permission (403).
	ErrAuth error = httpapi.NewKind(collectors.KindAuth, "authentication failed")
	// ErrTransient: a failure that is worth retrying (5xx, timeout, a body cut
	// short); returned when the retry budget ran out.
	ErrTransient error = httpapi.NewKind(collectors.KindTransient, "transient failure")
)

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
	clock   httpapi.Clock // httpapi.RealClock{} but in tests

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
		retry: cfg.Retry, authKey: authKey, log: log, clock: httpapi.RealClock{},
	}, nil
}

// getJSON requests path (relative to the base URL) and decodes the answer
// into v, retrying transient failures.
func (c *client) getJSON(ctx context.Context, path string, v any) error {
	return c.call(ctx, http.MethodGet, path, nil, v)
}

func (c *client) postJSON(ctx context.Context, path string, body, v any) error {
	return c.call(ctx, http.MethodPost, path, body, v)
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
		if he != nil && he.RetryAfter != nil && he.RetryAfter.Duration > wait {
			wait = he.RetryAfter.Duration
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
		if he != nil && (he.Status == http.StatusTooManyRequests || he.RetryAfter != nil) {
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
	where := httpapi.Redact(req.URL)
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
		return &httpapi.TransientError{What: method + " " + where, Err: err, Sentinel: ErrTransient}
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
		return &httpapi.TransientError{What: "reading answer of " + method + " " + where, Err: rerr, Sentinel: ErrTransient}
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") || errors.Is(err, io.ErrUnexpectedEOF) {
			return &httpapi.TransientError{What: "answer of " + method + " " + where + " was cut short", Err: err, Sentinel: ErrTransient}
		}
		if len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '<' {
			return httpapi.BadResponse(fmt.Errorf("malformed JSON from %s %s: got HTML (is url the Jira base URL?)", method, where))
		}
		return httpapi.BadResponse(fmt.Errorf("malformed JSON from %s %s: %w", method, where, err))
	}
	return nil
}

func (c *client) httpError(method, where string, resp *http.Response, body []byte) error {
	e := &HTTPError{Source: c.source, Method: method, URL: where, Status: resp.StatusCode, Messages: jiraMessages(body)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Kind = ErrAuth
		e.Messages = nil // auth bodies may echo the user; keep the line short
		e.Hint = "check " + c.authKey + " and that the account may read this site"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = httpapi.RetryAfter(resp.Header, c.clock.Now(), "X-RateLimit-Reset")
	case resp.StatusCode == http.StatusServiceUnavailable:
		e.Kind = ErrTransient
		e.RetryAfter = httpapi.RetryAfter(resp.Header, c.clock.Now(), "X-RateLimit-Reset")
	case resp.StatusCode >= 500:
		e.Kind = ErrTransient
	case resp.StatusCode == http.StatusGone:
		e.Hint = "this search endpoint was removed from Jira Cloud; set deployment: cloud (or auto) so /rest/api/3/search/jql is used"
	case resp.StatusCode == http.StatusNotFound:
		e.Hint = "check url (the Jira base URL) and that the project or board exists"
	}
	return e
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
