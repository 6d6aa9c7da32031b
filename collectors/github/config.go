package github

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
)

// Config is the configuration of one GitHub source.
type Config struct {
	// URL is the REST API base: https://api.github.com (default) or, for
	// GitHub Enterprise Server, https://HOST/api/v3 (a bare https://HOST is
	// completed to that).
	URL string `yaml:"url"`
	// Token is a personal access token (classic or fine-grained) or an
	// installation token with read access to issues and metadata.
	Token secret.Secret `yaml:"token"`
	// App authenticates as a GitHub App installation instead of Token.
	App AppAuth `yaml:"app"`
	// Repositories lists owner/name of the repositories to collect.
	Repositories []string `yaml:"repositories"`
	// Organization collects every repository of an organisation (in
	// addition to Repositories).
	Organization string `yaml:"organization"`
	// IncludeArchived also collects the archived repositories of Organization.
	IncludeArchived bool `yaml:"include_archived"`
	// Statuses maps issue state and labels onto workflow statuses.
	Statuses StatusConfig `yaml:"statuses"`
	// Resolutions maps close reasons (state_reason) onto resolution names;
	// the KPI engine counts the names listed in kpi.discard_resolutions as
	// discarded.
	Resolutions map[string]string `yaml:"resolutions"`
	// Types maps labels onto issue type names when an issue has no GitHub
	// issue type (first match in label order wins); DefaultType otherwise.
	TypeLabels  map[string]string `yaml:"type_labels"`
	DefaultType string            `yaml:"default_type"`
	// PageSize is per_page (1–100, default 100).
	PageSize int `yaml:"page_size"`
	// Concurrency bounds the parallel per-issue requests (default 1:
	// GitHub asks integrations to make their requests serially, and the
	// primary limit of 5,000 requests an hour is reached serially anyway).
	Concurrency int `yaml:"concurrency"`
	// Overlap is subtracted from the cursor on incremental runs (default 10m).
	Overlap time.Duration `yaml:"overlap"`
	// ReconcileEvery is how often the issue numbers of each repository are
	// listed to find deleted and transferred issues (default 24h; 0: never).
	ReconcileEvery time.Duration `yaml:"reconcile_every"`
	// Timeout of one HTTP request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
	Retry   RetryConfig   `yaml:"retry"`
	// Project is an optional GitHub Projects (v2) project whose fields give
	// the status, sprints and story points of the repositories' issues.
	Project ProjectConfig `yaml:"project"`
}

// ProjectConfig names a GitHub Projects (v2) project and the fields read
// from it (through the GraphQL API). Every field is optional.
type ProjectConfig struct {
	// Organization or User owns the project (exactly one with Number).
	Organization string `yaml:"organization"`
	User         string `yaml:"user"`
	// Number is the project's number (…/projects/NUMBER in its URL).
	Number int `yaml:"number"`
	// StatusField is a single-select field whose option decides to-do vs
	// in progress of an open issue (default "Status", the built-in field;
	// "-" reads no status).
	StatusField string `yaml:"status_field"`
	// StatusOptions maps the field's option names onto to-do, in-progress
	// and done (default: Todo / In Progress / Done).
	StatusOptions StatusOptions `yaml:"status_options"`
	// IterationField is an iteration field whose iterations become sprints.
	IterationField string `yaml:"iteration_field"`
	// PointsField is a number field read as story points.
	PointsField string `yaml:"points_field"`
}

// StatusOptions lists the single-select options per meaning.
type StatusOptions struct {
	Todo       []string `yaml:"todo"`
	InProgress []string `yaml:"in_progress"`
	Done       []string `yaml:"done"`
}

// IsSet reports whether a project is configured.
func (p ProjectConfig) IsSet() bool { return p.Organization != "" || p.User != "" || p.Number != 0 }

// Owner is the project owner's login.
func (p ProjectConfig) Owner() string { return p.Organization + p.User }

// statusField is the status field's name, "" when none is read.
func (p ProjectConfig) statusField() string {
	if p.StatusField == "-" {
		return ""
	}
	return p.StatusField
}

// AppAuth is a GitHub App installation: pmo signs a JWT with the App's
// private key and exchanges it for installation tokens (renewed before they
// expire, through github.com/bradleyfalzon/ghinstallation).
type AppAuth struct {
	AppID          int64         `yaml:"app_id"`
	InstallationID int64         `yaml:"installation_id"`
	PrivateKey     secret.Secret `yaml:"private_key"` // PEM; private_key_file reads it from a file
}

// IsSet reports whether any App setting is given.
func (a AppAuth) IsSet() bool { return a.AppID != 0 || a.InstallationID != 0 || a.PrivateKey.IsSet() }

