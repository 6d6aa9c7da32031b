package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler runs each source's collection (followed by a KPI refresh) on
// its cron schedule, and the optional KPI schedule. A tick that finds the
// previous run of the same job still going is skipped and counted
// (pmo_scheduler_skipped_runs_total{reason="overlap"}).
type Scheduler struct {
	p    *Pipeline
	cron *cron.Cron
	jobs map[string]cron.EntryID

	runCtx    context.Context
	cancelRun context.CancelFunc
	busy      map[string]*atomic.Bool
	runs      map[string]func(context.Context)

	mu      sync.Mutex // guards stopped and manual.Add
	stopped bool
	manual  sync.WaitGroup // runs started by RunNow
}

// NewScheduler prepares the schedules of every source of p (a source
// without a schedule gets cfg.DefaultSchedule) and cfg.KPISchedule. A bad
// expression is an error naming the source. Options are passed to cron
// (tests use cron.WithSeconds and a seconds parser).
func NewScheduler(p *Pipeline, cfg ServeConfig, opts ...cron.Option) (*Scheduler, error) {
	p.init()
	cfg = cfg.WithDefaults()
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("serve.time_zone: unknown time zone %q", cfg.TimeZone)
	}
	parser := cron.Parser(cronParser)
	copts := append([]cron.Option{cron.WithLocation(loc), cron.WithParser(parser)}, opts...)
	s := &Scheduler{p: p, cron: cron.New(copts...), jobs: map[string]cron.EntryID{}, busy: map[string]*atomic.Bool{}, runs: map[string]func(context.Context){}}
	s.runCtx, s.cancelRun = context.WithCancel(context.Background())
	var errs []error
	for i, src := range p.Sources {
		expr := src.Schedule
		if expr == "" {
			expr = cfg.DefaultSchedule
		}
		name := src.Name
		if err := s.add("collect:"+name, expr, func(ctx context.Context) { _ = p.RunSource(ctx, name) }); err != nil {
			errs = append(errs, fmt.Errorf("sources[%d].schedule (source %s): %w", i, name, err))
		}
	}
	if cfg.KPISchedule != "" {
		if err := s.add("kpi", cfg.KPISchedule, func(ctx context.Context) { _, _, _ = p.RefreshKPIs(ctx) }); err != nil {
			errs = append(errs, fmt.Errorf("serve.kpi_schedule: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Job is an extra scheduled job of pmo serve (report regeneration, report
// emails): run on Schedule, never overlapping itself, cancelled at
// shutdown like a collection.
type Job struct {
	Name     string // "report", "email:<name>"; unique
	Schedule string // cron expression
	Run      func(ctx context.Context) error
}

// AddJob adds a job before Start. The error names the job and says what
// a schedule looks like. A failed run is logged.
func (s *Scheduler) AddJob(j Job) error {
	if _, dup := s.runs[j.Name]; dup {
		return fmt.Errorf("scheduled job %q: defined twice", j.Name)
	}
	err := s.add(j.Name, j.Schedule, func(ctx context.Context) {
		if err := j.Run(ctx); err != nil && ctx.Err() == nil {
			s.p.Logger.Error("scheduled job failed", "job", j.Name, "err", err.Error())
		}
	})
	if err != nil {
		return fmt.Errorf("schedule of %s: %w", j.Name, err)
	}
	return nil
}

func (s *Scheduler) add(job, expr string, run func(context.Context)) error {
	s.busy[job] = &atomic.Bool{}
	s.runs[job] = run
	id, err := s.cron.AddFunc(expr, func() {
		s.updateNext()
		s.mu.Lock()
		stopped := s.stopped
		s.mu.Unlock()
		if !stopped {
			s.runJob(job)
		}
	})
	if err != nil {
		return fmt.Errorf("%q is not a cron schedule (%v); expected five fields such as \"0 */2 * * *\", or @hourly, @daily, @every 30m", expr, err)
	}
	s.jobs[job] = id
	return nil
}

// runJob runs a job unless its previous run is still going (then the run
// is skipped and counted).
func (s *Scheduler) runJob(job string) {
	busy := s.busy[job]
	if !busy.CompareAndSwap(false, true) {
		s.p.Logger.Warn("skipping a scheduled run: the previous one is still running", "job", job)
		if s.p.Metrics != nil {
			s.p.Metrics.SchedulerSkipped.WithLabelValues(job, "overlap").Inc()
		}
		return
	}
	defer busy.Store(false)
	s.runs[job](s.runCtx)
}

// RunNow starts a job at once, outside its schedule, with the same
// overlap rule and the same shutdown handling as a scheduled run.
func (s *Scheduler) RunNow(job string) error {
	if _, ok := s.runs[job]; !ok {
		return fmt.Errorf("no scheduled job %q", job)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("the scheduler is stopped")
	}
	s.manual.Add(1)
	go func() {
		defer s.manual.Done()
		s.runJob(job)
	}()
	return nil
}

// updateNext publishes the next run time of every job.
func (s *Scheduler) updateNext() {
	if s.p.Metrics == nil {
		return
	}
	for job, id := range s.jobs {
		if e := s.cron.Entry(id); e.Valid() && !e.Next.IsZero() {
			s.p.Metrics.SchedulerNextRun.WithLabelValues(job).Set(float64(e.Next.Unix()))
		}
	}
}

// Start starts the schedules.
func (s *Scheduler) Start() {
	s.cron.Start()
	s.updateNext()
}

// Next returns the next run time of a job ("collect:<source>" or "kpi").
func (s *Scheduler) Next(job string) (time.Time, bool) {
	id, ok := s.jobs[job]
	if !ok {
		return time.Time{}, false
	}
	e := s.cron.Entry(id)
	return e.Next, e.Valid()
}

// Stop stops the schedules and waits for running jobs: up to grace for
// them to finish, then they are cancelled (a cancelled collection stores
// what it collected and leaves its cursor at the last stored batch) and
// Stop waits for them to return, or for ctx.
func (s *Scheduler) Stop(ctx context.Context, grace time.Duration) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	cronDone := s.cron.Stop().Done() // done when the running scheduled jobs have returned
	done := make(chan struct{})
	go func() {
		<-cronDone
		s.manual.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		s.cancelRun()
		return nil
	case <-t.C:
		s.p.Logger.Warn("shutting down: abandoning the running collections; what they stored stays, and the next run resumes from the last stored cursor", "grace", grace.String())
	case <-ctx.Done():
	}
	s.cancelRun()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shutting down: running jobs did not return: %w", ctx.Err())
	}
}
