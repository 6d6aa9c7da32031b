package github

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
)

func TestConfigValidate(t *testing.T) {
	ok := func() *Config {
		c := NewConfig()
		c.Token = "tok-SECRET"
		c.Repositories = []string{"octo-org/api"}
		return c
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // substrings, one per expected error, in order
	}{
		{"valid", func(c *Config) {}, nil},
		{"organization only", func(c *Config) { c.Repositories, c.Organization = nil, "octo-org" }, nil},
		{"no url", func(c *Config) { c.URL = "" }, []string{"url: required"}},
		{"relative url", func(c *Config) { c.URL = "github.example.com" }, []string{"url:"}},
		{"credentials in url", func(c *Config) { c.URL = "https://me:pw@github.example.com" }, []string{"url: must not contain credentials"}},
		{"no token", func(c *Config) { c.Token = "" }, []string{"token: required"}},
		{"token and app", func(c *Config) { c.App.AppID = 1 }, []string{"token: set either token or app"}},
		{"app incomplete", func(c *Config) { c.Token, c.App.AppID = "", 1 },
			[]string{"app.installation_id: required", "app.private_key: required"}},
		{"app key not PEM", func(c *Config) {
			c.Token, c.App = "", AppAuth{AppID: 1, InstallationID: 2, PrivateKey: "SECRET-not-a-key"}
		}, []string{"app.private_key: not a PEM RSA private key"}},
		{"nothing to collect", func(c *Config) { c.Repositories = nil }, []string{"repositories: list"}},
		{"bad repositories", func(c *Config) { c.Repositories = []string{"octo-org/api", "api", "Octo-Org/API"} },
			[]string{"repositories[1]", "repositories[2]: \"Octo-Org/API\" is listed twice"}},
		{"bad organization", func(c *Config) { c.Organization = "octo org" }, []string{"organization:"}},
		{"statuses", func(c *Config) {
			c.Statuses.Open = ""
			c.Statuses.Labels = []LabelStatus{{Label: ""}, {Label: "x", Category: "doing"}, {Label: "X"}}
		}, []string{"statuses.open:", "statuses.labels[0].label: required", "statuses.labels[1].category:", "statuses.labels[2].label: \"X\" is listed twice"}},
		{"unknown close reason", func(c *Config) { c.Resolutions["wontfix"] = "Won't Fix" }, []string{"resolutions: \"wontfix\""}},
		{"numbers", func(c *Config) { c.PageSize, c.Concurrency, c.Timeout = 101, 0, 0 },
			[]string{"page_size:", "concurrency:", "timeout:"}},
		{"retry", func(c *Config) { c.Retry.MaxAttempts, c.Retry.MaxBackoff = 0, 0 },
			[]string{"retry.max_attempts:", "retry.max_backoff:"}},
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
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, e, tc.want[i])
				}
				if strings.Contains(e.Error(), "SECRET") || strings.Contains(e.Error(), ":pw@") {
					t.Errorf("secret in %q", e)
				}
			}
		})
	}
}

func TestAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.github.com":                "https://api.github.com/",
		"https://api.github.com/":               "https://api.github.com/",
		"https://github.example.com":            "https://github.example.com/api/v3/",
		"https://github.example.com/api/v3":     "https://github.example.com/api/v3/",
		"https://example.com/github/api/v3/":    "https://example.com/github/api/v3/",
		"http://127.0.0.1:8080/custom/base/url": "http://127.0.0.1:8080/custom/base/url/",
	} {
		c := NewConfig()
		c.URL = in
		u, err := c.apiBase()
		if err != nil || u.String() != want {
			t.Errorf("apiBase(%s) = %v, %v; want %s", in, u, err, want)
		}
	}
}

func TestRegistered(t *testing.T) {
	typ, err := collectors.Lookup("github")
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := typ.NewConfig().(*Config)
	if !ok || cfg.PageSize != 100 || cfg.URL != "https://api.github.com" || cfg.Statuses.Labels[0].Label != "in progress" {
		t.Fatalf("NewConfig gave %#v", cfg)
	}
	if _, err := typ.New("x", cfg); err == nil || !strings.Contains(err.Error(), "token: required") {
		t.Errorf("New accepted an invalid config: %v", err)
	}
}
