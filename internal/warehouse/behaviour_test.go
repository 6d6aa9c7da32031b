package warehouse_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func TestCursors(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		s := w.Sink()
		if _, ok, err := s.Cursor(ctx, "jira", "issues"); ok || err != nil {
			t.Fatalf("Cursor before SetCursor = ok %v, err %v; want not found", ok, err)
		}
		// SetCursor flushes queued records first.
		now := time.Now().UTC()
		if err := s.Put(ctx, model.Issue{Source: "jira", ID: "1", ProjectID: "p", Created: now, Updated: now}); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"2024-01-01 10:00", "2024-01-02 11:00", "it's \"quoted\""} {
			if err := s.SetCursor(ctx, "jira", "issues", v); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.Cursor(ctx, "jira", "issues")
			if err != nil || !ok || got != v {
				t.Errorf("Cursor = %q, %v, %v; want %q", got, ok, err, v)
			}
		}
		if _, ok, _ := s.Cursor(ctx, "other", "issues"); ok {
			t.Error("cursor of another source found")
		}
		got, err := w.Counts(ctx)
		if err != nil || got["issues"] != 1 {
			t.Errorf("after SetCursor, v_issues has %d rows (err %v), want the queued issue stored", got["issues"], err)
		}
	})
}

func TestDeletedIssuesHidden(t *testing.T) {
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		s := w.Sink()
		now := time.Now().UTC().Truncate(time.Second)
		var recs []model.Record
		for _, id := range []string{"1", "2", "3"} {
			recs = append(recs,
				model.Issue{Source: "jira", ID: id, ProjectID: "p", Created: now, Updated: now},
				model.Change{Source: "jira", IssueID: id, ChangeID: "c" + id, At: now, ChangeKind: model.ChangeStatus, Field: "status"},
				model.Worklog{Source: "jira", ID: "w" + id, IssueID: id, Started: now, Seconds: 60},
			)
		}
		recs = append(recs, model.Link{Source: "jira", ID: "l1", FromIssueID: "1", ToIssueID: "2", Type: "Blocks"},
			model.Link{Source: "jira", ID: "l2", FromIssueID: "1", ToIssueID: "3", Type: "Blocks"},
			// The same issue id in another source is a different issue.
			model.Issue{Source: "other", ID: "2", ProjectID: "p", Created: now, Updated: now})
		if err := s.Put(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		ids, err := s.IssueIDs(ctx, "jira", "p")
		if err != nil || !slices.Equal(ids, []string{"1", "2", "3"}) {
			t.Fatalf("IssueIDs = %v, %v", ids, err)
		}
		if err := s.Put(ctx, model.IssueDeleted{Source: "jira", IssueID: "2", IssueKey: "P-2", ProjectID: "p", At: now}); err != nil {
			t.Fatal(err)
		}
		ids, err = s.IssueIDs(ctx, "jira", "p")
		if err != nil || !slices.Equal(ids, []string{"1", "3"}) {
			t.Errorf("IssueIDs after deleting 2 = %v, %v; want [1 3]", ids, err)
		}
		got, err := w.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]uint64{"issues": 3, "changes": 2, "worklogs": 2, "issue_links": 1, "issue_deletions": 1}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("v_%s has %d rows, want %d", k, got[k], n)
			}
		}
	})
}

// TestVersionsView checks v_versions: latest observation, the first release
// date ever observed (baseline) and the first day seen released.
func TestVersionsView(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 5, d, 12, 0, 0, 0, time.UTC) }
	date := func(m time.Month, d int) *model.Date { return &model.Date{Year: 2024, Month: m, Day: d} }
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		s := w.Sink()
		obs := []model.Version{
			{Source: "jira", ID: "v1", Name: "1.0", ObservedAt: day(1)},                                                 // no date yet
			{Source: "jira", ID: "v1", Name: "1.0", ReleaseDate: date(6, 1), ObservedAt: day(2)},                        // baseline
			{Source: "jira", ID: "v1", Name: "1.0", ReleaseDate: date(6, 15), ObservedAt: day(3)},                       // slipped
			{Source: "jira", ID: "v1", Name: "1.0 final", ReleaseDate: date(6, 20), Released: true, ObservedAt: day(4)}, // released
			{Source: "jira", ID: "v1", Name: "1.0 final", ReleaseDate: date(6, 20), Released: true, ObservedAt: day(5)},
			{Source: "jira", ID: "v2", Name: "2.0", ObservedAt: day(5)},
		}
		for _, v := range obs {
			if err := s.Put(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		// Observed twice on the same day: one row for that day.
		if err := s.Put(ctx, obs[4]); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := w.Query(ctx, "SELECT id, name, release_date, released, baseline_release_date, released_on, observed_at FROM v_versions ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		type row struct {
			id, name          string
			release, baseline *time.Time
			released          bool
			releasedOn        *time.Time
			observed          time.Time
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name, &r.release, &r.released, &r.baseline, &r.releasedOn, &r.observed); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("v_versions has %d rows, want 2", len(got))
		}
		d := func(p *time.Time) string {
			if p == nil {
				return "NULL"
			}
			return p.Format(time.DateOnly)
		}
		v1, v2 := got[0], got[1]
		if v1.name != "1.0 final" || d(v1.release) != "2024-06-20" || !v1.released || d(v1.baseline) != "2024-06-01" ||
			d(v1.releasedOn) != "2024-05-04" || !v1.observed.Equal(day(5)) {
			t.Errorf("v1 = name %q release %s released %v baseline %s released_on %s observed %v", v1.name, d(v1.release), v1.released, d(v1.baseline), d(v1.releasedOn), v1.observed)
		}
		if v2.release != nil || v2.baseline != nil || v2.releasedOn != nil || v2.released {
			t.Errorf("v2 = release %s baseline %s released_on %s released %v; want NULLs", d(v2.release), d(v2.baseline), d(v2.releasedOn), v2.released)
		}
		n, err := w.Counts(ctx)
		if err != nil || n["versions"] != 2 {
			t.Errorf("Counts[versions] = %d, %v", n["versions"], err)
		}
	})
}

func TestSinkFlushesOnSizeAndAge(t *testing.T) {
	for _, engine := range whtest.Engines {
		t.Run(engine, func(t *testing.T) {
			w := whtest.Open(t, engine, func(o *warehouse.Options) {
				o.BatchSize = 10
				o.FlushInterval = 200 * time.Millisecond
			})
			ctx := context.Background()
			s := w.Sink()
			now := time.Now().UTC()
			for i := range 25 {
				if err := s.Put(ctx, model.Status{Source: "jira", ID: string(rune('A' + i)), Name: "s", Category: model.CategoryNew}); err != nil {
					t.Fatal(err)
				}
			}
			_ = now
			if n := s.Written()[model.KindStatus]; n != 20 {
				t.Errorf("after 25 puts with batch size 10, %d written; want 20", n)
			}
			deadline := time.Now().Add(5 * time.Second)
			for s.Written()[model.KindStatus] != 25 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if n := s.Written()[model.KindStatus]; n != 25 {
				t.Errorf("the age flush did not write the last 5 records: %d written", n)
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, model.Status{Source: "jira", ID: "z"}); err == nil {
				t.Error("Put after Close succeeded")
			}
		})
	}
}
