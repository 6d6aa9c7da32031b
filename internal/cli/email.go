package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/mail"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) emailCommand() *cobra.Command {
	var f reportFlags
	var to, cc []string
	var name, subject, attach, reportURL, dryRun string
	cmd := &cobra.Command{
		Use:   "email",
		Short: "Email the performance report: KPI tables, PNG charts, the HTML report attached",
		Long: `Email sends the report of a scope (default: the portfolio) through the SMTP
server of the email: section: an HTML body that renders without JavaScript
(KPI tables with RAG colours, the key charts as inline PNG images), a
plain-text part, and the full interactive HTML report attached as a zip (or
linked with --attach link --report-url URL).

With kpi.teams, a program's email and the portfolio's also list their teams
(the portfolio's with each team's program): status, throughput, cycle time
P85 and SLE met in RAG colours and the KPIs rated red, each team linked to
its page where the pages are published (report.base_url, else the folder of
--report-url). --scope team:NAME sends a team's own report, the summary of
its page.

--report NAME sends a report configured under email.reports (recipients,
scope, subject template); flags override it. A failed send is retried with
backoff and, if it still fails, reported with a non-zero exit.`,
		Example: `  pmo email --to cio@example.com
  pmo email --report weekly-board
  pmo email --to pm@example.com --scope project:ALPHA --dry-run alpha.eml
  pmo email --to lead@example.com --scope team:Checkout`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			rc := mail.ReportConfig{}
			if name != "" {
				found := false
				for _, r := range cfg.Email.Reports {
					if r.Name == name {
						rc, found = r, true
					}
				}
				if !found {
					return withCode(ExitUsage, fmt.Errorf("--report %q: no such report under email.reports in %s", name, cfgName(cfg)))
				}
			}
			if len(to) > 0 {
				rc.To = to
			}
			if len(cc) > 0 {
				rc.Cc = cc
			}
			for _, v := range []struct {
				dst *string
				src string
			}{{&rc.Subject, subject}, {&rc.Attach, attach}, {&rc.ReportURL, reportURL}} {
				if v.src != "" {
					*v.dst = v.src
				}
			}
			if f.scope == "" {
				f.scope = rc.Scope
			}
			return a.emailReport(ctx, cfg, nil, rc, f, dryRun)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&to, "to", nil, "recipient address (repeat or comma-separate)")
	fl.StringSliceVar(&cc, "cc", nil, "copy address")
	fl.StringVar(&name, "report", "", "send the report configured under email.reports with this name")
	fl.StringVar(&subject, "subject", "", "subject line, a Go template over the fields .Title .Scope .Status .AsOf, each in double braces (default: TITLE: SCOPE is STATUS — as of DATE)")
	fl.StringVar(&attach, "attach", "", "zip (attach the HTML report, default), link (needs --report-url) or none")
	fl.StringVar(&reportURL, "report-url", "", "URL of the published report, linked from the email")
	fl.StringVar(&dryRun, "dry-run", "", "write the MIME message to this file instead of sending it")
	return cmd
}

