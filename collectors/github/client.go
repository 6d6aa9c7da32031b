package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/cenkalti/backoff/v5"
	gh "github.com/google/go-github/v93/github"
	"github.com/shurcooL/githubv4"

	"github.com/pmo-oss/pmo/collectors"
)

// APIVersion is the REST API version pmo asks for (X-GitHub-Api-Version);
// the answers' shapes the collector reads are those of this version.
const APIVersion = "2022-11-28"

// Error kinds callers can test with errors.Is; each implements
// collectors.ErrorKinder.
var (
	// ErrRateLimited: GitHub kept refusing with a primary or secondary rate
	// limit until the retry budget (or retry.max_rate_limit_wait) ran out.
	ErrRateLimited error = &kindError{collectors.KindRateLimited, "rate limited by GitHub"}
	// ErrAuth: the token was refused (401) or lacks a permission (403).
	ErrAuth error = &kindError{collectors.KindAuth, "authentication failed"}
	// ErrTransient: 5xx, a timeout or a connection or body cut short, after
	// the retries.
	ErrTransient error = &kindError{collectors.KindTransient, "transient failure"}
)

type kindError struct{ kind, msg string }

func (e *kindError) Error() string     { return e.msg }
func (e *kindError) ErrorKind() string { return e.kind }

// HTTPError is a non-2xx answer. Its text names the source, the request
// (without credentials: the token travels in a header, never in the URL)
// and GitHub's message.
type HTTPError struct {
	Source   string
	URL      string
	Status   int
	Message  string
	Location string // the new place of a moved resource (301)
	Method   string // "" is GET

	kind error
	wait time.Duration // what GitHub asked to wait (Retry-After, x-ratelimit-reset), 0 if nothing
	hint string
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	method := e.Method
	if method == "" {
		method = http.MethodGet
	}
	if e.kind == ErrAuth {
		fmt.Fprintf(&b, "authentication failed for source %s (HTTP %d from %s %s)", e.Source, e.Status, method, e.URL)
	} else {
		fmt.Fprintf(&b, "HTTP %d from %s %s", e.Status, method, e.URL)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.hint != "" {
		b.WriteString(": " + e.hint)
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
	case e.Status == http.StatusNotFound || e.Status == http.StatusGone || e.Status == http.StatusMovedPermanently:
		return collectors.KindNotFound
	case e.Status >= 400 && e.Status < 500:
		return collectors.KindBadRequest
	}
	return collectors.KindBadResponse
}

// Unwrap lets errors.Is find the kind.
func (e *HTTPError) Unwrap() error { return e.kind }

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

// clock is the time source of the retries; tests replace it to record the
// waits instead of sleeping.
type clock interface {
	Now() time.Time
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

// client does the HTTP requests of one source through go-github: the
// token, the pinned API version, conditional requests, retries and error
// classification.
type client struct {
	source  string
	gh      *gh.Client
	timeout time.Duration
	retry   RetryConfig
	log     *slog.Logger
	clock   clock
	authKey string // the config keys to blame on 401/403
	gql     *githubv4.Client
	gqlURL  string

	requests    atomic.Int64
	retries     atomic.Int64
	notModified atomic.Int64
}

func newClient(source string, cfg *Config, log *slog.Logger) (*client, error) {
	base, err := cfg.apiBase()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency + 4
	hc := &http.Client{
		Transport: tr,
		// A moved (transferred) issue answers 301; the collector wants to
		// see that rather than silently read the issue in its new place.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	opts := []gh.ClientOptionsFunc{gh.WithUserAgent("pmo-collector"),
		// Rate limits are handled here (waits the tests can fake, errors
		// that name the source), not by go-github's pre-emptive check.
		gh.WithDisableRateLimitCheck()}
	authKey := "token"
	if cfg.App.IsSet() {
		itr, err := ghinstallation.New(tr, cfg.App.AppID, cfg.App.InstallationID, []byte(cfg.App.PrivateKey.Reveal()))
		if err != nil {
			return nil, fmt.Errorf("app.private_key: %w", err)
		}
		itr.BaseURL = strings.TrimSuffix(base.String(), "/")
		hc.Transport = itr
		authKey = "app.app_id, app.installation_id and app.private_key"
	} else {
		opts = append(opts, gh.WithAuthToken(cfg.Token.Reveal()))
	}
	opts = append(opts, gh.WithHTTPClient(hc))
	if !strings.EqualFold(base.Host, "api.github.com") {
		b := base.String() // GitHub Enterprise Server, or any base given: used as is
		opts = append(opts, gh.WithURLs(&b, &b))
	}
	g, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("url or token: %w", err)
	}
	c := &client{source: source, gh: g, timeout: cfg.Timeout, retry: cfg.Retry, log: log, clock: realClock{}, authKey: authKey}
	c.newGraphQL(base)
	return c, nil
}

// page is what one GET returned besides its body.
type page struct {
	next        string // the rel="next" URL of the Link header, "" on the last page
	etag        string
	notModified bool // 304: unchanged since the ETag given
}

// get requests path (relative to the API base, or an absolute URL from a
// Link header) and decodes the JSON answer into v. With etag set it asks
// If-None-Match and reports a 304 in page.notModified (v untouched).
// Transient failures and rate limits are retried.
func (c *client) get(ctx context.Context, path, etag string, v any) (page, error) {
	var pg page
	err := c.retrying(ctx, path, func() error {
		var err error
		pg, err = c.once(ctx, path, etag, v)
		return err
	})
	if err != nil {
		return page{}, err
	}
	return pg, nil
}

// retrying runs one attempt after another until one succeeds, fails for
// good, or the retry budget is spent: transient failures back off
// exponentially, rate limits wait what GitHub asked for.
func (c *client) retrying(ctx context.Context, what string, attempt func() error) error {
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = c.retry.InitialBackoff
	eb.MaxInterval = c.retry.MaxBackoff
	eb.Reset()
	for n := 1; ; n++ {
		if n > 1 {
			c.retries.Add(1)
		}
		err := attempt()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		limited := errors.Is(err, ErrRateLimited)
		if !errors.Is(err, ErrTransient) && !limited {
			return err
		}
		if n >= c.retry.MaxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", n, err)
		}
		wait := eb.NextBackOff()
		var he *HTTPError
		status := 0
		if errors.As(err, &he) {
			status = he.Status
			if he.wait > wait {
				wait = he.wait
			}
		}
		if limited && he != nil && he.wait > c.retry.MaxBackoff {
			// Waiting less than GitHub asked only burns attempts (and
			// GitHub may block an integration that keeps trying).
			if he.wait > c.retry.MaxRateLimitWait {
				return fmt.Errorf("the rate limit resets in %s, more than retry.max_rate_limit_wait %s; the next run resumes from the stored cursors: %w",
					he.wait.Round(time.Second), c.retry.MaxRateLimitWait, err)
			}
		} else {
			wait = min(wait, c.retry.MaxBackoff)
		}
		obs := collectors.ObserverFrom(ctx)
		obs.Retry(status, wait)
		if limited {
			obs.RateLimitWait(wait)
		}
		c.log.Debug("retrying GitHub request", "path", redactPath(what), "attempt", n, "wait", wait, "error", err.Error())
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

var linkNextRE = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// once makes one attempt.
func (c *client) once(ctx context.Context, path, etag string, v any) (page, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.gh.NewRequest(actx, http.MethodGet, path, nil, gh.WithVersion(APIVersion))
	if err != nil {
		return page{}, fmt.Errorf("building request for %s: %w", redactPath(path), err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	where := redactURL(req.URL)
	c.requests.Add(1)
	obs := collectors.ObserverFrom(ctx)
	start, status := time.Now(), 0
	defer func() { obs.Request(status, time.Since(start)) }()
	resp, err := c.gh.Do(req, v)
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	if err == nil {
		pg := page{etag: resp.Header.Get("ETag")}
		if m := linkNextRE.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			pg.next = m[1]
		}
		return pg, nil
	}
	if ctx.Err() != nil {
		return page{}, context.Cause(ctx)
	}
	return c.classify(err, where, resp)
}

// classify turns a go-github error into a page (304) or a classified error.
func (c *client) classify(err error, where string, resp *gh.Response) (page, error) {
	now := c.clock.Now()
	var (
		rle *gh.RateLimitError
		are *gh.AbuseRateLimitError
		rde *gh.RedirectionError
		ere *gh.ErrorResponse
	)
	switch {
	case errors.As(err, &rle):
		var wait time.Duration // no reset given: the backoff decides
		if !rle.Rate.Reset.IsZero() {
			wait = rle.Rate.Reset.Sub(now) + time.Second
		}
		return page{}, &HTTPError{Source: c.source, URL: where, Status: statusOf(rle.Response), Message: "primary rate limit exhausted",
			kind: ErrRateLimited, wait: max(wait, 0), hint: fmt.Sprintf("resets at %s", rle.Rate.Reset.UTC().Format(time.RFC3339))}
	case errors.As(err, &are):
		wait := time.Minute // GitHub: without retry-after, wait at least a minute
		if are.RetryAfter != nil {
			wait = *are.RetryAfter
		}
		return page{}, &HTTPError{Source: c.source, URL: where, Status: statusOf(are.Response), Message: "secondary rate limit",
			kind: ErrRateLimited, wait: wait}
	case errors.As(err, &rde):
		e := &HTTPError{Source: c.source, URL: where, Status: rde.StatusCode, Message: "moved"}
		if rde.Location != nil {
			e.Location = redactURL(rde.Location)
		}
		return page{}, e
	case errors.As(err, &ere):
		st := statusOf(ere.Response)
		if st == http.StatusNotModified {
			c.notModified.Add(1)
			return page{notModified: true, etag: ere.Response.Header.Get("ETag")}, nil
		}
		e := &HTTPError{Source: c.source, URL: where, Status: st, Message: trimMessage(ere.Message)}
		switch {
		case st == http.StatusForbidden && ere.Response.Header.Get("Retry-After") != "":
			// A secondary limit whose body does not name it.
			e.kind = ErrRateLimited
			e.wait = retryAfter(ere.Response.Header, now)
		case st == http.StatusUnauthorized || st == http.StatusForbidden:
			e.kind, e.Message = ErrAuth, ""
			e.hint = "check " + c.authKey + " (and that it may read the repository's issues and metadata)"
		case st == http.StatusTooManyRequests:
			e.kind = ErrRateLimited
			e.wait = retryAfter(ere.Response.Header, now)
		case st >= 500:
			e.kind = ErrTransient
			e.wait = retryAfter(ere.Response.Header, now)
		case st == http.StatusNotFound:
			e.hint = "check url and the repository name, and that the token may see it"
		}
		return page{}, e
	}
	var ie *ghinstallation.HTTPError
	if errors.As(err, &ie) {
		// Exchanging the App's JWT for an installation token failed.
		st := statusOf(ie.Response)
		e := &HTTPError{Source: c.source, URL: where, Status: st, Message: "getting a GitHub App installation token"}
		switch {
		case st == 0 || st >= 500 || st == http.StatusTooManyRequests:
			return page{}, &transientError{what: "getting a GitHub App installation token for GET " + where, err: err}
		case st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusNotFound:
			e.kind = ErrAuth
			e.hint = "check " + c.authKey
		}
		return page{}, e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || isNetErr(err) {
		return page{}, &transientError{what: "GET " + where, err: err}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) {
		return page{}, &badResponseError{fmt.Errorf("malformed JSON from GET %s (is url the GitHub API base?): %w", where, err)}
	}
	// Anything else from the transport (connection reset, EOF) is worth a retry.
	return page{}, &transientError{what: "GET " + where, err: err}
}

func isNetErr(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne)
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

// retryAfter reads Retry-After (seconds) or x-ratelimit-reset (epoch
// seconds) relative to now; 0 when the answer says nothing.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, t.Sub(now))
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(0, time.Unix(s, 0).Sub(now))
		}
	}
	return 0
}

func trimMessage(m string) string {
	if len(m) > 300 {
		return m[:300] + "…"
	}
	return m
}

// redactURL drops user info and any access_token parameter.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if q := c.Query(); q.Has("access_token") {
		q.Set("access_token", "<secret>")
		c.RawQuery = q.Encode()
	}
	return c.String()
}

func redactPath(p string) string {
	u, err := url.Parse(p)
	if err != nil {
		return "<unparsable path>"
	}
	return redactURL(u)
}
