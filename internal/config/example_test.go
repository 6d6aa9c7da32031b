package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
	_ "github.com/pmo-oss/pmo/collectors/all" // the real collector types
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// TestExampleConfig loads the repository's pmo.example.yaml so it cannot
// rot: every key must decode into today's structs and validate.
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "pmo.example.yaml")
	secrets := map[string]string{"/run/secrets/jira-dc-token": "dc-pat-value\n"}
	opts := config.Options{
		LookupEnv: func(k string) (string, bool) {
			if k == "JIRA_TOKEN" {
				return "cloud-token-value", true
			}
			return "", false
		},
		ReadFile: func(p string) ([]byte, error) {
			if v, ok := secrets[p]; ok {
				return []byte(v), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
	}
	cfg, err := pipeline.LoadConfig(path, opts)
	if err != nil {
		t.Fatalf("pmo.example.yaml does not load:\n%v", err)
	}
	if cfg.Warehouse.DSN != config.DefaultDSN {
		t.Errorf("example warehouse dsn = %q, want the embedded default %q", cfg.Warehouse.DSN.Reveal(), config.DefaultDSN)
	}
	want := map[string]string{"jira-cloud": "jira", "jira-dc": "jira"}
	if len(cfg.Sources) != len(want) {
		t.Fatalf("example has %d sources, want %d", len(cfg.Sources), len(want))
	}
	for _, s := range cfg.Sources {
		if want[s.Name] != s.Type || s.Settings == nil || s.Schedule == "" {
			t.Errorf("source %+v: want type %q with settings and a schedule", s, want[s.Name])
		}
		if _, err := collectors.Lookup(s.Type); err != nil {
			t.Error(err)
		}
		if s.Name == "jira-dc" && s.Program != "Core Banking" {
			t.Errorf("source jira-dc: program %q, want Core Banking (sources[].program)", s.Program)
		}
	}
	var buf bytes.Buffer
	if err := cfg.Print(&buf); err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{"cloud-token-value", "dc-pat-value"} {
		if strings.Contains(buf.String(), sec) {
			t.Errorf("printed example shows secret %q", sec)
		}
	}
	if !strings.Contains(buf.String(), "<secret>") {
		t.Errorf("printed example lacks <secret>:\n%s", buf.String())
	}
}

// TestExampleConfigNeedsItsSecrets shows what a user sees when the
// example's token is not exported: the key, the variable and the fix.
func TestExampleConfigNeedsItsSecrets(t *testing.T) {
	_, err := pipeline.LoadConfig(filepath.Join("..", "..", "pmo.example.yaml"), config.Options{
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  func(p string) ([]byte, error) { return nil, fs.ErrNotExist },
	})
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a *config.Error, got %v", err)
	}
	got := err.Error()
	for _, want := range []string{"sources[0].auth.api_token: environment variable JIRA_TOKEN is not set", "sources[1].auth.personal_access_token_file: cannot read"} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
	if len(ce.Problems) != 2 {
		t.Errorf("want exactly 2 problems, got %d:\n%s", len(ce.Problems), got)
	}
}

// TestDocsExamplesLoad loads every yaml block of docs/configuration.md and
// of the README, so the examples people copy are valid.
func TestDocsExamplesLoad(t *testing.T) {
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```")
	for _, doc := range []string{filepath.Join("..", "..", "docs", "configuration.md"), filepath.Join("..", "..", "README.md")} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := block.FindAllStringSubmatch(string(text), -1)
		if len(blocks) == 0 {
			t.Errorf("%s has no yaml examples", doc)
		}
		for i, b := range blocks {
			body := dedent(b[1]) // blocks inside a list item are indented
			_, err := pipeline.ParseConfig([]byte(body), fmt.Sprintf("%s block %d", filepath.Base(doc), i+1), config.Options{
				LookupEnv: func(k string) (string, bool) { return "example-" + k, true },
			})
			if err != nil {
				t.Errorf("%s yaml block %d does not load:\n%v\n---\n%s", doc, i+1, err, body)
			}
		}
	}
}

// dedent removes the indentation every non-empty line shares.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return strings.Join(lines, "\n")
}
