package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pmo-oss/pmo/dashboards"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func (a *App) dashboardsCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "dashboards",
		Short: "Write the Grafana dashboards for this configuration (drill-downs follow your kpi settings and teams)",
		Long: `Dashboards writes pmo's Grafana dashboards as JSON files into --out, for
Grafana's file provisioning. The dashboards committed in the repository's
dashboards/ folder are generated with pmo's default KPI settings; the
drill-down tables (the issues behind a value, read from ClickHouse) depend on
kpi settings such as flow_item_types, bug_types and kpi.teams. This command
generates them from your configuration and on your warehouse's engine, so a
drill-down lists the same issues as 'pmo kpi explain' — for teams too.

pmo writes only its own dashboards: a file in --out with the same name that
is not a pmo dashboard (uid "pmo-…", tag "pmo") is left alone and the
command fails naming it.`,
		Example: `  pmo dashboards --out /var/lib/grafana/dashboards/pmo
  pmo -c prod.yaml dashboards --out ./grafana`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(out) == "" {
				return withCode(ExitUsage, errors.New("--out: missing; name the folder to write the dashboards into (e.g. --out ./grafana)"))
			}
			ctx := cmd.Context()
			return a.withWarehouse(ctx, func(w *warehouse.Warehouse, cfg *pipeline.Config) error {
				return a.writeDashboards(ctx, w, cfg, out)
			})
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "folder to write the dashboard JSON files into (created if missing)")
	return cmd
}

func (a *App) writeDashboards(ctx context.Context, w *warehouse.Warehouse, cfg *pipeline.Config, out string) error {
	ds, err := dashboards.Generate(ctx, w, cfg.KPI, cfg.RAID)
	if err != nil {
		return fmt.Errorf("generating the dashboards: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	for _, d := range ds {
		if err := ownDashboard(filepath.Join(out, d.File)); err != nil {
			return err
		}
	}
	if err := dashboards.Write(out, ds); err != nil {
		return err
	}
	for _, d := range ds {
		fmt.Fprintln(a.Stdout, "wrote", filepath.Join(out, d.File))
	}
	return nil
}

// ownDashboard refuses to overwrite a file that is not a pmo dashboard.
func ownDashboard(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--out: reading %s: %w", path, err)
	}
	var d struct {
		UID  string   `json:"uid"`
		Tags []string `json:"tags"`
	}
	if json.Unmarshal(b, &d) == nil && strings.HasPrefix(d.UID, "pmo-") && len(d.Tags) > 0 && d.Tags[0] == "pmo" {
		return nil
	}
	return fmt.Errorf("--out: %s exists and is not a pmo dashboard; pmo writes only its own files: choose another --out folder or move that file", path)
}