// StatusConfig says which statuses issues are in.
type StatusConfig struct {
	// Open is the name of the status of an open issue without a status
	// label (category new; default "To Do").
	Open string `yaml:"open"`
	// Closed is the name of the status of a closed issue (category done;
	// default "Done").
	Closed string `yaml:"closed"`
	// Labels put an open issue carrying the label into a status; the first
	// entry whose label the issue has wins. Default: "in progress" →
	// In Progress (indeterminate).
	Labels []LabelStatus `yaml:"labels"`
}

// LabelStatus maps one label onto a status.
type LabelStatus struct {
	Label    string `yaml:"label"`
	Name     string `yaml:"name"`     // status name; default: the label
	Category string `yaml:"category"` // new, indeterminate (default) or done
}

// RetryConfig tunes the retries of failed requests.
type RetryConfig struct {
	// MaxAttempts per request, the first included (default 8).
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the first wait after a 5xx or timeout (default 1s).
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps the exponential backoff after a 5xx or a timeout
	// (default 2m).
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxRateLimitWait is the longest wait GitHub may impose: until an
	// exhausted primary limit resets, or a secondary limit's Retry-After.
	// A longer one fails the run at once (the next run resumes from the
	// cursors) (default 15m).
	MaxRateLimitWait time.Duration `yaml:"max_rate_limit_wait"`
}

// NewConfig returns a Config with the defaults set.
func NewConfig() *Config {
	return &Config{
		URL: "https://api.github.com",
		Statuses: StatusConfig{Open: "To Do", Closed: "Done",
			Labels: []LabelStatus{{Label: "in progress", Name: "In Progress", Category: string(model.CategoryIndeterminate)}}},
		Resolutions:    map[string]string{"completed": "Done", "not_planned": "Won't Do", "duplicate": "Duplicate"},
		DefaultType:    "Task",
		PageSize:       100,
		Concurrency:    1,
		Overlap:        10 * time.Minute,
		ReconcileEvery: 24 * time.Hour,
		Timeout:        60 * time.Second,
		Retry: RetryConfig{MaxAttempts: 8, InitialBackoff: time.Second, MaxBackoff: 2 * time.Minute,
			MaxRateLimitWait: 15 * time.Minute},
		Project: ProjectConfig{StatusField: "Status",
			StatusOptions: StatusOptions{Todo: []string{"Todo"}, InProgress: []string{"In Progress"}, Done: []string{"Done"}}},
	}
}

var (
	repoRE  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
)

// Validate returns every problem, each naming its key.
func (c *Config) Validate() []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.URL == "" {
		add("url: required (https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server)")
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url: %q must be an absolute http(s) URL such as https://api.github.com", secret.RedactURL(c.URL))
	} else if u.User != nil {
		add("url: must not contain credentials; put the token under token")
	} else if u.RawQuery != "" || u.Fragment != "" {
		add("url: must be the API base URL without query or fragment")
	}
	switch {
	case c.Token.IsSet() && c.App.IsSet():
		add("token: set either token or app, not both")
	case c.App.IsSet():
		if c.App.AppID <= 0 {
			add("app.app_id: required (the GitHub App's id, from its settings page)")
		}
		if c.App.InstallationID <= 0 {
			add("app.installation_id: required (the id of the App's installation on the organisation)")
		}
		if !c.App.PrivateKey.IsSet() {
			add("app.private_key: required (the App's PEM private key; app.private_key_file reads it from a file)")
		} else if !isRSAKey(c.App.PrivateKey.Reveal()) {
			add("app.private_key: not a PEM RSA private key (GitHub's \"BEGIN RSA PRIVATE KEY\" file)")
		}
	case !c.Token.IsSet():
		add("token: required (a GitHub token that may read the repositories' issues; e.g. token: ${GITHUB_TOKEN}), or app for a GitHub App")
	}
	if len(c.Repositories) == 0 && c.Organization == "" {
		add("repositories: list owner/name repositories (e.g. [octo-org/api]) or set organization")
	}
	seen := map[string]bool{}
	for i, r := range c.Repositories {
		if !repoRE.MatchString(r) {
			add("repositories[%d]: %q is not owner/name", i, r)
		}
		if seen[strings.ToLower(r)] {
			add("repositories[%d]: %q is listed twice", i, r)
		}
		seen[strings.ToLower(r)] = true
	}
	if c.Organization != "" && !loginRE.MatchString(c.Organization) {
		add("organization: %q is not a GitHub organisation login", c.Organization)
	}
	if c.Statuses.Open == "" {
		add("statuses.open: must name the status of open issues (e.g. To Do)")
	}
	if c.Statuses.Closed == "" {
		add("statuses.closed: must name the status of closed issues (e.g. Done)")
	}
	labels := map[string]bool{}
	for i, l := range c.Statuses.Labels {
		if strings.TrimSpace(l.Label) == "" {
			add("statuses.labels[%d].label: required", i)
		}
		if labels[strings.ToLower(l.Label)] {
			add("statuses.labels[%d].label: %q is listed twice", i, l.Label)
		}
		labels[strings.ToLower(l.Label)] = true
		switch model.StatusCategory(l.Category) {
		case "", model.CategoryNew, model.CategoryIndeterminate, model.CategoryDone:
		default:
			add("statuses.labels[%d].category: %q is not one of new, indeterminate, done", i, l.Category)
		}
	}
	for k := range c.Resolutions {
		switch k {
		case "completed", "not_planned", "duplicate":
		default:
			add("resolutions: %q is not a GitHub close reason (completed, not_planned, duplicate)", k)
		}
	}
	if c.DefaultType == "" {
		add("default_type: must name the type of issues without an issue type or type label (e.g. Task)")
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		add("page_size: %d must be between 1 and 100 (GitHub's per_page limit)", c.PageSize)
	}
	if c.Concurrency < 1 || c.Concurrency > 32 {
		add("concurrency: %d must be between 1 and 32", c.Concurrency)
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
	r := c.Retry
	if r.MaxAttempts < 1 {
		add("retry.max_attempts: %d must be at least 1", r.MaxAttempts)
	}
	if r.InitialBackoff <= 0 {
		add("retry.initial_backoff: %s must be positive", r.InitialBackoff)
	}
	if r.MaxBackoff < r.InitialBackoff {
		add("retry.max_backoff: %s must be at least retry.initial_backoff", r.MaxBackoff)
	}
	if r.MaxRateLimitWait < 0 {
		add("retry.max_rate_limit_wait: %s must not be negative", r.MaxRateLimitWait)
	}
	errs = append(errs, c.Project.validate()...)
	return errs
}

