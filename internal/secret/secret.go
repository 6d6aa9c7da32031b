// Package secret holds the Secret type used for passwords and tokens in
// configuration. A Secret never prints its value: fmt, slog, YAML and JSON
// all show "<secret>". Only Reveal returns the value, for the one place that
// sends it to a server.
package secret

import (
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// Redacted is what a set Secret prints as.
const Redacted = "<secret>"

// Secret is a string that does not print.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer, so %#v does not leak either.
func (s Secret) GoString() string { return `secret.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML prints the secret as "<secret>" (gopkg/go.yaml.in yaml.Marshaler).
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON prints the secret as "<secret>".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText prints the secret as "<secret>".
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// RedactURL returns a URL-like text (a DSN, a Pushgateway or tracker URL)
// safe to print: the password of its userinfo and credential-like query
// parameters (password, token, api_key, ...) become <secret>; the user name
// stays. A text that does not parse as a URL is redacted whole when it
// might hold credentials (it has an '@' or a '?'). It is the one redaction
// of URLs in pmo: configuration printing, errors and logs all use it.
func RedactURL(s string) string {
	const mark = "__PMO_REDACTED__"
	changed := false
	u, err := url.Parse(s)
	if err != nil {
		// A password with characters that are not %-encoded makes the
		// URL unparsable: cut the userinfo password out by its shape.
		if r := userinfoPassword.ReplaceAllString(s, "$1:"+mark+"@"); r != s {
			if u, err = url.Parse(r); err == nil {
				changed = true
			} else if !strings.Contains(r, "?") {
				// Still not a URL (a bad port, say) but its password is
				// out and it has no query: show the rest, which says
				// what to fix.
				return strings.ReplaceAll(r, mark, Redacted)
			}
		}
		if err != nil {
			if strings.ContainsAny(s, "@?") {
				return Redacted
			}
			return s
		}
	}
	if u.User != nil {
		if pw, has := u.User.Password(); has && pw != mark {
			u.User = url.UserPassword(u.User.Username(), mark)
			changed = true
		}
	}
	q := u.Query()
	qChanged := false
	for k := range q {
		if IsCredentialParam(k) {
			q.Set(k, mark)
			qChanged = true
		}
	}
	if qChanged {
		u.RawQuery = q.Encode()
		changed = true
	}
	if !changed {
		return s
	}
	return strings.ReplaceAll(u.String(), mark, Redacted)
}

// URLSecrets returns the secret parts of a URL-like text: its userinfo
// password (as written and query-escaped) and the values of its
// credential-like query parameters, for scrubbing them from any text.
func URLSecrets(s string) []string {
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for k, vals := range u.Query() {
		if IsCredentialParam(k) {
			out = append(out, vals...)
		}
	}
	return out
}

// userinfoPassword matches the password of a URL's userinfo.
var userinfoPassword = regexp.MustCompile(`(://[^:/@\s]*):[^@\s]*@`)

// credentialParams are query parameters that carry credentials.
var credentialParams = []string{"password", "pass", "pwd", "secret", "token", "access_token", "api_key", "key"}

// IsCredentialParam reports whether a URL query parameter carries a
// credential (case-insensitive).
func IsCredentialParam(name string) bool {
	for _, p := range credentialParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}
