package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmo-oss/pmo/internal/exporter"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// servedAsOf is the as-of of the snapshot the exporter serves.
func servedAsOf(t *testing.T, c *exporter.KPICollector) time.Time {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "pmo_kpi_snapshot_timestamp_seconds" {
			return time.Unix(int64(mf.GetMetric()[0].GetGauge().GetValue()), 0).UTC()
		}
	}
	return time.Time{}
}

// TestScopedRunIsNotServed (issue 12 defect 2): a scoped computation at a
// stray as-of is stored with a refresh record that says so, but neither the
// running exporter nor one started later (LoadSnapshot) serves it; each
// run's record names the pmo version.
func TestScopedRunIsNotServed(t *testing.T) {
	f := kpitest.Read(t, filepath.Join("..", "kpi", "testdata", "example_a.yaml"))
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		cfg := kpi.DefaultConfig()
		cfg.TZ = "Europe/Berlin"
		kc := exporter.NewKPICollector(nil)
		p := &pipeline.Pipeline{Warehouse: w, KPI: &cfg, KPIs: kc, Logger: testLogger(t), Version: "v9.9.9-test"}
		if _, err := p.ComputeKPIs(ctx, f.AsOf, kpi.ScopeFilter{}); err != nil {
			t.Fatal(err)
		}
		stray := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := p.ComputeKPIs(ctx, stray, kpi.ScopeFilter{Kind: kpi.ScopeProject, Name: "A"}); err != nil {
			t.Fatal(err)
		}
		if got := servedAsOf(t, kc); !got.Equal(f.AsOf) {
			t.Errorf("the exporter serves the snapshot as of %s, want %s", got, f.AsOf)
		}
		later := exporter.NewKPICollector(nil)
		p2 := &pipeline.Pipeline{Warehouse: w, KPI: &cfg, KPIs: later, Logger: testLogger(t)}
		if err := p2.LoadSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		if got := servedAsOf(t, later); !got.Equal(f.AsOf) {
			t.Errorf("after a restart the exporter serves the snapshot as of %s, want %s", got, f.AsOf)
		}
		refs, err := kpi.Refreshes(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 2 || refs[0].Complete || refs[0].Filter != "project:A" || !refs[1].Complete || refs[1].Version != "v9.9.9-test" || refs[0].RunID == refs[1].RunID {
			t.Errorf("refresh records %+v; want the scoped 2099 run (project:A) and the complete one, each with its run id and the version", refs)
		}
	})
}
