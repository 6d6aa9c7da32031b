package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ledongthuc/pdf"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// printModel is a portfolio of two programs with perProgram projects each,
// every one with the 16 headline columns and the charts of chartScope: its
// "All projects" table is long enough to run over more than one page.
func printModel(perProgram int) *Model {
	m := &Model{Title: "PMO performance report", AsOf: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), TZ: time.UTC}
	m.GeneratedAt = m.AsOf
	mk := func(kind, label, slug string, i int) *Scope {
		s, _ := chartScope()
		s.Kind, s.Name, s.Label, s.Slug = kind, label, label, slug
		s.KPIs = make([]KPIRow, len(headlines))
		for j, h := range headlines {
			v := float64((i*7+j*13)%100) / 100
			s.KPIs[j] = KPIRow{ID: h.id, Name: h.name, Unit: h.unit, Value: &v, RAG: []RAG{Green, Amber, Red}[(i+j)%3], N: 9}
		}
		s.Overall = []RAG{Green, Amber, Red}[i%3]
		return s
	}
	m.Portfolio = mk(kpi.ScopePortfolio, "Portfolio", "index", 0)
	for p := range 2 {
		pg := mk(kpi.ScopeProgram, fmt.Sprintf("Program %c", 'A'+p), fmt.Sprintf("program-%d", p), p+1)
		for j := range perProgram {
			pr := mk(kpi.ScopeProject, fmt.Sprintf("PRJ%c%02d — Platform", 'A'+p, j), fmt.Sprintf("project-%d-%d", p, j), p*perProgram+j)
			pr.Program = pg.Label
			pg.Children = append(pg.Children, pr)
			m.Projects = append(m.Projects, pr)
		}
		m.Programs = append(m.Programs, pg)
		m.Portfolio.Children = append(m.Portfolio.Children, pg)
	}
	return m
}

// pdfPages is the text of each page of a PDF with all white space removed
// (a PDF's text runs split words and lines at will), the page size in
// points, and how many images the pages draw (a chart's canvas prints as
// one).
func pdfPages(t *testing.T, b []byte) (pages []string, width, height float64, images int) {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("reading the PDF: %v", err)
	}
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if i == 1 {
			box := p.V.Key("MediaBox") // Chromium puts it on each page
			width, height = box.Index(2).Float64()-box.Index(0).Float64(), box.Index(3).Float64()-box.Index(1).Float64()
		}
		xo := p.Resources().Key("XObject")
		for _, k := range xo.Keys() {
			if xo.Key(k).Key("Subtype").Name() == "Image" {
				images++
			}
		}
		rows, err := p.GetTextByRow()
		if err != nil {
			t.Fatalf("page %d: extracting text: %v", i, err)
		}
		var sb strings.Builder
		for _, row := range rows {
			for _, w := range row.Content {
				sb.WriteString(w.S)
			}
		}
		pages = append(pages, squash(sb.String()))
	}
	return pages, width, height, images
}

// squash drops white space and case (text-transform prints headings in
// capitals).
func squash(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }

// pagesWith lists the pages (from 1) whose text holds s.
func pagesWith(pages []string, s string) []int {
	var out []int
	for i, p := range pages {
		if strings.Contains(p, squash(s)) {
			out = append(out, i+1)
		}
	}
	return out
}

// printLayout is what the browser measured on a page laid out for print.
type printLayout struct {
	// Overflow: how far the page or any table is wider than the space it
	// has (cut off on paper).
	PageOverflow, TableOverflow float64
	Hidden                      []string // chrome that is shown, but must not be
	ChartWidths                 []float64
	Width                       float64
	THeadGroup                  string
	Widest                      string // the heading of the table wider than the page
}

const measurePrint = `(() => {
  const out = {PageOverflow: document.documentElement.scrollWidth - window.innerWidth, TableOverflow: 0, Hidden: [],
    ChartWidths: [], Width: document.querySelector('main').clientWidth, THeadGroup: ''};
  document.querySelectorAll('table').forEach(t => {
    const over = t.scrollWidth - t.parentElement.clientWidth;
    if (over > out.TableOverflow) { out.TableOverflow = over; out.Widest = t.closest('section').querySelector('h2').textContent; } });
  const th = document.querySelector('table thead'); if (th) out.THeadGroup = getComputedStyle(th).display;
  ['.crumbs', '.siblings', 'details.def', '.card-foot a'].forEach(sel => document.querySelectorAll(sel).forEach(el => {
    if (el.getClientRects().length > 0) out.Hidden.push(sel); }));
  document.querySelectorAll('div.item canvas').forEach(c => out.ChartWidths.push(c.getBoundingClientRect().width));
  return out;
})()`

