package kpi

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestReleaseAdherence checks P2 on versions observed on several days.
// as_of 2025-07-01, so the 26-week window is 2024-12-31 … 2025-06-30.
//
//	R1 planned 04-01, moved to 04-10, first seen released 04-12 → slip +11, late
//	R2 planned 05-15, first seen released 05-14                → slip −1, on time
//	R3 no date, then 06-20, first seen released 06-20           → slip 0, on time
//	R4 released 06-25 without any release date                  → excluded
//	R5 planned 2024-11-20, released 2024-12-01                  → before W, excluded
//	R6 planned 06-15, not released                              → excluded
//
// P2's red rule (slip > 10 % of the planned duration): R1 starts 01-01, so
// its planned duration is 01-01 → 04-01 = 90 days and 11 / 90 = 0.122222;
// R2 starts 04-15 (30 days, early → 0); R3 has no start date (excluded):
// slip_ratio max = 0.122222, n = 2.
//
// on_time_ratio = 2/3 (n = 3); slips sorted [−1, 0, 11]: NR P50 = x[2] = 0,
// NR P85 = x[⌈2.55⌉ = 3] = 11; NULL with the default min_sample 5.
//
// Forecast (one item done in the 90-day history, so finishing one item
// takes ≈ ln 0.15 / ln(89/90) ≈ 170 days at 85 %, from E = 06-30): R6 has
// nothing left but is past its date → late; R7 (1 item, planned a year
// out) → on time; R8 (1 item, planned 07-10) → late: 2 of 3 forecast late.
//
// Per release (F9 for a release; p = 1/90 a day): R8's chance to be done
// within the 10 days to 07-10 is 1 − (89/90)^10 = 0.1057; its when-forecast
// is the smallest d with 1 − (89/90)^d ≥ c: 170 days at 85 % (late by 160),
// 63 at 50 %; R7 (365 days to its date): 1 − (89/90)^365 = 0.9831; R6: 0
// left, 0 days, 15 days late, probability 0.
func TestReleaseAdherence(t *testing.T) {
	start := map[string]string{"v1": "2025-01-01", "v2": "2025-04-15"}
	f := loadFixture(t, "release_adherence.yaml")
	d := func(s string) *model.Date {
		if s == "" {
			return nil
		}
		x, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &model.Date{Year: x.Year(), Month: x.Month(), Day: x.Day()}
	}
	obs := func(id, name, seen, release string, released bool) model.Record {
		x, err := time.Parse(time.DateOnly, seen)
		if err != nil {
			t.Fatal(err)
		}
		return model.Version{Source: "jira", ID: id, ProjectID: "500", Name: name, StartDate: d(start[id]), ReleaseDate: d(release), Released: released,
			ObservedAt: x.Add(6 * time.Hour)}
	}
	recs := []model.Record{
		obs("v1", "R1", "2025-03-01", "2025-04-01", false),
		obs("v1", "R1", "2025-03-20", "2025-04-10", false),
		obs("v1", "R1", "2025-04-12", "2025-04-10", true),
		obs("v1", "R1", "2025-04-13", "2025-04-10", true),
		obs("v2", "R2", "2025-05-01", "2025-05-15", false),
		obs("v2", "R2", "2025-05-14", "2025-05-15", true),
		obs("v3", "R3", "2025-06-01", "", false),
		obs("v3", "R3", "2025-06-05", "2025-06-20", false),
		obs("v3", "R3", "2025-06-20", "2025-06-20", true),
		obs("v4", "R4", "2025-06-25", "", true),
		obs("v5", "R5", "2024-11-01", "2024-11-20", false),
		obs("v5", "R5", "2024-12-01", "2024-11-20", true),
		obs("v6", "R6", "2025-06-01", "2025-06-15", false),
		obs("v7", "R7", "2025-06-01", "2026-06-30", false),
		obs("v8", "R8", "2025-06-01", "2025-07-10", false),
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		kpitest.PutRecords(t, w, recs)
		ctx := context.Background()
		snap, err := Compute(ctx, w, DefaultConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range [][2]string{{ScopeProject, "jira/R"}, {ScopeProgram, "Release programme"}, {ScopeSource, "jira"}, {ScopePortfolio, "all"}} {
			checkValues(t, snap, s[0], s[1], []want{
				{"release_schedule_adherence", "26w", "measure=on_time_ratio", 2.0 / 3, 3},
				{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.5", null, 3},
				{"release_schedule_adherence", "26w", "measure=slip_ratio,method=max", 11.0 / 90, 2},
			})
		}
		checkValues(t, snap, ScopeProject, "jira/R", []want{
			{"release_schedule_adherence", "90d", "measure=forecast_late", 2, 3},
			{"monte_carlo_forecast", "90d", "measure=remaining,release=R8", 1, 90},
			{"monte_carlo_forecast", "90d", "measure=how_many,release=R8", 0, 90},
			{"monte_carlo_forecast", "90d", "measure=remaining,release=R6", 0, 90},
			{"monte_carlo_forecast", "90d", "measure=when_days,release=R6", 0, 90},
			{"monte_carlo_forecast", "90d", "measure=late_days,release=R6", 15, 90},
			{"monte_carlo_forecast", "90d", "measure=on_time_probability,release=R6", 0, 90},
			{"monte_carlo_forecast", "90d", "measure=how_many,release=R6", null, 90},
			{"monte_carlo_forecast", "90d", "measure=days_left,release=R6", -15, 90},
			{"monte_carlo_forecast", "90d", "measure=days_left,release=R8", 10, 90},
		})
		// Sampled values: within a band around the exact answer.
		for _, b := range []struct {
			labels string
			lo, hi float64
		}{
			{"measure=on_time_probability,release=R8", 0.095, 0.117},
			{"measure=when_days,release=R8", 160, 180},
			{"measure=late_days,release=R8", 150, 170},
			{"confidence=0.5,measure=when_days,release=R8", 58, 68},
			{"measure=on_time_probability,release=R7", 0.978, 0.988},
		} {
			v, ok := snap.Find(ScopeProject, "jira/R", "monte_carlo_forecast", "90d", b.labels)
			if !ok || v.Value == nil || *v.Value < b.lo || *v.Value > b.hi {
				t.Errorf("monte_carlo_forecast %s = %v, want %v..%v", b.labels, v.Value, b.lo, b.hi)
			}
		}
		c := DefaultConfig()
		c.MinSample = ptr(1)
		snap, err = Compute(ctx, w, c, f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/R", []want{
			{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.5", 0, 3},
			{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.85", 11, 3},
		})
	})
}
