package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

var _ collectors.Sink = (*warehouse.Sink)(nil)

func TestMigrateTwice(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		res, err := w.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Applied) != 0 || res.From != res.To || res.To != warehouse.LatestSchemaVersion() {
			t.Errorf("second Migrate = %+v, want nothing applied at version %d", res, warehouse.LatestSchemaVersion())
		}
		v, err := w.SchemaVersion(ctx)
		if err != nil || v != warehouse.LatestSchemaVersion() {
			t.Errorf("SchemaVersion = %d, %v", v, err)
		}
		t.Logf("%s %s: schema version %d", w.Engine(), w.ServerVersion(), v)
		counts, err := w.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(counts)
		s := w.Sink()
		now := time.Now().UTC()
		if err := s.Put(ctx, model.Issue{Source: "s", ID: "1", Key: "A-1", ProjectID: "10", Created: now, Updated: now, Labels: []string{"x"}},
			model.Version{Source: "s", ID: "v", ObservedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCursor(ctx, "s", "issues", "abc"); err != nil {
			t.Fatal(err)
		}
		c, ok, err := s.Cursor(ctx, "s", "issues")
		t.Log(c, ok, err)
		ids, err := s.IssueIDs(ctx, "s", "10")
		t.Log(ids, err)
		counts, err = w.Counts(ctx)
		t.Log(counts, err)
	})
}
