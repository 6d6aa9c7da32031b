package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pmo-oss/pmo/internal/secret"
)

// DSN is a warehouse connection string. It may carry a password, so it
// prints with the password (and any password-like query parameter) replaced
// by <secret>; Reveal returns it as written.
type DSN string

// Reveal returns the DSN as configured, password included.
func (d DSN) Reveal() string { return string(d) }

// Scheme returns the DSN's scheme ("clickhouse", "chdb", ...), lower-cased,
// or "" when it has none.
func (d DSN) Scheme() string {
	s, _, ok := strings.Cut(string(d), "://")
	if !ok {
		return ""
	}
	return strings.ToLower(s)
}

// String returns the DSN with secrets redacted.
func (d DSN) String() string { return Redact(string(d)) }

// GoString redacts too, so %#v is safe.
func (d DSN) GoString() string { return fmt.Sprintf("config.DSN(%q)", d.String()) }

// MarshalYAML prints the redacted DSN.
func (d DSN) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText prints the redacted DSN (JSON, slog).
func (d DSN) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Redact returns a URL-like string with its userinfo password and
// credential query parameters replaced by <secret> (secret.RedactURL).
func Redact(s string) string { return secret.RedactURL(s) }

// WithPassword returns the DSN with its password replaced by pw (for a
// clickhouse:// DSN). The user defaults to "default" as in ClickHouse.
func (d DSN) WithPassword(pw secret.Secret) string {
	if !pw.IsSet() || d.Scheme() == "chdb" {
		return string(d)
	}
	u, err := url.Parse(string(d))
	if err != nil {
		return string(d)
	}
	user := "default"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, pw.Reveal())
	return u.String()
}
