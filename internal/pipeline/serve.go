package pipeline

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/robfig/cron/v3"

	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Timeouts of pmo serve's HTTP server: a slow or stalled client cannot hold
// a connection (or the reports it downloads) open for ever.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
)

// Server is `pmo serve`: the schedules plus /metrics, /healthz and /readyz.
type Server struct {
	Pipeline *Pipeline
	Config   ServeConfig
	// Registry holds the self-metrics and the Go and process collectors;
	// /metrics serves it followed by the KPI snapshot (Pipeline.KPIs,
	// rendered once per refresh, see exporter.Handler).
	Registry *prometheus.Registry
	// Listener, when set, is used instead of listening on Config.Listen
	// (tests pass 127.0.0.1:0).
	Listener net.Listener
	// CronOptions are passed to the scheduler (tests: cron.WithSeconds()).
	CronOptions []cron.Option
	// RunAtStart collects every source once as soon as the warehouse is
	// ready, instead of waiting for the first scheduled tick.
	RunAtStart bool
	// Jobs are extra scheduled jobs (reports, report emails).
	Jobs []Job
	// Handlers are extra handlers by mux pattern (e.g. "/reports/"), listed
	// on the index page.
	Handlers map[string]http.Handler
	// ReadyPoll is how often readiness is re-checked while the warehouse is
	// not migrated (default 5s).
	ReadyPoll time.Duration

	ready    atomic.Bool
	notReady atomic.Value // string: why not ready
	sched    *Scheduler
	addr     chan string
}

// NewServer wires a pipeline for serving: it gives the pipeline fresh
// self-metrics and a KPI collector on a new registry.
func NewServer(p *Pipeline, cfg ServeConfig) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p.Metrics = exporter.NewMetrics(reg)
	p.KPIs = exporter.NewKPICollector(nil)
	s := &Server{Pipeline: p, Config: cfg.WithDefaults(), Registry: reg, addr: make(chan string, 1)}
	s.notReady.Store("starting")
	return s
}

// Handler serves /metrics, /healthz and /readyz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", exporter.Handler(s.Registry, s.Pipeline.KPIs, s.Pipeline.Logger))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s\n", s.notReady.Load())
			return
		}
		fmt.Fprintln(w, "ready")
	})
	links := []string{"/metrics", "/healthz", "/readyz"}
	for pattern, h := range s.Handlers {
		mux.Handle(pattern, h)
		links = append(links, pattern)
	}
	slices.Sort(links[3:])
	var index strings.Builder
	index.WriteString(`<!doctype html><title>pmo</title><h1>pmo</h1><ul>`)
	for _, l := range links {
		fmt.Fprintf(&index, `<li><a href="%s">%s</a>`, html.EscapeString(l), html.EscapeString(l))
	}
	index.WriteString("</ul>\n")
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, index.String())
	})
	return mux
}

// Ready reports whether the warehouse is migrated and a snapshot is served.
func (s *Server) Ready() bool { return s.ready.Load() }

// Addr returns the listening address once Run has bound it.
func (s *Server) Addr(ctx context.Context) (string, error) {
	select {
	case a := <-s.addr:
		s.addr <- a
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Run serves until ctx is cancelled (SIGTERM), then shuts down: the
// schedules stop, running collections get Config.ShutdownGrace to finish
// and are then abandoned safely, and the HTTP server drains.
func (s *Server) Run(ctx context.Context) error {
	p := s.Pipeline
	p.init()
	sched, err := NewScheduler(p, s.Config, s.CronOptions...)
	if err != nil {
		return err
	}
	for _, j := range s.Jobs {
		if err := sched.AddJob(j); err != nil {
			return err
		}
	}
	s.sched = sched
	ln := s.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", s.Config.Listen)
		if err != nil {
			return fmt.Errorf("serve.listen %s: %w", s.Config.Listen, err)
		}
	}
	s.addr <- ln.Addr().String()
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, ErrorLog: slog.NewLogLogger(p.Logger.Handler(), slog.LevelDebug)}
	webFile := s.Config.WebConfigFile
	httpErr := make(chan error, 1)
	go func() {
		// TLS and basic auth from serve.web_config_file (exporter-toolkit,
		// the file format of Prometheus and node_exporter); plain HTTP
		// without one.
		if err := web.Serve(ln, hs, &web.FlagConfig{WebConfigFile: &webFile}, p.Logger); err != nil && !errors.Is(err, http.ErrServerClosed) {
			httpErr <- err
		}
		close(httpErr)
	}()
	p.Logger.Info("serving", "addr", ln.Addr().String(), "sources", len(p.Sources))

	var wg sync.WaitGroup
	startCtx, stopStart := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.becomeReady(startCtx)
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		runErr = fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
	}
	p.Logger.Info("shutting down")
	stopStart()
	wg.Wait()
	s.ready.Store(false)
	s.notReady.Store("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Config.ShutdownGrace+p.FlushTimeout)
	defer cancel()
	if err := sched.Stop(sctx, s.Config.ShutdownGrace); err != nil {
		runErr = errors.Join(runErr, err)
	}
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer hcancel()
	if err := hs.Shutdown(hctx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("stopping the HTTP server: %w", err))
	}
	p.Logger.Info("stopped")
	return runErr
}

// becomeReady waits for a migrated warehouse, loads (or computes) the KPI
// snapshot, starts the schedules and, with RunAtStart, runs every source.
func (s *Server) becomeReady(ctx context.Context) {
	p := s.Pipeline
	poll := s.ReadyPoll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		why, err := s.checkReady(ctx)
		if err == nil && why == "" {
			break
		}
		if err != nil {
			why = err.Error()
		}
		if s.notReady.Swap(why) != why {
			p.Logger.Warn("not ready", "reason", why)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
	s.ready.Store(true)
	p.Logger.Info("ready")
	s.sched.Start()
	if s.RunAtStart {
		for _, src := range p.Sources {
			if err := s.sched.RunNow("collect:" + src.Name); err != nil {
				p.Logger.Warn("not collecting at start", "source", src.Name, "err", err.Error())
			}
		}
	}
}

// checkReady returns why the server is not ready yet ("" when it is).
func (s *Server) checkReady(ctx context.Context) (string, error) {
	p := s.Pipeline
	v, err := p.Warehouse.SchemaVersion(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the warehouse schema version: %w", err)
	}
	if latest := warehouse.LatestSchemaVersion(); v < latest {
		return fmt.Sprintf("the warehouse schema is at version %d of %d: run pmo migrate", v, latest), nil
	}
	if p.KPIs != nil && p.KPIs.Loaded() {
		return "", nil
	}
	err = p.LoadSnapshot(ctx)
	if errors.Is(err, kpi.ErrNoValues) {
		// A fresh warehouse: compute a first snapshot from what is there.
		_, _, err = p.RefreshKPIs(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("loading the KPI snapshot: %w", err)
	}
	return "", nil
}
