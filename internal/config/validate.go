package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/robfig/cron/v3"
)

var (
	sourceName = regexp.MustCompile(`^[a-z0-9_-]+$`)
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// LogLevels and LogFormats are the accepted log settings.
var (
	LogLevels  = []string{"debug", "info", "warn", "error"}
	LogFormats = []string{"auto", "json", "text"}
)

// Validate checks pmo's own sections and returns every problem, each as
// "key.path: what is wrong; what is expected". A document that embeds
// Config calls it from its own Validate.
func (c *Config) Validate() []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{path}, args...)...))
	}
	types := c.types
	if types == nil {
		types = noTypes{}
	}
	w := c.Warehouse
	errs = append(errs, validateDSN(w.DSN)...)
	if w.Database != "" && !identifier.MatchString(w.Database) {
		add("warehouse.database", "%q is not a valid database name; expected letters, digits and _ (not starting with a digit)", w.Database)
	}
	if w.Cluster != "" && !identifier.MatchString(w.Cluster) {
		add("warehouse.cluster", "%q is not a valid cluster name; expected letters, digits and _ as in the server's remote_servers", w.Cluster)
	}
	if w.Password.IsSet() && w.DSN.Scheme() == "chdb" {
		add("warehouse.password", "is set but the embedded engine (chdb://) has no password; remove it or use a clickhouse:// DSN")
	}
	if w.BatchSize < 0 {
		add("warehouse.batch_size", "is %d; expected a positive number of rows (default %d)", w.BatchSize, DefaultBatchSize)
	}
	if w.FlushInterval < 0 {
		add("warehouse.flush_interval", "is %s; expected a positive duration such as 5s", w.FlushInterval)
	}
	if !contains(LogLevels, c.Log.Level) {
		add("log.level", "%q is not a log level; expected one of: %s", c.Log.Level, strings.Join(LogLevels, ", "))
	}
	if !contains(LogFormats, c.Log.Format) {
		add("log.format", "%q is not a log format; expected one of: %s", c.Log.Format, strings.Join(LogFormats, ", "))
	}
	names := map[string]int{}
	for i, s := range c.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.Name == "":
			add(p+".name", "is missing; expected a unique name such as jira-cloud (lower-case letters, digits, - and _)")
		case !sourceName.MatchString(s.Name):
			add(p+".name", "%q is not a valid source name; expected lower-case letters, digits, - and _", s.Name)
		default:
			if j, dup := names[s.Name]; dup {
				add(p+".name", "%q is already the name of sources[%d]; expected unique names", s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
		if s.Type == "" {
			add(p+".type", "is missing; expected one of: %s", typeList(types))
		}
		if s.Schedule != "" {
			if _, err := cron.ParseStandard(s.Schedule); err != nil {
				add(p+".schedule", "%q is not a cron schedule (%v); expected five fields such as \"*/30 * * * *\" or @hourly, @daily, @every 15m", s.Schedule, err)
			}
		}
		if s.Settings != nil {
			for _, err := range s.Settings.Validate() {
				errs = append(errs, fmt.Errorf("%s.%w", p, err))
			}
		}
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

const dsnHelp = "expected clickhouse://user:password@host:9000/database (a ClickHouse server) or chdb:///path/to/dir (embedded)"

func validateDSN(d DSN) []error {
	const key = "warehouse.dsn"
	raw := d.Reveal()
	if raw == "" {
		return []error{fmt.Errorf("%s: is empty; %s", key, dsnHelp)}
	}
	scheme := d.Scheme()
	switch scheme {
	case "clickhouse", "tcp":
		u, err := url.Parse(raw)
		if err != nil {
			// url's error quotes the DSN, password and all: never show it.
			return []error{fmt.Errorf("%s: %s is not a valid URL; %s (percent-encode special characters in the password, or use warehouse.password)", key, d.String(), dsnHelp)}
		}
		if u.Hostname() == "" {
			return []error{fmt.Errorf("%s: %s has no host; %s", key, d.String(), dsnHelp)}
		}
		if p := u.Port(); p != "" {
			if _, err := fmt.Sscanf(p, "%d", new(int)); err != nil {
				return []error{fmt.Errorf("%s: port %q is not a number; %s", key, p, dsnHelp)}
			}
		}
	case "chdb":
		if ChDBPath(d) == "" {
			return []error{fmt.Errorf("%s: %s has no directory; %s", key, d.String(), dsnHelp)}
		}
	case "":
		return []error{fmt.Errorf("%s: %s has no scheme; %s", key, d.String(), dsnHelp)}
	case "http", "https":
		return []error{fmt.Errorf("%s: scheme %q is not supported: pmo speaks ClickHouse's native protocol; expected clickhouse://user:password@host:9000/database (port 9440 with ?secure=true)", key, scheme)}
	default:
		return []error{fmt.Errorf("%s: unknown scheme %q; %s", key, scheme, dsnHelp)}
	}
	return nil
}

// ChDBPath returns the directory of a chdb:// DSN: chdb:///abs/dir gives
// /abs/dir, chdb://./rel/dir gives ./rel/dir (relative to the working
// directory).
func ChDBPath(d DSN) string {
	rest, ok := strings.CutPrefix(d.Reveal(), "chdb://")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "?")
	return rest
}
