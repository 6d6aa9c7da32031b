package jira

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/secret"
)

// Deployment kinds.
const (
	DeploymentAuto       = "auto"
	DeploymentCloud      = "cloud"
	DeploymentDataCenter = "datacenter"
)

// Config is the configuration of one Jira source.
type Config struct {
	// URL is the Jira base URL, e.g. https://example.atlassian.net or
	// https://jira.example.com/jira (with a context path).
	URL string `yaml:"url"`
	// Deployment is auto (from /rest/api/2/serverInfo), cloud or datacenter.
	Deployment string `yaml:"deployment"`
	Auth       Auth   `yaml:"auth"`
	// Projects are the keys of the projects to collect.
	Projects []string `yaml:"projects"`
	// JQL is an optional filter, combined as (<jql>) AND updated >= ….
	JQL string `yaml:"jql"`
	// Fields override the custom field ids found from /rest/api/2/field.
	Fields FieldOverrides `yaml:"fields"`
	// Concurrency bounds the parallel per-issue requests (changelog and
	// worklog pages) (default 4).
	Concurrency int `yaml:"concurrency"`
	// RequestsPerSecond caps the request rate; 0 means no cap (default 20).
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// PageSize is the maxResults asked for; the server may give fewer
	// (default 100).
	PageSize int `yaml:"page_size"`
	// Overlap is subtracted from the cursor on incremental runs (default 10m).
	Overlap time.Duration `yaml:"overlap"`
	// ReconcileEvery is how often issue ids are compared to find issues
	// deleted in Jira (default 24h; 0 disables).
	ReconcileEvery time.Duration `yaml:"reconcile_every"`
	// Timeout of one HTTP request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
	// Retry tunes the retries of failed requests.
	Retry RetryConfig `yaml:"retry"`
}

// Auth holds the credentials. Cloud: email + api_token. Data Center:
// personal_access_token, or username + password.
type Auth struct {
	Email               string        `yaml:"email"`
	APIToken            secret.Secret `yaml:"api_token"`
	PersonalAccessToken secret.Secret `yaml:"personal_access_token"`
	Username            string        `yaml:"username"`
	Password            secret.Secret `yaml:"password"`
}

// FieldOverrides name custom field ids (customfield_NNNNN) to use instead of
// the detected ones.
type FieldOverrides struct {
	StoryPoints string `yaml:"story_points"`
	Sprint      string `yaml:"sprint"`
	EpicLink    string `yaml:"epic_link"`
	Flagged     string `yaml:"flagged"`
}

// NewConfig returns a Config with the defaults set.
func NewConfig() *Config {
	return &Config{
		Deployment:        DeploymentAuto,
		Concurrency:       4,
		RequestsPerSecond: 20,
		PageSize:          100,
		Overlap:           10 * time.Minute,
		ReconcileEvery:    24 * time.Hour,
		Timeout:           60 * time.Second,
		Retry: RetryConfig{
			MaxAttempts:    8,
			InitialBackoff: 500 * time.Millisecond,
			MaxBackoff:     60 * time.Second,
			MaxElapsed:     10 * time.Minute,
		},
	}
}

var (
	projectKeyRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	customFieldRE = regexp.MustCompile(`^customfield_[0-9]+$`)
)

// Validate returns every problem, each naming its key.
func (c *Config) Validate() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.URL == "" {
		add("url: required (the Jira base URL, e.g. https://example.atlassian.net)")
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url: %q must be an absolute http(s) URL such as https://example.atlassian.net", redactString(c.URL))
	} else if u.User != nil {
		add("url: must not contain credentials; put them under auth")
	} else if u.RawQuery != "" || u.Fragment != "" {
		add("url: must be the base URL without query or fragment")
	}
	switch c.Deployment {
	case DeploymentAuto, DeploymentCloud, DeploymentDataCenter:
	default:
		add("deployment: %q is not one of auto, cloud, datacenter", c.Deployment)
	}
	a := c.Auth
	methods := 0
	if a.APIToken.IsSet() {
		methods++
		if a.Email == "" {
			add("auth.email: required with auth.api_token (the Atlassian account e-mail)")
		}
	}
	if a.PersonalAccessToken.IsSet() {
		methods++
	}
	if a.Password.IsSet() {
		methods++
		if a.Username == "" {
			add("auth.username: required with auth.password")
		}
	}
	switch {
	case methods == 0:
		add("auth: set auth.email and auth.api_token (Cloud), auth.personal_access_token (Data Center), or auth.username and auth.password")
	case methods > 1:
		add("auth: set only one of auth.api_token, auth.personal_access_token, auth.password")
	}
	if a.Email != "" && !a.APIToken.IsSet() {
		add("auth.api_token: required with auth.email")
	}
	if a.Username != "" && !a.Password.IsSet() {
		add("auth.password: required with auth.username")
	}
	if len(c.Projects) == 0 {
		add("projects: list at least one project key (e.g. [ABC, DEF])")
	}
	seen := map[string]bool{}
	for i, p := range c.Projects {
		if !projectKeyRE.MatchString(p) {
			add("projects[%d]: %q is not a Jira project key (letters, digits, underscore, starting with a letter)", i, p)
		}
		if seen[strings.ToUpper(p)] {
			add("projects[%d]: %q is listed twice", i, p)
		}
		seen[strings.ToUpper(p)] = true
	}
	if strings.Contains(strings.ToLower(c.JQL), "order by") {
		add("jql: must not contain ORDER BY (the collector orders by updated)")
	}
	for _, f := range []struct{ key, v string }{{"fields.story_points", c.Fields.StoryPoints}, {"fields.sprint", c.Fields.Sprint},
		{"fields.epic_link", c.Fields.EpicLink}, {"fields.flagged", c.Fields.Flagged}} {
		if f.v != "" && !customFieldRE.MatchString(f.v) {
			add("%s: %q must be a custom field id like customfield_10016 (see /rest/api/2/field)", f.key, f.v)
		}
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		add("concurrency: %d must be between 1 and 64", c.Concurrency)
	}
	if c.RequestsPerSecond < 0 {
		add("requests_per_second: %g must not be negative (0 means no limit)", c.RequestsPerSecond)
	}
	if c.PageSize < 1 || c.PageSize > 5000 {
		add("page_size: %d must be between 1 and 5000", c.PageSize)
	}
	if c.Overlap < 0 {
		add("overlap: %s must not be negative", c.Overlap)
	}
	if c.ReconcileEvery < 0 {
		add("reconcile_every: %s must not be negative (0 disables deletion detection)", c.ReconcileEvery)
	}
	if c.Timeout <= 0 {
		add("timeout: %s must be positive", c.Timeout)
	}
	if c.Retry.MaxAttempts < 1 {
		add("retry.max_attempts: %d must be at least 1", c.Retry.MaxAttempts)
	}
	if c.Retry.InitialBackoff <= 0 {
		add("retry.initial_backoff: %s must be positive", c.Retry.InitialBackoff)
	}
	if c.Retry.MaxBackoff < c.Retry.InitialBackoff {
		add("retry.max_backoff: %s must be at least retry.initial_backoff", c.Retry.MaxBackoff)
	}
	if c.Retry.MaxElapsed <= 0 {
		add("retry.max_elapsed: %s must be positive", c.Retry.MaxElapsed)
	}
	return errs
}

// redactString drops user info from a URL string for messages.
func redactString(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…" + s[i:]
		}
	}
	return s
}
