package redmine

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/secret"
)

// Config is the configuration of one Redmine source.
type Config struct {
	// URL is the Redmine base URL, e.g. https://redmine.example.com or
	// https://example.com/redmine (with a sub-path).
	URL  string `yaml:"url"`
	Auth Auth   `yaml:"auth"`
	// Projects are the identifiers (or numeric ids) of the projects to
	// collect. Each project's own issues are collected; a subproject is
	// collected only when listed or with include_subprojects.
	Projects []string `yaml:"projects"`
	// IncludeSubprojects adds every descendant of the listed projects.
	IncludeSubprojects bool `yaml:"include_subprojects"`
	// StoryPointsField names the issue custom field that holds story points,
	// by name or numeric id (default "Story points"; "" disables it).
	StoryPointsField string `yaml:"story_points_field"`
	// Statuses maps status names (or ids) onto the status categories; a
	// status in none of the lists is done when Redmine marks it closed, to
	// do when it is a tracker's default status, in progress otherwise.
	Statuses StatusMapping `yaml:"statuses"`
	// DiscardedResolution is the resolution an issue in a discarded status
	// gets, so kpi.discard_resolutions counts it as discarded (default
	// "Won't Do", one of that list's defaults).
	DiscardedResolution string `yaml:"discarded_resolution"`
	// Concurrency bounds the parallel per-issue requests (default 4).
	Concurrency int `yaml:"concurrency"`
	// RequestsPerSecond caps the request rate; 0 means no cap (default 10).
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// PageSize is the limit asked for; Redmine caps it at 100 (default 100).
	PageSize int `yaml:"page_size"`
	// Overlap is subtracted from the updated_on cursor on incremental runs
	// (default 10m).
	Overlap time.Duration `yaml:"overlap"`
	// ReconcileEvery is how often issue ids are compared to find issues
	// deleted in Redmine (default 24h; 0 disables).
	ReconcileEvery time.Duration `yaml:"reconcile_every"`
	// TimeEntries tunes how time entries (worklogs) are re-read.
	TimeEntries TimeEntriesConfig `yaml:"time_entries"`
	// Timeout of one HTTP request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
	// Retry tunes the retries of failed requests.
	Retry RetryConfig `yaml:"retry"`
}

// Auth holds the credentials: the API key of a Redmine account (My account →
// API access key), sent in the X-Redmine-API-Key header.
type Auth struct {
	APIKey secret.Secret `yaml:"api_key"`
}

// StatusMapping lists status names or ids per category.
type StatusMapping struct {
	ToDo       []string `yaml:"todo"`
	InProgress []string `yaml:"in_progress"`
	Done       []string `yaml:"done"`
	// Discarded statuses are done, with discarded_resolution as resolution.
	Discarded []string `yaml:"discarded"`
}

// TimeEntriesConfig: Redmine cannot list the time entries changed since a
// date, so each run re-reads those spent in a trailing window and, now and
// then, all of them.
type TimeEntriesConfig struct {
	// Window is how far back (by spent_on) each run re-reads (default 720h,
	// 30 days; 0 re-reads all every run).
	Window time.Duration `yaml:"window"`
	// FullEvery is how often all time entries are re-read (default 168h;
	// the first run and a full run read them all anyway).
	FullEvery time.Duration `yaml:"full_every"`
	// Disabled skips time entries.
	Disabled bool `yaml:"disabled"`
}

// RetryConfig tunes the retries of one source.
type RetryConfig struct {
	// MaxAttempts per request, the first included (default 8).
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the first wait after a 5xx or timeout (default 500ms).
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps one wait, Retry-After included (default 60s).
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxElapsed caps the total time of one request with its retries
	// (default 10m).
	MaxElapsed time.Duration `yaml:"max_elapsed"`
}

