package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/pipeline"
)

// TestDocsCoverEveryKey keeps docs/configuration.md in step with the
// config structs of every section of pmo.yaml: every key is documented (as `path`), and every
// documented key exists.
func TestDocsCoverEveryKey(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	known := map[string]bool{}
	for _, k := range pipeline.ConfigKeyPaths() {
		known[k] = true
		if !strings.Contains(text, "`"+k+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", k)
		}
	}
	// Backquoted paths under a known top-level section must exist.
	ref := regexp.MustCompile("`((?:warehouse|log|serve|report|email|sources\\[\\])\\.[a-z_]+(?:\\[\\]\\.[a-z_]+)?)`")
	for _, m := range ref.FindAllStringSubmatch(text, -1) {
		if !known[m[1]] {
			t.Errorf("docs/configuration.md documents `%s`, which pmo does not accept", m[1])
		}
	}
	if len(pipeline.ConfigKeyPaths()) < 12 {
		t.Errorf("pipeline.ConfigKeyPaths() = %v: suspiciously few", pipeline.ConfigKeyPaths())
	}
}
