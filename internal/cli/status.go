package cli

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the warehouse: engine, schema version, rows per table, sync cursors",
		Long: `Status connects to the warehouse and shows its engine and version, the
database, the schema version, the number of rows each table holds as readers
see them (deduplicated, deleted issues hidden) and the sync cursors of each
configured source.`,
		Example: `  pmo status
  pmo -c prod.yaml status`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withWarehouse(ctx, func(w *warehouse.Warehouse, cfg *pipeline.Config) error {
				return a.printStatus(ctx, w, cfg)
			})
		},
	}
}

// printCursors lists the sync cursors of every source (configured or found
// in the warehouse), latest value first by source and name.
func (a *App) printCursors(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config) error {
	q := "SELECT source, name, argMax(value, _version) AS value, max(updated) AS updated FROM `" + w.Database() +
		"`.cursors GROUP BY source, name ORDER BY source, name"
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("reading the sync cursors: %w", err)
	}
	defer rows.Close()
	bySource := map[string][][3]string{}
	for rows.Next() {
		var source, name, value string
		var updated time.Time
		if err := rows.Scan(&source, &name, &value, &updated); err != nil {
			return fmt.Errorf("reading the sync cursors: %w", err)
		}
		bySource[source] = append(bySource[source], [3]string{name, value, updated.UTC().Format(time.RFC3339)})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the sync cursors: %w", err)
	}
	var sources []string
	seen := map[string]bool{}
	for _, s := range cfg.Sources {
		sources = append(sources, s.Name)
		seen[s.Name] = true
	}
	var others []string
	for s := range bySource {
		if !seen[s] {
			others = append(others, s)
		}
	}
	sort.Strings(others)
	sources = append(sources, others...)
	fmt.Fprintln(a.Stdout, "cursors:")
	if len(sources) == 0 {
		fmt.Fprintln(a.Stdout, "  (no sources configured)")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	for _, s := range sources {
		cs := bySource[s]
		note := ""
		if !seen[s] {
			note = " (not in the configuration)"
		}
		if len(cs) == 0 {
			fmt.Fprintf(tw, "  %s\tnever collected\n", s)
			continue
		}
		fmt.Fprintf(tw, "  %s%s\n", s, note)
		for _, c := range cs {
			fmt.Fprintf(tw, "    %s\t%s\t(set %s)\n", c[0], c[1], c[2])
		}
	}
	return tw.Flush()
}

// printStatus writes what the warehouse holds.
func (a *App) printStatus(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config) error {
	ver, err := w.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "warehouse:\t%s\n", cfg.Warehouse.DSN.String())
	fmt.Fprintf(tw, "engine:\t%s %s\n", w.Engine(), w.ServerVersion())
	fmt.Fprintf(tw, "database:\t%s\n", w.Database())
	if ver == 0 {
		fmt.Fprintf(tw, "schema version:\t0 (empty: run pmo migrate)\n")
		return tw.Flush()
	}
	fmt.Fprintf(tw, "schema version:\t%d\n", ver)
	counts, err := w.Counts(ctx)
	if err != nil {
		return fmt.Errorf("counting rows: %w", err)
	}
	tables := make([]string, 0, len(counts))
	for t := range counts {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, "rows (as readers see them):")
	for _, t := range tables {
		fmt.Fprintf(tw, "  %s\t%d\n", t, counts[t])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return a.printCursors(ctx, w, cfg)
}
