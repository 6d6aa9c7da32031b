package warehouse_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func ptr[T any](v T) *T { return &v }

// TestTypeRoundTrip stores awkward values through the sink and reads them
// back through the views on both engines.
func TestTypeRoundTrip(t *testing.T) {
	tricky := []string{
		"", "plain", "O'Brien \"quoted\"", `back\slash \n not a newline`, "tab\there\nnewline\r\n",
		"Ünïcödé — 日本語 — emoji 🚀", "nul\x00byte", "'; DROP TABLE issues; --", "?", "\\'",
	}
	// A time in a non-UTC zone must come back as the same instant in UTC.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 3, 31, 2, 30, 0, 0, time.FixedZone("+0530", 5*3600+1800))
	updated := time.Date(2024, 10, 27, 2, 59, 59, 0, berlin)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		var recs []model.Record
		for i, s := range tricky {
			iss := model.Issue{
				Source: "src", ID: string(rune('a' + i)), Key: s, Summary: s, ProjectID: "p",
				Created: created, Updated: updated, Labels: []string{s, "x"},
			}
			if i%2 == 0 { // every other issue has its optional values set
				iss.Resolved = ptr(updated.Add(time.Hour))
				iss.DueDate = &model.Date{Year: 2024, Month: time.February, Day: 29}
				iss.StoryPoints = ptr(0.5)
				iss.OriginalEstimateSeconds = ptr(int64(0)) // zero is not NULL
				iss.Flagged = true
			}
			recs = append(recs, iss)
		}
		if err := w.Sink().Put(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		if err := w.Sink().Flush(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := w.Query(ctx, `SELECT id, key, summary, labels, created, updated, resolved, due_date,
			story_points, original_estimate_seconds, time_spent_seconds, flagged FROM v_issues ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, key, summary string
			var labels []string
			var c, u time.Time
			var resolved, due *time.Time
			var sp *float64
			var est, spent *int64
			var flagged bool
			if err := rows.Scan(&id, &key, &summary, &labels, &c, &u, &resolved, &due, &sp, &est, &spent, &flagged); err != nil {
				t.Fatal(err)
			}
			i := int(id[0] - 'a')
			want := tricky[i]
			if key != want || summary != want || !slices.Equal(labels, []string{want, "x"}) {
				t.Errorf("issue %s: strings came back as %q %q %q, want %q", id, key, summary, labels, want)
			}
			if !c.Equal(created) || c.Location() != time.UTC || !u.Equal(updated) {
				t.Errorf("issue %s: times came back as %v %v, want %v %v (UTC)", id, c, u, created.UTC(), updated.UTC())
			}
			if spent != nil {
				t.Errorf("issue %s: time_spent_seconds = %d, want NULL", id, *spent)
			}
			if i%2 == 0 {
				if resolved == nil || !resolved.Equal(updated.Add(time.Hour)) || due == nil || due.Format(time.DateOnly) != "2024-02-29" ||
					sp == nil || *sp != 0.5 || est == nil || *est != 0 || !flagged {
					t.Errorf("issue %s: optional values came back as %v %v %v %v %v", id, resolved, due, sp, est, flagged)
				}
			} else if resolved != nil || due != nil || sp != nil || est != nil || flagged {
				t.Errorf("issue %s: unset values came back as %v %v %v %v %v, want NULLs", id, resolved, due, sp, est, flagged)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != len(tricky) {
			t.Errorf("read %d issues, want %d", n, len(tricky))
		}

		// Bound arguments: the same tricky strings find their rows.
		for _, s := range tricky {
			rows, err := w.Query(ctx, "SELECT count() FROM v_issues WHERE key = ? AND has(labels, ?) AND created = ?", s, s, created)
			if err != nil {
				t.Fatal(err)
			}
			var c int64
			for rows.Next() {
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
			if c != 1 {
				t.Errorf("binding %q found %d rows, want 1", s, c)
			}
		}

		// Scalars, arrays, NULLs and numbers straight from SQL.
		rows2, err := w.Query(ctx, `SELECT toUInt64(18446744073709551615), toInt64(-5), toFloat64(1.25), [1.5, 2.5], [toInt64(1), 2],
			CAST(NULL AS Nullable(String)), CAST('s' AS Nullable(String)), toDate('2024-12-31'), ?, ?`, []string{"a'b", ""}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rows2.Close()
		if !rows2.Next() {
			t.Fatal(rows2.Err())
		}
		var (
			u64      uint64
			i64      int64
			f        float64
			fs       []float64
			is       []int64
			ns1, ns2 *string
			d        time.Time
			arr      []string
			null     *int64
		)
		if err := rows2.Scan(&u64, &i64, &f, &fs, &is, &ns1, &ns2, &d, &arr, &null); err != nil {
			t.Fatal(err)
		}
		if u64 != math.MaxUint64 || i64 != -5 || f != 1.25 || !slices.Equal(fs, []float64{1.5, 2.5}) || !slices.Equal(is, []int64{1, 2}) ||
			ns1 != nil || ns2 == nil || *ns2 != "s" || d.Format(time.DateOnly) != "2024-12-31" || !slices.Equal(arr, []string{"a'b", ""}) || null != nil {
			t.Errorf("scalars came back as %v %v %v %v %v %v %v %v %q %v", u64, i64, f, fs, is, ns1, ns2, d, arr, null)
		}
	})
}
