package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
)

// graphqlURL is the GraphQL endpoint of the API base: api.github.com/graphql,
// or HOST/api/graphql for GitHub Enterprise Server (base HOST/api/v3).
func graphqlURL(base *url.URL) string {
	u := *base
	p := strings.TrimRight(u.Path, "/")
	if rest, ok := strings.CutSuffix(p, "/api/v3"); ok {
		u.Path = rest + "/api/graphql"
	} else {
		u.Path = p + "/graphql"
	}
	return u.String()
}

// gqlTransport reads every GraphQL answer whole and turns what GitHub
// signals as a failure — a non-200 status, or a 200 whose errors say
// RATE_LIMITED, NOT_FOUND, FORBIDDEN — into the collector's classified
// errors, so that the retries and error kinds of the REST side apply.
type gqlTransport struct {
	c    *client
	next http.RoundTripper
}

func (t *gqlTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	where := httpapi.Redact(req.URL)
	if err != nil {
		return nil, &httpapi.TransientError{What: "POST " + where, Err: err, Sentinel: ErrTransient}
	}
	if err := t.c.classifyGraphQL(resp, body, where); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// projectHint is what a refused project query should make the user check.
const projectHint = "check project.organization (or project.user) and project.number, and that the token may read the project " +
	"(classic token: read:project; fine-grained: Projects read on the owner; GitHub App: organisation Projects read)"

func (c *client) classifyGraphQL(resp *http.Response, body []byte, where string) error {
	now := c.clock.Now()
	e := &HTTPError{Source: c.source, URL: where, Status: resp.StatusCode, Method: http.MethodPost}
	if resp.StatusCode == http.StatusOK {
		var out struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return httpapi.BadResponse(fmt.Errorf("malformed JSON from POST %s (is url the GitHub API base?): %w", where, err))
		}
		if len(out.Errors) == 0 {
			return nil
		}
		first := out.Errors[0]
		e.Messages = messages(httpapi.TrimMessage("GraphQL " + first.Type + ": " + first.Message))
		switch first.Type {
		case "RATE_LIMITED":
			e.Kind = ErrRateLimited
			if resp.Header.Get("X-RateLimit-Remaining") == "0" {
				if w := httpapi.RetryAfter(http.Header{"X-Ratelimit-Reset": resp.Header.Values("X-RateLimit-Reset")}, now, "X-RateLimit-Reset"); w != nil && w.Duration > 0 {
					e.RetryAfter = waitFor(w.Duration + time.Second)
				}
			}
		case "NOT_FOUND":
			e.Status = http.StatusNotFound
			e.Hint = projectHint
		case "FORBIDDEN", "INSUFFICIENT_SCOPES", "UNAUTHORIZED":
			e.Status = http.StatusForbidden
			e.Kind, e.Hint = ErrAuth, projectHint
		default:
			e.Status = http.StatusUnprocessableEntity
		}
		return e
	}
	var msg struct {
		Message string `json:"message"`
		DocURL  string `json:"documentation_url"`
	}
	_ = json.Unmarshal(body, &msg)
	e.Messages = messages(httpapi.TrimMessage(msg.Message))
	st := resp.StatusCode
	secondary := strings.Contains(strings.ToLower(msg.Message+msg.DocURL), "secondary")
	switch {
	case (st == http.StatusForbidden || st == http.StatusTooManyRequests) && resp.Header.Get("X-RateLimit-Remaining") == "0":
		e.Kind = ErrRateLimited
		if w := httpapi.RetryAfter(http.Header{"X-Ratelimit-Reset": resp.Header.Values("X-RateLimit-Reset")}, now, "X-RateLimit-Reset"); w != nil && w.Duration > 0 {
			e.RetryAfter = waitFor(w.Duration + time.Second)
		}
	case st == http.StatusTooManyRequests || (st == http.StatusForbidden && (secondary || resp.Header.Get("Retry-After") != "")):
		e.Kind = ErrRateLimited
		if e.RetryAfter = httpapi.RetryAfter(resp.Header, now, "X-RateLimit-Reset"); e.Wait() == 0 {
			e.RetryAfter = waitFor(time.Minute) // GitHub: without retry-after, wait at least a minute
		}
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		e.Kind, e.Messages = ErrAuth, nil
		e.Hint = "check " + c.authKey + "; " + projectHint
	case st >= 500:
		e.Kind = ErrTransient
		e.RetryAfter = httpapi.RetryAfter(resp.Header, now, "X-RateLimit-Reset")
	case st == http.StatusNotFound:
		e.Hint = "no GraphQL endpoint there: check url (GitHub Enterprise Server serves GraphQL at https://HOST/api/graphql)"
	}
	return e
}

// query runs one GraphQL query (q a githubv4 query struct) with retries.
func (c *client) query(ctx context.Context, q any, vars map[string]any) error {
	return c.retrying(ctx, c.gqlURL, func() error {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		c.requests.Add(1)
		obs := collectors.ObserverFrom(ctx)
		start, status := time.Now(), http.StatusOK
		err := c.gql.Query(actx, q, vars)
		var he *HTTPError
		if errors.As(err, &he) {
			status = he.Status
		} else if err != nil {
			status = 0
		}
		obs.Request(status, time.Since(start))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var (
			te *httpapi.TransientError
			be *httpapi.BadResponseError
		)
		switch {
		case he != nil:
			return he
		case errors.As(err, &te):
			return te
		case errors.As(err, &be):
			return be
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			return &httpapi.TransientError{What: "POST " + c.gqlURL, Err: ue.Err, Sentinel: ErrTransient}
		}
		if errors.Is(err, context.DeadlineExceeded) || isNetErr(err) {
			return &httpapi.TransientError{What: "POST " + c.gqlURL, Err: err, Sentinel: ErrTransient}
		}
		// The answer did not fit the query (decoding).
		return httpapi.BadResponse(fmt.Errorf("reading the GraphQL answer of POST %s: %w", c.gqlURL, err))
	})
}

// newGraphQL sets up the GraphQL client on the REST client's HTTP client
// (same authentication: token, or the App's installation tokens).
func (c *client) newGraphQL(base *url.URL) {
	hc := c.gh.Client()
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &gqlTransport{c: c, next: next}
	c.gqlURL = graphqlURL(base)
	c.gql = githubv4.NewEnterpriseClient(c.gqlURL, hc)
}
