package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the headless browser pmo report --pdf prints with; when
// unset, chromium (Debian's package), chromium-browser or google-chrome on
// PATH.
const EnvChromium = "PMO_CHROMIUM"

// ErrNoChromium: no browser to print the PDFs with.
var ErrNoChromium = errors.New("no Chromium to print PDFs with")

// chromiumFix says how to get a browser.
const chromiumFix = "install the Debian package chromium (apt-get install chromium) or set " + EnvChromium + " to the browser's executable"

// FindChromium locates the headless browser: $PMO_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. Its error wraps ErrNoChromium
// and says how to fix it.
func FindChromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%w: %s=%s is not an executable file; %s", ErrNoChromium, EnvChromium, p, chromiumFix)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: none of chromium, chromium-browser, google-chrome is on PATH and %s is not set; %s", ErrNoChromium, EnvChromium, chromiumFix)
}

// Paper is a sheet size for the PDFs: PaperA4 (the default) or PaperLetter.
type Paper string

const (
	PaperA4     Paper = "a4"
	PaperLetter Paper = "letter"
)

// ParsePaper reads a4 or letter (any case); "" is A4.
func ParsePaper(s string) (Paper, error) {
	switch p := Paper(strings.ToLower(strings.TrimSpace(s))); p {
	case "", PaperA4:
		return PaperA4, nil
	case PaperLetter:
		return p, nil
	}
	return "", fmt.Errorf("paper %q is not one of a4, letter", s)
}

// Orientation is how the PDF pages are turned: OrientationAuto (the
// default) chooses per page, OrientationPortrait and OrientationLandscape
// turn every page.
type Orientation string

const (
	OrientationAuto      Orientation = "auto"
	OrientationPortrait  Orientation = "portrait"
	OrientationLandscape Orientation = "landscape"
)

// ParseOrientation reads auto, portrait or landscape (any case); "" is auto.
func ParseOrientation(s string) (Orientation, error) {
	switch o := Orientation(strings.ToLower(strings.TrimSpace(s))); o {
	case "", OrientationAuto:
		return OrientationAuto, nil
	case OrientationPortrait, OrientationLandscape:
		return o, nil
	}
	return "", fmt.Errorf("orientation %q is not one of portrait, landscape, auto", s)
}

// MinReadablePx is the smallest table text, in CSS pixels (6 pt on paper),
// a portrait page may print: OrientationAuto turns a page to landscape when,
// laid out for print on portrait paper, one of its tables is wider than
// the page or sets its header or first row below this size (the print
// rules shrink the text of wide tables, such as the 19-column RAG tables,
// to fit a portrait page). On landscape paper the print rules give those
// tables larger text (report.css: print and min-width 900px).
const MinReadablePx = 8

// tooNarrow is the rule of OrientationAuto, evaluated on the page laid out
// for print at the portrait width.
const tooNarrow = `Array.from(document.querySelectorAll('main table')).some(t => {
  if (t.getClientRects().length === 0) return false;
  if (t.scrollWidth > t.parentElement.clientWidth + 1) return true;
  return Array.from(t.querySelectorAll('thead th, tbody tr:first-child > *')).some(c => parseFloat(getComputedStyle(c).fontSize) < ` + "%d" + `);
})`

// Margins of a printed page, in inches: 10 mm at the sides and the top,
// 14 mm at the bottom for the footer (title, page n of N).
const (
	marginSide   = 10 / 25.4
	marginTop    = 10 / 25.4
	marginBottom = 14 / 25.4
)

// size is the sheet in inches.
func (p Paper) size() chromedp.PaperSize {
	if p == PaperLetter {
		return chromedp.PaperLetter
	}
	return chromedp.PaperA4
}

// contentWidth is the printable width in CSS pixels (96 a inch) of the
// sheet upright or turned: pages are laid out, and their charts drawn, at
// this width before printing, so a chart fills the page's width exactly.
func (p Paper) contentWidth(landscape bool) int64 {
	w := p.size().Width
	if landscape {
		w = p.size().Height
	}
	return int64((w - 2*marginSide) * 96)
}

