package pipeline

import (
	"io"
	"path/filepath"
	"strings"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/mail"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/standards"
)

// Config is the whole of pmo.yaml: pmo's own sections (internal/config:
// warehouse, sources, log) and each part's section, whose type and
// validation the part keeps. internal/config decodes it strictly; this is
// the one place that knows every section.
type Config struct {
	config.Config `yaml:",inline"`

	Serve  ServeConfig   `yaml:"serve"`  // pmo serve and batch pushes (internal/pipeline)
	Report report.Config `yaml:"report"` // static HTML reports (internal/report)
	Email  mail.Config   `yaml:"email"`  // SMTP delivery of reports (internal/mail)
	KPI    kpi.Config    `yaml:"kpi"`    // KPI knobs of kpis.md C13 (internal/kpi)
	// RAID is kpi.raid, the RAID log's knobs (internal/raid): a key of the
	// kpi section that internal/kpi does not read.
	RAID raid.Config `yaml:"kpi.raid"`
	// Standards is kpi.standards, the standards scorecard's knobs
	// (internal/standards).
	Standards standards.Config `yaml:"kpi.standards"`
}

// DefaultConfig returns the configuration used when there is no file.
func DefaultConfig() *Config {
	return &Config{Config: *config.Default(), KPI: kpi.DefaultConfig(), RAID: raid.DefaultConfig(), Standards: standards.DefaultConfig()}
}

// Validate returns every problem of every section, each naming its key path.
func (c *Config) Validate() []error {
	errs := c.Config.Validate()
	errs = append(errs, c.Serve.Validate()...)
	errs = append(errs, c.Report.Validate()...)
	if err := report.CheckReserved(c.Report.WithDefaults().Out, "report.out", c.ReservedFolders()); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Email.Validate()...)
	errs = append(errs, c.KPI.Validate()...)
	errs = append(errs, c.RAID.Validate()...)
	errs = append(errs, c.Standards.Validate()...)
	return errs
}

// LoadConfig reads, decodes and validates the pmo.yaml at path. A
// *config.Error lists every problem. Sources are decoded with the
// collector types registered in collectors unless opts names others.
func LoadConfig(path string, opts config.Options) (*Config, error) {
	cfg := DefaultConfig()
	if err := config.Load(path, cfg, withTypes(opts)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseConfig decodes and validates a pmo.yaml held in data; file names it
// in messages.
func ParseConfig(data []byte, file string, opts config.Options) (*Config, error) {
	cfg := DefaultConfig()
	if err := config.Parse(data, file, cfg, withTypes(opts)); err != nil {
		return nil, err
	}
	return cfg, nil
}

func withTypes(opts config.Options) config.Options {
	if opts.SourceTypes == nil {
		opts.SourceTypes = SourceTypes{}
	}
	return opts
}

// ReservedFolders are the folders report.out (and pmo report --out) must
// not be: the configuration file's folder and the embedded warehouse's.
func (c *Config) ReservedFolders() report.Reserved {
	r := report.Reserved{}
	if c.File != "" {
		r[filepath.Dir(c.File)] = "the folder of the configuration file " + c.File
	}
	if c.Warehouse.DSN.Scheme() == "chdb" {
		_, rest, _ := strings.Cut(c.Warehouse.DSN.Reveal(), "://")
		if dir, _, _ := strings.Cut(rest, "?"); dir != "" {
			r[dir] = "the warehouse folder (warehouse.dsn)"
		}
	}
	return r
}

// CheckReportOut checks the folder reports are published into (report.out,
// or --out when key says so): not reserved, and new, empty or pmo's.
func (c *Config) CheckReportOut(out, key string) error {
	if out == "" {
		out, key = c.Report.WithDefaults().Out, "report.out"
	}
	return report.CheckOut(out, key, c.ReservedFolders())
}

// Print writes the effective configuration as YAML: the defaults of serve,
// report and email filled in (what pmo serve, report and email use), every
// secret shown as <secret> and the password of every URL redacted.
func (c *Config) Print(w io.Writer) error {
	eff := *c
	eff.Serve = c.Serve.WithDefaults()
	eff.Report = c.Report.WithDefaults()
	if c.Email.Configured() {
		eff.Email = c.Email.WithDefaults()
	}
	return config.Print(w, &eff)
}

// Secrets returns every secret value of the configuration.
func (c *Config) Secrets() []string { return config.Secrets(c) }

// Scrub replaces every secret of the configuration in s with <secret>.
func (c *Config) Scrub(s string) string { return config.Scrub(c, s) }

// ConfigKeyPaths lists every key pmo.yaml accepts outside the collectors'
// own settings (docs/configuration.md is tested against it).
func ConfigKeyPaths() []string { return config.KeyPaths(Config{}) }

// SourceTypes gives internal/config the collector types registered in
// collectors (by collectors/all in the pmo binary).
type SourceTypes struct{}

// NewSettings returns the settings struct of collector type typ.
func (SourceTypes) NewSettings(typ string) (config.SourceSettings, bool) {
	t, err := collectors.Lookup(typ)
	if err != nil {
		return nil, false
	}
	return t.NewConfig(), true
}

// Names lists the registered collector types.
func (SourceTypes) Names() []string { return collectors.Names() }
