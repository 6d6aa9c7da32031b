package gitlab

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
)

func TestConfigValidate(t *testing.T) {
	ok := func() *Config {
		c := NewConfig()
		c.URL = "https://gitlab.example.com"
		c.Auth.PrivateToken = "glpat-SECRET"
		c.Projects = []string{"acme/app"}
		return c
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // substrings, one per expected error
	}{
		{"valid", func(c *Config) {}, nil},
		{"groups only", func(c *Config) { c.Projects, c.Groups = nil, []string{"acme"} }, nil},
		{"no url", func(c *Config) { c.URL = "" }, []string{"url: required"}},
		{"relative url", func(c *Config) { c.URL = "gitlab.example.com" }, []string{"url:"}},
		{"credentials in url", func(c *Config) { c.URL = "https://me:pw@gitlab.example.com" }, []string{"url: must not contain credentials"}},
		{"api path in url", func(c *Config) { c.URL = "https://gitlab.example.com/api/v4" }, []string{"url: must be the base URL without /api/v4"}},
		{"no token", func(c *Config) { c.Auth.PrivateToken = "" }, []string{"auth.private_token: required"}},
		{"nothing to collect", func(c *Config) { c.Projects = nil }, []string{"projects: list"}},
		{"bad projects", func(c *Config) { c.Projects = []string{"acme/app", "", "https://x/y", "ACME/app"} },
			[]string{"projects[1]: empty", "projects[2]:", "projects[3]: \"ACME/app\" is listed twice"}},
		{"status", func(c *Config) {
			c.Status.InProgressLabels = []string{" "}
			c.Status.DiscardResolution = ""
		}, []string{"status.in_progress_labels[0]", "status.discard_resolution: required"}},
		{"types", func(c *Config) { c.Types.Default = "" }, []string{"types.default: required"}},
		{"pagination", func(c *Config) { c.Pagination = "cursor" }, []string{"pagination:"}},
		{"numbers", func(c *Config) {
			c.Concurrency, c.PageSize, c.RequestsPerSecond, c.Timeout = 0, 101, -1, 0
		}, []string{"concurrency:", "requests_per_second:", "page_size:", "timeout:"}},
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
					t.Errorf("error %d = %q, want it to contain %q", i, e, tc.want[i])
				}
				if strings.Contains(e.Error(), "SECRET") || strings.Contains(e.Error(), ":pw@") {
					t.Errorf("secret in %q", e)
				}
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	typ, err := collectors.Lookup("gitlab")
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := typ.NewConfig().(*Config)
	if !ok || cfg.PageSize != 100 || cfg.Pagination != PaginationAuto || cfg.Status.DiscardResolution != "Won't Do" {
		t.Fatalf("NewConfig gave %#v", cfg)
	}
	if _, err := typ.New("x", cfg); err == nil {
		t.Error("New accepted an invalid config")
	}
}
