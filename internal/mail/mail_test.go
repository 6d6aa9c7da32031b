package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"image/png"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"archive/zip"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/pmo-oss/pmo/internal/mail"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
	"github.com/pmo-oss/pmo/internal/secret"
)

// relay is a real SMTP server (emersion/go-smtp) on loopback that keeps
// what it receives.
type relay struct {
	mu       sync.Mutex
	msgs     [][]byte
	rcpts    [][]string
	auths    []string
	failNext int // reply 451 to the next failNext DATA commands
	user     string
	pass     string
	addr     string
}

type session struct {
	r     *relay
	rcpts []string
	authd bool
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{r: r}, nil }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.r.user || pass != s.r.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}
		}
		s.authd = true
		s.r.mu.Lock()
		s.r.auths = append(s.r.auths, user)
		s.r.mu.Unlock()
		return nil
	}), nil
}
func (s *session) Mail(string, *smtp.MailOptions) error {
	if s.r.user != "" && !s.authd {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.failNext > 0 {
		s.r.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.r.msgs = append(s.r.msgs, b)
	s.r.rcpts = append(s.r.rcpts, s.rcpts)
	return nil
}
func (s *session) Reset()        { s.rcpts = nil }
func (s *session) Logout() error { return nil }

// startRelay serves SMTP on a free loopback port; with tlsMode "starttls"
// or "tls" it uses a fresh self-signed certificate.
func startRelay(t *testing.T, tlsMode string, user, pass string) *relay {
	t.Helper()
	r := &relay{user: user, pass: pass}
	srv := smtp.NewServer(r)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = tlsMode == mail.TLSNone
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 50 << 20
	var l net.Listener
	var err error
	switch tlsMode {
	case mail.TLSNone:
		l, err = net.Listen("tcp", "127.0.0.1:0")
	default:
		srv.TLSConfig = selfSigned(t)
		if tlsMode == mail.TLSImplicit {
			l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
		} else {
			l, err = net.Listen("tcp", "127.0.0.1:0")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func (r *relay) config(tlsMode string) mail.Config {
	host, port, _ := net.SplitHostPort(r.addr)
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	return mail.Config{Host: host, Port: p, TLS: tlsMode, Username: r.user, Password: secret.Secret(r.pass), From: "PMO reports <pmo@example.com>",
		Timeout: 10 * time.Second, InsecureSkipVerify: tlsMode != mail.TLSNone}
}

// reportMessage builds the message pmo email sends for a synthetic
// portfolio, with the zipped HTML report attached.
func reportMessage(t *testing.T) mail.Message {
	t.Helper()
	m := reporttest.Model(12, 1)
	s := m.Projects[0] // has the hostile summary in its risks
	body, err := report.EmailBody(m, s, report.EmailOptions{Attached: "pmo-report.zip"})
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>report</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := report.Zip(dir, &zbuf); err != nil {
		t.Fatal(err)
	}
	msg := mail.Message{To: []string{"board@example.com"}, Cc: []string{"pmo@example.com"}, Subject: "PMO report: P001 is RED — as of 23 Nov 2026 ✓",
		HTML: body.HTML, Text: body.Text, Attachments: []mail.Attachment{{Name: "pmo-report.zip", ContentType: "application/zip", Data: zbuf.Bytes()}}}
	for _, img := range body.Images {
		msg.Inline = append(msg.Inline, mail.Inline{Name: img.Name, Data: img.Data})
	}
	return msg
}

func TestSendReportOverEachTLSMode(t *testing.T) {
	for _, mode := range []string{mail.TLSNone, mail.TLSStartTLS, mail.TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			user, pass := "reporter", "s3cr3t-pass"
			if mode == mail.TLSNone {
				user, pass = "", "" // go-mail refuses PLAIN auth without TLS
			}
			r := startRelay(t, mode, user, pass)
			var logs bytes.Buffer
			s, err := mail.NewSender(r.config(mode), slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			msg := reportMessage(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := s.Send(ctx, msg); err != nil {
				t.Fatal(err)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if len(r.msgs) != 1 || (user != "" && len(r.auths) != 1) {
				t.Fatalf("relay got %d messages, %d logins; want 1 and 1", len(r.msgs), len(r.auths))
			}
			if got := strings.Join(r.rcpts[0], ","); got != "board@example.com,pmo@example.com" {
				t.Errorf("recipients %s", got)
			}
			checkMIME(t, r.msgs[0], msg)
			if strings.Contains(logs.String(), "s3cr3t-pass") {
				t.Errorf("the password reached the log: %s", logs.String())
			}
		})
	}
}

// checkMIME parses the received message: subject, text and HTML parts,
// every cid: image present as a decodable PNG, the zip attachment, and the
// hostile summary escaped.
func checkMIME(t *testing.T, raw []byte, sent mail.Message) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subj != sent.Subject {
		t.Errorf("subject %q (%v), want %q", subj, err, sent.Subject)
	}
	parts := map[string][]byte{} // by content type; images and attachments by name
	cids := map[string][]byte{}
	var walk func(ct string, body io.Reader, h map[string][]string)
	walk = func(ct string, body io.Reader, h map[string][]string) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), decode(t, p.Header.Get("Content-Transfer-Encoding"), p), p.Header)
			}
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if id := first(h["Content-Id"]); id != "" {
			cids[strings.Trim(id, "<>")] = b
			return
		}
		if cd := first(h["Content-Disposition"]); strings.HasPrefix(cd, "attachment") {
			_, p, _ := mime.ParseMediaType(cd)
			parts["attachment:"+p["filename"]] = b
			return
		}
		parts[mt] = b
	}
	walk(m.Header.Get("Content-Type"), decode(t, m.Header.Get("Content-Transfer-Encoding"), m.Body), m.Header)

	html, text := string(parts["text/html"]), string(parts["text/plain"])
	if html == "" || text == "" {
		t.Fatalf("want an HTML and a text part; got parts %v", keys(parts))
	}
	refs := regexp.MustCompile(`src="cid:([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 4 {
		t.Errorf("HTML references %d cid: images, want ≥ 4", len(refs))
	}
	for _, ref := range refs {
		b, ok := cids[ref[1]]
		if !ok {
			t.Errorf("cid:%s is referenced but no part has that Content-ID (have %v)", ref[1], keys(cids))
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("cid:%s is not a PNG: %v", ref[1], err)
		} else if img.Bounds().Dx() < 600 {
			t.Errorf("cid:%s is %d px wide, want ≥ 600", ref[1], img.Bounds().Dx())
		}
	}
	z := parts["attachment:pmo-report.zip"]
	if zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z))); err != nil || len(zr.File) == 0 || zr.File[0].Name != "index.html" {
		t.Errorf("attachment pmo-report.zip: %v (parts %v)", err, keys(parts))
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<b>bold") {
		t.Errorf("the HTML part carries the summary unescaped")
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Errorf("the HTML part lacks the escaped summary")
	}
	if !strings.Contains(text, reporttest.Hostile) {
		t.Errorf("the text part lacks the summary as plain text")
	}
}

func decode(t *testing.T, enc string, r io.Reader) io.Reader {
	switch strings.ToLower(enc) {
	case "base64":
		return base64Reader(r)
	case "quoted-printable":
		return qpReader(r)
	}
	return r
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTransientFailureIsRetried(t *testing.T) {
	r := startRelay(t, mail.TLSNone, "", "")
	r.failNext = 2
	cfg := r.config(mail.TLSNone)
	var logs bytes.Buffer
	s, err := mail.NewSender(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Backoff = 10 * time.Millisecond
	if err := s.Send(context.Background(), mail.Message{To: []string{"a@example.com"}, Subject: "retry", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "retrying"); n != 2 || len(r.msgs) != 1 {
		t.Errorf("%d retries logged, %d delivered; want 2 and 1\n%s", n, len(r.msgs), logs.String())
	}
}

func TestFailureIsReportedNotDropped(t *testing.T) {
	r := startRelay(t, mail.TLSNone, "", "")
	r.failNext = 100
	zero := 2
	cfg := r.config(mail.TLSNone)
	cfg.Retries = &zero
	s, err := mail.NewSender(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Backoff = 5 * time.Millisecond
	err = s.Send(context.Background(), mail.Message{To: []string{"a@example.com"}, Subject: "doomed", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "after 3 attempt(s)") || !strings.Contains(err.Error(), r.addr) {
		t.Fatalf("err = %v; want a failure after 3 attempts naming the server", err)
	}
}

func TestWrongPasswordNeverPrinted(t *testing.T) {
	r := startRelay(t, mail.TLSStartTLS, "reporter", "right-one")
	cfg := r.config(mail.TLSStartTLS)
	cfg.Password = "wrong-Pa55word"
	var logs bytes.Buffer
	s, err := mail.NewSender(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), mail.Message{To: []string{"a@example.com"}, Subject: "x", Text: "x"})
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if !strings.Contains(err.Error(), "after 1 attempt(s)") {
		t.Errorf("a rejected login is retried: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-Pa55word") || strings.Contains(logs.String(), "wrong-Pa55word") {
		t.Errorf("password leaked: %v\n%s", err, logs.String())
	}
}
