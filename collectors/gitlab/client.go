package gitlab

import (
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
	"github.com/hashicorp/go-retryablehttp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/time/rate"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
)

// HTTPError is a non-2xx answer from GitLab (httpapi.Error): its text names the
// source and the request without credentials, and how to fix it.
type HTTPError = httpapi.Error

// Error kinds callers can test with errors.Is; each also implements
// collectors.ErrorKinder.
var (
	// ErrRateLimited: GitLab kept answering 429 until the retry budget ran out.
	ErrRateLimited error = httpapi.NewKind(collectors.KindRateLimited, "rate limited by GitLab")
	// ErrAuth: GitLab refused the token (401) or the permission (403).
	ErrAuth error = httpapi.NewKind(collectors.KindAuth, "authentication failed")
	// ErrTransient: 5xx, a timeout or a body cut short, after the retries.
	ErrTransient error = httpapi.NewKind(collectors.KindTransient, "transient failure")
)

// client does every request of a source through client-go: its own retries
// are off, this one retries 429/5xx/timeouts with backoff and honours
// Retry-After and RateLimit-Reset.
type client struct {
	source  string
	gl      *gl.Client
	base    *url.URL // the instance URL (without /api/v4), for messages
	limiter *rate.Limiter
	timeout time.Duration
	retry   RetryConfig
	log     *slog.Logger
	clock   httpapi.Clock

	requests atomic.Int64
	retries  atomic.Int64
}

func newClient(source string, cfg *Config, log *slog.Logger) (*client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency + 4
	tr.MaxIdleConns = cfg.Concurrency + 4
	lim := rate.NewLimiter(rate.Inf, 1)
	if cfg.RequestsPerSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), max(1, int(math.Ceil(cfg.RequestsPerSecond))))
	}
	c, err := gl.NewClient(cfg.Auth.PrivateToken.Reveal(),
		gl.WithBaseURL(base.String()),
		gl.WithHTTPClient(&http.Client{Transport: tr}),
		gl.WithoutRetries(),
		// The limiter is ours (it runs before each attempt); client-go's own
		// would be configured from RateLimit-Limit on the first answer.
		gl.WithCustomLimiter(rate.NewLimiter(rate.Inf, 1)),
		gl.WithURLWarningLogger(log),
		gl.WithUserAgent("pmo-collector"),
	)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	return &client{source: source, gl: c, base: base, limiter: lim, timeout: cfg.Timeout, retry: cfg.Retry, log: log,
		clock: httpapi.RealClock{}}, nil
}

// page is where a list request continues.
type page struct {
	next     int64  // X-Next-Page (offset pagination), 0 at the end
	nextLink string // Link rel="next" (keyset pagination), "" at the end
	total    int64  // X-Total; 0 when GitLab leaves it out (past 10,000 rows)
}

// get requests path (relative to /api/v4, already escaped) with query and
// decodes the JSON answer into v, retrying transient failures.
func (c *client) get(ctx context.Context, path string, query url.Values, v any) (page, error) {
	return c.do(ctx, http.MethodGet, path, query, nil, v)
}

// graphQL posts a GraphQL query to /api/graphql and decodes the answer
// into v, with the same retries.
func (c *client) graphQL(ctx context.Context, query string, vars map[string]any, v any) error {
	_, err := c.do(ctx, http.MethodPost, graphQLPath, nil, map[string]any{"query": query, "variables": vars}, v)
	return err
}

// graphQLPath marks a request for /api/graphql (client-go builds every
// request under /api/v4).
const graphQLPath = "\x00graphql"

