package warehouse

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// column is one table column: its name and ClickHouse type.
type column struct {
	name string
	typ  string
}

// Sink is the streaming batch sink that implements collectors.Sink. Put is
// safe for concurrent use. Records are buffered per kind and written when a
// buffer reaches Options.BatchSize rows, when it is older than
// Options.FlushInterval, and on Flush, SetCursor and Close. Memory stays
// bounded by about two batches per kind: a Put that fills a buffer writes
// it, and writes are serialised.
type Sink struct {
	w *Warehouse

	mu      sync.Mutex
	bufs    map[model.Kind]*buffer
	closed  bool
	bgErr   error // a background flush failure, reported by the next call
	written map[model.Kind]int64

	writeMu sync.Mutex // one write at a time
	lastVer atomic.Uint64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type buffer struct {
	rows  [][]any
	since time.Time
}

func newSink(w *Warehouse) *Sink {
	return &Sink{w: w, bufs: map[model.Kind]*buffer{}, written: map[model.Kind]int64{}}
}

// startFlusher starts the age-based flusher on first use; mu held.
func (s *Sink) startFlusher() {
	s.once.Do(func() {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.flusher()
	})
}

func (s *Sink) flusher() {
	defer close(s.done)
	every := max(s.w.opts.FlushInterval/4, 50*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			if err := s.flushOlder(context.Background(), now.Add(-s.w.opts.FlushInterval)); err != nil {
				s.w.log.Error("background flush of the warehouse sink failed", "err", err)
				s.mu.Lock()
				if s.bgErr == nil {
					s.bgErr = err
				}
				s.mu.Unlock()
			}
		}
	}
}

// version returns an ingest version that grows on every call.
func (s *Sink) version() uint64 {
	for {
		now := uint64(time.Now().UnixNano())
		last := s.lastVer.Load()
		if now <= last {
			now = last + 1
		}
		if s.lastVer.CompareAndSwap(last, now) {
			return now
		}
	}
}

// Put queues records; a kind's buffer is written when it is full. Records of
// one call share an ingest version; a later Put of the same identity
// replaces the earlier record for readers.
func (s *Sink) Put(ctx context.Context, recs ...model.Record) error {
	if len(recs) == 0 {
		return nil
	}
	ver := s.version()
	type conv struct {
		kind model.Kind
		row  []any
	}
	rows := make([]conv, 0, len(recs))
	for i, r := range recs {
		if r == nil {
			return fmt.Errorf("queueing records for the warehouse: record %d is nil", i)
		}
		k := r.Kind()
		sc, ok := schemas[k]
		if !ok {
			return fmt.Errorf("queueing records for the warehouse: unknown record kind %q (%T)", k, r)
		}
		rv := reflect.ValueOf(r)
		if rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return fmt.Errorf("queueing records for the warehouse: record %d is a nil %T", i, r)
			}
			rv = rv.Elem()
		}
		if rv.Type() != sc.typ {
			return fmt.Errorf("queueing records for the warehouse: record %d of kind %s is a %T, want model.%s", i, k, r, sc.typ.Name())
		}
		rows = append(rows, conv{k, sc.row(rv, ver)})
	}
	var full []model.Kind
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if err := s.bgErr; err != nil {
		s.bgErr = nil
		s.mu.Unlock()
		return fmt.Errorf("an earlier background flush failed: %w", err)
	}
	s.startFlusher()
	now := time.Now()
	for _, c := range rows {
		b := s.bufs[c.kind]
		if b == nil {
			b = &buffer{}
			s.bufs[c.kind] = b
		}
		if len(b.rows) == 0 {
			b.since = now
		}
		b.rows = append(b.rows, c.row)
		if len(b.rows) == s.w.opts.BatchSize {
			full = append(full, c.kind)
		}
	}
	s.mu.Unlock()
	for _, k := range full {
		if err := s.flushKinds(ctx, func(kk model.Kind, b *buffer) bool {
			return kk == k && len(b.rows) >= s.w.opts.BatchSize
		}); err != nil {
			return err
		}
	}
	return nil
}