// PDFOptions say how WritePDFs prints.
type PDFOptions struct {
	// Chromium is the browser's executable; "" = FindChromium.
	Chromium string
	Paper    Paper // "" = A4
	// Orientation: "" = OrientationAuto (landscape for a page whose tables
	// would print too small in portrait; MinReadablePx).
	Orientation Orientation
	// Progress, when set, is called before each page is printed (i counts
	// from 1).
	Progress func(i, n int, pdf string)
	// PageTimeout bounds one page: load, charts drawn, printed (default 60 s).
	PageTimeout time.Duration
	Logger      *slog.Logger
}

// PDFError is a failure to print the PDFs of a report set whose HTML pages
// were written: Publish still publishes the HTML and returns it.
type PDFError struct{ Err error }

func (e *PDFError) Error() string { return "printing the PDFs: " + e.Err.Error() }
func (e *PDFError) Unwrap() error { return e.Err }

// Printer prints report pages with one headless Chromium, networking off
// (a report page is self-contained: its only script is copied next to it).
type Printer struct {
	o       PDFOptions
	browser context.Context // a chromedp context on the running browser
	cancel  func()
}

// NewPrinter starts the browser; it stops with ctx or Close.
func NewPrinter(ctx context.Context, o PDFOptions) (*Printer, error) {
	bin := o.Chromium
	if bin == "" {
		var err error
		if bin, err = FindChromium(); err != nil {
			return nil, err
		}
	}
	if o.Paper == "" {
		o.Paper = PaperA4
	}
	if o.Orientation == "" {
		o.Orientation = OrientationAuto
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	profile, err := os.MkdirTemp("", "pmo-chromium-")
	if err != nil {
		return nil, fmt.Errorf("creating a profile folder for Chromium: %w", err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		// No network at all: every request but file:// goes to a closed port.
		chromedp.Flag("proxy-server", "127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	p := &Printer{o: o, browser: bctx, cancel: func() {
		cancelBrowser()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	}}
	// The first Run starts the browser; it lives as long as bctx.
	if err := chromedp.Do(bctx); err != nil {
		p.cancel()
		return nil, fmt.Errorf("starting Chromium %s (set %s to another browser): %w", bin, EnvChromium, err)
	}
	o.Logger.Debug("chromium started", "path", bin)
	return p, nil
}

// Close stops the browser.
func (p *Printer) Close() { p.cancel() }

// chartsDrawn is true when every chart container of the page has its
// ECharts instance, a drawn canvas and no animation left to play (a
// printed chart must not be caught half-grown).
const chartsDrawn = `Array.from(document.querySelectorAll('div.item')).every(d => {
  const c = window.echarts && echarts.getInstanceByDom(d), cv = d.querySelector('canvas');
  if (!c || !cv || cv.width === 0 || cv.height === 0) return false;
  const a = c.getZr().animation;
  return !a || typeof a.isFinished !== 'function' || a.isFinished();
})`

// chartScale is the device pixel ratio pages are drawn at for printing:
// ECharts draws its canvases at twice the CSS size, 192 dpi on paper.
const chartScale = 2

// openForPrint opens the page file in a new tab laid out for print: print
// media, the paper's printable width in the page's orientation (for
// OrientationAuto: portrait, turned to landscape and reloaded when the
// tooNarrow rule holds), every chart drawn at scale device pixels per CSS
// pixel. It says whether the page is landscape. The tab closes with the
// returned cancel.
func (p *Printer) openForPrint(ctx context.Context, htmlPath string, scale float64) (context.Context, context.CancelFunc, bool, error) {
	landscape := p.o.Orientation == OrientationLandscape
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return nil, nil, false, err
	}
	tab, cancelTab := chromedp.NewContext(p.browser)
	stop := context.AfterFunc(ctx, cancelTab)
	cancel := func() { stop(); cancelTab() }
	// The first Run opens the tab: no deadline on it (chromedp.Run).
	if err := chromedp.Do(tab); err != nil {
		cancel()
		return nil, nil, false, err
	}
	tctx, cancelTimeout := context.WithTimeout(tab, p.o.PageTimeout)
	cancelAll := func() { cancelTimeout(); cancel() }
	err = chromedp.Do(tctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
				return fmt.Errorf("emulating print media: %w", err)
			}
			return nil
		}),
		chromedp.EmulateViewport(p.o.Paper.contentWidth(landscape), 1000, chromedp.EmulatePortrait, chromedp.EmulateScale(scale)),
		chromedp.Navigate("file://"+filepath.ToSlash(abs)),
		chromedp.WaitReady("body"),
	)
	if err == nil && p.o.Orientation == OrientationAuto {
		landscape, err = chromedp.Run(tctx, chromedp.Evaluate[bool](fmt.Sprintf(tooNarrow, MinReadablePx)))
		if err != nil {
			err = fmt.Errorf("measuring the tables for the page's orientation: %w", err)
		} else if landscape {
			p.o.Logger.Debug("printing landscape: a table is too wide for portrait", "page", htmlPath)
			err = chromedp.Do(tctx,
				chromedp.EmulateViewport(p.o.Paper.contentWidth(true), 1000, chromedp.EmulatePortrait, chromedp.EmulateScale(scale)),
				chromedp.Reload(),
				chromedp.WaitReady("body"),
			)
		}
	}
	if err == nil {
		_, err = chromedp.Run(tctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(p.o.PageTimeout)))
		if err != nil {
			err = fmt.Errorf("waiting for the charts to be drawn: %w", err)
		}
	}
	if err != nil {
		cancelAll()
		if ctx.Err() != nil {
			return nil, nil, false, ctx.Err()
		}
		return nil, nil, false, err
	}
	return tctx, cancelAll, landscape, nil
}

