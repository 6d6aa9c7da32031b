// Package pipeline is the one place that wires pmo's parts together: a
// collection run of one source into the warehouse, the KPI refresh that
// follows it, the exporter's snapshot, the schedules of `pmo serve`, the
// lock that keeps one pmo per host, and the Pushgateway push of batch runs.
package pipeline

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/robfig/cron/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// ServeConfig is the `serve:` section of pmo.yaml.
type ServeConfig struct {
	// Listen is the address of /metrics, /healthz, /readyz and /reports/
	// (default 127.0.0.1:9477: this host only; set ":9477" or a host
	// address to be scraped from elsewhere, ideally with WebConfigFile).
	Listen string `yaml:"listen"`
	// WebConfigFile, when set, is a web configuration file in the format of
	// Prometheus and node_exporter (github.com/prometheus/exporter-toolkit:
	// tls_server_config, basic_auth_users with bcrypt hashes,
	// http_server_config): TLS and basic auth for every endpoint. It is
	// re-read on each connection, so certificates can be rotated.
	WebConfigFile string `yaml:"web_config_file,omitempty"`
	// DefaultSchedule is the cron expression of sources without their own
	// schedule: five fields, or @hourly, @daily, @every 30m, ...
	DefaultSchedule string `yaml:"default_schedule"`
	// KPISchedule, when set, also refreshes the KPIs on this schedule (for
	// example "5 0 * * *" to roll the as-of date at midnight even when no
	// collection ran). KPIs are always refreshed after each collection.
	KPISchedule string `yaml:"kpi_schedule,omitempty"`
	// TimeZone interprets the cron expressions (IANA name; default UTC).
	TimeZone string `yaml:"time_zone"`
	// LockFile, when set, is locked for the life of the process so that a
	// second pmo serve or collect on the same host refuses to start.
	LockFile string `yaml:"lock_file,omitempty"`
	// ShutdownGrace is how long a SIGTERM waits for running collections to
	// finish before abandoning them (their stored records stay; the cursor
	// never passes uncommitted data).
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Pushgateway, when set, is where `pmo collect` and `pmo kpi` push their
	// run metrics (http://host:9091). Credentials may be in the URL; they
	// never reach logs.
	Pushgateway string `yaml:"pushgateway,omitempty"`
}

// Defaults of ServeConfig.
const (
	DefaultListen        = "127.0.0.1:9477"
	DefaultSchedule      = "@hourly"
	DefaultShutdownGrace = 20 * time.Second
)

// DefaultServeConfig returns the defaults.
func DefaultServeConfig() ServeConfig {
	return ServeConfig{Listen: DefaultListen, DefaultSchedule: DefaultSchedule, TimeZone: "UTC", ShutdownGrace: DefaultShutdownGrace}
}

// WithDefaults fills unset fields with their defaults.
func (c ServeConfig) WithDefaults() ServeConfig {
	d := DefaultServeConfig()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.DefaultSchedule == "" {
		c.DefaultSchedule = d.DefaultSchedule
	}
	if c.TimeZone == "" {
		c.TimeZone = d.TimeZone
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = d.ShutdownGrace
	}
	return c
}

// cronParser accepts five-field expressions and descriptors (@hourly,
// @every 30m).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule checks a cron expression; the error says what is expected.
func ParseSchedule(expr string) (cron.Schedule, error) {
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule (%v); expected five fields such as \"0 */2 * * *\", or @hourly, @daily, @every 30m", expr, err)
	}
	return s, nil
}

// Validate returns every problem, each naming its key under serve.
func (c ServeConfig) Validate() []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("serve.%s: "+format, append([]any{key}, args...)...))
	}
	if c.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
			add("listen", "%q is not a listen address; expected host:port or :port, e.g. %s", c.Listen, DefaultListen)
		}
	}
	if c.DefaultSchedule != "" {
		if _, err := ParseSchedule(c.DefaultSchedule); err != nil {
			add("default_schedule", "%v", err)
		}
	}
	if c.KPISchedule != "" {
		if _, err := ParseSchedule(c.KPISchedule); err != nil {
			add("kpi_schedule", "%v", err)
		}
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			add("time_zone", "unknown time zone %q; expected an IANA name such as Europe/Berlin", c.TimeZone)
		}
	}
	if c.ShutdownGrace < 0 {
		add("shutdown_grace", "is %s; expected a positive duration such as 20s", c.ShutdownGrace)
	}
	if c.Pushgateway != "" {
		if err := checkPushURL(c.Pushgateway); err != nil {
			add("pushgateway", "%v", err)
		}
	}
	if c.WebConfigFile != "" {
		if err := web.Validate(c.WebConfigFile); err != nil {
			add("web_config_file", "%s: %v; it takes the web configuration format of Prometheus and node_exporter "+
				"(tls_server_config: {cert_file, key_file}, basic_auth_users: {NAME: BCRYPT_HASH}), see docs/configuration.md", c.WebConfigFile, err)
		}
	}
	return errs
}

// checkPushURL accepts an absolute http(s) URL; the error never repeats
// credentials.
func checkPushURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not a Pushgateway URL; expected http(s)://host:9091", redactURL(raw))
	}
	return nil
}

// redactURL hides the credentials of a URL (secret.RedactURL).
func redactURL(raw string) string { return secret.RedactURL(raw) }
