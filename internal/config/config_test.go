package config

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// fakeConfig stands in for a collector's type-specific settings; the
// external tests (bad_test.go) use it as FakeConfig.
type fakeConfig struct {
	URL      string        `yaml:"url"`
	Token    secret.Secret `yaml:"token,omitempty"`
	Projects []string      `yaml:"projects,omitempty"`
	Timeout  time.Duration `yaml:"timeout"`
	Fields   struct {
		StoryPoints string `yaml:"story_points,omitempty"`
	} `yaml:"fields"`
}

// FakeConfig is fakeConfig for the external test package.
type FakeConfig = fakeConfig

func (c *fakeConfig) Validate() []error {
	var errs []error
	switch {
	case c.URL == "":
		errs = append(errs, errors.New("url: is missing; expected the https:// address of the fake tracker"))
	case !strings.HasPrefix(c.URL, "https://"):
		errs = append(errs, fmt.Errorf("url: %q is not an https URL; expected https://host", c.URL))
	}
	return errs
}

// fakeTypes knows one source type, "fake".
type fakeTypes struct{}

func (fakeTypes) NewSettings(typ string) (SourceSettings, bool) {
	if typ != "fake" {
		return nil, false
	}
	return &fakeConfig{Timeout: 30 * time.Second}, true
}

func (fakeTypes) Names() []string { return []string{"fake"} }

func testEnv(vars map[string]string) Options {
	return Options{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, SourceTypes: fakeTypes{}}
}

var env = map[string]string{"CH_PORT": "9440", "FAKE_TOKEN": "tok-en-1", "EMPTY": ""}

