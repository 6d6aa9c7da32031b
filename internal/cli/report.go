package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// reportFlags are the flags pmo report and pmo email share.
type reportFlags struct {
	scope   string
	asOf    string
	precise bool
}

func (f *reportFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.scope, "scope", "", "limit to a scope: program:NAME, project:KEY, team:NAME (default: everything)")
	cmd.Flags().StringVar(&f.asOf, "as-of", "", "report the KPI snapshot of this date (YYYY-MM-DD: the midnight starting it in kpi.tz, as pmo kpi --as-of; default: the latest stored)")
	cmd.Flags().BoolVar(&f.precise, "precise-explain", false, "no effect: every issue list is the KPI engine's explanation now")
	_ = cmd.Flags().MarkDeprecated("precise-explain", "every issue list is the KPI engine's explanation now; drop the flag")
}

// options turns the flags into report options.
func (f *reportFlags) options(cfg *pipeline.Config, logger *slog.Logger) (report.Options, error) {
	rc := cfg.Report.WithDefaults()
	o := report.Options{KPI: cfg.KPI, RAID: cfg.RAID, Standards: cfg.Standards, Title: rc.Title, HistoryWeeks: rc.HistoryWeeks, Logger: logger}
	sf, err := kpi.ParseScopeFilter(f.scope)
	if err != nil {
		return o, withCode(ExitUsage, fmt.Errorf("--scope: %w", err))
	}
	o.Scope = sf
	if f.asOf != "" {
		// The same instant pmo kpi --as-of stores: midnight in kpi.tz.
		t, err := parseKPIDate(cfg, "as-of", f.asOf)
		if err != nil {
			return o, err
		}
		o.AsOf = t
	}
	return o, nil
}

// buildReport builds the report model from w, or from the configured
// warehouse when w is nil.
func (a *App) buildReport(ctx context.Context, cfg *pipeline.Config, w *warehouse.Warehouse, f *reportFlags) (m *report.Model, err error) {
	o, err := f.options(cfg, a.logger)
	if err != nil {
		return nil, err
	}
	if w == nil {
		if w, err = a.openMigrated(ctx, cfg); err != nil {
			return nil, err
		}
		defer closeWarehouse(w, &err)
	}
	if o.Scope, err = a.resolveScope(ctx, w, cfg, f.scope, o.AsOf); err != nil {
		return nil, err
	}
	m, err = report.Build(ctx, w, o)
	if err != nil {
		return nil, fmt.Errorf("building the report: %w", err)
	}
	// A scope of the warehouse may be missing from the snapshot reported.
	if o.Scope.Kind != "" && o.Scope.Kind != kpi.ScopePortfolio && len(m.Programs)+len(m.Projects)+len(m.Teams) == 0 {
		return nil, withCode(ExitUsage, kpi.NoScopeError(o.Scope.String(), m.Scopes, m.AsOf))
	}
	return m, nil
}

