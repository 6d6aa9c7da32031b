package report

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// layoutModel is a portfolio of two programs and six projects with all 16
// headline columns (the "Status by program" table has 18 columns, "All
// projects" 19) and the charts of chartScope on every page.
func layoutModel() *Model {
	row := func(i int) []KPIRow {
		out := make([]KPIRow, len(headlines))
		for j, h := range headlines {
			v := float64((i*7+j*13)%100) / 100
			out[j] = KPIRow{ID: h.id, Name: h.name, Unit: h.unit, Value: &v, RAG: []RAG{Green, Amber, Red}[(i+j)%3], N: 9}
		}
		return out
	}
	m := &Model{Title: "PMO performance report", AsOf: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), TZ: time.UTC}
	m.GeneratedAt = m.AsOf
	mk := func(kind, label, slug string, i int) *Scope {
		s, _ := chartScope()
		s.Kind, s.Name, s.Label, s.Slug = kind, label, label, slug
		s.KPIs = append(row(i), s.KPIs[0])[:len(headlines)]
		s.KPIs[2].Trend = []Point{{At: m.AsOf.AddDate(0, 0, -14), Value: 0.5}, {At: m.AsOf, Value: 0.7}}
		s.Overall = []RAG{Green, Amber, Red}[i%3]
		return s
	}
	m.Portfolio = mk(kpi.ScopePortfolio, "Portfolio", "index", 0)
	for p := range 2 {
		pg := mk(kpi.ScopeProgram, fmt.Sprintf("Customer Experience %d", p+1), fmt.Sprintf("program-%d", p), p+1)
		for j := range 3 {
			pr := mk(kpi.ScopeProject, fmt.Sprintf("P%d%d — Platform %d%d", p, j, p, j), fmt.Sprintf("project-%d-%d", p, j), p*3+j)
			pr.Program = pg.Label
			pg.Children = append(pg.Children, pr)
			m.Projects = append(m.Projects, pr)
		}
		m.Programs = append(m.Programs, pg)
		m.Portfolio.Children = append(m.Portfolio.Children, pg)
	}
	return m
}

// layout is what the browser measured on a page.
type layout struct {
	// Tables: each RAG table's wrapper: its overflow-x, how wide the table
	// is and how wide the wrapper shows it, and whether the first column
	// sticks.
	Tables []struct {
		OverflowX, Sticky string
		ScrollW, ClientW  float64
		Columns           int
	}
	// PageOverflow is how far the page is wider than the window.
	PageOverflow float64
	// Collisions are overlapping x-axis labels and legends running into the
	// plot, per chart.
	Collisions []string
}

// measure runs in the page: table wrappers, and each chart's legend and
// x-axis labels from ECharts' own element tree.
const measure = `(() => {
  const out = {Tables: [], PageOverflow: document.documentElement.scrollWidth - window.innerWidth, Collisions: []};
  document.querySelectorAll('table.rag').forEach(t => {
    const w = t.parentElement, cs = getComputedStyle(w), first = t.rows[1] && t.rows[1].cells[0];
    out.Tables.push({OverflowX: cs.overflowX, Sticky: first ? getComputedStyle(first).position : '',
      ScrollW: w.scrollWidth, ClientW: w.clientWidth, Columns: t.rows[0].cells.length});
  });
  const rectOf = el => { const r = el.getBoundingRect().clone(); const m = el.getComputedTransform(); if (m) r.applyTransform(m); return r; };
  const texts = (group, pred) => { const xs = []; group.traverse(el => { if (el.type === 'text' && !el.ignore && !el.invisible && el.style && el.style.text && pred(el)) xs.push(el); }); return xs; };
  document.querySelectorAll('div.item').forEach(div => {
    const c = echarts.getInstanceByDom(div); if (!c) { out.Collisions.push(div.id + ': no chart'); return; }
    const m = c.getModel(), grid = m.getComponent('grid').coordinateSystem.getRect();
    const lg = m.getComponent('legend');
    if (lg) {
      const lr = rectOf(c.getViewOfComponentModel(lg).group);
      if (lr.y + lr.height > grid.y) out.Collisions.push(div.id + ': legend ends at ' + Math.round(lr.y + lr.height) + ' px, plot starts at ' + Math.round(grid.y));
      const y = m.getComponent('yAxis');
      if (y && y.get('name')) {
        const names = texts(c.getViewOfComponentModel(y).group, el => el.style.text === y.get('name'));
        names.forEach(n => { const r = rectOf(n); if (r.intersect(lr)) out.Collisions.push(div.id + ': y-axis name under the legend'); });
      }
    }
    const x = m.getComponent('xAxis');
    if (!x || x.get('axisLabel.rotate')) return; // turned labels: see TestChartLayout
    const labels = texts(c.getViewOfComponentModel(x).group, el => true).map(el => ({t: el.style.text, r: rectOf(el)}));
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i].r, b = labels[j].r;
      if (a.x < b.x + b.width + 2 && b.x < a.x + a.width + 2 && a.y < b.y + b.height && b.y < a.y + a.height)
        out.Collisions.push(div.id + ': x labels "' + labels[i].t + '" and "' + labels[j].t + '" touch');
    }
  });
  return out;
})()`

