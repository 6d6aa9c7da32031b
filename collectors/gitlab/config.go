package gitlab

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/secret"
)

// Config is the configuration of one GitLab source (gitlab.com or a
// self-managed instance).
type Config struct {
	// URL is the GitLab base URL, e.g. https://gitlab.com or
	// https://git.example.com/gitlab (with a relative URL root); /api/v4 is
	// added by the client.
	URL  string `yaml:"url"`
	Auth Auth   `yaml:"auth"`
	// Projects are project paths (group/sub/project) or numeric ids.
	Projects []string `yaml:"projects"`
	// Groups are group paths or ids; every project in them (and in their
	// subgroups) is collected.
	Groups []string `yaml:"groups"`
	// IncludeArchived also collects the archived projects of Groups.
	IncludeArchived bool `yaml:"include_archived"`
	// Status maps GitLab's two states and labels onto workflow statuses.
	Status StatusConfig `yaml:"status"`
	// Types names the issue type of each issue (kpi.flow_item_types and
	// kpi.bug_types read these names).
	Types TypeConfig `yaml:"types"`
	// Timelogs collects the time logged on issues (GraphQL, the REST API has
	// no list of timelogs) as worklogs (default true).
	Timelogs bool `yaml:"timelogs"`
	// TimelogWindow is how far back an incremental run re-reads timelogs by
	// their spent date (time can be logged for past days; default 2160h =
	// 90 days). A full run reads them all.
	TimelogWindow time.Duration `yaml:"timelog_window"`
	// ReconcileEvery is how often the issue ids of each project are listed
	// to find issues deleted in GitLab (default 24h; 0 disables).
	ReconcileEvery time.Duration `yaml:"reconcile_every"`
	// Pagination of the issue lists: auto (keyset where the server offers it,
	// else offset), keyset or offset.
	Pagination string `yaml:"pagination"`
	// Concurrency bounds the parallel per-issue event requests (default 4).
	Concurrency int `yaml:"concurrency"`
	// RequestsPerSecond caps the request rate; 0 means no cap (default 10).
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// PageSize is per_page (GitLab caps it at 100).
	PageSize int `yaml:"page_size"`
	// Overlap is subtracted from the cursor on incremental runs (default 10m).
	Overlap time.Duration `yaml:"overlap"`
	// Timeout of one HTTP request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
	// Retry tunes the retries of failed requests.
	Retry RetryConfig `yaml:"retry"`
}

// Auth holds the credentials: a personal, project or group access token
// with the read_api scope, sent as PRIVATE-TOKEN.
type Auth struct {
	PrivateToken secret.Secret `yaml:"private_token"`
}

// StatusConfig says which labels mean which workflow status. An open issue
// is in the status of the last label of InProgressLabels it carries (in
// list order), else "opened" (to do); a closed issue is "closed" (done).
type StatusConfig struct {
	// InProgressLabels are labels (scoped labels like workflow::doing
	// included) that put an open issue in progress, in workflow order.
	InProgressLabels []string `yaml:"in_progress_labels"`
	// DiscardLabels are labels that make a closed issue discarded (not
	// done): its resolution is DiscardResolution.
	DiscardLabels []string `yaml:"discard_labels"`
	// DiscardResolution is the resolution name given to discarded issues; it
	// should be one of kpi.discard_resolutions (default "Won't Do").
	DiscardResolution string `yaml:"discard_resolution"`
}

// TypeConfig maps GitLab issues onto issue type names. The first label of
// Labels an issue carries names its type; else a task is "Task", an incident
// "Incident", and any other issue Default.
type TypeConfig struct {
	Default string            `yaml:"default"`
	Labels  map[string]string `yaml:"labels"`
}

// Pagination modes.
const (
	PaginationAuto   = "auto"
	PaginationKeyset = "keyset"
	PaginationOffset = "offset"
)

// RetryConfig tunes the retries of one source.
type RetryConfig struct {
	// MaxAttempts per request, the first included (default 8).
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the first wait after a 5xx or timeout (default 500ms).
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps one wait, Retry-After included (default 60s).
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxElapsed caps the total time of one request and its retries (default 10m).
	MaxElapsed time.Duration `yaml:"max_elapsed"`
}

// DefaultInProgressLabels are the labels that mean "in progress" unless
// status.in_progress_labels says otherwise: the common names and GitLab's
// own scoped workflow labels.
var DefaultInProgressLabels = []string{"doing", "in progress", "workflow::in dev", "workflow::doing",
	"workflow::in progress", "workflow::in review", "workflow::verification"}

// DefaultDiscardLabels are the labels that make a closed issue discarded
// unless status.discard_labels says otherwise.
var DefaultDiscardLabels = []string{"wontfix", "won't fix", "won't do", "duplicate", "invalid", "declined",
	"workflow::cancelled", "workflow::won't do"}