// do requests method path (relative to /api/v4, already escaped) with query
// and body and decodes the JSON answer into v, retrying transient failures.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body, v any) (page, error) {
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
		pg, err := c.once(ctx, method, path, query, body, v, timeout)
		if err == nil {
			return pg, nil
		}
		if ctx.Err() != nil {
			return page{}, context.Cause(ctx)
		}
		if !errors.Is(err, ErrTransient) && !errors.Is(err, ErrRateLimited) {
			return page{}, err
		}
		if attempt >= c.retry.MaxAttempts {
			if attempt == 1 {
				return page{}, err
			}
			return page{}, fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait := eb.NextBackOff()
		var he *HTTPError
		errors.As(err, &he)
		if he != nil && he.RetryAfter != nil && he.RetryAfter.Duration > wait {
			wait = he.RetryAfter.Duration
		}
		wait = min(wait, c.retry.MaxBackoff)
		if elapsed := c.clock.Now().Sub(start); elapsed+wait > c.retry.MaxElapsed {
			return page{}, fmt.Errorf("giving up after %d attempts in %s (waiting %s more would pass retry.max_elapsed %s): %w",
				attempt, elapsed.Round(time.Millisecond), wait.Round(time.Millisecond), c.retry.MaxElapsed, err)
		}
		status := 0
		if he != nil {
			status = he.Status
		}
		obs := collectors.ObserverFrom(ctx)
		obs.Retry(status, wait)
		if he != nil && he.Status == http.StatusTooManyRequests {
			obs.RateLimitWait(wait)
		}
		c.log.Debug("retrying GitLab request", "path", path, "wait", wait, "error", err.Error())
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return page{}, err
		}
	}
}

func (c *client) once(ctx context.Context, method, path string, query url.Values, body, v any, timeout time.Duration) (page, error) {
	obs := collectors.ObserverFrom(ctx)
	waitStart := time.Now()
	if err := c.limiter.Wait(ctx); err != nil {
		return page{}, err
	}
	if d := time.Since(waitStart); d > time.Millisecond {
		obs.RateLimitWait(d)
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := []gl.RequestOptionFunc{gl.WithContext(actx)}
	if query != nil {
		opts = append(opts, func(r *retryablehttp.Request) error { r.URL.RawQuery = query.Encode(); return nil })
	}
	reqPath := path
	if path == graphQLPath {
		reqPath = ""
	}
	req, err := c.gl.NewRequest(method, reqPath, body, opts)
	if err != nil {
		return page{}, fmt.Errorf("building request for %s: %w", path, err)
	}
	if path == graphQLPath {
		req.URL.Path = strings.TrimSuffix(strings.TrimSuffix(req.URL.Path, "/"), "/api/v4") + "/api/graphql"
		req.URL.RawPath = ""
	}
	where := httpapi.Redact(req.URL)
	c.requests.Add(1)
	start, status := time.Now(), 0
	defer func() { obs.Request(status, time.Since(start)) }()
	resp, err := c.gl.Do(req, v)
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	if err == nil {
		pg := page{next: resp.NextPage, nextLink: resp.NextLink, total: resp.TotalItems}
		return pg, nil
	}
	if ctx.Err() != nil {
		return page{}, context.Cause(ctx)
	}
	if resp != nil && resp.Response != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		return page{}, c.httpError(method, where, resp.Response, err)
	}
	// No (complete) answer: a network error, the attempt's timeout, or a
	// body cut short. Drop *url.Error's URL so only the redacted one shows.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		status = 0
		return page{}, &httpapi.TransientError{What: "answer of " + method + " " + where + " was cut short", Err: err, Sentinel: ErrTransient}
	case errors.As(err, &se) || errors.As(err, &te):
		return page{}, httpapi.BadResponse(fmt.Errorf("malformed JSON from %s %s (is url the GitLab base URL?): %w", method, where, err))
	}
	status = 0
	return page{}, &httpapi.TransientError{What: method + " " + where, Err: err, Sentinel: ErrTransient}
}

func (c *client) httpError(method, where string, resp *http.Response, err error) error {
	e := &HTTPError{Source: c.source, Method: method, URL: where, Status: resp.StatusCode}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Message != "" {
		e.Messages = []string{httpapi.TrimMessage(er.Message)}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Kind = ErrAuth
		e.Messages = nil
		e.Hint = "check auth.private_token (a token with the read_api scope that has not expired)"
	case resp.StatusCode == http.StatusForbidden:
		e.Kind, e.Messages = ErrAuth, nil
		e.Hint = "check that the token's user may read this project or group (at least the Reporter role)"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = httpapi.RetryAfter(resp.Header, c.clock.Now(), "RateLimit-Reset")
	case resp.StatusCode >= 500:
		e.Kind = ErrTransient
		e.RetryAfter = httpapi.RetryAfter(resp.Header, c.clock.Now(), "RateLimit-Reset")
	case resp.StatusCode == http.StatusNotFound:
		e.Hint = "check url (the GitLab base URL) and the project or group path, and that the token may see it"
	}
	return e
}
