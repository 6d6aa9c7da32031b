package redmine

import (
	"os"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

func TestConfigValidate(t *testing.T) {
	ok := func() *Config {
		c := NewConfig()
		c.URL = "https://redmine.example.com"
		c.Auth.APIKey = "key-SECRET"
		c.Projects = []string{"website"}
		return c
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // substrings, one per expected error, in order
	}{
		{"valid", func(c *Config) {}, nil},
		{"numeric project id", func(c *Config) { c.Projects = []string{"12"} }, nil},
		{"no url", func(c *Config) { c.URL = "" }, []string{"url: required"}},
		{"relative url", func(c *Config) { c.URL = "redmine.example.com" }, []string{"url:"}},
		{"credentials in url", func(c *Config) { c.URL = "https://me:pw@example.com" }, []string{"url: must not contain credentials"}},
		{"no key", func(c *Config) { c.Auth.APIKey = "" }, []string{"auth.api_key: required"}},
		{"no projects", func(c *Config) { c.Projects = nil }, []string{"projects: list"}},
		{"bad projects", func(c *Config) { c.Projects = []string{"ok", "Web Site", "ok"} }, []string{"projects[1]", "projects[2]"}},
		{"status twice", func(c *Config) { c.Statuses.Done = []string{"rejected"} }, []string{"statuses.discarded[0]"}},
		{"empty status", func(c *Config) { c.Statuses.ToDo = []string{" "} }, []string{"statuses.todo[0]"}},
		{"no discarded resolution", func(c *Config) { c.DiscardedResolution = "" }, []string{"discarded_resolution:"}},
		{"numbers", func(c *Config) {
			c.Concurrency, c.PageSize, c.RequestsPerSecond, c.Timeout = 0, 101, -1, 0
		}, []string{"concurrency:", "requests_per_second:", "page_size:", "timeout:"}},
		{"time entries", func(c *Config) { c.TimeEntries.Window, c.TimeEntries.FullEvery = -1, 0 },
			[]string{"time_entries.window:", "time_entries.full_every:"}},
		{"retry", func(c *Config) { c.Retry = RetryConfig{} },
			[]string{"retry.max_attempts:", "retry.initial_backoff:", "retry.max_elapsed:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.modify(c)
			errs := c.Validate()
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tc.want))
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), strings.SplitN(tc.want[i], ":", 2)[0]) || !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, e, tc.want[i])
				}
				if strings.Contains(e.Error(), "SECRET") || strings.Contains(e.Error(), ":pw@") {
					t.Errorf("secret in %q", e)
				}
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	typ, err := collectors.Lookup("redmine")
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := typ.NewConfig().(*Config)
	if !ok || cfg.PageSize != 100 || cfg.StoryPointsField != "Story points" {
		t.Fatalf("NewConfig gave %#v", cfg)
	}
	if _, err := typ.New("x", cfg); err == nil {
		t.Error("New accepted an invalid config")
	}
}

// TestSampleLoads loads sample.yaml as the sources of a pmo.yaml, strictly.
func TestSampleLoads(t *testing.T) {
	data, err := os.ReadFile("sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := "sources:\n" + indent(string(data))
	cfg, err := pipeline.ParseConfig([]byte(doc), "sample.yaml", config.Options{
		LookupEnv: func(k string) (string, bool) { return "sample-" + k, true },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 1 || cfg.Sources[0].Type != "redmine" {
		t.Fatalf("sources = %+v", cfg.Sources)
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("  " + l)
		}
	}
	return b.String()
}