// TestPDF prints report pages with headless Chromium (one browser for all
// checks): the portfolio page on A4 and a project page on Letter have the
// paper's size, the KPI cards' text and a table row's text; the portfolio's
// 50-row project table runs over more than one page with its header on each
// and every row printed once; a page laid out for print hides the
// navigation, fits every table and chart in the page width; a screenshot in
// print emulation goes to $PMO_REPORT_SHOTS/pdf when set.
func TestPDF(t *testing.T) {
	js := echartsJS(t)
	bin := chromium(t)
	dir := t.TempDir()
	m := printModel(25)
	// Only the two pages printed (Write renders all 106: 5 s under -race).
	if err := os.MkdirAll(filepath.Join(dir, AssetsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(js, filepath.Join(dir, AssetsDir, "echarts.min.js")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Scope{m.Portfolio, m.Projects[0]} {
		var b bytes.Buffer
		if err := RenderPage(&b, m, s, false); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s.Slug+".html"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	p, err := NewPrinter(ctx, PDFOptions{Chromium: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	shots := shotsDir(t, "pdf")
	card := m.Portfolio.KPIs[0]
	row := m.Projects[len(m.Projects)-1]
	for _, tc := range []struct {
		page, paper string
		scope       *Scope
		w, h        float64 // points
		minPages    int
		want        []string
	}{
		// auto: the portfolio's 19-column RAG table turns it to landscape,
		// the project page (no table too small in portrait) stays upright.
		{"index.html", "a4", m.Portfolio, 842, 595, 2, []string{card.Name, card.Format(), strings.Fields(row.Label)[0], row.KPIs[len(row.KPIs)-1].Format(), "Program A"}},
		{"project-0-0.html", "letter", m.Projects[0], 612, 792, 1, []string{"Cycle time P85", m.Projects[0].KPIs[1].Format(), "Data hygiene", "CAS Sprint 41"}},
	} {
		t.Run(tc.page+"/"+tc.paper, func(t *testing.T) {
			paper, err := ParsePaper(tc.paper)
			if err != nil {
				t.Fatal(err)
			}
			p.o.Paper, p.o.Orientation = paper, OrientationAuto
			var got []string
			written, err := p.WritePDFs(ctx, dir, []string{tc.page}, func(i, n int, f string) { got = append(got, fmt.Sprintf("%d/%d %s", i, n, filepath.Base(f))) })
			if err != nil {
				t.Fatal(err)
			}
			wantFile := strings.TrimSuffix(tc.page, ".html") + ".pdf"
			if len(written) != 1 || filepath.Base(written[0]) != wantFile || !slices.Equal(got, []string{"1/1 " + wantFile}) {
				t.Fatalf("wrote %v with progress %v, want %s next to the page", written, got, wantFile)
			}
			b, err := os.ReadFile(written[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, tc.paper+"-"+wantFile), b, 0o644); err != nil {
				t.Fatal(err)
			}
			pages, w, h, images := pdfPages(t, b)
			if charts := len(scopeCharts(tc.scope, m)); images != charts {
				t.Errorf("%d images in the PDF, want one per chart: %d", images, charts)
			}
			if len(pages) < tc.minPages {
				t.Errorf("%d pages, want at least %d", len(pages), tc.minPages)
			}
			if abs(w-tc.w) > 1 || abs(h-tc.h) > 1 {
				t.Errorf("page of %.0f × %.0f pt, want %s: %.0f × %.0f", w, h, tc.paper, tc.w, tc.h)
			}
			for _, s := range tc.want {
				if len(pagesWith(pages, s)) == 0 {
					t.Errorf("no page has %q; page 1: %s", s, pages[0])
				}
			}
			if tc.page != "index.html" {
				return
			}
			// The "All projects" table: every row once, over more than one
			// page, its header on each of them.
			var first, last int
			for i, pr := range m.Projects {
				// The key: the rest of the label may wrap in its cell.
				on := pagesWith(pages, strings.Fields(pr.Label)[0])
				if len(on) != 1 {
					t.Errorf("project %s is on pages %v, want one", pr.Label, on)
					continue
				}
				if i == 0 {
					first = on[0]
				}
				last = on[0]
			}
			if last <= first {
				t.Fatalf("the project table is on page %d to %d, want more than one page", first, last)
			}
			header := pagesWith(pages, "PROJECTPROGRAMSTATUS")
			for pg := first; pg <= last; pg++ {
				if !slices.Contains(header, pg) {
					t.Errorf("page %d of the project table has no header row (headers on %v)", pg, header)
				}
			}
		})
	}

	// The portfolio page as it prints on each paper, upright and turned:
	// its layout, whether its tables print readably (the rule of auto), and
	// a screenshot of the landscape layout to look at.
	for _, tc := range []struct {
		paper       Paper
		orientation Orientation
		landscape   bool // the page is laid out turned
	}{
		// (auto on A4 is the index.html case above: landscape.)
		{PaperA4, OrientationPortrait, false},
		{PaperLetter, OrientationLandscape, true},
	} {
		paper := tc.paper
		p.o.Paper, p.o.Orientation = tc.paper, tc.orientation
		tab, cancel, landscape, err := p.openForPrint(ctx, filepath.Join(dir, "index.html"), 1)
		if err != nil {
			t.Fatal(err)
		}
		lay, err := chromedp.Run(tab, chromedp.Evaluate[printLayout](measurePrint))
		var small bool
		if err == nil {
			small, err = chromedp.Run(tab, chromedp.Evaluate[bool](fmt.Sprintf(tooNarrow, MinReadablePx)))
		}
		var png []byte
		if err == nil && landscape {
			png, err = chromedp.Run(tab, chromedp.FullScreenshot(100))
		}
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if landscape != tc.landscape {
			t.Errorf("%s %s: landscape %v, want %v", paper, tc.orientation, landscape, tc.landscape)
		}
		// Portrait shrinks the RAG table below the readable size (what
		// makes auto turn the page); landscape prints it readably.
		if small != !landscape {
			t.Errorf("%s %s (landscape %v): a table below %d px or too wide: %v, want %v", paper, tc.orientation, landscape, MinReadablePx, small, !landscape)
		}
		if png != nil {
			if err := os.WriteFile(filepath.Join(shots, "index-print.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if lay.PageOverflow > 0 || lay.TableOverflow > 0 {
			t.Errorf("%s %s: in print the page is %.0f px and the table %q %.0f px wider than the paper: cut off", paper, tc.orientation, lay.PageOverflow, lay.Widest, lay.TableOverflow)
		}
		if len(lay.Hidden) > 0 {
			t.Errorf("%s: in print these still show: %v", paper, lay.Hidden)
		}
		if lay.THeadGroup != "table-header-group" {
			t.Errorf("%s: table headers display %q in print, want table-header-group (repeated on each page)", paper, lay.THeadGroup)
		}
		if len(lay.ChartWidths) == 0 {
			t.Errorf("%s: no chart on the printed page", paper)
		}
		for _, cw := range lay.ChartWidths {
			if cw > lay.Width+1 || cw < lay.Width*0.9 {
				t.Errorf("%s: a chart is %.0f px wide on a %.0f px page, want the page width", paper, cw, lay.Width)
			}
		}
	}
}

// TestPDFWithoutChromium: without a browser, Publish still publishes the
// HTML set and returns a *PDFError saying what is missing and how to fix it.
func TestPDFWithoutChromium(t *testing.T) {
	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-chromium"))
	js := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(js, []byte("// stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "reports")
	pub, err := Publish(context.Background(), printModel(1), out, "--out", nil, WriteOptions{EChartsJS: js, PDF: &PDFOptions{}})
	var pe *PDFError
	if !errors.As(err, &pe) || !errors.Is(err, ErrNoChromium) {
		t.Fatalf("Publish: %v, want a *PDFError wrapping ErrNoChromium", err)
	}
	for _, want := range []string{EnvChromium, "apt-get install chromium", "no-chromium"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if pub == nil || !slices.Contains(pub.Files, "index.html") {
		t.Fatalf("published %+v, want the HTML set", pub)
	}
	if _, err := os.Stat(filepath.Join(out, CurrentLink, "index.html")); err != nil {
		t.Errorf("the HTML was not published: %v", err)
	}
}

func TestParsePaper(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Paper
		err  bool
	}{{"", PaperA4, false}, {"A4", PaperA4, false}, {"letter", PaperLetter, false}, {" Letter ", PaperLetter, false}, {"a5", "", true}, {"legal", "", true}} {
		got, err := ParsePaper(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParsePaper(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseOrientation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Orientation
		err  bool
	}{{"", OrientationAuto, false}, {"auto", OrientationAuto, false}, {" Landscape", OrientationLandscape, false},
		{"PORTRAIT", OrientationPortrait, false}, {"wide", "", true}, {"l", "", true}} {
		got, err := ParseOrientation(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseOrientation(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
