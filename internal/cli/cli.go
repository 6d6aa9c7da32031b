// Package cli implements the pmo command line: the cobra command tree, exit
// codes, error printing and logging. cmd/pmo is a thin main around Run.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/pipeline"
)

// Exit codes that scripts can rely on.
const (
	ExitOK          = 0   // success
	ExitFailure     = 1   // the command ran and failed (a collector or query error, ...)
	ExitUsage       = 2   // bad command line or invalid configuration
	ExitWarehouse   = 3   // the warehouse cannot be opened: unreachable, wrong credentials, missing chDB library
	ExitInterrupted = 130 // stopped by SIGINT/SIGTERM
)

const exitCodesHelp = `Exit codes:
  0    success
  1    the command failed while running (collector, query or I/O error)
  2    usage error: bad flags or arguments, or an invalid configuration file
  3    the warehouse cannot be opened: server unreachable, wrong credentials,
       missing chDB library
  130  interrupted by SIGINT or SIGTERM before the command finished
       (pmo serve exits 0 after a clean shutdown on SIGTERM or SIGINT)`

// BuildInfo identifies the binary (set with -ldflags -X in cmd/pmo).
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// App is one invocation of the pmo command line. The zero value of every
// field but Stdout/Stderr has a sensible default.
type App struct {
	Stdout, Stderr io.Writer
	Build          BuildInfo
	// LookupEnv reads the environment (PMO_CONFIG, ${ENV} in the config);
	// default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// IsTerminal reports whether w is a terminal; default: a *os.File that
	// is a TTY.
	IsTerminal func(w io.Writer) bool
	// Now is the clock of default as-of dates and of pmo demo's simulated
	// organisation; default time.Now.
	Now func() time.Time

	// flags
	configPath string
	logLevel   string
	logFormat  string

	cfg    *pipeline.Config // the loaded configuration, for scrubbing errors
	logger *slog.Logger
	ran    bool // a command's RunE started (errors before that are usage errors)
}

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// Run runs the command line args (without the program name) and returns the
// process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &App{Stdout: stdout, Stderr: stderr}
	return a.Run(ctx, args)
}

// ErrInterrupted marks the error of a command that SIGINT or SIGTERM
// stopped (exit code ExitInterrupted).
var ErrInterrupted = errors.New("interrupted")

// Run runs the command line args and returns the exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.LookupEnv == nil {
		a.LookupEnv = os.LookupEnv
	}
	if a.IsTerminal == nil {
		a.IsTerminal = isTerminal
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := ExitFailure
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case !a.ran:
		code = ExitUsage // cobra rejected the command line
	}
	if ctx.Err() != nil && code != ExitUsage {
		code = ExitInterrupted
		if !errors.Is(err, ErrInterrupted) {
			err = fmt.Errorf("%w: %w", ErrInterrupted, err)
		}
	}
	a.printError(err, code)
	return code
}

// printError prints err as "pmo: <message>" lines on stderr, with every
// configured secret scrubbed. A usage error gets a pointer to --help.
func (a *App) printError(err error, code int) {
	msg := err.Error()
	if a.cfg != nil {
		msg = a.cfg.Scrub(msg)
	}
	if code == ExitUsage && !a.ran {
		msg = oneLine(msg) + " (see pmo --help)"
	}
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	for _, l := range lines {
		fmt.Fprintf(a.Stderr, "pmo: %s\n", l)
	}
}

var didYouMean = regexp.MustCompile(`\s*Did you mean this\?\s+`)

