package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/model"
)

type kinded string

func (k kinded) Error() string     { return "failed: " + string(k) }
func (k kinded) ErrorKind() string { return string(k) }

// failingSink fails every call with err.
type failingSink struct{ err error }

func (s failingSink) Put(context.Context, ...model.Record) error              { return s.err }
func (s failingSink) Flush(context.Context) error                             { return s.err }
func (s failingSink) SetCursor(context.Context, string, string, string) error { return s.err }
func (s failingSink) Cursor(context.Context, string, string) (string, bool, error) {
	return "", false, s.err
}
func (s failingSink) IssueIDs(context.Context, string, string) ([]string, error) {
	return nil, s.err
}

func TestErrorKind(t *testing.T) {
	boom := errors.New("writing 10 issues records to the chdb warehouse: boom")
	store := &storeSink{Sink: failingSink{boom}, written: func() map[model.Kind]int64 { return nil }}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"collector's kind", fmt.Errorf("listing issues of PAY: %w", kinded(collectors.KindAuth)), "auth"},
		{"kind deep in a join", errors.Join(errors.New("x"), fmt.Errorf("y: %w", kinded("quota"))), "quota"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), "canceled"},
		{"sink put", fmt.Errorf("storing: %w", store.Put(context.Background())), "warehouse"},
		{"sink flush", fmt.Errorf("storing: %w", store.Flush(context.Background())), "warehouse"},
		{"sink cursor", store.SetCursor(context.Background(), "s", "c", "v"), "warehouse"},
		{"sink canceled keeps its kind", (&storeSink{Sink: failingSink{context.Canceled}}).Flush(context.Background()), "canceled"},
		// The same text without the sink's kind is not a warehouse error:
		// kinds come from types, never from message text.
		{"text alone", boom, "other"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("%s: errorKind(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}