// footer is printed in the bottom margin of every page: the page's title
// and page n of N (Chromium fills the spans).
const footer = `<div style="font:8px sans-serif;color:#64748b;width:100%;padding:0 10mm;display:flex;justify-content:space-between">` +
	`<span class="title"></span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`

// Print prints one report page (an HTML file of a written set) to PDF.
func (p *Printer) Print(ctx context.Context, htmlPath string) ([]byte, error) {
	tab, cancel, landscape, err := p.openForPrint(ctx, htmlPath, chartScale)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", htmlPath, err)
	}
	defer cancel()
	opts := []chromedp.PDFOption{
		chromedp.PDFPaper(p.o.Paper.size()),
		chromedp.PDFMargins(marginTop, marginSide, marginBottom, marginSide),
		chromedp.PDFPrintBackground(),
		chromedp.PDFHeaderTemplate(`<span></span>`),
		chromedp.PDFFooterTemplate(footer),
		chromedp.PDFStream(),
	}
	if landscape {
		opts = append(opts, chromedp.PDFLandscape())
	}
	pdf, err := chromedp.Run(tab, chromedp.PrintToPDF(opts...))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("printing %s: %w", htmlPath, err)
	}
	return pdf, nil
}

// WritePDFs prints each page (HTML files in dir, names relative to it) to
// a PDF of the same name next to it with one browser, and returns the
// paths written.
func WritePDFs(ctx context.Context, dir string, pages []string, o PDFOptions) ([]string, error) {
	if len(pages) == 0 {
		return nil, nil
	}
	p, err := NewPrinter(ctx, o)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.WritePDFs(ctx, dir, pages, o.Progress)
}

// WritePDFs is WritePDFs on this printer's browser; progress, when set, is
// called before each page.
func (p *Printer) WritePDFs(ctx context.Context, dir string, pages []string, progress func(i, n int, pdf string)) ([]string, error) {
	var written []string
	for i, name := range pages {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		out := filepath.Join(dir, strings.TrimSuffix(name, filepath.Ext(name))+".pdf")
		if progress != nil {
			progress(i+1, len(pages), out)
		}
		pdf, err := p.Print(ctx, filepath.Join(dir, name))
		if err != nil {
			return written, err
		}
		if err := os.WriteFile(out, pdf, 0o644); err != nil {
			return written, fmt.Errorf("writing %s: %w", out, err)
		}
		written = append(written, out)
	}
	return written, nil
}