func (p ProjectConfig) validate() []error {
	if !p.IsSet() {
		return nil
	}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch {
	case p.Organization != "" && p.User != "":
		add("project.organization: set either project.organization or project.user, not both")
	case p.Organization == "" && p.User == "":
		add("project.organization: required (the login of the organisation owning the project), or project.user for a user's project")
	case !loginRE.MatchString(p.Owner()):
		key := "project.organization"
		if p.User != "" {
			key = "project.user"
		}
		add("%s: %q is not a GitHub login", key, p.Owner())
	}
	if p.Number <= 0 {
		add("project.number: required, a positive project number (the N in …/projects/N)")
	}
	if p.statusField() != "" {
		seen := map[string]string{}
		n := 0
		for _, g := range []struct {
			key  string
			opts []string
		}{{"todo", p.StatusOptions.Todo}, {"in_progress", p.StatusOptions.InProgress}, {"done", p.StatusOptions.Done}} {
			for i, o := range g.opts {
				k := strings.ToLower(strings.TrimSpace(o))
				switch {
				case k == "":
					add("project.status_options.%s[%d]: empty option name", g.key, i)
				case seen[k] != "":
					add("project.status_options.%s[%d]: option %q is already listed under %s", g.key, i, o, seen[k])
				default:
					seen[k] = g.key
					n++
				}
			}
		}
		if n == 0 {
			add("project.status_options: list the options of project.status_field %q under todo, in_progress and done (or set project.status_field: \"-\")", p.StatusField)
		}
	}
	fields := map[string]string{}
	for _, f := range []struct{ key, name string }{{"status_field", p.statusField()}, {"iteration_field", p.IterationField}, {"points_field", p.PointsField}} {
		if f.name == "" {
			continue
		}
		if prev, ok := fields[strings.ToLower(f.name)]; ok {
			add("project.%s: field %q is already project.%s", f.key, f.name, prev)
		}
		fields[strings.ToLower(f.name)] = f.key
	}
	return errs
}

// apiBase returns the REST base URL with a trailing slash; a GitHub
// Enterprise Server host without a path gets /api/v3/.
func (c *Config) apiBase() (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if u.Path == "" && !strings.EqualFold(u.Hostname(), "api.github.com") {
		u.Path = "/api/v3"
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/"
	return u, nil
}

// isRSAKey reports whether s is a PEM RSA private key (PKCS #1 or #8).
func isRSAKey(s string) bool {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return false
	}
	if _, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return true
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return false
	}
	_, ok := k.(*rsa.PrivateKey)
	return ok
}
