package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// chromium finds the headless browser: $PMO_CHROMIUM, else chromium on PATH
// (Debian package chromium). Without it the test skips, or fails when
// CI=true.
func chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PMO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	whtest.Unavailable(t, "report: no Chromium for the browser test: install the Debian package chromium (apt-get install chromium) or set PMO_CHROMIUM")
	return ""
}

// pageCheck is what the browser saw on one page.
type pageCheck struct {
	Containers, Canvases int
	// Burnup: the burn-up chart's container is there with a canvas.
	Burnup bool
	Errors []string
}

// loadInBrowser opens each page from disk in headless Chromium with
// networking disabled, collects console errors and uncaught exceptions,
// counts the chart containers and the ones with a rendered canvas, and,
// when $PMO_REPORT_SHOTS is set (shotsDir), writes a full-page screenshot
// to shots/<page>.png.
func loadInBrowser(t *testing.T, dir string, pages []string, shots string) map[string]pageCheck {
	t.Helper()
	return loadInBrowserAt(t, dir, pages, shots, 1400)
}

// loadInBrowserAt is loadInBrowser with a window width in CSS pixels.
func loadInBrowserAt(t *testing.T, dir string, pages []string, shots string, width int) map[string]pageCheck {
	t.Helper()
	bin := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, 1000),
		// No network at all: every request but file:// fails.
		chromedp.Flag("proxy-server", "127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if _, err := chromedp.Run(bctx, chromedp.Sleep(0)); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	out := map[string]pageCheck{}
	for _, p := range pages {
		var mu sync.Mutex
		var errs []string
		ctx, cancel := chromedp.NewContext(bctx, chromedp.WithListener(func(ev any) {
			mu.Lock()
			defer mu.Unlock()
			switch e := ev.(type) {
			case *runtime.EventConsoleAPICalled:
				if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
					var args []string
					for _, a := range e.Args {
						args = append(args, fmt.Sprint(a.Value)+a.Description)
					}
					errs = append(errs, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
				}
			case *runtime.EventExceptionThrown:
				msg := e.ExceptionDetails.Text
				if e.ExceptionDetails.Exception != nil {
					msg += " " + e.ExceptionDetails.Exception.Description
				}
				errs = append(errs, "exception: "+msg)
			}
		}))
		abs, _ := filepath.Abs(filepath.Join(dir, p))
		// The first Run starts the tab; no timeout on it (see chromedp.Run).
		err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs), chromedp.WaitReady("body"), chromedp.Sleep(300*time.Millisecond))
		var check pageCheck
		var png []byte
		if err == nil {
			check, err = chromedp.Run(ctx, chromedp.Evaluate[pageCheck](`({Containers: document.querySelectorAll('div.item').length,
				Canvases: Array.from(document.querySelectorAll('div.item')).filter(d => { const c = d.querySelector('canvas'); return c && c.width > 0 && c.height > 0; }).length,
				Burnup: Array.from(document.querySelectorAll('div.item[id$="_burnup"]')).some(d => { const c = d.querySelector('canvas'); return c && c.width > 0 && c.height > 0; })})`))
		}
		// The full-page screenshot (a PNG, about a second a page) is taken
		// for a person to look at: only when $PMO_REPORT_SHOTS keeps it.
		keep := os.Getenv("PMO_REPORT_SHOTS") != "" && shots != ""
		if err == nil && keep {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		cancel()
		if err != nil {
			t.Fatalf("loading %s in Chromium: %v", p, err)
		}
		mu.Lock()
		check.Errors = errs
		mu.Unlock()
		out[p] = check
		if keep {
			name := strings.TrimSuffix(p, ".html") + ".png"
			if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if len(png) < 1000 {
				t.Errorf("%s: screenshot of %d bytes", p, len(png))
			}
		}
	}
	return out
}
