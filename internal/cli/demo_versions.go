package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/model"
)

// demoVersionDays is how many daily observations of the versions before the
// anchor the demo stores: the report period (7 days) and the day before
// it, so each observation in the period has one of the same organisation
// before it.
const demoVersionDays = 8

// errVersionsObserved ends a versions-only collection once the versions are
// stored.
var errVersionsObserved = errors.New("versions observed")

// versionsOnly is the sink of the demo's earlier observations: it stores
// the versions, observed at the simulator's clock, drops every other
// record, stores no cursor, and ends the collection at its first flush
// (the collector flushes after projects, versions, boards and sprints,
// before it reads any issue).
type versionsOnly struct {
	collectors.Sink
	at time.Time
	n  int
}

func (s *versionsOnly) Put(ctx context.Context, recs ...model.Record) error {
	var keep []model.Record
	for _, r := range recs {
		if v, ok := r.(model.Version); ok {
			v.ObservedAt = s.at
			keep = append(keep, v)
		}
	}
	s.n += len(keep)
	return s.Sink.Put(ctx, keep...)
}

func (s *versionsOnly) Flush(ctx context.Context) error {
	if err := s.Sink.Flush(ctx); err != nil {
		return err
	}
	return errVersionsObserved
}

func (s *versionsOnly) SetCursor(context.Context, string, string, string) error { return nil }

// demoVersionHistory stores the versions of the simulated Jira as daily
// collections of the days before the anchor would have observed them (at
// noon UTC, the simulator's clock set to that instant), then sets the
// simulator's clock back to the anchor. Trackers keep only a version's
// current release date, so pmo sees a release-date move only between two
// collections; the simulator rescheduled some releases in the last days
// (jirasim.Server.ReleaseMoves), and these observations let the change
// log show them. It returns the number of version records stored.
func demoVersionHistory(ctx context.Context, sim *jirasim.Server, c collectors.Collector, sink collectors.Sink, anchor time.Time, log *slog.Logger) (int, error) {
	total := 0
	for d := demoVersionDays; d >= 1; d-- {
		at := anchor.AddDate(0, 0, -d).Add(12 * time.Hour)
		if err := sim.SetClock(at); err != nil {
			return total, fmt.Errorf("observing the simulator's versions of %s: %w", at.Format(time.DateOnly), err)
		}
		vs := &versionsOnly{Sink: sink, at: at}
		_, err := c.Collect(ctx, vs, collectors.Options{Logger: log})
		total += vs.n
		if err != nil && !errors.Is(err, errVersionsObserved) {
			return total, fmt.Errorf("observing the simulator's versions of %s: %w", at.Format(time.DateOnly), err)
		}
	}
	if err := sim.SetClock(anchor); err != nil {
		return total, fmt.Errorf("setting the simulator's clock back to %s: %w", anchor.Format(time.RFC3339), err)
	}
	return total, nil
}
