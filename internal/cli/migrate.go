package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the warehouse schema",
		Long: `Migrate applies the schema migrations the warehouse lacks and prints each one.
It is idempotent: on an up-to-date warehouse it changes nothing and says so.
The embedded warehouse (chdb://) is created on first use.`,
		Example: `  pmo migrate
  pmo -c prod.yaml migrate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withWarehouse(ctx, func(w *warehouse.Warehouse, cfg *pipeline.Config) error {
				return a.migrate(ctx, w, cfg)
			})
		},
	}
}

// migrate applies the missing migrations and says what it did.
func (a *App) migrate(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config) error {
	res, err := w.Migrate(ctx)
	for _, m := range res.Applied {
		fmt.Fprintf(a.Stdout, "applied %s\n", m)
	}
	if err != nil {
		return fmt.Errorf("migrating the warehouse %s (database %s): %w", cfg.Warehouse.DSN.String(), w.Database(), err)
	}
	if len(res.Applied) == 0 {
		fmt.Fprintf(a.Stdout, "schema is up to date at version %d, nothing to do\n", res.To)
		return nil
	}
	fmt.Fprintf(a.Stdout, "schema migrated from version %d to %d (%s %s, database %s)\n",
		res.From, res.To, w.Engine(), w.ServerVersion(), w.Database())
	return nil
}
