package cli

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/report"
)

// inbox is a real SMTP server (emersion/go-smtp) on loopback.
type inbox struct {
	mu      sync.Mutex
	msgs    []string
	changes notifier // a delivered message wakes waitFor
}

type inboxSession struct{ in *inbox }

func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return inboxSession{in}, nil }
func (inboxSession) Mail(string, *smtp.MailOptions) error     { return nil }
func (inboxSession) Rcpt(string, *smtp.RcptOptions) error     { return nil }
func (inboxSession) Reset()                                   {}
func (inboxSession) Logout() error                            { return nil }
func (s inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.in.mu.Lock()
	s.in.msgs = append(s.in.msgs, string(b))
	s.in.mu.Unlock()
	s.in.changes.changed()
	return err
}

func startInbox(t *testing.T) (*inbox, string) {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(in)
	srv.Domain = "localhost"
	srv.MaxMessageBytes = 50 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return in, l.Addr().String()
}

func echartsOrSkip(t *testing.T) {
	t.Helper()
	if _, err := report.FindECharts(); err != nil {
		needEngine(t, "%v", err)
	}
}

// TestReportAndEmail collects the simulator (pmo demo), writes the HTML
// report set and emails the portfolio report to a real SMTP server, on each
// engine.
func TestReportAndEmail(t *testing.T) {
	echartsOrSkip(t)
	// On the server (production's engine); the embedded default reports in
	// TestDemoWholePipeline and TestServeReports.
	for _, engine := range []string{"server"} {
		t.Run(engine, func(t *testing.T) {
			cfgPath, _, _ := engineConfig(t, engine)
			in, addr := startInbox(t)
			host, port, _ := net.SplitHostPort(addr)
			b, _ := os.ReadFile(cfgPath)
			cfg := string(b) + "email:\n  host: " + host + "\n  port: " + port + "\n  tls: none\n  from: \"PMO <pmo@example.com>\"\n" +
				"  reports:\n    - name: board\n      to: [board@example.com]\n      subject: \"Weekly {{.Scope}}: {{.Status}}\"\n" +
				// Three teams in the demo's two programs: the portfolio's
				// email lists them, linked to their published pages.
				"kpi:\n  teams:\n    - {name: Apollo team, boards: [APO Scrum], program: Digital Platform}\n" +
				"    - {name: Borealis team, projects: [BOR], program: Customer Experience}\n" +
				"    - {name: Cassini team, projects: [CAS], program: Digital Platform}\n" +
				"report:\n  base_url: https://pmo.example.com/reports\n"
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			if r := runAt(t, demoDay, "-c", cfgPath, "demo", "--issues", "300", "--no-serve", "--history-weeks", "0", "--out", t.TempDir()); r.code != 0 {
				t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
			}
			// --pdf without Chromium: the HTML set is written all the same,
			// then exit 1 in one line naming the flag, what is missing and
			// how to fix it.
			chromium, _ := report.FindChromium()
			t.Setenv(report.EnvChromium, filepath.Join(t.TempDir(), "no-chromium"))
			out := t.TempDir()
			r := run(t, nil, "-c", cfgPath, "report", "--as-of", "2025-07-01", "--pdf", "--out", out)
			checkOneLineError(t, r, ExitFailure, []string{"--pdf: no Chromium to print PDFs with", "apt-get install chromium", report.EnvChromium, "no-chromium",
				"the HTML report was written to " + filepath.Join(out, "current")}, nil)
			for _, f := range []string{"index.html", "index-explain.html", filepath.Join("assets", "echarts.min.js")} {
				if _, err := os.Stat(filepath.Join(out, "current", f)); err != nil {
					t.Errorf("report did not write %s: %v\n%s", f, err, r.stdout)
				}
			}
			if !strings.Contains(r.stdout, "open "+filepath.Join(out, "current", "index.html")) {
				t.Errorf("report output does not say where to look:\n%s", r.stdout)
			}
			checkScopesAndDates(t, cfgPath)
			t.Setenv(report.EnvChromium, chromium)
			checkReportPDF(t, cfgPath)
			r = run(t, nil, "-c", cfgPath, "email", "--report", "board", "--as-of", "2025-07-01")
			if r.code != 0 {
				t.Fatalf("email: exit %d\n%s", r.code, r.stderr)
			}
			in.mu.Lock()
			defer in.mu.Unlock()
			if len(in.msgs) != 1 {
				t.Fatalf("the relay got %d messages, want 1", len(in.msgs))
			}
			msg := in.msgs[0]
			for _, want := range []string{"Subject: Weekly Portfolio: ", "multipart/related", "text/plain", "text/html", "Content-Id: <throughput.png>", "pmo-report-2025-07-01.zip"} {
				if !strings.Contains(strings.ReplaceAll(msg, "Content-ID", "Content-Id"), want) {
					t.Errorf("message lacks %q", want)
				}
			}
			checkEmailTeams(t, cfgPath, msg)
		})
	}
}

