package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/robfig/cron/v3"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestSchedulerRunsInOrderAndSkipsOverlaps runs a source every second
// while each collection takes longer than that (the simulator answers
// slowly): collection and KPI refresh alternate in order, and the ticks
// that find the collection still running are skipped and counted.
func TestSchedulerRunsInOrderAndSkipsOverlaps(t *testing.T) {
	w := whtest.Open(t, "chdb")
	s, base := sim(t, 200)
	src := simSource(t, "sim", base, "@every 1s")
	s.SetFaults(jirasim.Faults{Rate: 1, Kinds: []jirasim.FaultKind{jirasim.FaultSlow}, Slow: 150 * time.Millisecond})

	var ev events
	p := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{src}, Logger: testLogger(t),
		Now:            func() time.Time { return s.Config().Now },
		OnCollectStart: func(string) { ev.add("collect") },
		AfterKPI:       func(context.Context, kpi.Snapshot) error { ev.add("kpi"); return nil },
	}
	srv := pipeline.NewServer(p, pipeline.ServeConfig{}) // metrics and KPI collector
	_ = srv
	sched, err := pipeline.NewScheduler(p, pipeline.ServeConfig{}, cron.WithSeconds())
	if err != nil {
		t.Fatal(err)
	}
	sched.Start()
	next, ok := sched.Next("collect:sim")
	if !ok || next.IsZero() || time.Until(next) > 2*time.Second {
		t.Errorf("next run of collect:sim = %v, %v; want within a second or two", next, ok)
	}
	waitFor(t, 90*time.Second, "two collections each followed by a KPI refresh", func() bool {
		e := ev.list()
		return len(e) >= 4
	})
	skipped := testutil.ToFloat64(p.Metrics.SchedulerSkipped.WithLabelValues("collect:sim", "overlap"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sched.Stop(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	e := ev.list()
	for i, x := range e {
		want := "collect"
		if i%2 == 1 {
			want = "kpi"
		}
		if x != want && !(i == len(e)-1 && x == "collect") {
			t.Fatalf("events %v: position %d is %s, want %s (collection, then its KPI refresh)", e, i, x, want)
		}
	}
	if skipped < 1 {
		t.Errorf("pmo_scheduler_skipped_runs_total{reason=overlap} = %v; want ≥ 1 (collections take longer than the 1s schedule)", skipped)
	}
	if got := testutil.ToFloat64(p.Metrics.SourceRuns.WithLabelValues("sim", "success")); got < 2 {
		t.Errorf("successful runs = %v, want ≥ 2", got)
	}
	if got := testutil.ToFloat64(p.Metrics.SchedulerNextRun.WithLabelValues("collect:sim")); got == 0 {
		t.Error("pmo_scheduler_next_run_timestamp_seconds{job=collect:sim} not set")
	}
	if !p.KPIs.Loaded() || p.KPIs.Series() == 0 {
		t.Errorf("exporter: loaded=%v series=%d after the KPI refreshes", p.KPIs.Loaded(), p.KPIs.Series())
	}
	t.Logf("events %v, skipped %v, KPI series %d", e, skipped, p.KPIs.Series())
}

// TestShutdownDuringRunLosesNothing stops serve (as SIGTERM does) in the
// middle of a collection, then runs the source again: the warehouse ends
// with exactly the simulator's ground truth.
func TestShutdownDuringRunLosesNothing(t *testing.T) {
	w := openKeepDB(t, 100)
	s, base := sim(t, 300)
	truth := s.Truth()
	src := simSource(t, "sim", base, "@daily")
	s.SetFaults(jirasim.Faults{Rate: 1, Kinds: []jirasim.FaultKind{jirasim.FaultSlow}, Slow: 100 * time.Millisecond})

	started := make(chan struct{}, 1)
	p := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{src}, Logger: testLogger(t),
		Now:            func() time.Time { return s.Config().Now },
		OnCollectStart: func(string) { started <- struct{}{} },
	}
	srv := pipeline.NewServer(p, pipeline.ServeConfig{Listen: "127.0.0.1:0", ShutdownGrace: 200 * time.Millisecond})
	srv.RunAtStart = true
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the collection did not start")
	}
	// Stop in the middle of the collection: once the first page of issues
	// has been served (every answer of the simulator is slowed, so the
	// collection has many requests left).
	waitFor(t, time.Minute, "the first search page", func() bool { return s.Requests()["search"] >= 1 })
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not shut down cleanly: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop within a minute of the signal")
	}
	mid := counts(t, w)
	if got := testutil.ToFloat64(p.Metrics.SourceRuns.WithLabelValues("sim", "canceled")); got != 1 {
		t.Errorf("canceled runs = %v, want 1", got)
	}
	if mid["issues"] >= uint64(truth.Issues) {
		t.Logf("note: the collection had finished the issues before the stop (%d)", mid["issues"])
	}

	// Restart: a new process would build a new pipeline on the same data.
	s.SetFaults(jirasim.Faults{})
	p2 := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{simSource(t, "sim", base, "")}, Logger: testLogger(t)}
	if _, err := p2.Collect(context.Background(), "sim", false); err != nil {
		t.Fatal(err)
	}
	got := counts(t, w)
	want := map[string]int{"issues": truth.Issues, "changes": truth.Changes, "worklogs": truth.Worklogs, "sprints": truth.Sprints, "projects": truth.Projects}
	for k, n := range want {
		if got[k] != uint64(n) {
			t.Errorf("after the restart %s = %d, want %d (ground truth); after the stop it was %d", k, got[k], n, mid[k])
		}
	}
	t.Logf("after the stop: %v; after the restart: %v", mid, got)
}

func TestOverlappingCollectRefused(t *testing.T) {
	w := whtest.Open(t, "chdb")
	s, base := sim(t, 100)
	s.SetFaults(jirasim.Faults{Rate: 1, Kinds: []jirasim.FaultKind{jirasim.FaultSlow}, Slow: 200 * time.Millisecond})
	started := make(chan struct{}, 1)
	p := &pipeline.Pipeline{Warehouse: w, Sources: []pipeline.Source{simSource(t, "sim", base, "")}, Logger: testLogger(t),
		OnCollectStart: func(string) { started <- struct{}{} }}
	first := make(chan error, 1)
	go func() { _, err := p.Collect(context.Background(), "sim", false); first <- err }()
	<-started
	_, err := p.Collect(context.Background(), "sim", false)
	if !errors.Is(err, pipeline.ErrOverlap) || !strings.Contains(err.Error(), "sim") {
		t.Errorf("second Collect: %v; want ErrOverlap naming the source", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := p.Collect(context.Background(), "nope", false); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown source: %v", err)
	}
}

func TestBadSchedules(t *testing.T) {
	p := &pipeline.Pipeline{Sources: []pipeline.Source{{Name: "a", Schedule: "every hour"}, {Name: "b", Schedule: "@hourly"}}}
	_, err := pipeline.NewScheduler(p, pipeline.ServeConfig{KPISchedule: "61 * * * *"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"sources[0].schedule (source a)", `"every hour"`, "serve.kpi_schedule", "@hourly"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if slices.Contains(strings.Split(err.Error(), "\n"), "") {
		t.Errorf("empty line in %q", err)
	}
}