func TestLoadFull(t *testing.T) {
	cfg := Default()
	err := Load(filepath.Join("testdata", "good", "full.yaml"), cfg, testEnv(env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	w := cfg.Warehouse
	if got, want := w.DSN.Reveal(), "clickhouse://pmo@127.0.0.1:9440/pmo?secure=false"; got != want {
		t.Errorf("dsn = %q, want %q", got, want)
	}
	if w.Password.Reveal() != "s3cr3t-ch" {
		t.Errorf("password from password_file = %q", w.Password.Reveal())
	}
	if got := w.DSN.WithPassword(w.Password); got != "clickhouse://pmo:s3cr3t-ch@127.0.0.1:9440/pmo?secure=false" {
		t.Errorf("WithPassword = %q", got)
	}
	if w.Database != "pmo_prod" || w.Cluster != "main" || w.BatchSize != 10000 || w.FlushInterval != 2*time.Second {
		t.Errorf("warehouse = %+v", w)
	}
	if cfg.Log != (Log{Level: "debug", Format: "json"}) {
		t.Errorf("log = %+v", cfg.Log)
	}
	if len(cfg.Sources) != 2 {
		t.Fatalf("sources = %d, want 2", len(cfg.Sources))
	}
	one := cfg.Sources[0].Settings.(*fakeConfig)
	if one.Token.Reveal() != "tok-en-1" || one.Timeout != time.Minute || one.Fields.StoryPoints != "customfield_10016" ||
		strings.Join(one.Projects, ",") != "A,B" || one.URL != "https://fake.example.com" {
		t.Errorf("sources[0] settings = %#v", one)
	}
	if cfg.Sources[0].Schedule != "*/30 * * * *" || cfg.Sources[0].Name != "fake-one" {
		t.Errorf("sources[0] = %+v", cfg.Sources[0])
	}
	two := cfg.Sources[1].Settings.(*fakeConfig)
	if two.Token.Reveal() != "tok-en-2" {
		t.Errorf("token_file with CRLF = %q, want tok-en-2", two.Token.Reveal())
	}
	if two.Timeout != 30*time.Second {
		t.Errorf("default timeout lost: %v", two.Timeout)
	}
}

func TestMergeKeys(t *testing.T) {
	cfg := Default()
	err := Load(filepath.Join("testdata", "good", "merge.yaml"), cfg, testEnv(env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(cfg.Sources) != 2 {
		t.Fatalf("sources = %d", len(cfg.Sources))
	}
	one, two := cfg.Sources[0].Settings.(*fakeConfig), cfg.Sources[1].Settings.(*fakeConfig)
	if cfg.Sources[0].Type != "fake" || one.Timeout != 2*time.Minute || one.Token.Reveal() != "tok-en-1" || one.URL != "https://one.example.com" {
		t.Errorf("sources[0] = %+v %+v", cfg.Sources[0], one)
	}
	if two.Timeout != 5*time.Minute || two.Token.Reveal() != "tok-en-1" {
		t.Errorf("sources[1]: own key must win over the merged one: %+v", two)
	}
}

func TestDefaults(t *testing.T) {
	cfg := Default()
	err := Load(filepath.Join("testdata", "good", "empty.yaml"), cfg, testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.File, want.types = cfg.File, cfg.types
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Errorf("empty file: got %+v, want defaults %+v", cfg, want)
	}
	if cfg.Warehouse.DSN != DefaultDSN || cfg.Warehouse.Database != "pmo" {
		t.Errorf("defaults: %+v", cfg.Warehouse)
	}
	if errs := Default().Validate(); len(errs) > 0 {
		t.Errorf("defaults do not validate: %v", errs)
	}
}

// TestPrintNeverShowsSecrets dumps the effective configuration the way
// `pmo config check --print` does and looks for every secret value.
func TestPrintNeverShowsSecrets(t *testing.T) {
	e := map[string]string{"CH_PORT": "9440", "FAKE_TOKEN": "tok-en-1"}
	cfg := Default()
	err := Load(filepath.Join("testdata", "good", "full.yaml"), cfg, testEnv(e))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Warehouse.DSN = "clickhouse://pmo:dsn-pass-1@h:9000/pmo?password=dsn-pass-2"
	var buf bytes.Buffer
	if err := Print(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"tok-en-1", "tok-en-2", "s3cr3t-ch", "dsn-pass-1", "dsn-pass-2"} {
		if strings.Contains(out, s) {
			t.Errorf("printed config shows secret %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"fake-one", "customfield_10016", "<secret>", "flush_interval: 2s"} {
		if !strings.Contains(out, s) {
			t.Errorf("printed config lacks %q:\n%s", s, out)
		}
	}
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg.Warehouse)} {
		for _, sec := range []string{"s3cr3t-ch", "dsn-pass-1"} {
			if strings.Contains(s, sec) {
				t.Errorf("fmt shows secret %q: %s", sec, s)
			}
		}
	}
	// The printed config is valid YAML that decodes again.
	var back map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Errorf("printed config is not YAML: %v", err)
	}
}

func TestExpandEnv(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"A": "1", "E": ""}[k]
		return v, ok
	}
	tests := []struct{ in, want, err string }{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "1"},
		{in: "x${A}y${A}", want: "x1y1"},
		{in: "${B:-dflt}", want: "dflt"},
		{in: "${E:-dflt}", want: "dflt"},
		{in: "${E}", want: ""},
		{in: "${A:-dflt}", want: "1"},
		{in: "$${A}", want: "${A}"},
		{in: "pa$$word$A", want: "pa$$word$A"},
		{in: "${B}", err: "environment variable B is not set"},
		{in: "${1X}", err: "not a valid environment variable reference"},
		{in: "${A", err: "unterminated"},
	}
	for _, tt := range tests {
		got, err := expandEnv(tt.in, lookup)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expandEnv(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"chdb://./.pmo/warehouse", "chdb://./.pmo/warehouse"},
		{"clickhouse://u:p@h:9000/db", "clickhouse://u:<secret>@h:9000/db"},
		{"clickhouse://u@h:9000/db", "clickhouse://u@h:9000/db"},
		{"clickhouse://h:9000/db?password=x&secure=true", "clickhouse://h:9000/db?password=<secret>&secure=true"},
		{"clickhouse://u:p%zz@h", "clickhouse://u:<secret>@h"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
