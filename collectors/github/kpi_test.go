package github_test

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestHandComputedKPIs: a small GitHub repository, collected through the
// simulator into a real warehouse, gives the flow KPIs computed by hand
// from its issues and events (UTC days; as of 2026-12-01 00:00, so E is
// 2026-11-30 and the 4-week window is [11-03, 12-01)):
//
//	#1 created 11-01 09:00, labeled in progress 11-03 10:00, closed 11-10 10:00: cycle 7 d (8 day counts), lead 9 d 1 h
//	#2 created 11-05 09:00, labeled in progress 11-06 09:00, closed 11-07 09:00: cycle 1 d (2), lead 2 d
//	#3 created 11-10 09:00, labeled in progress 11-20 09:00, open: WIP, age 11 day counts at E
//	#4 created 11-12 09:00, open, no label: to do
//	#5 created 11-02 09:00, closed as not planned 11-04 09:00: discarded, never counted
//	#6 created 11-03 09:00, closed 11-15 09:00 without being in progress: done, skipped In Progress (not in cycle time)
//
// throughput 4w = 3 (#1, #2, #6); cycle time mean = (7 + 1) / 2 = 4 days over 2 items; lead time mean =
// (9 1/24 + 2 + 12) / 3 days; WIP = 1 with mean age 11 day counts; stale_ratio's open items = #3, #4.
func TestHandComputedKPIs(t *testing.T) {
	for _, engine := range whtest.Engines {
		t.Run(engine, func(t *testing.T) {
			if raceEnabled && engine == "chdb" {
				t.Skip("chDB cannot run under -race; the server subtest covers it")
			}
			w := whtest.Open(t, engine)
			ctx := context.Background()
			at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
			closed := func(day, hour int) *time.Time { c := at(day, hour); return &c }
			inProgress := func(day, hour int) githubsim.Event {
				return githubsim.Event{Event: "labeled", Label: "in progress", At: at(day, hour)}
			}
			closeEv := func(day, hour int, reason string) githubsim.Event {
				return githubsim.Event{Event: "closed", StateReason: reason, At: at(day, hour)}
			}
			sim := githubsim.New(githubsim.Config{Repos: []string{"octo-org/kpi"}, Issues: 1, Now: at(30, 12)})
			sim.SetIssues("octo-org/kpi", []*githubsim.Issue{
				{Title: "one", Created: at(1, 9), State: "closed", StateReason: "completed", Closed: closed(10, 10), Labels: []string{"in progress"},
					Events: []githubsim.Event{inProgress(3, 10), closeEv(10, 10, "completed")}},
				{Title: "two", Created: at(5, 9), State: "closed", StateReason: "completed", Closed: closed(7, 9), Labels: []string{"in progress"},
					Events: []githubsim.Event{inProgress(6, 9), closeEv(7, 9, "completed")}},
				{Title: "three", Created: at(10, 9), Labels: []string{"in progress"}, Events: []githubsim.Event{inProgress(20, 9)}},
				{Title: "four", Created: at(12, 9)},
				{Title: "five", Created: at(2, 9), State: "closed", StateReason: "not_planned", Closed: closed(4, 9),
					Events: []githubsim.Event{closeEv(4, 9, "not_planned")}},
				{Title: "six", Created: at(3, 9), State: "closed", StateReason: "completed", Closed: closed(15, 9),
					Events: []githubsim.Event{closeEv(15, 9, "completed")}},
			})
			_, base := startSimFrom(t, sim)
			sink := w.Sink()
			if _, err := newCollector(t, "gh", simConfig(base, "octo-org/kpi")).Collect(ctx, sink, collectors.Options{Logger: testLogger(t)}); err != nil {
				t.Fatal(err)
			}
			if err := sink.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			snap, err := kpi.Compute(ctx, w, kpi.DefaultConfig(), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), kpi.ScopeFilter{})
			if err != nil {
				t.Fatal(err)
			}
			const scope = "gh/octo-org/kpi"
			for _, c := range []struct {
				kpi, window, labels string
				want                float64
				n                   uint64
			}{
				{"throughput", "4w", "measure=count", 3, 3},
				{"cycle_time", "4w", "method=mean,unit=days", 4, 2},
				{"lead_time", "4w", "method=mean,unit=days", (9 + 1.0/24 + 2 + 12) / 3, 3},
				{"wip", "snapshot", "measure=count", 1, 1},
				{"work_item_age", "snapshot", "measure=mean_age,unit=dc", 11, 1},
				{"created_vs_resolved", "4w", "measure=created", 4, 4},
				{"stale_ratio", "snapshot", "", 0, 2},
			} {
				v, ok := snap.Find(kpi.ScopeProject, scope, c.kpi, c.window, c.labels)
				switch {
				case !ok || v.Value == nil:
					t.Errorf("%s %s {%s}: no value", c.kpi, c.window, c.labels)
				case math.Abs(*v.Value-c.want) > 1e-9 || v.N != c.n:
					t.Errorf("%s %s {%s} = %.12g (n=%d), want %.12g (n=%d) by hand", c.kpi, c.window, c.labels, *v.Value, v.N, c.want, c.n)
				}
			}
		})
	}
}

// startSimFrom serves an existing simulator.
func startSimFrom(t testing.TB, sim *githubsim.Sim) (*githubsim.Sim, string) {
	t.Helper()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv.URL
}
