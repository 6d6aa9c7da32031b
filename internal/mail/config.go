package mail

import (
	"fmt"
	"net/mail"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// TLS modes.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS (required); port 587
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS); port 465
	TLSNone     = "none"     // no encryption (a relay on localhost); port 25
)

// Attachment modes of a report email.
const (
	AttachZip  = "zip"  // the full HTML report as a zip attachment
	AttachLink = "link" // a link to the published report (report_url)
	AttachNone = "none"
)

// DefaultSubject is the subject template of a report email.
const DefaultSubject = "{{.Title}}: {{.Scope}} is {{.Status}} — as of {{.AsOf}}"

// Config is the email: section of pmo.yaml.
type Config struct {
	Host string `yaml:"host"`
	// Port defaults by TLS mode: 587 starttls, 465 tls, 25 none.
	Port     int           `yaml:"port,omitempty"`
	TLS      string        `yaml:"tls,omitempty"`
	Username string        `yaml:"username,omitempty"`
	Password secret.Secret `yaml:"password,omitempty"`
	From     string        `yaml:"from"`
	// Timeout bounds one connection attempt (default 30s).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// Retries is how many times a failed send is retried with exponential
	// backoff (default 3; 4xx and network errors only).
	Retries *int `yaml:"retries,omitempty"`
	// InsecureSkipVerify accepts any server certificate (test relays only).
	InsecureSkipVerify bool           `yaml:"insecure_skip_verify,omitempty"`
	Reports            []ReportConfig `yaml:"reports,omitempty"`
}

// ReportConfig is one scheduled report email.
type ReportConfig struct {
	Name string   `yaml:"name"`
	To   []string `yaml:"to"`
	Cc   []string `yaml:"cc,omitempty"`
	// Scope is a KPI scope: "" or "portfolio" (everything), "program:NAME",
	// "project:KEY", "team:NAME" (kpi.teams).
	Scope string `yaml:"scope,omitempty"`
	// Subject is a text/template over .Title .Scope .Status .AsOf.
	Subject string `yaml:"subject,omitempty"`
	// Schedule is a cron expression (5 fields) for pmo serve.
	Schedule string `yaml:"schedule,omitempty"`
	// Attach is zip (default), link or none; link needs ReportURL.
	Attach    string `yaml:"attach,omitempty"`
	ReportURL string `yaml:"report_url,omitempty"`
}

// WithDefaults returns c with the defaults filled in.
func (c Config) WithDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Retries == nil {
		n := 3
		c.Retries = &n
	}
	for i := range c.Reports {
		r := &c.Reports[i]
		if r.Subject == "" {
			r.Subject = DefaultSubject
		}
		if r.Attach == "" {
			r.Attach = AttachZip
		}
	}
	return c
}

// Configured reports whether the email: section is set at all.
func (c Config) Configured() bool {
	return c.Host != "" || c.From != "" || len(c.Reports) > 0 || c.Username != ""
}

// Validate returns every problem of the email: section, each naming its
// key; nil for an absent section (pmo email then says what to set).
func (c Config) Validate() []error {
	if !c.Configured() {
		return nil
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("email.%s: "+format, append([]any{key}, a...)...))
	}
	if c.Host == "" {
		bad("host", "missing; set the SMTP server host name, e.g. smtp.example.com")
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("port", "%d is not a TCP port (1-65535)", c.Port)
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		bad("tls", "%q is not a TLS mode; use starttls, tls or none", c.TLS)
	}
	if c.TLS == TLSNone && (c.Username != "" || c.Password.IsSet()) {
		bad("tls", "is none but email.username/password are set: the login would cross the network in plain text, and the SMTP "+
			"client refuses to send it; use tls: starttls (port 587) or tls: tls (port 465), or remove email.username and "+
			"email.password for a relay that accepts mail without a login")
	}
	if c.Password.IsSet() && c.Username == "" {
		bad("username", "missing: a password is set but no username to authenticate with")
	}
	if c.From == "" {
		bad("from", "missing; set the sender address, e.g. \"PMO reports <pmo@example.com>\"")
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		bad("from", "%q is not an email address: %v", c.From, err)
	}
	if c.Timeout < 0 {
		bad("timeout", "%s must not be negative", c.Timeout)
	}
	if c.Retries != nil && *c.Retries < 0 {
		bad("retries", "%d must not be negative", *c.Retries)
	}
	names := map[string]bool{}
	for i, r := range c.Reports {
		p := fmt.Sprintf("reports[%d]", i)
		if r.Name == "" {
			bad(p+".name", "missing; name the report (used by pmo email --report)")
		} else if names[r.Name] {
			bad(p+".name", "%q is used twice", r.Name)
		}
		names[r.Name] = true
		if len(r.To) == 0 {
			bad(p+".to", "missing; list at least one recipient")
		}
		for j, a := range append(append([]string{}, r.To...), r.Cc...) {
			if _, err := mail.ParseAddress(a); err != nil {
				key := fmt.Sprintf("%s.to[%d]", p, j)
				if j >= len(r.To) {
					key = fmt.Sprintf("%s.cc[%d]", p, j-len(r.To))
				}
				bad(key, "%q is not an email address", a)
			}
		}
		if r.Subject != "" {
			if _, err := template.New("subject").Parse(r.Subject); err != nil {
				bad(p+".subject", "not a valid template: %v", err)
			}
		}
		if r.Schedule != "" {
			if _, err := cron.ParseStandard(r.Schedule); err != nil {
				bad(p+".schedule", "%q is not a cron schedule (e.g. \"0 7 * * MON\"): %v", r.Schedule, err)
			}
		}
		if len(secret.URLSecrets(r.ReportURL)) > 0 {
			bad(p+".report_url", "%q holds credentials, which every recipient would read; link a URL without them", secret.RedactURL(r.ReportURL))
		}
		switch r.Attach {
		case "", AttachZip, AttachNone:
		case AttachLink:
			if r.ReportURL == "" {
				bad(p+".report_url", "missing: attach: link needs the URL of the published report")
			}
		default:
			bad(p+".attach", "%q is not an attachment mode; use zip, link or none", r.Attach)
		}
		if r.Scope != "" {
			kind, _, _ := strings.Cut(r.Scope, ":")
			switch kind {
			case "portfolio", "program", "project", "source", "team":
			default:
				bad(p+".scope", "%q: kind %q is not one of portfolio, program, project, source, team (e.g. project:ALPHA)", r.Scope, kind)
			}
		}
	}
	return errs
}

// SubjectData is what a subject template sees.
type SubjectData struct {
	Title, Scope, Status, AsOf string
}

// Subject renders a subject template.
func Subject(tmpl string, d SubjectData) (string, error) {
	if tmpl == "" {
		tmpl = DefaultSubject
	}
	t, err := template.New("subject").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("email subject template: %w", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("email subject template: %w", err)
	}
	return strings.Join(strings.Fields(b.String()), " "), nil
}
