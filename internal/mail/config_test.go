package mail_test

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/mail"
	"github.com/pmo-oss/pmo/internal/secret"
)

// TestPlaintextLoginRefused: a login over tls: none is a configuration
// error (config check says so and how to fix it) instead of a cryptic
// failure at send time.
func TestPlaintextLoginRefused(t *testing.T) {
	base := mail.Config{Host: "smtp.example.com", From: "pmo@example.com"}
	for _, tt := range []struct {
		name     string
		tls      string
		user     string
		password secret.Secret
		want     string // "" = valid
	}{
		{"none without login", mail.TLSNone, "", "", ""},
		{"none with a user", mail.TLSNone, "pmo", "", "email.tls: is none but email.username/password are set"},
		{"none with a login", mail.TLSNone, "pmo", "hunter2", "use tls: starttls (port 587) or tls: tls (port 465)"},
		{"starttls with a login", mail.TLSStartTLS, "pmo", "hunter2", ""},
		{"tls with a login", mail.TLSImplicit, "pmo", "hunter2", ""},
		{"default (starttls) with a login", "", "pmo", "hunter2", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.TLS, c.Username, c.Password = tt.tls, tt.user, tt.password
			var msgs []string
			for _, e := range c.Validate() {
				msgs = append(msgs, e.Error())
			}
			got := strings.Join(msgs, "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("the error shows the password: %s", got)
			}
		})
	}
}

// TestReportURLWithoutCredentials: a linked report URL reaches every
// recipient, so one with a password is refused (and not repeated).
func TestReportURLWithoutCredentials(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want string
	}{
		{"https://pmo.example.com/reports/", ""},
		{"https://viewer@pmo.example.com/reports/", ""},
		{"https://viewer:pa55word@pmo.example.com/reports/", `email.reports[0].report_url: "https://viewer:<secret>@pmo.example.com/reports/" holds credentials`},
		{"https://pmo.example.com/reports/?token=pa55word", "holds credentials"},
	} {
		c := mail.Config{Host: "smtp.example.com", From: "pmo@example.com",
			Reports: []mail.ReportConfig{{Name: "r", To: []string{"a@example.com"}, Attach: mail.AttachLink, ReportURL: tt.url}}}
		var msgs []string
		for _, e := range c.Validate() {
			msgs = append(msgs, e.Error())
		}
		got := strings.Join(msgs, "\n")
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) || strings.Contains(got, "pa55word") {
			t.Errorf("%s: Validate() = %q, want %q", tt.url, got, tt.want)
		}
	}
}
