package pipeline

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/standards"
)

// Reports publishes the HTML report set of the warehouse's stored KPIs to
// Out (pmo demo, and pmo serve after each KPI refresh) with
// report.Publish: a new version of the set is written into pmo's own tree
// in Out and swapped in, so a served folder never shows a half-written set,
// and no file pmo did not write is ever replaced, removed or served.
type Reports struct {
	Pipeline *Pipeline
	Config   report.Config // Out, Title, HistoryWeeks (defaults filled in)
	// Reserved are folders Out must not be (Config.ReservedFolders).
	Reserved report.Reserved
	Logger   *slog.Logger // default the pipeline's
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
	m, err := report.Build(ctx, r.Pipeline.Warehouse,
		report.Options{KPI: *r.Pipeline.KPI, RAID: r.Pipeline.raid(), Standards: r.Pipeline.standards(), Title: rc.Title, HistoryWeeks: rc.HistoryWeeks, Logger: log})
	if err != nil {
		return err
	}
	pub, err := report.Publish(ctx, m, rc.Out, "report.out", r.Reserved, report.WriteOptions{})
	if err != nil {
		return err
	}
	for _, k := range pub.Kept {
		log.Warn("an old report set was not removed: it holds files pmo did not write", "folder", k)
	}
	log.Info("reports written", "out", pub.Dir, "files", len(pub.Files), "as_of", m.AsOf.Format(time.DateOnly),
		"duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// Serve joins the reports to srv: the set is rewritten after each KPI
// refresh and on Config.Schedule, and its files (only those) are served
// under /reports/, without directory listings. A report that cannot be
// written is logged; it does not make the KPI refresh (and so readiness)
// fail.
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
	srv.Handlers["/reports/"] = http.StripPrefix("/reports/", report.Handler(rc.Out))
	if rc.Schedule != "" {
		srv.Jobs = append(srv.Jobs, Job{Name: "report", Schedule: rc.Schedule, Run: r.Generate})
	}
}

// raid is the pipeline's kpi.raid, or the defaults.
func (p *Pipeline) raid() raid.Config {
	if p.RAID == nil {
		return raid.DefaultConfig()
	}
	return *p.RAID
}

// standards is the pipeline's kpi.standards, or the defaults.
func (p *Pipeline) standards() standards.Config {
	if p.Standards == nil {
		return standards.DefaultConfig()
	}
	return *p.Standards
}
