package cli

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Shell completion (pmo completion bash|zsh|fish|powershell) completes
// values as well as commands and flags: KPI ids, --scope from the
// warehouse (else from the configuration), --source from the
// configuration, and the fixed choices of --format and friends.

// completionTimeout bounds how long a completion may spend reading the
// warehouse before it falls back to the configuration.
const completionTimeout = 3 * time.Second

// registerCompletions walks the command tree once and attaches the value
// completions to every flag and argument that has them.
func (a *App) registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		flags := c.Flags()
		if flags.Lookup("scope") != nil {
			_ = c.RegisterFlagCompletionFunc("scope", a.completeScopes)
		}
		if flags.Lookup("source") != nil {
			_ = c.RegisterFlagCompletionFunc("source", a.completeSources)
		}
		if flags.Lookup("kpi") != nil {
			_ = c.RegisterFlagCompletionFunc("kpi", completeKPIs)
		}
		if flags.Lookup("format") != nil {
			_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(kpi.Formats, cobra.ShellCompDirectiveNoFileComp))
		}
		if flags.Lookup("attach") != nil {
			_ = c.RegisterFlagCompletionFunc("attach", cobra.FixedCompletions([]string{"zip", "link", "none"}, cobra.ShellCompDirectiveNoFileComp))
		}
		if c.HasParent() && c.Parent().Name() == "kpi" && (c.Name() == "explain" || c.Name() == "sql") {
			c.ValidArgsFunction = completeKPIArg
		}
		if flags.Lookup("report") != nil && c.Name() == "email" {
			_ = c.RegisterFlagCompletionFunc("report", a.completeEmailReports)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if f := root.PersistentFlags().Lookup("log-level"); f != nil {
		_ = root.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
	}
	if f := root.PersistentFlags().Lookup("log-format"); f != nil {
		_ = root.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"auto", "json", "text"}, cobra.ShellCompDirectiveNoFileComp))
	}
}

// completeKPIArg completes the KPI argument of kpi explain and kpi sql.
func completeKPIArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeKPIs(cmd, args, toComplete)
}

// completeKPIs lists the catalog's KPI ids with their names.
func completeKPIs(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, d := range kpi.Catalog {
		if strings.HasPrefix(d.ID, toComplete) {
			out = append(out, d.ID+"\t"+d.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completionConfig loads the configuration quietly (no logs on the
// terminal while completing); nil when it cannot be loaded.
func (a *App) completionConfig() *pipeline.Config {
	if a.LookupEnv == nil {
		return nil
	}
	stderr := a.Stderr
	a.Stderr = io.Discard
	defer func() { a.Stderr = stderr }()
	cfg, err := a.loadConfig(false)
	if err != nil {
		return nil
	}
	a.logger = slog.New(slog.DiscardHandler)
	return cfg
}

// completeScopes lists the scopes of the warehouse when it can be read
// within completionTimeout, else those the configuration names (the
// portfolio, each source, and the scopes of kpi.scopes).
func (a *App) completeScopes(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg := a.completionConfig()
	scopes := []string{kpi.ScopePortfolio}
	if cfg != nil {
		if known := a.warehouseScopes(cmd.Context(), cfg); len(known) > 0 {
			scopes = known
		} else {
			for _, s := range cfg.Sources {
				scopes = append(scopes, kpi.ScopeName(kpi.ScopeSource, s.Name))
			}
			for _, s := range cfg.KPI.Scopes {
				if s.Kind != "" && s.Name != "" {
					scopes = append(scopes, kpi.ScopeName(s.Kind, s.Name))
				}
			}
		}
	}
	// Kinds alone select every scope of the kind.
	for _, k := range []string{kpi.ScopeSource, kpi.ScopeProgram, kpi.ScopeProject} {
		if !slices.Contains(scopes, k) {
			scopes = append(scopes, k)
		}
	}
	var out []string
	for _, s := range scopes {
		if strings.HasPrefix(s, toComplete) {
			out = append(out, s)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// warehouseScopes reads the scopes of a migrated warehouse (nil when it
// cannot be opened, is not migrated or takes too long).
func (a *App) warehouseScopes(parent context.Context, cfg *pipeline.Config) []string {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, completionTimeout)
	defer cancel()
	type result struct{ scopes []string }
	done := make(chan result, 1)
	go func() {
		w, err := a.openWarehouse(ctx, cfg)
		if err != nil {
			done <- result{}
			return
		}
		defer w.Close()
		if v, err := w.SchemaVersion(ctx); err != nil || v < warehouse.LatestSchemaVersion() {
			done <- result{}
			return
		}
		s, err := kpi.ConfigScopes(ctx, w, cfg.KPI, time.Now())
		if err != nil {
			done <- result{}
			return
		}
		done <- result{s}
	}()
	select {
	case r := <-done:
		return r.scopes
	case <-ctx.Done():
		return nil
	}
}

// completeSources lists the configured source names.
func (a *App) completeSources(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg := a.completionConfig()
	if cfg == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, s := range cfg.Sources {
		if strings.HasPrefix(s.Name, toComplete) {
			out = append(out, s.Name+"\t"+s.Type)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeEmailReports lists the names under email.reports.
func (a *App) completeEmailReports(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg := a.completionConfig()
	if cfg == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, r := range cfg.Email.Reports {
		if strings.HasPrefix(r.Name, toComplete) {
			out = append(out, r.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
