// Package collectortest holds what every collector's tests share: an
// in-memory Sink that behaves like the warehouse, and a conformance suite.
package collectortest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// MemorySink is a collectors.Sink in memory. Like the warehouse it dedups by
// identity (a record put again replaces the earlier one), keeps Put records
// pending until Flush or SetCursor commits them (a cancelled run loses what
// it did not flush), and hides deleted issues from readers (Counts,
// IssueIDs). It is safe for concurrent use.
type MemorySink struct {
	mu        sync.Mutex
	pending   []model.Record
	committed map[model.Kind]map[string]model.Record
	cursors   map[string]string
	history   []CursorSet
	puts      int64
	// PutDelay, when set, slows every Put (to test cancellation).
	PutDelay time.Duration
}

// CursorSet is one SetCursor call.
type CursorSet struct {
	Source, Name, Value string
}

// NewMemorySink returns an empty sink.
func NewMemorySink() *MemorySink {
	return &MemorySink{committed: map[model.Kind]map[string]model.Record{}, cursors: map[string]string{}}
}

func cursorKey(source, name string) string { return source + "\x00" + name }

// Put queues records.
func (s *MemorySink) Put(ctx context.Context, recs ...model.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.PutDelay > 0 {
		select {
		case <-time.After(s.PutDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = append(s.pending, recs...)
	s.puts += int64(len(recs))
	return nil
}

// Flush commits the queued records.
func (s *MemorySink) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	return nil
}

func (s *MemorySink) flushLocked() {
	for _, r := range s.pending {
		m := s.committed[r.Kind()]
		if m == nil {
			m = map[string]model.Record{}
			s.committed[r.Kind()] = m
		}
		m[r.Identity()] = r
	}
	s.pending = nil
}

// Cursor returns a stored cursor.
func (s *MemorySink) Cursor(ctx context.Context, source, name string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.cursors[cursorKey(source, name)]
	return v, ok, nil
}

// SetCursor commits the queued records, then stores the cursor.
func (s *MemorySink) SetCursor(ctx context.Context, source, name, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	s.cursors[cursorKey(source, name)] = value
	s.history = append(s.history, CursorSet{source, name, value})
	return nil
}

// IssueIDs lists the committed, not deleted issues of a project.
func (s *MemorySink) IssueIDs(ctx context.Context, source, projectID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	deleted := s.deletedLocked()
	var out []string
	for _, r := range s.committed[model.KindIssue] {
		is := r.(model.Issue)
		if is.Source == source && is.ProjectID == projectID && !deleted[is.Source+"/"+is.ID] {
			out = append(out, is.ID)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *MemorySink) deletedLocked() map[string]bool {
	d := map[string]bool{}
	for _, r := range s.committed[model.KindIssueDeleted] {
		x := r.(model.IssueDeleted)
		d[x.Source+"/"+x.IssueID] = true
	}
	return d
}

// visibleLocked reports whether a committed record is visible to readers
// (the warehouse's v_ views: deleted issues and their changes, worklogs and
// links hidden).
func (s *MemorySink) visibleLocked(r model.Record, deleted map[string]bool) bool {
	switch x := r.(type) {
	case model.Issue:
		return !deleted[x.Source+"/"+x.ID]
	case model.Change:
		return !deleted[x.Source+"/"+x.IssueID]
	case model.Worklog:
		return !deleted[x.Source+"/"+x.IssueID]
	case model.Link:
		return !deleted[x.Source+"/"+x.FromIssueID] && !deleted[x.Source+"/"+x.ToIssueID]
	}
	return true
}

// Counts returns the committed records per kind as readers see them: one
// row per version (not per observation day), deleted issues and what hangs
// off them hidden.
func (s *MemorySink) Counts() map[model.Kind]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	deleted := s.deletedLocked()
	out := map[model.Kind]int{}
	versions := map[string]bool{}
	for k, m := range s.committed {
		for _, r := range m {
			if !s.visibleLocked(r, deleted) {
				continue
			}
			if v, ok := r.(model.Version); ok {
				if versions[v.Source+"/"+v.ID] {
					continue
				}
				versions[v.Source+"/"+v.ID] = true
			}
			out[k]++
		}
	}
	return out
}

// Records returns the committed records of a kind, sorted by identity.
func (s *MemorySink) Records(kind model.Kind) []model.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.committed[kind]
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]model.Record, 0, len(ids))
	for _, id := range ids {
		out = append(out, m[id])
	}
	return out
}

// Digest is a hash of every committed record, to tell whether a run
// changed anything (versions count by observation day).
func (s *MemorySink) Digest() string {
	h := sha256.New()
	d := s.DigestByKind()
	for _, k := range model.Kinds {
		fmt.Fprintf(h, "%s\t%s\n", k, d[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DigestByKind is Digest per record kind, to tell what changed.
func (s *MemorySink) DigestByKind() map[model.Kind]string {
	out := map[model.Kind]string{}
	for _, k := range model.Kinds {
		h := sha256.New()
		for _, r := range s.Records(k) {
			if v, ok := r.(model.Version); ok {
				// A version is stored once per observation day; the time of
				// day of the observation is not content.
				v.ObservedAt = model.DateOf(v.ObservedAt.UTC()).Time()
				r = v
			}
			b, err := json.Marshal(r)
			if err != nil {
				b = []byte(fmt.Sprintf("%v", err))
			}
			fmt.Fprintf(h, "%s\t%s\n", r.Identity(), b)
		}
		out[k] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// Pending returns how many records are queued but not committed.
func (s *MemorySink) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Puts returns how many records were put in total.
func (s *MemorySink) Puts() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts
}

// CursorHistory returns every SetCursor call in order.
func (s *MemorySink) CursorHistory() []CursorSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CursorSet(nil), s.history...)
}

// CursorLess orders cursor values: numerically when both are integers, as
// instants when both are RFC 3339, else as strings.
func CursorLess(a, b string) bool {
	if x, err := strconv.ParseInt(a, 10, 64); err == nil {
		if y, err := strconv.ParseInt(b, 10, 64); err == nil {
			return x < y
		}
	}
	if x, err := time.Parse(time.RFC3339Nano, a); err == nil {
		if y, err := time.Parse(time.RFC3339Nano, b); err == nil {
			return x.Before(y)
		}
	}
	return a < b
}
