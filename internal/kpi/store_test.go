package kpi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func TestStoreReplacesAndLatest(t *testing.T) {
	f := loadFixture(t, "example_a.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		if _, err := LatestComplete(ctx, w); !errors.Is(err, ErrNoValues) {
			t.Fatalf("LatestComplete on an empty history: %v, want ErrNoValues", err)
		}
		f.Load(t, w)
		cfg := exampleAConfig()
		s1, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{Kind: ScopeProject})
		if err != nil {
			t.Fatal(err)
		}
		if err := Store(ctx, w, s1); err != nil {
			t.Fatal(err)
		}
		// Recompute the same as_of a second later: replaces, never duplicates.
		s2 := s1
		s2.ComputedAt = s1.ComputedAt.Add(time.Second)
		s2.Values = append([]Value(nil), s1.Values...)
		for i := range s2.Values {
			s2.Values[i].ComputedAt = s2.ComputedAt
		}
		if err := Store(ctx, w, s2); err != nil {
			t.Fatal(err)
		}
		got, err := History(ctx, w, f.AsOf, f.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Values) != len(s1.Values) {
			t.Fatalf("Latest has %d values, stored %d (twice)", len(got.Values), len(s1.Values))
		}
		if !got.ComputedAt.Equal(s2.ComputedAt) {
			t.Errorf("Latest computed_at %s, want %s", got.ComputedAt, s2.ComputedAt)
		}
		checkValues(t, got, ScopeProject, "jira/A", exampleA)
		// NULL and the RAG (rated or not) survive the round trip.
		nulls, rated, unrated := 0, 0, 0
		for _, v := range s1.Values {
			g, ok := got.Find(v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String())
			if !ok || (g.Value == nil) != (v.Value == nil) {
				t.Errorf("%s{%s}: stored %v, read back %v", v.KPI, v.Labels, v.Value, g.Value)
			}
			if ragText(g.RAG, "-") != ragText(v.RAG, "-") {
				t.Errorf("%s{%s}: stored RAG %s, read back %s", v.KPI, v.Labels, ragText(v.RAG, "-"), ragText(g.RAG, "-"))
			}
			switch {
			case v.Value == nil:
				nulls++
			case v.RAG != nil:
				rated++
			default:
				unrated++
			}
		}
		if nulls == 0 || rated == 0 || unrated == 0 {
			t.Errorf("the snapshot has %d NULL, %d rated and %d unrated values; the round trip needs each", nulls, rated, unrated)
		}
	})
}

// TestStoreRecomputeToNull: a value recomputed as NULL (not computable any
// more, e.g. after a restatement) must read back as NULL, not as the value
// of the earlier computation; the same for its RAG.
func TestStoreRecomputeToNull(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		asOf := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		at := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
		v := Value{ScopeKind: ScopeProject, Scope: "jira/N", KPI: "wip", Window: "snapshot", Labels: Labels{"measure": "count"}, AsOf: asOf,
			Value: fptr(7), N: 7, RAG: ragPtr(Red), ComputedAt: at}
		if err := Store(ctx, w, Snapshot{AsOf: asOf, ComputedAt: at, Values: []Value{v}}); err != nil {
			t.Fatal(err)
		}
		v.Value, v.N, v.RAG, v.ComputedAt = nil, 0, nil, at.Add(time.Minute)
		if err := Store(ctx, w, Snapshot{AsOf: asOf, ComputedAt: v.ComputedAt, Values: []Value{v}}); err != nil {
			t.Fatal(err)
		}
		got, err := History(ctx, w, asOf, asOf)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got.Find(ScopeProject, "jira/N", "wip", "snapshot", "measure=count")
		if !ok || g.Value != nil || g.RAG != nil || g.N != 0 {
			t.Errorf("after a recompute to NULL: found %v, value %v, RAG %s, n %d; want NULL, no RAG, n 0", ok, g.Value, ragText(g.RAG, "-"), g.N)
		}
	})
}
