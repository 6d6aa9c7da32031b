package config_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The golden files hold what `pmo config check` prints for a broken
// pmo.yaml: the whole document (internal/pipeline.Config, every part's
// section) decoded by this package, with the collector types of the
// registry plus "fake".

func init() {
	collectors.Register(collectors.Type{
		Name:      "fake",
		NewConfig: func() collectors.SourceConfig { return &config.FakeConfig{Timeout: 30 * time.Second} },
		New: func(string, collectors.SourceConfig) (collectors.Collector, error) {
			return nil, errors.New("not a real collector")
		},
	})
}

var env = map[string]string{"CH_PORT": "9440", "FAKE_TOKEN": "tok-en-1", "EMPTY": ""}

func testEnv(vars map[string]string) config.Options {
	return config.Options{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

// TestBad loads every testdata/bad/*.yaml and compares the problems with
// the golden file next to it (go test -update rewrites them).
func TestBad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs: %v", err)
	}
	secrets := []string{"hunter2", "topsecret"}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := pipeline.LoadConfig(f, testEnv(env))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *config.Error: %v", err, err)
			}
			got := err.Error() + "\n"
			for _, s := range secrets {
				if strings.Contains(got, s) {
					t.Errorf("error shows secret %q", s)
				}
			}
			for _, p := range ce.Problems {
				if strings.Contains(p.Error(), "\n") {
					t.Errorf("problem spans lines: %q", p.Error())
				}
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