// emailReport builds the report of rc's scope (f.scope) and emails it to
// rc's recipients, or writes the message to dryRun. pmo email and the
// email.reports schedules of pmo serve both send through it. w is an open
// warehouse, or nil to open the configured one.
func (a *App) emailReport(ctx context.Context, cfg *pipeline.Config, w *warehouse.Warehouse, rc mail.ReportConfig, f reportFlags, dryRun string) error {
	if len(rc.To) == 0 {
		return withCode(ExitUsage, errors.New("no recipients: give --to ADDRESS or --report NAME of a report configured under email.reports"))
	}
	ec := cfg.Email
	ec.Reports = []mail.ReportConfig{{Name: cmpOr(rc.Name, "cli"), To: rc.To, Cc: rc.Cc, Scope: rc.Scope, Subject: rc.Subject, Attach: rc.Attach, ReportURL: rc.ReportURL}}
	if dryRun != "" && !ec.Configured() {
		ec.Host, ec.From = "localhost", "pmo@localhost"
	}
	if errs := ec.Validate(); len(errs) > 0 {
		return withCode(ExitUsage, errors.Join(errs...))
	}
	ec = ec.WithDefaults()
	rc = ec.Reports[0]
	sender, err := mail.NewSender(ec, a.logger)
	if err != nil {
		return withCode(ExitUsage, err)
	}

	m, err := a.buildReport(ctx, cfg, w, &f)
	if err != nil {
		return err
	}
	s := pickScope(m, f.scope)
	if s == nil {
		return withCode(ExitUsage, fmt.Errorf("--scope: %w", kpi.NoScopeError(f.scope, m.Scopes, m.AsOf)))
	}
	eo := report.EmailOptions{PagesURL: emailPagesURL(cfg.Report.BaseURL, rc)}
	if base := cfg.Report.BaseURL; base != "" && rc.Attach != mail.AttachLink {
		// Published reports (pmo serve /reports/): link them too.
		eo.ReportURL = strings.TrimSuffix(base, "/") + "/" + s.Slug + ".html"
	}
	var atts []mail.Attachment
	switch rc.Attach {
	case mail.AttachLink:
		eo.ReportURL = rc.ReportURL
	case mail.AttachZip:
		js, err := report.FindECharts()
		if err != nil {
			return withCode(ExitFailure, fmt.Errorf("attaching the HTML report: %w (or use --attach link/none)", err))
		}
		dir, err := os.MkdirTemp("", "pmo-email-report-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if _, err := report.Write(ctx, m, report.WriteOptions{Out: dir, EChartsJS: js}); err != nil {
			return err
		}
		var zb bytes.Buffer
		if err := report.Zip(dir, &zb); err != nil {
			return err
		}
		eo.Attached = "pmo-report-" + m.AsOf.Format(time.DateOnly) + ".zip"
		atts = append(atts, mail.Attachment{Name: eo.Attached, ContentType: "application/zip", Data: zb.Bytes()})
	}
	body, err := report.EmailBody(m, s, eo)
	if err != nil {
		return err
	}
	subj, err := mail.Subject(rc.Subject, mail.SubjectData{Title: m.Title, Scope: s.Label, Status: strings.ToUpper(s.Overall.String()), AsOf: m.AsOfLocal().Format("2 Jan 2006")})
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("email subject: %w", err))
	}
	msg := mail.Message{To: rc.To, Cc: rc.Cc, Subject: subj, HTML: body.HTML, Text: body.Text, Attachments: atts}
	for _, img := range body.Images {
		msg.Inline = append(msg.Inline, mail.Inline{Name: img.Name, Data: img.Data})
	}
	if dryRun != "" {
		mm, err := sender.Build(msg)
		if err != nil {
			return err
		}
		fh, err := os.Create(dryRun)
		if err != nil {
			return fmt.Errorf("--dry-run: %w", err)
		}
		if _, err := mm.WriteTo(fh); err != nil {
			fh.Close()
			return fmt.Errorf("--dry-run: writing %s: %w", dryRun, err)
		}
		if err := fh.Close(); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "wrote the message %q for %s to %s (not sent)\n", subj, strings.Join(rc.To, ", "), dryRun)
		return nil
	}
	if err := sender.Send(ctx, msg); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "sent %q to %s\n", subj, strings.Join(append(append([]string{}, rc.To...), rc.Cc...), ", "))
	return nil
}

// emailPagesURL is where the email's Teams table links the team pages: the
// folder of the published report pages (report.base_url), else, with
// attach: link, the folder of report_url when it names a page; "" when
// the pages are not published (the email names the teams unlinked).
func emailPagesURL(baseURL string, rc mail.ReportConfig) string {
	if baseURL != "" {
		return baseURL
	}
	if rc.Attach == mail.AttachLink && strings.HasSuffix(rc.ReportURL, ".html") {
		if i := strings.LastIndex(rc.ReportURL, "/"); i > len("https://") {
			return rc.ReportURL[:i+1]
		}
	}
	return ""
}

// pickScope finds the scope of a --scope filter in the model.
func pickScope(m *report.Model, scope string) *report.Scope {
	f, err := kpi.ParseScopeFilter(scope)
	if err != nil || (f.Kind == "" || f.Kind == kpi.ScopePortfolio) {
		return m.Portfolio
	}
	for _, s := range slices.Concat(m.Programs, m.Projects, m.Teams) {
		if s.Kind == f.Kind && (f.Name == "" || s.Name == f.Name || strings.HasSuffix(s.Name, "/"+f.Name)) {
			return s
		}
	}
	return nil
}

func cfgName(cfg *pipeline.Config) string {
	if cfg.File == "" {
		return "the configuration (defaults; no pmo.yaml)"
	}
	return cfg.File
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
