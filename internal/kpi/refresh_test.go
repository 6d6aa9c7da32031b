package kpi

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestStrayScopedAsOfIsNotLatest is issue 12 defect 2: after a scoped
// computation at a stray future as-of (pmo kpi --as-of 2099-01-01 --scope
// project:A) every later report read "as of 2099" for one project, because
// readers took max(as_of). The latest complete refresh must win; the scoped
// values stay stored. Warehouses without refresh records (filled before
// migration 107) fall back to the latest as-of whose values cover every
// scope that existed then.
func TestStrayScopedAsOfIsNotLatest(t *testing.T) {
	f := loadFixture(t, "example_a.yaml")
	stray := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	week := f.AsOf.AddDate(0, 0, -7)
	type run struct {
		asOf   time.Time
		filter ScopeFilter
	}
	cases := []struct {
		name       string
		runs       []run
		record     bool // write refresh records (false: a warehouse filled before them)
		want       time.Time
		fromRecord bool
	}{
		{"records: a scoped run at 2099 after a full one", []run{{f.AsOf, ScopeFilter{}}, {stray, ScopeFilter{Kind: ScopeProject, Name: "A"}}}, true, f.AsOf, true},
		{"records: a portfolio-only run later than a full one", []run{{week, ScopeFilter{}}, {f.AsOf, ScopeFilter{Kind: ScopePortfolio}}}, true, week, true},
		{"records: the newest full run wins", []run{{week, ScopeFilter{}}, {f.AsOf, ScopeFilter{}}}, true, f.AsOf, true},
		{"no records: a scoped run at 2099 after a full one", []run{{f.AsOf, ScopeFilter{}}, {stray, ScopeFilter{Kind: ScopeProject, Name: "A"}}}, false, f.AsOf, false},
		{"no records: a portfolio-only run later than a full one", []run{{week, ScopeFilter{}}, {f.AsOf, ScopeFilter{Kind: ScopePortfolio}}}, false, week, false},
	}
	cfg := exampleAConfig()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
				ctx := context.Background()
				f.Load(t, w)
				for _, r := range tc.runs {
					s, err := Compute(ctx, w, cfg, r.asOf, r.filter)
					if err != nil {
						t.Fatal(err)
					}
					if tc.record {
						err = StoreRefresh(ctx, w, s, RefreshOf(s, r.filter, NewRunID(), "test"))
					} else {
						err = Store(ctx, w, s)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				got, fromRecord, err := LatestRefresh(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(tc.want) || fromRecord != tc.fromRecord {
					t.Errorf("latest complete refresh %s (from a record: %v), want %s (%v)", got.Format(time.DateOnly), fromRecord, tc.want.Format(time.DateOnly), tc.fromRecord)
				}
				snap, err := LatestComplete(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				if !snap.AsOf.Equal(tc.want) {
					t.Errorf("LatestComplete as of %s, want %s", snap.AsOf.Format(time.DateOnly), tc.want.Format(time.DateOnly))
				}
				if _, ok := snap.Find(ScopePortfolio, "all", "wip", "snapshot", "measure=count"); !ok {
					t.Errorf("LatestComplete has no portfolio wip: not the whole portfolio")
				}
				// The later (scoped) computation stays queryable.
				last := tc.runs[len(tc.runs)-1]
				h, err := History(ctx, w, last.asOf, last.asOf)
				if err != nil {
					t.Fatal(err)
				}
				if len(h.Values) == 0 {
					t.Errorf("the values as of %s are gone", last.asOf.Format(time.DateOnly))
				}
			})
		})
	}
}

func TestRefreshRecordRoundTrip(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		asOf := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		at := time.Date(2025, 3, 1, 6, 30, 0, 0, time.UTC)
		s := Snapshot{AsOf: asOf, ComputedAt: at, Values: []Value{
			{ScopeKind: ScopeProject, Scope: "jira/B", KPI: "wip"}, {ScopeKind: ScopeProject, Scope: "jira/A", KPI: "wip"}, {ScopeKind: ScopeProject, Scope: "jira/A", KPI: "throughput"},
		}}
		want := RefreshOf(s, ScopeFilter{Kind: ScopeProject}, "run-1", "v1.2.3")
		if want.Complete || want.Filter != "project" || !slices.Equal(want.Scopes, []string{"project:jira/A", "project:jira/B"}) || want.Values != 3 {
			t.Fatalf("RefreshOf: %+v", want)
		}
		if err := RecordRefresh(ctx, w, want); err != nil {
			t.Fatal(err)
		}
		got, err := Refreshes(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d refresh records, want 1", len(got))
		}
		g := got[0]
		if g.RunID != want.RunID || !g.AsOf.Equal(want.AsOf) || g.Complete != want.Complete || g.Filter != want.Filter ||
			!slices.Equal(g.Scopes, want.Scopes) || g.Values != want.Values || !g.ComputedAt.Equal(want.ComputedAt) || g.Version != want.Version {
			t.Errorf("read back %+v, stored %+v", g, want)
		}
		// Only scoped records and no values: nothing complete.
		if _, _, err := LatestRefresh(ctx, w); !errors.Is(err, ErrNoValues) {
			t.Errorf("LatestRefresh with only a scoped record: %v, want ErrNoValues", err)
		}
	})
}

func TestCheckFutureAsOf(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		name  string
		asOf  time.Time
		allow bool
		ok    bool
	}{
		{"today's midnight", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), false, true},
		{"a past date", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), false, true},
		{"tomorrow", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), false, false},
		{"2099", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), false, false},
		{"2099 asked for", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckFutureAsOf(tc.asOf, now, tc.allow)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrFutureAsOf)) {
				t.Errorf("CheckFutureAsOf(%s, allow %v) = %v, want ok %v", tc.asOf.Format(time.DateOnly), tc.allow, err, tc.ok)
			}
		})
	}
}
