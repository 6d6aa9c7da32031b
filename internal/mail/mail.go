// Package mail delivers report emails over SMTP (STARTTLS, implicit TLS or
// plain; optional auth) through github.com/wneessen/go-mail: an HTML part
// with inline PNG images referenced by Content-ID, a plain-text part and
// attachments. A failed send is retried with exponential backoff and, when
// it still fails, returned — never dropped. The password never reaches logs
// or errors.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	gomail "github.com/wneessen/go-mail"
)

// Inline is an image embedded in the HTML part, referenced as cid:Name.
type Inline struct {
	Name        string // file name and Content-ID
	ContentType string // default image/png
	Data        []byte
}

// Attachment is a file attached to the message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is one email.
type Message struct {
	To, Cc      []string
	Subject     string
	HTML, Text  string
	Inline      []Inline
	Attachments []Attachment
}

// Sender sends messages with the configured server.
type Sender struct {
	cfg    Config
	logger *slog.Logger
	// Backoff is the first retry delay (default 2s, doubling).
	Backoff time.Duration
}

// NewSender validates cfg and returns a Sender.
func NewSender(cfg Config, logger *slog.Logger) (*Sender, error) {
	if !cfg.Configured() {
		return nil, errors.New("email: no SMTP server configured: add an email: section to pmo.yaml with host, port, tls, from (and username/password)")
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: cfg.WithDefaults(), logger: logger, Backoff: 2 * time.Second}, nil
}

// Build composes the MIME message (exported for tests and --dry-run).
func (s *Sender) Build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("email.from %q: %w", s.cfg.From, err)
	}
	if len(m.To) == 0 {
		return nil, errors.New("email: no recipients; give --to or set email.reports[].to")
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("email recipients %s: %w", strings.Join(m.To, ", "), err)
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, fmt.Errorf("email cc %s: %w", strings.Join(m.Cc, ", "), err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, in := range m.Inline {
		ct := in.ContentType
		if ct == "" {
			ct = "image/png"
		}
		if err := msg.EmbedReader(in.Name, bytes.NewReader(in.Data), gomail.WithFileContentType(gomail.ContentType(ct))); err != nil {
			return nil, fmt.Errorf("embedding %s: %w", in.Name, err)
		}
	}
	for _, a := range m.Attachments {
		opts := []gomail.FileOption{}
		if a.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(a.ContentType)))
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), opts...); err != nil {
			return nil, fmt.Errorf("attaching %s: %w", a.Name, err)
		}
	}
	return msg, nil
}

func (s *Sender) client() (*gomail.Client, error) {
	c := s.cfg
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(c.Timeout)}
	switch c.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.InsecureSkipVerify {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: c.Host, InsecureSkipVerify: true})) //nolint:gosec // opt-in for test relays
	}
	if c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password.Reveal()))
	}
	return gomail.NewClient(c.Host, opts...)
}

// Send delivers m, retrying transient failures (network errors, 4xx
// replies) with exponential backoff. The error says where it was sending,
// how many attempts were made and why the last one failed.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.Build(m)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s:%d", s.cfg.Host, s.cfg.Port)
	attempts := 0
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = s.Backoff
	b.MaxInterval = 60 * s.Backoff
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		c, err := s.client()
		if err != nil {
			return struct{}{}, backoff.Permanent(err)
		}
		err = c.DialAndSendWithContext(ctx, msg)
		if err == nil {
			return struct{}{}, nil
		}
		err = s.scrub(err)
		if permanent(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		s.logger.Warn("sending report email failed; retrying", "server", where, "attempt", attempts, "error", err.Error())
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(*s.cfg.Retries)+1))
	if err != nil {
		return fmt.Errorf("sending %q to %s via %s failed after %d attempt(s): %w", m.Subject, strings.Join(m.To, ", "), where, attempts, err)
	}
	s.logger.Info("report email sent", "server", where, "to", strings.Join(m.To, ", "), "subject", m.Subject, "attempts", attempts)
	return nil
}

// permanent tells failures a retry cannot fix: 5xx replies and
// authentication problems. Network errors and 4xx replies are retried.
func permanent(err error) bool {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code >= 500
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.IsTemp() {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "auth") || strings.Contains(msg, " 5.") || regexp.MustCompile(`\b5\d\d\b`).MatchString(msg)
}

// scrub removes the password from an error text, should a server or
// library echo it.
func (s *Sender) scrub(err error) error {
	if p := s.cfg.Password.Reveal(); p != "" && strings.Contains(err.Error(), p) {
		return errors.New(strings.ReplaceAll(err.Error(), p, s.cfg.Password.String()))
	}
	return err
}
