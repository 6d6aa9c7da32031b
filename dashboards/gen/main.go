// Command gen writes pmo's Grafana dashboards (dashboards/*.json) from the
// Go definitions in package dashboards: `go generate ./dashboards/...` or
// `make dashboards`. The drill-down SQL comes from the KPI engine (kpi.SQL)
// on a throwaway, empty embedded warehouse, so the chDB library must be
// installed (make setup).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pmo-oss/pmo/dashboards"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

func main() {
	out := flag.String("out", ".", "the folder the dashboard JSON files are written to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "dashboards/gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "pmo-dashboards-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: "chdb://" + filepath.Join(tmp, "wh"), Database: "pmo_dashboards_gen",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("opening a throwaway embedded warehouse to generate the drill-down SQL (make setup installs chDB): %w", err)
	}
	defer w.Close()
	if _, err := w.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating the throwaway warehouse: %w", err)
	}
	ds, err := dashboards.Generate(ctx, w, kpi.DefaultConfig(), raid.DefaultConfig())
	if err != nil {
		return err
	}
	if err := dashboards.Write(out, ds); err != nil {
		return err
	}
	for _, d := range ds {
		fmt.Println("wrote", filepath.Join(out, d.File))
	}
	return nil
}