func (a *App) reportCommand() *cobra.Command {
	var f reportFlags
	var out, paper, orientation string
	var pdf bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the HTML chart reports: portfolio, programs, projects",
		Long: `Report renders the latest KPI snapshot (or the one of --as-of) and its history
as static HTML: a portfolio overview with the RAG status of every program and
project, a page per program and project with run charts, cycle time,
cumulative flow, aging work in progress, velocity, risks and data hygiene, and
for each page the issues behind its KPIs.

The folder (--out, else report.out) is pmo's own: a new or empty folder is
marked as pmo's, a folder with other files is refused, and each run writes a
new version of the set and points OUT/current at it — open
OUT/current/index.html. pmo never replaces or removes a file it did not
write.

The pages work offline: the ECharts script is copied into the report folder
(fetch it once with scripts/fetch-echarts.sh). Without stored KPI values the
snapshot is computed on the fly.

The pages print cleanly from a browser. --pdf also prints each portfolio,
program and project page to a PDF next to it (index.pdf beside index.html)
with headless Chromium ($PMO_CHROMIUM, else chromium on PATH: apt-get install
chromium), on A4 paper unless --pdf-paper letter. --pdf-orientation auto (the
default) prints a page landscape when one of its tables would print too small
upright: laid out on the portrait page, a table is wider than the page or
its header or first row is set below 6 pt (8 CSS px) — the print rules shrink
the 19-column RAG tables of the portfolio and program pages that far — and
portrait otherwise; portrait or landscape turns every page. Without Chromium
the HTML is still written and pmo exits 1 saying what is missing.`,
		Example: `  pmo report --out ./reports
  pmo report --scope program:Payments --as-of 2025-02-01 --out /srv/pmo/reports
  pmo report --pdf --pdf-paper letter
  pmo report --pdf --pdf-orientation landscape`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pdfPaper, err := report.ParsePaper(paper)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("--pdf-paper: %w", err))
			}
			if cmd.Flags().Changed("pdf-paper") && !pdf {
				return withCode(ExitUsage, errors.New("--pdf-paper: only with --pdf"))
			}
			pdfOrientation, err := report.ParseOrientation(orientation)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("--pdf-orientation: %w", err))
			}
			if cmd.Flags().Changed("pdf-orientation") && !pdf {
				return withCode(ExitUsage, errors.New("--pdf-orientation: only with --pdf"))
			}
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			key := "--out"
			if out == "" {
				out, key = cfg.Report.WithDefaults().Out, "report.out"
			}
			// Refuse a folder pmo may not publish into before any work.
			if err := cfg.CheckReportOut(out, key); err != nil {
				return withCode(ExitUsage, err)
			}
			js, err := report.FindECharts()
			if err != nil {
				return withCode(ExitFailure, err)
			}
			wo := report.WriteOptions{EChartsJS: js}
			// Without Chromium the HTML is still published, then the
			// missing browser is the error.
			var noChromium error
			if pdf {
				if bin, err := report.FindChromium(); err != nil {
					noChromium = err
				} else {
					wo.PDF = &report.PDFOptions{Chromium: bin, Paper: pdfPaper, Orientation: pdfOrientation, Logger: a.logger, Progress: a.pdfProgress}
				}
			}
			m, err := a.buildReport(ctx, cfg, nil, &f)
			if err != nil {
				return err
			}
			pub, err := report.Publish(ctx, m, out, key, cfg.ReservedFolders(), wo)
			if errors.Is(err, report.ErrNotOwned) || errors.Is(err, report.ErrReservedFolder) {
				return withCode(ExitUsage, err)
			}
			var pdfErr *report.PDFError
			if err != nil && !errors.As(err, &pdfErr) {
				return err
			}
			dir := filepath.Join(out, report.CurrentLink)
			fmt.Fprintf(a.Stdout, "wrote %d files for %d programs and %d projects (as of %s) to %s\nopen %s\n",
				len(pub.Files), len(m.Programs), len(m.Projects), m.AsOf.Format(time.DateOnly), dir, filepath.Join(dir, "index.html"))
			switch {
			case pdfErr != nil:
				return withCode(ExitFailure, fmt.Errorf("--pdf: %w; the HTML report was written to %s", pdfErr, dir))
			case noChromium != nil:
				return withCode(ExitFailure, fmt.Errorf("--pdf: %w; the HTML report was written to %s", noChromium, dir))
			case wo.PDF != nil:
				n := 0
				for _, f := range pub.Files {
					if strings.HasSuffix(f, ".pdf") {
						n++
					}
				}
				fmt.Fprintf(a.Stdout, "printed %d PDFs on %s paper (%s) next to their pages\n", n, paperName(pdfPaper), orientationName(pdfOrientation))
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "output folder (default report.out, else "+report.DefaultOut+")")
	cmd.Flags().BoolVar(&pdf, "pdf", false, "also print each portfolio, program and project page to a PDF next to it (NAME.pdf) with headless Chromium ($PMO_CHROMIUM, else chromium on PATH)")
	cmd.Flags().StringVar(&paper, "pdf-paper", string(report.PaperA4), "paper of the PDFs: a4 or letter")
	cmd.Flags().StringVar(&orientation, "pdf-orientation", string(report.OrientationAuto), "orientation of the PDF pages: portrait, landscape, or auto (landscape for a page whose tables would print below 6 pt upright)")
	_ = cmd.RegisterFlagCompletionFunc("pdf-paper", cobra.FixedCompletions([]string{string(report.PaperA4), string(report.PaperLetter)}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("pdf-orientation", cobra.FixedCompletions([]string{string(report.OrientationAuto), string(report.OrientationPortrait), string(report.OrientationLandscape)}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// pdfProgress says on stderr which PDF is being printed, when there are
// several.
func (a *App) pdfProgress(i, n int, pdf string) {
	if n > 1 {
		fmt.Fprintf(a.Stderr, "printing PDF %d of %d: %s\n", i, n, filepath.Base(pdf))
	}
}

func orientationName(o report.Orientation) string {
	if o == report.OrientationAuto {
		return "landscape where a table needs it"
	}
	return string(o)
}

func paperName(p report.Paper) string {
	if p == report.PaperLetter {
		return "Letter"
	}
	return "A4"
}
