package kpi

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestReleaseFirstSeenReleased checks P2 for versions that were already
// released when pmo first collected them (issue 11, point 2): a fresh
// install whose first two collections are on 2026-11-30 and 2026-12-01
// (testdata/release_first_seen.yaml). The observations cannot date such a
// release, so the released date is the catalog's fallback (C12): the last
// local done day of the version's non-discarded issues — taken only when
// none is open at as_of, and capped at the first observation day.
//
//	1.0 planned 2025-03-10, first seen released; done FS-1 03-05, FS-2 03-07 (FS-3 discarded 03-20) → 03-07, slip −3
//	1.1 planned 2025-04-01, first seen released; done FS-4 04-04                                     → 04-04, slip +3
//	1.2 planned 2026-11-20, first seen released 11-30; FS-6 done again 12-01 → capped at 11-30, slip +10
//	2.0 planned 2026-12-05, seen unreleased 11-30, released 12-01 (observed)                         → 12-01, slip −4
//	0.9 planned 2024-06-01, first seen released, no issues                                           → excluded
//
// as_of 2026-12-02 (day two; W = 2026-06-03 … 2026-12-01): 1.0 and 1.1
// shipped before W, so 1.2 (late) and 2.0 (on time) count: on_time 1/2.
// Dating them by the first collection made every old version ≈ 630 days
// late (on_time 1/4).
//
// as_of 2025-05-01 (W = 2024-10-31 … 2025-04-30): 1.0 on time, 1.1 late →
// 1/2; slip ratio max over planned durations: 1.0 01-01 → 03-10 (68 d,
// early → 0), 1.1 03-11 → 04-01 (21 d, 3/21). Dated by the first
// collection, both fell after as_of: NULL.
//
// as_of 2025-04-03: FS-4 is still open, so 1.1 was not delivered yet and is
// left out: 1.0 alone, on_time 1/1.
func TestReleaseFirstSeenReleased(t *testing.T) {
	f := loadFixture(t, "release_first_seen.yaml")
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
	obs := func(id, name, start, release string, released bool, seen string) model.Record {
		x, err := time.Parse(time.DateOnly, seen)
		if err != nil {
			t.Fatal(err)
		}
		return model.Version{Source: "jira", ID: id, ProjectID: "600", Name: name, StartDate: d(start), ReleaseDate: d(release), Released: released,
			ObservedAt: x.Add(6 * time.Hour)}
	}
	var recs []model.Record
	for _, day := range []string{"2026-11-30", "2026-12-01"} {
		recs = append(recs,
			obs("fs1", "1.0", "2025-01-01", "2025-03-10", true, day),
			obs("fs2", "1.1", "2025-03-11", "2025-04-01", true, day),
			obs("fs5", "1.2", "", "2026-11-20", true, day),
			obs("fs3", "2.0", "", "2026-12-05", day == "2026-12-01", day),
			obs("fs4", "0.9", "", "2024-06-01", true, day))
	}
	at := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	cases := []struct {
		name, golden string
		asOf         time.Time
		wants        []want
	}{
		{"day two", "day_two", f.AsOf, []want{
			{"release_schedule_adherence", "26w", "measure=on_time_ratio", 0.5, 2},
			{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.85", 10, 2},
			{"release_schedule_adherence", "26w", "measure=slip_ratio,method=max", null, 0},
		}},
		{"historical", "historical", at("2025-05-01T00:00:00Z"), []want{
			{"release_schedule_adherence", "26w", "measure=on_time_ratio", 0.5, 2},
			{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.5", -3, 2},
			{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.85", 3, 2},
			{"release_schedule_adherence", "26w", "measure=slip_ratio,method=max", 3.0 / 21, 2},
		}},
		{"historical, 1.1 still open", "open_issue", at("2025-04-03T00:00:00Z"), []want{
			{"release_schedule_adherence", "26w", "measure=on_time_ratio", 1, 1},
			{"release_schedule_adherence", "26w", "measure=slip_days,method=nr,quantile=0.5", -3, 1},
		}},
	}
	cfg := DefaultConfig()
	cfg.MinSample = ptr(1)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		kpitest.PutRecords(t, w, recs)
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				snap, err := Compute(ctx, w, cfg, c.asOf, ScopeFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range [][2]string{{ScopeProject, "jira/FS"}, {ScopeProgram, "Legacy programme"}, {ScopeSource, "jira"}, {ScopePortfolio, "all"}} {
					checkValues(t, snap, s[0], s[1], c.wants)
				}
				// Explain names the date used per version and why; the
				// explained versions recompute the value.
				e, err := Explain(ctx, w, cfg, "release_schedule_adherence", "project:jira/FS", c.asOf)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := WriteExplanation(&got, e, "table"); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join("testdata", "explain_release_first_seen_"+c.golden+".golden"), got.Bytes())
				counted, onTime := 0, 0
				for _, it := range e.Items {
					if it.DayCount != nil {
						counted++
						if *it.DayCount <= 0 {
							onTime++
						}
					}
				}
				if v, ok := snap.Find(ScopeProject, "jira/FS", "release_schedule_adherence", "26w", "measure=on_time_ratio"); !ok || v.Value == nil ||
					counted == 0 || *v.Value != float64(onTime)/float64(counted) {
					t.Errorf("explain lists %d on time of %d counted; on_time_ratio = %v", onTime, counted, v.Value)
				}
			})
		}
	})
}

// checkGolden compares got with the golden file at path (-update rewrites it).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from %s:\n%s\nwant:\n%s", path, got, want)
	}
}
