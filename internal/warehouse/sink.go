package warehouse

import (
	"context"
	"errors"

	"github.com/pmo-oss/pmo/internal/model"
)

// column is one table column: its name and ClickHouse type.
type column struct {
	name string
	typ  string
}

// Sink is the streaming batch sink that implements collectors.Sink. Put is
// safe for concurrent use.
type Sink struct {
	w *Warehouse
}

// Put queues records; a kind's buffer is written when it is full.
func (s *Sink) Put(ctx context.Context, recs ...model.Record) error {
	return errors.New("not implemented yet")
}

// Flush writes every queued record.
func (s *Sink) Flush(ctx context.Context) error { return errors.New("not implemented yet") }

// Cursor returns the stored value of a per-source cursor.
func (s *Sink) Cursor(ctx context.Context, source, name string) (string, bool, error) {
	return "", false, errors.New("not implemented yet")
}

// SetCursor flushes every queued record and then stores the cursor.
func (s *Sink) SetCursor(ctx context.Context, source, name, value string) error {
	return errors.New("not implemented yet")
}

// IssueIDs lists the ids of a project's issues that are not marked deleted.
func (s *Sink) IssueIDs(ctx context.Context, source, projectID string) ([]string, error) {
	return nil, errors.New("not implemented yet")
}

// Close flushes and stops the background flusher.
func (s *Sink) Close(ctx context.Context) error { return nil }