// NewConfig returns a Config with the defaults set.
func NewConfig() *Config {
	return &Config{
		Status: StatusConfig{
			InProgressLabels:  append([]string(nil), DefaultInProgressLabels...),
			DiscardLabels:     append([]string(nil), DefaultDiscardLabels...),
			DiscardResolution: "Won't Do",
		},
		Types: TypeConfig{Default: "Story", Labels: map[string]string{
			"bug": "Bug", "type::bug": "Bug", "defect": "Bug", "feature": "Story", "type::feature": "Story",
			"type::maintenance": "Task"}},
		Timelogs:          true,
		ReconcileEvery:    24 * time.Hour,
		TimelogWindow:     90 * 24 * time.Hour,
		Pagination:        PaginationAuto,
		Concurrency:       4,
		RequestsPerSecond: 10,
		PageSize:          100,
		Overlap:           10 * time.Minute,
		Timeout:           60 * time.Second,
		Retry: RetryConfig{
			MaxAttempts:    8,
			InitialBackoff: 500 * time.Millisecond,
			MaxBackoff:     60 * time.Second,
			MaxElapsed:     10 * time.Minute,
		},
	}
}

// Validate returns every problem, each naming its key.
func (c *Config) Validate() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.URL == "" {
		add("url: required (the GitLab base URL, e.g. https://gitlab.com)")
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url: %q must be an absolute http(s) URL such as https://gitlab.example.com", redactString(c.URL))
	} else if u.User != nil {
		add("url: must not contain credentials; put the token under auth.private_token")
	} else if u.RawQuery != "" || u.Fragment != "" {
		add("url: must be the base URL without query or fragment")
	} else if strings.Contains(u.Path, "/api/v4") {
		add("url: must be the base URL without /api/v4 (the client adds it)")
	}
	if !c.Auth.PrivateToken.IsSet() {
		add("auth.private_token: required (a personal, group or project access token with the read_api scope)")
	}
	if len(c.Projects) == 0 && len(c.Groups) == 0 {
		add("projects: list at least one project path (group/project) or id, or set groups")
	}
	checkPaths := func(key string, list []string) {
		seen := map[string]bool{}
		for i, p := range list {
			p = strings.Trim(strings.TrimSpace(p), "/")
			switch {
			case p == "":
				add("%s[%d]: empty; give a path such as group/project or a numeric id", key, i)
			case strings.Contains(p, "://"):
				add("%s[%d]: %q must be a path (group/project) or id, not a URL", key, i, p)
			case seen[strings.ToLower(p)]:
				add("%s[%d]: %q is listed twice", key, i, p)
			}
			seen[strings.ToLower(p)] = true
		}
	}
	checkPaths("projects", c.Projects)
	checkPaths("groups", c.Groups)
	for i, l := range c.Status.InProgressLabels {
		if strings.TrimSpace(l) == "" {
			add("status.in_progress_labels[%d]: empty label", i)
		}
	}
	for i, l := range c.Status.DiscardLabels {
		if strings.TrimSpace(l) == "" {
			add("status.discard_labels[%d]: empty label", i)
		}
	}
	if strings.TrimSpace(c.Status.DiscardResolution) == "" {
		add("status.discard_resolution: required (e.g. \"Won't Do\", one of kpi.discard_resolutions)")
	}
	if strings.TrimSpace(c.Types.Default) == "" {
		add("types.default: required (the type name of a plain GitLab issue, e.g. Story)")
	}
	for l, n := range c.Types.Labels {
		if strings.TrimSpace(l) == "" || strings.TrimSpace(n) == "" {
			add("types.labels: label %q and type %q must both be set", l, n)
		}
	}
	switch c.Pagination {
	case PaginationAuto, PaginationKeyset, PaginationOffset:
	default:
		add("pagination: %q is not one of auto, keyset, offset", c.Pagination)
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		add("concurrency: %d must be between 1 and 64", c.Concurrency)
	}
	if c.RequestsPerSecond < 0 {
		add("requests_per_second: %g must not be negative (0 means no limit)", c.RequestsPerSecond)
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		add("page_size: %d must be between 1 and 100 (GitLab's per_page limit)", c.PageSize)
	}
	if c.ReconcileEvery < 0 {
		add("reconcile_every: %s must not be negative (0 disables deletion detection)", c.ReconcileEvery)
	}
	if c.TimelogWindow < 0 {
		add("timelog_window: %s must not be negative", c.TimelogWindow)
	}
	if c.Overlap < 0 {
		add("overlap: %s must not be negative", c.Overlap)
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
