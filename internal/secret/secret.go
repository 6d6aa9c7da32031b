// Package secret holds the Secret type used for passwords and tokens in
// configuration. A Secret never prints its value: fmt, slog, YAML and JSON
// all show "<secret>". Only Reveal returns the value, for the one place that
// sends it to a server.
package secret

import "log/slog"

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