// NewConfig returns a Config with the defaults set.
func NewConfig() *Config {
	return &Config{
		StoryPointsField:    "Story points",
		Statuses:            StatusMapping{Discarded: []string{"Rejected"}},
		DiscardedResolution: "Won't Do",
		Concurrency:         4,
		RequestsPerSecond:   10,
		PageSize:            100,
		Overlap:             10 * time.Minute,
		ReconcileEvery:      24 * time.Hour,
		TimeEntries:         TimeEntriesConfig{Window: 30 * 24 * time.Hour, FullEvery: 7 * 24 * time.Hour},
		Timeout:             60 * time.Second,
		Retry: RetryConfig{
			MaxAttempts:    8,
			InitialBackoff: 500 * time.Millisecond,
			MaxBackoff:     60 * time.Second,
			MaxElapsed:     10 * time.Minute,
		},
	}
}

// projectRE: Redmine identifiers are lower-case letters, digits, dashes and
// underscores starting with a letter (at most 100); numeric ids are accepted too.
var projectRE = regexp.MustCompile(`^([a-z][a-z0-9_-]{0,99}|[0-9]+)$`)

// Validate returns every problem, each naming its key.
func (c *Config) Validate() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.URL == "" {
		add("url: required (the Redmine base URL, e.g. https://redmine.example.com)")
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url: %q must be an absolute http(s) URL such as https://redmine.example.com", secret.RedactURL(c.URL))
	} else if u.User != nil {
		add("url: must not contain credentials; put the API key under auth.api_key")
	} else if u.RawQuery != "" || u.Fragment != "" {
		add("url: must be the base URL without query or fragment")
	}
	if !c.Auth.APIKey.IsSet() {
		add("auth.api_key: required (a Redmine API access key: My account → API access key; the REST API must be enabled in Administration → Settings → API)")
	}
	if len(c.Projects) == 0 {
		add("projects: list at least one project identifier (e.g. [website, mobile-app])")
	}
	seen := map[string]bool{}
	for i, p := range c.Projects {
		if !projectRE.MatchString(p) {
			add("projects[%d]: %q is not a Redmine project identifier (lower-case letters, digits, - and _, starting with a letter) or id", i, p)
		}
		if seen[p] {
			add("projects[%d]: %q is listed twice", i, p)
		}
		seen[p] = true
	}
	cat := map[string]string{}
	for _, l := range []struct {
		key   string
		names []string
	}{{"statuses.todo", c.Statuses.ToDo}, {"statuses.in_progress", c.Statuses.InProgress}, {"statuses.done", c.Statuses.Done}, {"statuses.discarded", c.Statuses.Discarded}} {
		for i, n := range l.names {
			k := strings.ToLower(strings.TrimSpace(n))
			if k == "" {
				add("%s[%d]: empty status name", l.key, i)
				continue
			}
			if prev, dup := cat[k]; dup {
				add("%s[%d]: status %q is already listed under %s", l.key, i, n, prev)
			}
			cat[k] = l.key
		}
	}
	if len(c.Statuses.Discarded) > 0 && strings.TrimSpace(c.DiscardedResolution) == "" {
		add("discarded_resolution: required with statuses.discarded (a name listed in kpi.discard_resolutions)")
	}
	if c.Concurrency < 1 || c.Concurrency > 32 {
		add("concurrency: %d must be between 1 and 32", c.Concurrency)
	}
	if c.RequestsPerSecond < 0 {
		add("requests_per_second: %g must not be negative (0 means no limit)", c.RequestsPerSecond)
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		add("page_size: %d must be between 1 and 100 (Redmine's cap)", c.PageSize)
	}
	if c.Overlap < 0 {
		add("overlap: %s must not be negative", c.Overlap)
	}
	if c.ReconcileEvery < 0 {
		add("reconcile_every: %s must not be negative (0 disables deletion detection)", c.ReconcileEvery)
	}
	if c.TimeEntries.Window < 0 {
		add("time_entries.window: %s must not be negative (0 re-reads every time entry each run)", c.TimeEntries.Window)
	}
	if c.TimeEntries.FullEvery <= 0 {
		add("time_entries.full_every: %s must be positive (how often every time entry is re-read)", c.TimeEntries.FullEvery)
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
