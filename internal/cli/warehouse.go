package cli

import (
	"context"
	"fmt"

	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// openWarehouse opens the configured warehouse. Failing to open it (server
// unreachable, wrong credentials, no chDB library) exits with ExitWarehouse.
func (a *App) openWarehouse(ctx context.Context, cfg *pipeline.Config) (*warehouse.Warehouse, error) {
	wc := cfg.Warehouse
	w, err := warehouse.Open(ctx, warehouse.Options{
		DSN:           wc.DSN.WithPassword(wc.Password),
		Database:      wc.Database,
		Cluster:       wc.Cluster,
		ChDBLibrary:   wc.ChDBLibrary,
		BatchSize:     wc.BatchSize,
		FlushInterval: wc.FlushInterval,
		Logger:        a.logger,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, withCode(ExitWarehouse, fmt.Errorf("cannot open the warehouse: %w", err))
	}
	a.logger.Debug("warehouse open", "engine", w.Engine(), "server_version", w.ServerVersion(), "database", w.Database())
	return w, nil
}

// withWarehouse loads the configuration (a file is optional), opens the
// warehouse, runs fn and closes the warehouse again.
func (a *App) withWarehouse(ctx context.Context, fn func(w *warehouse.Warehouse, cfg *pipeline.Config) error) (err error) {
	cfg, err := a.loadConfig(false)
	if err != nil {
		return err
	}
	w, err := a.openWarehouse(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeWarehouse(w, &err)
	return fn(w, cfg)
}

func closeWarehouse(w *warehouse.Warehouse, err *error) {
	if cerr := w.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("closing the warehouse: %w", cerr)
	}
}
