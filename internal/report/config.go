package report

import (
	"fmt"
	"net/url"

	"github.com/robfig/cron/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// DefaultOut is where `pmo report` writes without --out or report.out.
const DefaultOut = "./.pmo/reports"

// Config is the report: section of pmo.yaml.
type Config struct {
	// Out is the folder the report set is written to (default ./.pmo/reports).
	Out string `yaml:"out,omitempty"`
	// Schedule is when pmo serve regenerates the reports (cron, 5 fields).
	Schedule string `yaml:"schedule,omitempty"`
	// Title heads every page (default "PMO performance report").
	Title string `yaml:"title,omitempty"`
	// HistoryWeeks is how far back run charts and trends go (default 26).
	HistoryWeeks int `yaml:"history_weeks,omitempty"`
	// BaseURL is where the reports are published (pmo serve's /reports/),
	// for links in emails.
	BaseURL string `yaml:"base_url,omitempty"`
}

// WithDefaults fills the defaults in.
func (c Config) WithDefaults() Config {
	if c.Out == "" {
		c.Out = DefaultOut
	}
	if c.Title == "" {
		c.Title = "PMO performance report"
	}
	if c.HistoryWeeks == 0 {
		c.HistoryWeeks = 26
	}
	return c
}

// Validate returns every problem of the report: section, naming its key.
func (c Config) Validate() []error {
	var errs []error
	if c.Schedule != "" {
		if _, err := cron.ParseStandard(c.Schedule); err != nil {
			errs = append(errs, fmt.Errorf("report.schedule: %q is not a cron schedule (e.g. \"0 6 * * *\"): %v", c.Schedule, err))
		}
	}
	if c.HistoryWeeks < 0 || c.HistoryWeeks > 520 {
		errs = append(errs, fmt.Errorf("report.history_weeks: %d is out of range; use 1 to 520 (default 26)", c.HistoryWeeks))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("report.base_url: %q is not an http(s) URL, e.g. https://pmo.example.com/reports/", secret.RedactURL(c.BaseURL)))
		} else if len(secret.URLSecrets(c.BaseURL)) > 0 {
			errs = append(errs, fmt.Errorf("report.base_url: %q holds credentials, which every email recipient would read; give the URL without them", secret.RedactURL(c.BaseURL)))
		}
	}
	return errs
}
