package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestOptimize: after three loads of the same issues (three parts, merges
// held off) Optimize leaves one active part and the views show each issue
// once.
func TestOptimize(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		// No background merge before Optimize: the loads stay three parts.
		if err := w.Exec(ctx, "SYSTEM STOP MERGES "+w.Database()+".issues"); err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			var recs []model.Record
			for _, id := range []string{"1", "2", "3"} {
				recs = append(recs, model.Issue{Source: "src", ID: id, Key: "K-" + id, Summary: "round", ProjectID: "p",
					Created: at, Updated: at.Add(time.Duration(round) * time.Hour)})
			}
			if err := w.Sink().Put(ctx, recs...); err != nil {
				t.Fatal(err)
			}
			if err := w.Sink().Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		parts := func() uint64 {
			t.Helper()
			rows, err := w.Query(ctx, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'issues' AND active")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var n uint64
			for rows.Next() {
				if err := rows.Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			return n
		}
		if n := parts(); n != 3 {
			t.Fatalf("before Optimize: %d active parts of issues, want 3 (one per load)", n)
		}
		if err := w.Exec(ctx, "SYSTEM START MERGES "+w.Database()+".issues"); err != nil {
			t.Fatal(err)
		}
		if err := w.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if n := parts(); n != 1 {
			t.Errorf("after Optimize: %d active parts of issues, want 1", n)
		}
		rows, err := w.Query(ctx, "SELECT count() FROM v_issues")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var n uint64
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		if n != 3 {
			t.Errorf("v_issues has %d issues after Optimize, want 3", n)
		}
	})
}