// TestLayoutInBrowser renders a portfolio with the full 16 headline
// columns and loads its pages in headless Chromium at 1,400 px (a laptop)
// and 800 px (the email width): the RAG tables fit at 1,400 px and scroll
// sideways inside their panel at 800 px with the scope column sticky, the
// page itself never scrolls sideways, no legend runs into its plot or the
// y-axis name, and no two x-axis labels touch.
func TestLayoutInBrowser(t *testing.T) {
	js := echartsJS(t)
	bin := chromium(t)
	out := t.TempDir()
	if _, err := Write(context.Background(), layoutModel(), WriteOptions{Out: out, EChartsJS: js}); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{1400, 800} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			actx, cancel := chromedp.NewExecAllocator(context.Background(),
				chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
				chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
				chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-sync", true),
				chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, 1000),
				chromedp.Flag("proxy-server", "127.0.0.1:9"), chromedp.Flag("proxy-bypass-list", "<-loopback>"))
			defer cancel()
			ctx, cancel := chromedp.NewContext(actx)
			defer cancel()
			for _, page := range []string{"index.html", "program-0.html", "project-0-0.html"} {
				abs, _ := filepath.Abs(filepath.Join(out, page))
				// Wait for every chart's canvas, not a fixed time.
				err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs), chromedp.WaitReady("body"))
				if err == nil {
					_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('div.item').length > 0 &&
						Array.from(document.querySelectorAll('div.item')).every(d => d.querySelector('canvas'))`))
				}
				var got layout
				if err == nil {
					got, err = chromedp.Run(ctx, chromedp.Evaluate[layout](measure))
				}
				if err != nil {
					t.Fatalf("%s: %v", page, err)
				}
				if got.PageOverflow > 0 {
					t.Errorf("%s: the page is %.0f px wider than the %d px window", page, got.PageOverflow, width)
				}
				if len(got.Tables) == 0 && page != "project-0-0.html" {
					t.Fatalf("%s: no RAG table", page)
				}
				for i, tb := range got.Tables {
					if tb.Columns < 18 {
						t.Errorf("%s: table %d has %d columns, want the 16 headlines and more", page, i, tb.Columns)
					}
					if tb.OverflowX != "auto" || tb.Sticky != "sticky" {
						t.Errorf("%s: table %d wrapper overflow-x %q, first column %q; want a sideways scroll with a sticky scope column", page, i, tb.OverflowX, tb.Sticky)
					}
					if width >= 1400 && tb.ScrollW > tb.ClientW+1 {
						t.Errorf("%s: table %d is %.0f px wide in a %.0f px panel at %d px: cut off", page, i, tb.ScrollW, tb.ClientW, width)
					}
				}
				for _, c := range got.Collisions {
					t.Errorf("%s at %d px: %s", page, width, c)
				}
			}
		})
	}
}
