package report

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

//go:embed templates/*.html templates/*.css
var templateFS embed.FS

var pageTmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"days":   func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"window": windowLabel,
	"pts":    func(f float64) string { return formatUnit(f, "") },
	"pct": func(a, b float64) string {
		if b == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f %%", a/b*100)
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("2 Jan 2006")
	},
	"trend": trendArrow,
	"recent": func(rs []kpi.SprintReport, n int) []kpi.SprintReport {
		if len(rs) > n {
			return rs[len(rs)-n:]
		}
		return rs
	},
	"lower":     strings.ToLower,
	"confLabel": confLabel,
	// The RAID log section (templates/raid.html).
	"raidRows": func() int { return raidRows },
	"trendRAG": raidTrendRAG,
	"local":    func(m *Model, t time.Time) time.Time { return t.In(cmpOrLoc(m.TZ)) },
	"isoDate": func(s string) string { // YYYY-MM-DD as date shows dates
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			return d.Format("2 Jan 2006")
		}
		return s
	},
}).ParseFS(templateFS, "templates/page.html", "templates/digest.html", "templates/raid.html",
	"templates/standards.html"))

// WriteOptions say where and how to write a report set.
type WriteOptions struct {
	Out string // output folder, created if missing
	// EChartsJS is the echarts.min.js to ship; "" = FindECharts.
	EChartsJS string
	// PDF, when set, prints each scope page to a PDF next to it (pdf.go);
	// a failure there is a *PDFError returned with the files written.
	PDF *PDFOptions
}

// page is the template data of one page.
type page struct {
	M          *Model
	S          *Scope
	Crumbs     []*Scope
	Charts     []Chart
	AssetsJS   string
	CSS        template.CSS
	Explain    bool
	ExplainFor []explainSection
	// Siblings are the other projects of a project's program (nav).
	Siblings []*Scope
}

type explainSection struct {
	Row   KPIRow
	Items []Item
}

// Write renders the report set into o.Out: index.html (portfolio), a page
// and an explain page per program and project, and assets/echarts.min.js.
// It returns the paths written.
func Write(ctx context.Context, m *Model, o WriteOptions) ([]string, error) {
	js := o.EChartsJS
	if js == "" {
		var err error
		if js, err = FindECharts(); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(o.Out, AssetsDir), 0o755); err != nil {
		return nil, fmt.Errorf("report: creating the output folder %s: %w", o.Out, err)
	}
	if err := copyFile(js, filepath.Join(o.Out, AssetsDir, "echarts.min.js")); err != nil {
		return nil, fmt.Errorf("report: copying the ECharts script %s: %w", js, err)
	}
	written := []string{filepath.Join(o.Out, AssetsDir, "echarts.min.js")}
	var scopePages []string
	for _, s := range m.All() {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		for _, explain := range []bool{false, true} {
			name := s.Slug + ".html"
			if explain {
				name = s.Slug + "-explain.html"
			}
			p := filepath.Join(o.Out, name)
			f, err := os.Create(p)
			if err != nil {
				return written, fmt.Errorf("report: writing %s: %w", p, err)
			}
			err = RenderPage(f, m, s, explain)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return written, fmt.Errorf("report: writing %s: %w", p, err)
			}
			written = append(written, p)
			if !explain {
				scopePages = append(scopePages, name)
			}
		}
	}
	if o.PDF != nil {
		pdfs, err := WritePDFs(ctx, o.Out, scopePages, *o.PDF)
		written = append(written, pdfs...)
		if err != nil {
			return written, &PDFError{Err: err}
		}
	}
	return written, nil
}

// RenderPage renders the page (or its explain page) of scope s.
func RenderPage(w io.Writer, m *Model, s *Scope, explain bool) error {
	css, _ := templateFS.ReadFile("templates/report.css")
	p := page{M: m, S: s, AssetsJS: AssetsDir + "/echarts.min.js", CSS: template.CSS(css), Explain: explain}
	p.Crumbs = crumbs(m, s)
	if s.Kind == kpi.ScopeProject && len(p.Crumbs) == 3 {
		p.Siblings = p.Crumbs[1].Children
	}
	if explain {
		for _, k := range s.KPIs {
			p.ExplainFor = append(p.ExplainFor, explainSection{Row: k, Items: s.Explain[k.ID]})
		}
	} else {
		p.Charts = scopeCharts(s, m)
	}
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "page.html", p); err != nil {
		return fmt.Errorf("rendering the %s page of %s: %w", s.Kind, s.Name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func crumbs(m *Model, s *Scope) []*Scope {
	out := []*Scope{m.Portfolio}
	if s.Kind == kpi.ScopeProject || s.Kind == kpi.ScopeTeam {
		for _, p := range m.Programs {
			if p.Name == s.Program {
				out = append(out, p)
			}
		}
	}
	if s != m.Portfolio {
		out = append(out, s)
	}
	return out
}

// trendArrow compares the latest trend value with the one about four weeks
// before: ▲, ▼ or ▬ (steady within 5 %).
func trendArrow(k KPIRow) string {
	if len(k.Trend) < 2 {
		return ""
	}
	last := k.Trend[len(k.Trend)-1]
	prev := k.Trend[0]
	for _, p := range k.Trend {
		if !p.At.After(last.At.AddDate(0, 0, -28)) {
			prev = p
		}
	}
	d := last.Value - prev.Value
	scale := max(abs(prev.Value), 1e-9)
	switch {
	case abs(d)/scale < 0.05:
		return "▬"
	case d > 0:
		return "▲"
	}
	return "▼"
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Generate builds the report model from the warehouse and writes the report
// set: what pmo report and pmo serve's report job run.
func Generate(ctx context.Context, w *warehouse.Warehouse, o Options, wo WriteOptions) (*Model, []string, error) {
	m, err := Build(ctx, w, o)
	if err != nil {
		return nil, nil, err
	}
	files, err := Write(ctx, m, wo)
	return m, files, err
}

// windowLabel says which window a card's value covers, on the card: a page
// that shows a KPI for two windows (a 4-week card, a 12-week chart) labels
// both visibly.
func windowLabel(w string) string {
	switch {
	case w == "snapshot":
		return "now"
	case w == "month":
		return "month"
	case strings.HasSuffix(w, "w"):
		if n, err := strconv.Atoi(strings.TrimSuffix(w, "w")); err == nil {
			return fmt.Sprintf("%d wk", n)
		}
	case strings.HasPrefix(w, "last"):
		if n, err := strconv.Atoi(strings.TrimPrefix(w, "last")); err == nil {
			return fmt.Sprintf("%d sprints", n)
		}
	}
	return w
}
