package kpi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

var benchBase = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// synth generates n issues over a year in n/1000 projects (5 programs), with
// status histories (done, in progress, to do, reopened, skipped, discarded),
// story points, and two-week sprints per project board. Deterministic.
func synth(n int) []model.Record {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	const src = "jira"
	sts := []model.Status{{Source: src, ID: "1", Name: "To Do", Category: model.CategoryNew},
		{Source: src, ID: "3", Name: "In Progress", Category: model.CategoryIndeterminate},
		{Source: src, ID: "4", Name: "In Review", Category: model.CategoryIndeterminate},
		{Source: src, ID: "5", Name: "Done", Category: model.CategoryDone}}
	var out []model.Record
	for _, s := range sts {
		out = append(out, s)
	}
	projects := max(1, n/1000)
	const sprintDays = 14
	nSprints := 365 / sprintDays
	for p := range projects {
		pid := strconv.Itoa(p + 1)
		out = append(out, model.Project{Source: src, ID: pid, Key: fmt.Sprintf("P%d", p+1), Name: "project " + pid, Category: fmt.Sprintf("program-%d", p%5)},
			model.Board{Source: src, ID: pid, Name: "board " + pid, Type: "scrum", ProjectID: pid})
		for s := range nSprints {
			start := benchBase.AddDate(0, 0, s*sprintDays).Add(9 * time.Hour)
			end := start.AddDate(0, 0, sprintDays-3)
			sp := model.Sprint{Source: src, ID: fmt.Sprintf("%d-%d", p+1, s), BoardID: pid, Name: fmt.Sprintf("P%d S%d", p+1, s), State: "closed",
				Start: &start, Activated: &start, End: &end, Complete: &end}
			out = append(out, sp)
		}
	}
	types := []string{"Story", "Story", "Task", "Bug"}
	for i := range n {
		p := i % projects
		id := strconv.Itoa(i + 1)
		created := benchBase.Add(time.Duration(r.IntN(330*24)) * time.Hour)
		iss := model.Issue{Source: src, ID: id, Key: fmt.Sprintf("P%d-%d", p+1, i+1), ProjectID: strconv.Itoa(p + 1), ProjectKey: fmt.Sprintf("P%d", p+1),
			Type: types[r.IntN(len(types))], TypeClass: model.TypeStandard, Created: created, Priority: "Medium"}
		if r.IntN(10) < 8 {
			sp := float64(1 + r.IntN(8))
			iss.StoryPoints = &sp
		}
		if r.IntN(10) < 7 {
			iss.AssigneeID = "u" + strconv.Itoa(r.IntN(50))
		}
		t := created
		cur := sts[0]
		item := 0
		move := func(to model.Status, after time.Duration) {
			t = t.Add(after)
			out = append(out, model.Change{Source: src, IssueID: id, ChangeID: strconv.Itoa(item), At: t, Field: "status", FieldID: "status",
				From: cur.ID, To: to.ID, FromString: cur.Name, ToString: to.Name, FromCategory: cur.Category, ToCategory: to.Category})
			cur = to
			item++
		}
		hours := func(max int) time.Duration { return time.Duration(1+r.IntN(max)) * time.Hour }
		fate := r.IntN(100)
		switch {
		case fate < 60: // done
			move(sts[1], hours(200))
			move(sts[2], hours(100))
			move(sts[3], hours(50))
			if r.IntN(20) == 0 { // reopened and done again
				move(sts[1], hours(100))
				move(sts[3], hours(50))
			}
		case fate < 65: // skipped In Progress
			move(sts[3], hours(300))
		case fate < 70: // discarded
			move(sts[3], hours(300))
			iss.Resolution = "Won't Do"
		case fate < 85: // in progress
			move(sts[1], hours(300))
		}
		if cur.Category == model.CategoryDone && iss.Resolution == "" {
			iss.Resolution = "Done"
		}
		// Sprint membership: the sprint in which the item started.
		if fate < 85 && r.IntN(2) == 0 {
			s := int(created.Sub(benchBase).Hours()/24) / sprintDays
			if s < nSprints {
				sid := fmt.Sprintf("%d-%d", p+1, s)
				out = append(out, model.Change{Source: src, IssueID: id, ChangeID: "sp", At: created.Add(time.Hour), Field: "Sprint", FieldID: "customfield_10020", To: sid})
				iss.SprintIDs = []string{sid}
			}
		}
		iss.StatusID, iss.Status, iss.StatusCategory = cur.ID, cur.Name, cur.Category
		iss.Updated = t
		out = append(out, iss)
	}
	return out
}

// BenchmarkSnapshot measures the full snapshot (every KPI, every scope) at
// 100k issues (1M with KPI_BENCH_1M=1) on the embedded engine, and in the
// same run one plain aggregate scan over the same tables as the floor; it
// reports the ratio snapshot/floor as x_floor.
func BenchmarkSnapshot(b *testing.B) {
	if os.Getenv("KPI_DEBUG") != "" {
		slog.SetLogLoggerLevel(slog.LevelDebug)
	}
	sizes := []int{100_000}
	if os.Getenv("KPI_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("issues=%dk", n/1000), func(b *testing.B) {
			w := whtest.Open(b, "chdb")
			kpitest.PutRecords(b, w, synth(n))
			ctx := context.Background()
			asOf := benchBase.AddDate(0, 0, 365)
			floor := func() {
				for _, q := range []string{
					"SELECT project_key, count(), countIf(status_category = 'done'), max(updated) FROM v_issues GROUP BY project_key",
					"SELECT source, count(), max(at), uniqExact(issue_id) FROM v_changes GROUP BY source",
				} {
					rows, err := w.Query(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
					}
					rows.Close()
				}
			}
			cfg := DefaultConfig()
			var floorDur, snapDur time.Duration
			var values int
			for b.Loop() {
				t0 := time.Now()
				floor()
				t1 := time.Now()
				s, err := Compute(ctx, w, cfg, asOf, ScopeFilter{})
				if err != nil {
					b.Fatal(err)
				}
				floorDur += t1.Sub(t0)
				snapDur += time.Since(t1)
				values = len(s.Values)
				if len(s.Checks) > 0 {
					b.Fatalf("failed checks: %v", s.Checks[:min(3, len(s.Checks))])
				}
			}
			b.ReportMetric(float64(snapDur.Milliseconds())/float64(b.N), "snapshot_ms/op")
			b.ReportMetric(float64(floorDur.Milliseconds())/float64(b.N), "floor_ms/op")
			b.ReportMetric(float64(snapDur)/float64(floorDur), "x_floor")
			b.ReportMetric(float64(values), "values")
			_ = warehouse.EngineChDB
		})
	}
}
