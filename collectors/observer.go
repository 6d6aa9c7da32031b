package collectors

import (
	"context"
	"errors"
	"time"
)

// Observer receives a collector's fine-grained events, for metrics. It is
// optional: a collector finds it with ObserverFrom(ctx) and calls it when
// present; the caller of Collect installs it with WithObserver. Methods
// must be safe for concurrent use and fast (they run on the request path).
type Observer interface {
	// Request reports one HTTP request and its status (0 when there was no
	// answer: connection error, timeout, truncated body).
	Request(status int, d time.Duration)
	// Retry reports that a request failed with status (0: no answer) and
	// will be repeated after wait.
	Retry(status int, wait time.Duration)
	// RateLimitWait reports a wait imposed by the tracker (429, 503 with
	// Retry-After, an exhausted quota) or by the configured request rate.
	RateLimitWait(d time.Duration)
}

type observerKey struct{}

// WithObserver returns a context that carries o to the collector.
func WithObserver(ctx context.Context, o Observer) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

// ObserverFrom returns the context's observer, or one that ignores every
// event.
func ObserverFrom(ctx context.Context) Observer {
	if o, ok := ctx.Value(observerKey{}).(Observer); ok && o != nil {
		return o
	}
	return nopObserver{}
}

type nopObserver struct{}

func (nopObserver) Request(int, time.Duration)  {}
func (nopObserver) Retry(int, time.Duration)    {}
func (nopObserver) RateLimitWait(time.Duration) {}

// The error kinds collectors report (ErrorKinder) and ErrorKind returns.
const (
	KindAuth        = "auth"         // credentials or permission refused (401, 403)
	KindRateLimited = "rate_limited" // the tracker kept throttling until the retry budget ran out
	KindTransient   = "transient"    // 5xx, timeout, connection or body cut short, after the retries
	KindNotFound    = "not_found"    // the site, project, board or endpoint does not exist (404, 410)
	KindBadRequest  = "bad_request"  // another 4xx: the request (query, configuration) was refused
	KindBadResponse = "bad_response" // an answer pmo could not understand
	KindWarehouse   = "warehouse"    // storing the records failed (set by the caller's sink)
	KindCanceled    = "canceled"
	KindTimeout     = "timeout"
	KindOther       = "other"
)

// ErrorKinder is implemented by collector errors that know their kind, for
// the errors-by-kind metric: "auth", "rate_limited", "transient",
// "not_found", "bad_response", ... ErrorKind finds it anywhere in the chain.
type ErrorKinder interface {
	ErrorKind() string
}

// ErrorKind returns the kind of err: the first ErrorKinder in its chain,
// "canceled" or "timeout" for context errors, else "other".
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var k ErrorKinder
	if errors.As(err, &k) {
		if s := k.ErrorKind(); s != "" {
			return s
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return KindTimeout
	}
	return KindOther
}
