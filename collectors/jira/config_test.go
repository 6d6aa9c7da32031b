package jira

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
)

func TestConfigValidate(t *testing.T) {
	ok := func() *Config {
		c := NewConfig()
		c.URL = "https://example.atlassian.net"
		c.Auth.Email = "a@example.com"
		c.Auth.APIToken = "tok-SECRET"
		c.Projects = []string{"ABC"}
		return c
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // substrings, one per expected error
	}{
		{"valid", func(c *Config) {}, nil},
		{"no url", func(c *Config) { c.URL = "" }, []string{"url: required"}},
		{"relative url", func(c *Config) { c.URL = "example.com" }, []string{"url:"}},
		{"credentials in url", func(c *Config) { c.URL = "https://me:pw@example.com" }, []string{"url: must not contain credentials"}},
		{"bad deployment", func(c *Config) { c.Deployment = "server" }, []string{"deployment:"}},
		{"no auth", func(c *Config) { c.Auth = Auth{} }, []string{"auth: set"}},
		{"token without email", func(c *Config) { c.Auth.Email = "" }, []string{"auth.email: required"}},
		{"two methods", func(c *Config) { c.Auth.PersonalAccessToken = "x" }, []string{"auth: set only one"}},
		{"bad projects", func(c *Config) { c.Projects = []string{"ok", "1X", "OK"} }, []string{"projects[1]", "projects[2]"}},
		{"no projects", func(c *Config) { c.Projects = nil }, []string{"projects: list"}},
		{"order by", func(c *Config) { c.JQL = "labels = x ORDER BY key" }, []string{"jql:"}},
		{"field override", func(c *Config) { c.Fields.Sprint = "Sprint" }, []string{"fields.sprint:"}},
		{"numbers", func(c *Config) {
			c.Concurrency, c.PageSize, c.RequestsPerSecond, c.Timeout = 0, 0, -1, 0
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
	typ, err := collectors.Lookup("jira")
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := typ.NewConfig().(*Config)
	if !ok || cfg.PageSize != 100 || cfg.Deployment != DeploymentAuto {
		t.Fatalf("NewConfig gave %#v", cfg)
	}
	if _, err := typ.New("x", cfg); err == nil {
		t.Error("New accepted an invalid config")
	}
}
