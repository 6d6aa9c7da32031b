package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (a *App) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
		Example: `  pmo config check
  pmo config check --print`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	var print bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration file and report every problem",
		Long: `Check reads the configuration file strictly (unknown keys are errors), expands
${ENV} references, reads *_file secrets and reports every problem at once, each
with its line and key path. It does not connect to the warehouse or the
trackers; it checks that report.out is a folder pmo may publish into (new,
empty or pmo's own). With --print it shows the effective configuration, defaults filled in
and secrets shown as <secret>.`,
		Example: `  pmo config check
  pmo config check --print
  pmo -c deploy/pmo.yaml config check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(true)
			if err != nil {
				return err
			}
			// What validation cannot see in the file: whether report.out
			// is a folder pmo may publish into.
			if err := cfg.CheckReportOut("", ""); err != nil {
				return withCode(ExitUsage, fmt.Errorf("%s: %w", cfgName(cfg), err))
			}
			if print {
				return cfg.Print(a.Stdout)
			}
			var names []string
			for _, s := range cfg.Sources {
				names = append(names, s.Name+" ("+s.Type+")")
			}
			src := "no sources"
			if len(names) > 0 {
				src = fmt.Sprintf("%d source(s): %s", len(names), strings.Join(names, ", "))
			}
			for _, w := range cfg.KPI.TeamWarnings() {
				fmt.Fprintf(a.Stderr, "%s: warning: %s\n", cfg.File, w)
			}
			_, err = fmt.Fprintf(a.Stdout, "%s: ok — warehouse %s (database %s), %s\n", cfg.File, cfg.Warehouse.DSN.String(), cfg.Warehouse.Database, src)
			return err
		},
	}
	check.Flags().BoolVar(&print, "print", false, "print the effective configuration (secrets as <secret>)")
	cmd.AddCommand(check)
	return cmd
}