// flushKinds writes the buffers pick selects.
func (s *Sink) flushKinds(ctx context.Context, pick func(model.Kind, *buffer) bool) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	taken := map[model.Kind][][]any{}
	for k, b := range s.bufs {
		if len(b.rows) > 0 && pick(k, b) {
			taken[k] = b.rows
			b.rows = nil
		}
	}
	s.mu.Unlock()
	var errs []error
	// Write in model order so that, e.g., deletions land after the issues.
	for _, k := range model.Kinds {
		rows, ok := taken[k]
		if !ok {
			continue
		}
		sc := schemas[k]
		if err := s.w.eng.insert(ctx, quoteIdent(s.w.db)+"."+quoteIdent(sc.table), sc.cols, rows); err != nil {
			errs = append(errs, fmt.Errorf("writing %d %s records to the %s warehouse: %w", len(rows), k, s.w.eng.name(), err))
			continue
		}
		s.mu.Lock()
		s.written[k] += int64(len(rows))
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (s *Sink) flushOlder(ctx context.Context, before time.Time) error {
	return s.flushKinds(ctx, func(_ model.Kind, b *buffer) bool { return b.since.Before(before) })
}

// Flush writes every queued record and returns once they are stored.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	err := s.bgErr
	s.bgErr = nil
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("an earlier background flush failed: %w", err)
	}
	return s.flushKinds(ctx, func(model.Kind, *buffer) bool { return true })
}

// Written returns how many records of each kind the sink has stored.
func (s *Sink) Written() map[model.Kind]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[model.Kind]int64, len(s.written))
	for k, n := range s.written {
		out[k] = n
	}
	return out
}

// Cursor returns the stored value of a per-source cursor.
func (s *Sink) Cursor(ctx context.Context, source, name string) (string, bool, error) {
	rows, err := s.w.Query(ctx, "SELECT value FROM "+quoteIdent(s.w.db)+".cursors FINAL WHERE source = ? AND name = ? ORDER BY _version DESC LIMIT 1", source, name)
	if err != nil {
		return "", false, fmt.Errorf("reading cursor %s of source %s: %w", name, source, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return "", false, rows.Err()
	}
	var v string
	if err := rows.Scan(&v); err != nil {
		return "", false, fmt.Errorf("reading cursor %s of source %s: %w", name, source, err)
	}
	return v, true, nil
}

// SetCursor flushes every queued record and then stores the cursor, so a
// cursor never runs ahead of the data it stands for.
func (s *Sink) SetCursor(ctx context.Context, source, name, value string) error {
	if err := s.Flush(ctx); err != nil {
		return fmt.Errorf("setting cursor %s of source %s: %w", name, source, err)
	}
	cols := []column{{"source", "String"}, {"name", "String"}, {"value", "String"}, {"updated", "DateTime('UTC')"}, {"_version", "UInt64"}}
	row := []any{source, name, value, time.Now().UTC().Truncate(time.Second), s.version()}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.w.eng.insert(ctx, quoteIdent(s.w.db)+".cursors", cols, [][]any{row}); err != nil {
		return fmt.Errorf("setting cursor %s of source %s: %w", name, source, err)
	}
	return nil
}

// IssueIDs lists the ids of a project's issues that the warehouse holds and
// that are not marked deleted. Queued records are flushed first.
func (s *Sink) IssueIDs(ctx context.Context, source, projectID string) ([]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("listing issues of project %s of source %s: %w", projectID, source, err)
	}
	rows, err := s.w.Query(ctx, "SELECT id FROM "+quoteIdent(s.w.db)+".v_issues WHERE source = ? AND project_id = ? ORDER BY id", source, projectID)
	if err != nil {
		return nil, fmt.Errorf("listing issues of project %s of source %s: %w", projectID, source, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Close flushes and stops the background flusher. Later Puts fail with
// ErrClosed.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.stop != nil
	s.mu.Unlock()
	if started {
		close(s.stop)
		<-s.done
	}
	return s.Flush(ctx)
}
