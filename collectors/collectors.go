// Package collectors defines what a tracker collector is, where its records
// go, and the registry that finds a collector by its type name ("jira",
// "github", ...). A collector knows nothing about ClickHouse: it reads a
// tracker and puts model records into a Sink.
package collectors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// Sink receives a collector's records. The warehouse implements it.
type Sink interface {
	// Put queues records for writing. It may flush when a batch is full.
	Put(ctx context.Context, recs ...model.Record) error
	// Flush writes every queued record and returns once they are stored.
	Flush(ctx context.Context) error
	// Cursor returns the stored value of a named per-source cursor.
	Cursor(ctx context.Context, source, name string) (value string, ok bool, err error)
	// SetCursor flushes every queued record and then stores the cursor, so
	// a cursor never runs ahead of the data it stands for.
	SetCursor(ctx context.Context, source, name, value string) error
	// IssueIDs lists the ids of the issues of a project that the warehouse
	// holds and that are not marked deleted (used to detect deletions).
	IssueIDs(ctx context.Context, source, projectID string) ([]string, error)
}

// Options control one collection run.
type Options struct {
	// Full ignores the stored cursors and re-reads everything.
	Full bool
	// Logger receives structured progress and warnings; never nil.
	Logger *slog.Logger
	// Progress, when not nil, is told how far the run is.
	Progress func(Progress)
}

// Progress is a snapshot of a running collection.
type Progress struct {
	Source     string
	Phase      string // "projects", "issues", "sprints", ...
	Done       int64  // items done in this phase
	Total      int64  // items expected in this phase, 0 when unknown
	IssuesSeen int64
}

// LogProgress returns an Options.Progress that logs progress to log at most
// once per interval (for runs without a terminal to draw on).
func LogProgress(log *slog.Logger, interval time.Duration) func(Progress) {
	var (
		mu   sync.Mutex
		last time.Time
	)
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < interval {
			return
		}
		last = time.Now()
		log.Info("progress", "phase", p.Phase, "done", p.Done, "total", p.Total, "issues_seen", p.IssuesSeen)
	}
}

// Stats summarises a finished run.
type Stats struct {
	Source   string
	Records  map[model.Kind]int64 // records put, by kind
	Requests int64                // HTTP requests made
	Retries  int64                // requests repeated after a transient failure
	Duration time.Duration
}

// Collector reads one configured tracker instance.
type Collector interface {
	// Source is the configured name of the tracker instance.
	Source() string
	// Collect reads the tracker (incrementally unless opts.Full) and puts
	// every record into sink, advancing cursors only after a flush.
	Collect(ctx context.Context, sink Sink, opts Options) (Stats, error)
}

// SourceError is the error of a collection of one source. Its text is
// "collecting source NAME: <err>"; callers find the source with errors.As
// and the kind of the failure with ErrorKind.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string { return "collecting source " + e.Source + ": " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// ForSource returns err as a *SourceError of source, unless err is nil or
// already names that source that way.
func ForSource(source string, err error) error {
	if err == nil {
		return nil
	}
	var se *SourceError
	if errors.As(err, &se) && se.Source == source {
		return err
	}
	return &SourceError{Source: source, Err: err}
}
