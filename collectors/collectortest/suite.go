package collectortest

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/model"
)

// Suite describes a collector under test.
type Suite struct {
	// New returns a fresh collector for the same tracker (called per run).
	New func(t *testing.T) collectors.Collector
	// Truth, when set, returns the exact record counts a complete collection
	// must produce (as MemorySink.Counts reports them).
	Truth func(t *testing.T) map[model.Kind]int
	// CancelWithin is how fast Collect must return after its context is
	// cancelled (default 5s).
	CancelWithin time.Duration
	// RerunRequests, when set, checks the Stats.Requests of an immediate
	// re-run (e.g. "at most one search per project" plus fixed overhead).
	RerunRequests func(t *testing.T, st collectors.Stats)
	// ChangeKinds are the kinds of change (model.ChangeKind) the collector
	// maps its tracker's history onto; a complete collection of the test
	// data must emit at least one change of each (the data is expected to
	// exercise them all).
	ChangeKinds []model.ChangeKind
	// Logger for the runs (default: discard).
	Logger *slog.Logger
}

// Run runs the conformance checks as subtests.
func Run(t *testing.T, s Suite) {
	t.Helper()
	if s.CancelWithin == 0 {
		s.CancelWithin = 5 * time.Second
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	opts := collectors.Options{Logger: s.Logger}

	t.Run("complete-and-idempotent", func(t *testing.T) {
		sink := NewMemorySink()
		c := s.New(t)
		st, err := c.Collect(context.Background(), sink, opts)
		if err != nil {
			t.Fatalf("first run: %v", err)
		}
		if sink.Pending() != 0 {
			t.Errorf("first run left %d records unflushed", sink.Pending())
		}
		CheckRecords(t, c.Source(), sink)
		CheckChangeKinds(t, sink, s.ChangeKinds)
		CheckStats(t, c.Source(), st, sink)
		if s.Truth != nil {
			CheckCounts(t, sink.Counts(), s.Truth(t))
		}
		before := sink.DigestByKind()
		hist := len(sink.CursorHistory())
		st2, err := s.New(t).Collect(context.Background(), sink, opts)
		if err != nil {
			t.Fatalf("re-run: %v", err)
		}
		for k, d := range sink.DigestByKind() {
			if before[k] != d {
				t.Errorf("an immediate re-run changed the stored %s", k)
			}
		}
		if s.RerunRequests != nil {
			s.RerunRequests(t, st2)
		}
		CheckCursorsForward(t, sink.CursorHistory())
		_ = hist
	})

	t.Run("cancel-returns-promptly", func(t *testing.T) {
		sink := NewMemorySink()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := s.New(t).Collect(ctx, sink, opts)
			done <- err
		}()
		// Cancel once the collector has put something (or after a moment).
		deadline := time.Now().Add(2 * time.Second)
		for sink.Puts() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		cancel()
		at := time.Now()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled run returned %v, want an error wrapping context.Canceled (or nil if it had finished)", err)
			}
		case <-time.After(s.CancelWithin):
			t.Fatalf("Collect did not return within %s of cancellation", s.CancelWithin)
		}
		t.Logf("returned %s after cancel", time.Since(at).Round(time.Millisecond))
		CheckCursorsForward(t, sink.CursorHistory())
		// A run after the cancelled one completes the data.
		if s.Truth != nil {
			if _, err := s.New(t).Collect(context.Background(), sink, opts); err != nil {
				t.Fatalf("run after cancel: %v", err)
			}
			CheckCounts(t, sink.Counts(), s.Truth(t))
		}
	})
}

// CheckRecords checks every committed record: Source set to the collector's
// source, a non-empty id, a valid status category where there is one.
func CheckRecords(t *testing.T, source string, sink *MemorySink) {
	t.Helper()
	bad := 0
	for _, k := range model.Kinds {
		for _, r := range sink.Records(k) {
			if r.Kind() != k {
				t.Errorf("record %s of kind %s is filed under %s", r.Identity(), r.Kind(), k)
			}
			v := reflect.ValueOf(r)
			src := v.FieldByName("Source").String()
			var msg string
			switch {
			case src != source:
				msg = "Source is " + src + ", want " + source
			case emptyID(v):
				msg = "empty id"
			case strings.HasSuffix(r.Identity(), "/"):
				msg = "identity ends with /"
			}
			if cat := v.FieldByName("StatusCategory"); cat.IsValid() && !model.StatusCategory(cat.String()).Valid() {
				msg = "invalid status category " + cat.String()
			}
			if c, ok := r.(model.Change); ok && msg == "" {
				if err := c.CheckValue(); err != nil {
					msg = "change vocabulary: " + err.Error()
				}
			}
			if msg != "" {
				bad++
				if bad <= 10 {
					t.Errorf("%s record %s: %s", k, r.Identity(), msg)
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d bad records in all", bad)
	}
}

// CheckChangeKinds checks that the committed changes include at least one
// of each kind in want, so that a collector claiming to map a kind of
// history really does on its test data.
func CheckChangeKinds(t *testing.T, sink *MemorySink, want []model.ChangeKind) {
	t.Helper()
	seen := map[model.ChangeKind]int{}
	for _, r := range sink.Records(model.KindChange) {
		if c, ok := r.(model.Change); ok {
			seen[c.ChangeKind]++
		}
	}
	for _, k := range want {
		if seen[k] == 0 {
			t.Errorf("change vocabulary: no change of kind %q among %d changes (seen: %v)", k, len(sink.Records(model.KindChange)), seen)
		}
	}
}

func emptyID(v reflect.Value) bool {
	for _, name := range []string{"ID", "IssueID"} {
		if f := v.FieldByName(name); f.IsValid() && f.String() == "" {
			return true
		}
	}
	return false
}

// CheckStats checks the Stats of a run against what the sink received.
func CheckStats(t *testing.T, source string, st collectors.Stats, sink *MemorySink) {
	t.Helper()
	if st.Source != source {
		t.Errorf("Stats.Source = %q, want %q", st.Source, source)
	}
	var n int64
	for _, v := range st.Records {
		n += v
	}
	if n != sink.Puts() {
		t.Errorf("Stats.Records add up to %d, the sink received %d", n, sink.Puts())
	}
	if st.Duration <= 0 {
		t.Errorf("Stats.Duration = %s, want > 0", st.Duration)
	}
}

// CheckCounts compares counts per kind with the truth (kinds absent from
// want are not checked).
func CheckCounts(t *testing.T, got, want map[model.Kind]int) {
	t.Helper()
	for _, k := range model.Kinds {
		w, ok := want[k]
		if !ok {
			continue
		}
		if got[k] != w {
			t.Errorf("%s: got %d, want %d", k, got[k], w)
		}
	}
}

// CheckCursorsForward fails if a cursor was ever set to a value before its
// previous one.
func CheckCursorsForward(t *testing.T, hist []CursorSet) {
	t.Helper()
	last := map[string]string{}
	for _, h := range hist {
		k := cursorKey(h.Source, h.Name)
		if prev, ok := last[k]; ok && CursorLess(h.Value, prev) {
			t.Errorf("cursor %s of %s moved backwards: %s -> %s", h.Name, h.Source, prev, h.Value)
		}
		last[k] = h.Value
	}
}