// mimeParts decodes the text parts of a MIME message by content type, with
// LF line ends.
func mimeParts(t *testing.T, raw string) map[string]string {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	out := map[string]string{}
	var walk func(h textproto.MIMEHeader, body io.Reader)
	walk = func(h textproto.MIMEHeader, body io.Reader) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatalf("content type %q: %v", h.Get("Content-Type"), err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("reading a part: %v", err)
				}
				walk(p.Header, p)
			}
		}
		if !strings.HasPrefix(mt, "text/") {
			return
		}
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("decoding the %s part: %v", mt, err)
		}
		out[mt] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	walk(textproto.MIMEHeader(msg.Header), msg.Body)
	return out
}

// checkEmailTeams: with kpi.teams the portfolio's email (msg) lists every
// team in its HTML and text parts, each linked to its page under
// report.base_url; a team's own email (--scope team:NAME) is its page's
// summary, without a Teams table.
func checkEmailTeams(t *testing.T, cfgPath, msg string) {
	t.Helper()
	parts := mimeParts(t, msg)
	html, text := parts["text/html"], parts["text/plain"]
	if !strings.Contains(html, `margin-bottom:8px;">Teams <`) || !strings.Contains(text, "\nTeams:\n") {
		t.Errorf("the portfolio's email has no Teams section:\n%s", text)
	}
	for _, team := range []string{"Apollo team", "Borealis team", "Cassini team"} {
		slug := "team-" + strings.ToLower(strings.ReplaceAll(team, " ", "-"))
		if !strings.Contains(html, `<a href="https://pmo.example.com/reports/`+slug+`.html" style="color:#1d4ed8;">`+team+`</a>`) {
			t.Errorf("the email's Teams table does not link %s to its page %s.html", team, slug)
		}
		if !strings.Contains(text, "  "+team+" (") {
			t.Errorf("the text part's Teams list lacks %q:\n%s", team, text)
		}
	}
	eml := filepath.Join(t.TempDir(), "team.eml")
	r := run(t, nil, "-c", cfgPath, "email", "--report", "board", "--scope", "team:Apollo team", "--as-of", "2025-07-01", "--attach", "none", "--dry-run", eml)
	if r.code != 0 {
		t.Fatalf("email --scope team: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(eml)
	if err != nil {
		t.Fatal(err)
	}
	team := mimeParts(t, string(b))
	if !strings.Contains(team["text/plain"], "— Apollo team\n") || strings.Contains(team["text/html"], `">Teams <`) ||
		!strings.Contains(team["text/html"], "Key performance indicators") {
		t.Errorf("the team's email is not its page's summary:\n%s", team["text/plain"])
	}
}

// checkReportPDF: pmo report --pdf prints each scope page to a PDF next to
// it on the paper asked for, saying which on stderr.
func checkReportPDF(t *testing.T, cfgPath string) {
	t.Helper()
	if _, err := report.FindChromium(); err != nil {
		needEngine(t, "report --pdf: %v", err)
	}
	out := t.TempDir()
	r := run(t, nil, "-c", cfgPath, "report", "--as-of", "2025-07-01", "--scope", "project:APO", "--pdf", "--pdf-paper", "letter", "--out", out)
	if r.code != 0 {
		t.Fatalf("report --pdf: exit %d\n%s", r.code, r.stderr)
	}
	pages, _ := filepath.Glob(filepath.Join(out, "current", "*.html"))
	pages = slices.DeleteFunc(pages, func(p string) bool { return strings.HasSuffix(p, "-explain.html") })
	if len(pages) < 2 {
		t.Fatalf("report --scope project:APO wrote the pages %v, want the portfolio's and the project's", pages)
	}
	for i, p := range pages {
		b, err := os.ReadFile(strings.TrimSuffix(p, ".html") + ".pdf")
		if err != nil || !strings.HasPrefix(string(b), "%PDF-") {
			t.Errorf("no PDF next to %s: %v", filepath.Base(p), err)
		}
		if want := fmt.Sprintf("printing PDF %d of %d: ", i+1, len(pages)); !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if want := fmt.Sprintf("printed %d PDFs on Letter paper", len(pages)); !strings.Contains(r.stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
	}
}

// TestReportPDFUsage: a paper or orientation pmo does not know, or either
// without --pdf, is a usage error before any work.
func TestReportPDFUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--pdf", "--pdf-paper", "a5"}, `--pdf-paper: paper "a5" is not one of a4, letter`},
		{[]string{"report", "--pdf-paper", "letter"}, "--pdf-paper: only with --pdf"},
		{[]string{"report", "--pdf", "--pdf-orientation", "sideways"}, `--pdf-orientation: orientation "sideways" is not one of portrait, landscape, auto`},
		{[]string{"report", "--pdf-orientation", "landscape"}, "--pdf-orientation: only with --pdf"},
	} {
		r := run(t, nil, tc.args...)
		checkOneLineError(t, r, ExitUsage, []string{tc.want}, nil)
	}
}

func TestEmailUsageErrors(t *testing.T) {
	cfgPath := writeConfig(t, "email:\n  host: localhost\n  from: pmo@example.com\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"email"}, "no recipients: give --to ADDRESS or --report NAME"},
		{[]string{"email", "--report", "nope"}, `--report "nope": no such report under email.reports`},
		{[]string{"email", "--to", "not-an-address"}, `email.reports[0].to[0]: "not-an-address" is not an email address`},
		{[]string{"email", "--to", "a@example.com", "--attach", "fax"}, `"fax" is not an attachment mode`},
		{[]string{"email", "--to", "a@example.com", "--scope", "board:x"}, `kind "board" is not one of portfolio`},
	} {
		r := run(t, nil, append([]string{"-c", cfgPath}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.stderr, ExitUsage, tc.want)
		}
	}
	noEmail := writeConfig(t, "log:\n  level: info\n")
	if r := run(t, nil, "-c", noEmail, "email", "--to", "a@example.com"); r.code != ExitUsage || !strings.Contains(r.stderr, "email.host: missing") {
		t.Errorf("without an email section: exit %d, %q", r.code, r.stderr)
	}
}

func TestReportWithoutECharts(t *testing.T) {
	t.Setenv(report.EnvEChartsJS, filepath.Join(t.TempDir(), "missing.js"))
	r := run(t, nil, "report", "--out", t.TempDir())
	if r.code != ExitFailure || !strings.Contains(r.stderr, "scripts/fetch-echarts.sh") {
		t.Errorf("exit %d, stderr %q; want exit 1 naming scripts/fetch-echarts.sh", r.code, r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("want a one-line error, got %q", r.stderr)
	}
}

// TestReportAsOfInKPITimeZone: pmo report --as-of names the same instant as
// pmo kpi --as-of — the midnight starting the date in kpi.tz — so a report
// finds the snapshot pmo kpi stored for that date.
func TestReportAsOfInKPITimeZone(t *testing.T) {
	cfg := &pipeline.Config{}
	cfg.KPI = kpi.DefaultConfig()
	cfg.KPI.TZ = "Europe/Berlin"
	f := reportFlags{asOf: "2025-07-01"}
	o, err := f.options(cfg, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := parseKPIDate(cfg, "as-of", "2025-07-01")
	if !o.AsOf.Equal(want) || !o.AsOf.Equal(time.Date(2025, 6, 30, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("report --as-of 2025-07-01 in Europe/Berlin = %s, want %s (pmo kpi's as-of)", o.AsOf, want)
	}
	f.asOf = "1 July"
	if _, err := f.options(cfg, slog.Default()); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("a bad --as-of: %v, want an error naming the format", err)
	}
}

// checkScopesAndDates: report, email and kpi resolve --scope and --as-of
// alike (one resolver): an unknown scope is exit 2 naming it and listing
// the known ones, an as-of before the first issue is exit 2 saying there
// is no data before that day, and a program report links only to pages it
// wrote.
func checkScopesAndDates(t *testing.T, cfgPath string) {
	t.Helper()
	var known []string
	for _, args := range [][]string{
		{"report", "--scope", "project:NOPE", "--out", t.TempDir()},
		{"email", "--report", "board", "--scope", "project:NOPE"},
		{"kpi", "--scope", "project:NOPE"},
		{"kpi", "explain", "wip", "--scope", "project:NOPE"},
	} {
		r := run(t, nil, append([]string{"-c", cfgPath}, args...)...)
		checkOneLineError(t, r, ExitUsage, []string{`--scope: no scope "project:NOPE"`, "known scopes: portfolio, source:"}, nil)
		if _, list, ok := strings.Cut(strings.TrimSpace(r.stderr), "known scopes: "); ok && known == nil {
			known = strings.Split(list, ", ")
		}
	}
	for _, args := range [][]string{
		{"report", "--as-of", "1990-01-01", "--out", t.TempDir()},
		{"email", "--report", "board", "--as-of", "1990-01-01"},
		{"kpi", "--as-of", "1990-01-01"},
	} {
		r := run(t, nil, append([]string{"-c", cfgPath}, args...)...)
		checkOneLineError(t, r, ExitUsage, []string{"no data before ", "as of 1990-01-01 there is nothing to report; use a date after "}, nil)
	}
	// --scope completes from the warehouse: its projects as source/KEY.
	r := run(t, nil, "-c", cfgPath, "__complete", "report", "--scope", "project:")
	if !strings.Contains(r.stdout, "project:") || !slices.ContainsFunc(known, func(k string) bool {
		return strings.HasPrefix(k, "project:") && strings.Contains(r.stdout, k+"\n")
	}) {
		t.Errorf("--scope completion does not offer the warehouse's projects %q:\n%s", known, r.stdout)
	}
	var program string
	for _, k := range known {
		if strings.HasPrefix(k, "program:") {
			program = k
			break
		}
	}
	if program == "" {
		t.Fatalf("no program among the known scopes %q", known)
	}
	out := t.TempDir()
	if r := run(t, nil, "-c", cfgPath, "report", "--scope", program, "--out", out); r.code != 0 {
		t.Fatalf("report --scope %s: exit %d\n%s", program, r.code, r.stderr)
	}
	dir := filepath.Join(out, "current")
	pages, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	projects := 0
	for _, p := range pages {
		if strings.HasPrefix(filepath.Base(p), "project-") && !strings.HasSuffix(p, "-explain.html") {
			projects++
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range regexp.MustCompile(`href="([^"#:]+\.html)`).FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join(dir, l[1])); err != nil {
				t.Errorf("report --scope %s: %s links to %s, which it did not write", program, filepath.Base(p), l[1])
			}
		}
	}
	if projects == 0 {
		t.Errorf("report --scope %s wrote no page for the program's projects: %v", program, pages)
	}
}
