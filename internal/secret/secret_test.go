package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "token", s)
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct{ T Secret }{s}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v":     fmt.Sprintf("%v", s),
		"String": s.String(),
		"%#v":    fmt.Sprintf("%#v", s),
		"%+v":    fmt.Sprintf("%+v", struct{ T Secret }{s}),
		"json":   js.String(),
		"slog":   logBuf.String(),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s does not show %s: %s", name, Redacted, out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
	if Secret("").String() != "" {
		t.Error("an unset secret should print empty")
	}
}

// TestRedactURL: the one URL redaction (config check --print, errors,
// logs): the userinfo password and credential parameters go, the rest of
// the URL stays readable.
func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://gw:9091", "http://gw:9091"},
		{"https://pmo:s3cret@gw.example.com:9091/prefix", "https://pmo:<secret>@gw.example.com:9091/prefix"},
		{"https://pmo@gw.example.com", "https://pmo@gw.example.com"},
		{"https://gw?token=abc&x=1", "https://gw?token=<secret>&x=1"},
		{"https://gw?API_KEY=abc", "https://gw?API_KEY=<secret>"},
		{"clickhouse://u:p%zz@h:9000/db", "clickhouse://u:<secret>@h:9000/db"}, // unparsable password
		{"clickhouse://u:pw1@h/db?password=pw2", "clickhouse://u:<secret>@h/db?password=<secret>"},
		{"clickhouse://u:hunter2@db:port/pmo", "clickhouse://u:<secret>@db:port/pmo"}, // a bad port: the rest says what to fix
		{"clickhouse://u:hunter2@db:port/pmo?x=1", Redacted},                          // … but not with a query
		{"chdb:///var/lib/pmo", "chdb:///var/lib/pmo"},
		{"%zz@host", Redacted},
		{"plain text", "plain text"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, s := range URLSecrets(tt.in) {
			if strings.Contains(RedactURL(tt.in), s) {
				t.Errorf("RedactURL(%q) still holds the secret %q", tt.in, s)
			}
		}
	}
}
