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
	"strings"
	"sync/atomic"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/cenkalti/backoff/v5"
	gh "github.com/google/go-github/v93/github"
	"github.com/shurcooL/githubv4"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
)

// HTTPError is a non-2xx answer from GitHub (httpapi.Error): its text names the
// source and the request without credentials, and how to fix it.
type HTTPError = httpapi.Error

// APIVersion is the REST API version pmo asks for (X-GitHub-Api-Version);
// the answers' shapes the collector reads are those of this version.
const APIVersion = "2022-11-28"

// Error kinds callers can test with errors.Is; each implements
// collectors.ErrorKinder.
var (
	// ErrRateLimited: GitHub kept refusing with a primary or secondary rate
	// limit until the retry budget (or retry.max_rate_limit_wait) ran out.
	ErrRateLimited error = httpapi.NewKind(collectors.KindRateLimited, "rate limited by GitHub")
	// ErrAuth: the token was refused (401) or lacks a permission (403).
	ErrAuth error = httpapi.NewKind(collectors.KindAuth, "authentication failed")
	// ErrTransient: 5xx, a timeout or a connection or body cut short, after
	// the retries.
	ErrTransient error = httpapi.NewKind(collectors.KindTransient, "transient failure")
)

// client does the HTTP requests of one source through go-github: the
// token, the pinned API version, conditional requests, retries and error
// classification.
type client struct {
	source  string
	gh      *gh.Client
	timeout time.Duration
	retry   RetryConfig
	log     *slog.Logger
	clock   httpapi.Clock
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
	c := &client{source: source, gh: g, timeout: cfg.Timeout, retry: cfg.Retry, log: log, clock: httpapi.RealClock{}, authKey: authKey}
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
			if he.Wait() > wait {
				wait = he.Wait()
			}
		}
		if limited && he != nil && he.Wait() > c.retry.MaxBackoff {
			// Waiting less than GitHub asked only burns attempts (and
			// GitHub may block an integration that keeps trying).
			if he.Wait() > c.retry.MaxRateLimitWait {
				return fmt.Errorf("the rate limit resets in %s, more than retry.max_rate_limit_wait %s; the next run resumes from the stored cursors: %w",
					he.Wait().Round(time.Second), c.retry.MaxRateLimitWait, err)
			}
		} else {
			wait = min(wait, c.retry.MaxBackoff)
		}
		obs := collectors.ObserverFrom(ctx)
		obs.Retry(status, wait)
		if limited {
			obs.RateLimitWait(wait)
		}
		c.log.Debug("retrying GitHub request", "path", httpapi.RedactPath(what), "attempt", n, "wait", wait, "error", err.Error())
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
		return page{}, fmt.Errorf("building request for %s: %w", httpapi.RedactPath(path), err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	where := httpapi.Redact(req.URL)
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
		return page{}, &HTTPError{Source: c.source, URL: where, Status: statusOf(rle.Response), Messages: messages("primary rate limit exhausted"),
			Kind: ErrRateLimited, RetryAfter: waitFor(wait), Hint: fmt.Sprintf("resets at %s", rle.Rate.Reset.UTC().Format(time.RFC3339))}
	case errors.As(err, &are):
		wait := time.Minute // GitHub: without retry-after, wait at least a minute
		if are.RetryAfter != nil {
			wait = *are.RetryAfter
		}
		return page{}, &HTTPError{Source: c.source, URL: where, Status: statusOf(are.Response), Messages: messages("secondary rate limit"),
			Kind: ErrRateLimited, RetryAfter: waitFor(wait)}
	case errors.As(err, &rde):
		e := &HTTPError{Source: c.source, URL: where, Status: rde.StatusCode, Messages: messages("moved")}
		if rde.Location != nil {
			e.Location = httpapi.Redact(rde.Location)
		}
		return page{}, e
	case errors.As(err, &ere):
		st := statusOf(ere.Response)
		if st == http.StatusNotModified {
			c.notModified.Add(1)
			return page{notModified: true, etag: ere.Response.Header.Get("ETag")}, nil
		}
		e := &HTTPError{Source: c.source, URL: where, Status: st, Messages: messages(httpapi.TrimMessage(ere.Message))}
		switch {
		case st == http.StatusForbidden && ere.Response.Header.Get("Retry-After") != "":
			// A secondary limit whose body does not name it.
			e.Kind = ErrRateLimited
			e.RetryAfter = httpapi.RetryAfter(ere.Response.Header, now, "X-RateLimit-Reset")
		case st == http.StatusUnauthorized || st == http.StatusForbidden:
			e.Kind, e.Messages = ErrAuth, nil
			e.Hint = "check " + c.authKey + " (and that it may read the repository's issues and metadata)"
		case st == http.StatusTooManyRequests:
			e.Kind = ErrRateLimited
			e.RetryAfter = httpapi.RetryAfter(ere.Response.Header, now, "X-RateLimit-Reset")
		case st >= 500:
			e.Kind = ErrTransient
			e.RetryAfter = httpapi.RetryAfter(ere.Response.Header, now, "X-RateLimit-Reset")
		case st == http.StatusNotFound:
			e.Hint = "check url and the repository name, and that the token may see it"
		}
		return page{}, e
	}
	var ie *ghinstallation.HTTPError
	if errors.As(err, &ie) {
		// Exchanging the App's JWT for an installation token failed.
		st := statusOf(ie.Response)
		e := &HTTPError{Source: c.source, URL: where, Status: st, Messages: messages("getting a GitHub App installation token")}
		switch {
		case st == 0 || st >= 500 || st == http.StatusTooManyRequests:
			return page{}, &httpapi.TransientError{What: "getting a GitHub App installation token for GET " + where, Err: err, Sentinel: ErrTransient}
		case st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusNotFound:
			e.Kind = ErrAuth
			e.Hint = "check " + c.authKey
		}
		return page{}, e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || isNetErr(err) {
		return page{}, &httpapi.TransientError{What: "GET " + where, Err: err, Sentinel: ErrTransient}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) {
		return page{}, httpapi.BadResponse(fmt.Errorf("malformed JSON from GET %s (is url the GitHub API base?): %w", where, err))
	}
	// Anything else from the transport (connection reset, EOF) is worth a retry.
	return page{}, &httpapi.TransientError{What: "GET " + where, Err: err, Sentinel: ErrTransient}
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

// messages is GitHub's message as the error's messages (none when empty).
func messages(m string) []string {
	if m == "" {
		return nil
	}
	return []string{m}
}

// waitFor is a wait GitHub asked for (nil when none).
func waitFor(d time.Duration) *backoff.RetryAfterError {
	if d <= 0 {
		return nil
	}
	return &backoff.RetryAfterError{Duration: d}
}