// oneLine folds cobra's multi-line usage errors ("Did you mean this?\n\tx")
// into one line.
func oneLine(msg string) string {
	if loc := didYouMean.FindStringSubmatchIndex(msg); loc != nil {
		alts := strings.Fields(msg[loc[1]:])
		msg = msg[:loc[0]] + fmt.Sprintf("; did you mean %s?", strings.Join(alts, " or "))
	}
	return strings.Join(strings.Fields(msg), " ")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "pmo",
		Short: "pmo keeps a ClickHouse warehouse of your trackers' issues and computes PMO KPIs",
		Long: `pmo collects every project's issues and their full history from your trackers
(Jira Cloud and Data Center, ...) into a ClickHouse warehouse — embedded (chDB)
by default, or a ClickHouse server — for PMO metrics and reports.

The configuration file is pmo.yaml in the working directory, or the file
named by --config or $PMO_CONFIG. Without one, pmo uses an embedded warehouse
in ./.pmo/warehouse.

` + exitCodesHelp,
		Example: `  pmo config check                 # validate ./pmo.yaml
  pmo migrate                      # create or upgrade the warehouse schema
  pmo collect                      # collect every configured source
  pmo status                       # what the warehouse holds
  pmo kpi                          # compute, store and print the KPIs
  pmo report                       # write the HTML reports
  pmo demo                         # try it on a simulated Jira
  pmo -c /etc/pmo/pmo.yaml status  # another config file`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			a.ran = true
			return nil
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withCode(ExitUsage, fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath()))
	})
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", "", "configuration file (default $"+config.EnvConfig+", else ./"+config.DefaultFile+")")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn, error (overrides log.level)")
	pf.StringVar(&a.logFormat, "log-format", "", "log format: auto, json, text (overrides log.format)")

	root.AddCommand(
		a.versionCommand(),
		a.configCommand(),
		a.depsCommand(), // cross-team dependencies (deps.go)
		a.migrateCommand(),
		a.statusCommand(),
		a.collectCommand(),
		a.kpiCommand(), a.raidCommand(),
		a.standardsCommand(),
		a.demoCommand(),
		a.serveCommand(),
		a.reportCommand(), a.emailCommand(),
		a.baselineCommand(),
		a.dashboardsCommand(), // Grafana dashboards for this configuration (dashboards.go)
	)
	root.AddCommand(a.changesCommand()) // the change log (changes.go)
	// pmo completion bash|zsh|fish|powershell, listed in --help; values
	// complete too (complete.go).
	// The completion commands take their output at creation.
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.InitDefaultCompletionCmd()
	a.registerCompletions(root)
	return root
}

// configFile returns the configuration path and whether the user named it.
func (a *App) configFile() (path string, explicit bool) {
	if a.configPath != "" {
		return a.configPath, true
	}
	if p, ok := a.LookupEnv(config.EnvConfig); ok && p != "" {
		return p, true
	}
	return config.DefaultFile, false
}

// loadConfig loads the configuration. When the user named no file and
// ./pmo.yaml does not exist, the defaults are used unless required.
func (a *App) loadConfig(required bool) (*pipeline.Config, error) {
	path, explicit := a.configFile()
	var cfg *pipeline.Config
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !explicit && !required {
		cfg = pipeline.DefaultConfig()
	} else {
		c, err := pipeline.LoadConfig(path, config.Options{LookupEnv: a.LookupEnv})
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		cfg = c
	}
	a.cfg = cfg
	if err := a.setupLogging(cfg); err != nil {
		return nil, err
	}
	if cfg.File == "" {
		a.logger.Debug("no configuration file; using defaults", "file", path, "warehouse", cfg.Warehouse.DSN.String())
	}
	return cfg, nil
}

func (a *App) setupLogging(cfg *pipeline.Config) error {
	level, format := cfg.Log.Level, cfg.Log.Format
	if a.logLevel != "" {
		level = a.logLevel
	}
	if a.logFormat != "" {
		format = a.logFormat
	}
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return withCode(ExitUsage, fmt.Errorf("--log-level %q is not a log level; expected one of: %s", level, strings.Join(config.LogLevels, ", ")))
	}
	opts := &slog.HandlerOptions{Level: lv}
	w := &scrubWriter{w: a.Stderr, cfg: cfg}
	switch format {
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(w, opts))
	case "text":
		a.logger = slog.New(slog.NewTextHandler(w, opts))
	case "auto", "":
		if a.IsTerminal(a.Stderr) {
			a.logger = slog.New(slog.NewTextHandler(w, opts))
		} else {
			a.logger = slog.New(slog.NewJSONHandler(w, opts))
		}
	default:
		return withCode(ExitUsage, fmt.Errorf("--log-format %q is not a log format; expected one of: %s", format, strings.Join(config.LogFormats, ", ")))
	}
	return nil
}

// scrubWriter removes configured secrets from log lines, a safety net
// behind secret.Secret's own redaction.
type scrubWriter struct {
	w   io.Writer
	cfg *pipeline.Config
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	out := s.cfg.Scrub(string(p))
	if _, err := io.WriteString(s.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}
