package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/report"
)

// Reports writes the HTML report set of the warehouse's stored KPIs to Out
// (pmo demo, and pmo serve after each KPI refresh). A new set is written
// beside Out and swapped in, so a served folder never shows a half-written
// set.
type Reports struct {
	Pipeline *Pipeline
	Config   report.Config // Out, Title, HistoryWeeks (defaults filled in)
	Logger   *slog.Logger  // default the pipeline's
	// Scrub removes secrets from an error text before it is logged.
	Scrub func(string) string

	mu sync.Mutex // one generation at a time
}

// Generate writes the report set and swaps it in.
func (r *Reports) Generate(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Pipeline.init()
	log := r.Logger
	if log == nil {
		log = r.Pipeline.Logger
	}
	start := time.Now()
	rc := r.Config.WithDefaults()
	out := filepath.Clean(rc.Out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("report.out %s: %w", out, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".new-")
	if err != nil {
		return fmt.Errorf("report.out %s: %w", out, err)
	}
	defer os.RemoveAll(tmp)
	m, files, err := report.Generate(ctx, r.Pipeline.Warehouse,
		report.Options{KPI: *r.Pipeline.KPI, Title: rc.Title, HistoryWeeks: rc.HistoryWeeks, Logger: log},
		report.WriteOptions{Out: tmp})
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replacing the reports in %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("replacing the reports in %s: %w", out, err)
	}
	_ = os.RemoveAll(old)
	log.Info("reports written", "out", out, "files", len(files), "as_of", m.AsOf.Format(time.DateOnly),
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// Serve joins the reports to srv: the set is rewritten after each KPI
// refresh and on Config.Schedule, and served under /reports/. A report
// that cannot be written is logged; it does not make the KPI refresh (and
// so readiness) fail.
func (r *Reports) Serve(srv *Server) {
	rc := r.Config.WithDefaults()
	p := r.Pipeline
	after := p.AfterKPI
	p.AfterKPI = func(ctx context.Context, snap kpi.Snapshot) error {
		if after != nil {
			if err := after(ctx, snap); err != nil {
				return err
			}
		}
		if err := r.Generate(ctx); err != nil && ctx.Err() == nil {
			msg := err.Error()
			if r.Scrub != nil {
				msg = r.Scrub(msg)
			}
			p.init()
			p.Logger.Error("writing the reports failed", "out", rc.Out, "err", msg)
		}
		return nil
	}
	if srv.Handlers == nil {
		srv.Handlers = map[string]http.Handler{}
	}
	srv.Handlers["/reports/"] = http.StripPrefix("/reports/", http.FileServer(http.Dir(rc.Out)))
	if rc.Schedule != "" {
		srv.Jobs = append(srv.Jobs, Job{Name: "report", Schedule: rc.Schedule, Run: r.Generate})
	}
}
