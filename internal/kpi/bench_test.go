package kpi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"syscall"
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
// story points, and two-week sprints per project board; for the part-2 KPIs
// also six versions per project (observed before and at release), fix
// versions, due dates and their changes, original estimates, worklogs,
// blocking links and risks. Deterministic.
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
	// Versions: one every 60 days per project, planned 45 days after its
	// start; those due before the end of the data are released 0–20 days
	// late. Observed at start and (if released) on the release day.
	const nVersions = 6
	dataEnd := benchBase.AddDate(0, 0, 330)
	date := func(t time.Time) *model.Date { return &model.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()} }
	for p := range projects {
		pid := strconv.Itoa(p + 1)
		for v := range nVersions {
			start := benchBase.AddDate(0, 0, v*60)
			planned := start.AddDate(0, 0, 45)
			ver := model.Version{Source: src, ID: fmt.Sprintf("%d-v%d", p+1, v), ProjectID: pid, Name: fmt.Sprintf("%d.%d", 1+v/4, v%4),
				StartDate: date(start), ReleaseDate: date(planned), ObservedAt: start.Add(time.Hour)}
			out = append(out, ver)
			if actual := planned.AddDate(0, 0, r.IntN(21)); actual.Before(dataEnd) {
				ver.Released, ver.ObservedAt = true, actual.Add(20*time.Hour)
				out = append(out, ver)
			}
		}
	}
	types := []string{"Story", "Story", "Task", "Bug"}
	wl := 0
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
		if r.IntN(200) == 0 {
			iss.Type = "Risk"
			iss.Priority = []string{"Highest", "High", "Medium", "Low"}[r.IntN(4)]
		}
		if v := int(created.Sub(benchBase).Hours()/24) / 60; v < nVersions && r.IntN(10) < 6 {
			iss.FixVersionIDs = []string{fmt.Sprintf("%d-v%d", p+1, v)}
		}
		if r.IntN(10) < 4 {
			due := created.AddDate(0, 0, 10+r.IntN(30))
			iss.DueDate = date(due)
			if r.IntN(4) == 0 { // re-planned once
				out = append(out, model.Change{Source: src, IssueID: id, ChangeID: "due", At: created.Add(48 * time.Hour), ChangeKind: model.ChangeDueDate, Field: "duedate", FieldID: "duedate",
					From: due.AddDate(0, 0, -7).Format(time.DateOnly), To: due.Format(time.DateOnly)})
			}
		}
		var estimate int64
		if r.IntN(2) == 0 {
			estimate = int64(1+r.IntN(16)) * 3600
			iss.OriginalEstimateSeconds = &estimate
		}
		if r.IntN(50) == 0 && i > 0 {
			out = append(out, model.Link{Source: src, ID: "l" + id, TypeID: "10000", Type: "Blocks", Outward: "blocks", Inward: "is blocked by",
				FromIssueID: strconv.Itoa(1 + r.IntN(i)), ToIssueID: id, ObservedAt: created})
		}
		t := created
		cur := sts[0]
		item := 0
		move := func(to model.Status, after time.Duration) {
			t = t.Add(after)
			out = append(out, model.Change{Source: src, IssueID: id, ChangeID: strconv.Itoa(item), At: t, ChangeKind: model.ChangeStatus, Field: "status", FieldID: "status",
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
				out = append(out, model.Change{Source: src, IssueID: id, ChangeID: "sp", At: created.Add(time.Hour), ChangeKind: model.ChangeSprint, Field: "Sprint", FieldID: "customfield_10020", To: sid})
				iss.SprintIDs = []string{sid}
			}
		}
		if cur.Category == model.CategoryDone && estimate > 0 && iss.AssigneeID != "" { // time logged while in progress
			var spent int64
			for k := range 1 + r.IntN(3) {
				sec := estimate * int64(5+r.IntN(10)) / 30
				at := t.Add(-time.Duration(k+1) * time.Hour)
				wl++
				out = append(out, model.Worklog{Source: src, ID: strconv.Itoa(wl), IssueID: id, AuthorID: iss.AssigneeID, Author: iss.AssigneeID,
					Started: at, Seconds: sec, Created: at, Updated: at})
				spent += sec
			}
			iss.TimeSpentSeconds = &spent
		}
		iss.StatusID, iss.Status, iss.StatusCategory = cur.ID, cur.Name, cur.Category
		iss.Updated = t
		out = append(out, iss)
	}
	return out
}

// benchConfig is the KPI configuration of the snapshot benchmark at n
// issues: defaults, a ready status, a capacity calendar and agile EVM for
// every tenth project.
func benchConfig(tb testing.TB, n int) Config {
	cfg := DefaultConfig()
	cfg.ReadyStatusIDs = []string{"1"}
	cfg.Capacity = &Capacity{WorkingDays: []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, HoursPerDay: 8, FTE: 1}
	for p := 0; p < max(1, n/1000); p += 10 { // AgileEVM for every tenth project
		cfg.Scopes = append(cfg.Scopes, ScopeConfig{Kind: ScopeProject, Name: fmt.Sprintf("P%d", p+1),
			EVM: &EVM{Mode: "agile", BAC: 500000, PlannedReleasePoints: 1200, PlannedSprints: 26, SprintsCompleted: 20}})
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		tb.Fatal(errs)
	}
	return cfg
}

// BenchmarkSnapshot measures the full snapshot (every KPI, every scope) at
// 100k issues (1M with KPI_BENCH_1M=1) on the embedded engine, and in the
// same run one plain aggregate scan over the same tables as the floor; it
// reports the ratio snapshot/floor as x_floor, and in CPU time (the
// process's: the engine is embedded) as x_floor_cpu, which a busy machine
// disturbs less than the wall clock. The loaded warehouse is
// settled first (warehouse.Optimize: its parts merged, as a warehouse at
// rest has them, and flushed to disk).
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
			// Time the queries on a warehouse at rest, not the background
			// merges of the load (both the floor and the snapshot).
			if err := w.Optimize(ctx); err != nil {
				b.Fatal(err)
			}
			// At rest also means written: the load's gigabytes are flushed
			// to disk before the clock starts, so that the snapshot's
			// temporary tables do not wait behind their write-back.
			syscall.Sync()
			runtime.GC() // and the load's garbage collected
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
			cfg := benchConfig(b, n)
			// Wall time and CPU time (user + system of the process: the
			// engine is embedded): on a shared machine the CPU ratio is the
			// steadier of the two.
			var floorDur, snapDur, floorCPU, snapCPU time.Duration
			var values int
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				floor()
				t1, c1 := time.Now(), cpuTime()
				s, err := Compute(ctx, w, cfg, asOf, ScopeFilter{})
				if err != nil {
					b.Fatal(err)
				}
				floorDur += t1.Sub(t0)
				snapDur += time.Since(t1)
				floorCPU += c1 - c0
				snapCPU += cpuTime() - c1
				values = len(s.Values)
				if len(s.Checks) > 0 {
					b.Fatalf("failed checks: %v", s.Checks[:min(3, len(s.Checks))])
				}
			}
			b.ReportMetric(float64(snapDur.Milliseconds())/float64(b.N), "snapshot_ms/op")
			b.ReportMetric(float64(floorDur.Milliseconds())/float64(b.N), "floor_ms/op")
			b.ReportMetric(float64(snapDur)/float64(floorDur), "x_floor")
			b.ReportMetric(float64(snapCPU.Milliseconds())/float64(b.N), "snapshot_cpu_ms/op")
			b.ReportMetric(float64(snapCPU)/float64(max(floorCPU, time.Millisecond)), "x_floor_cpu")
			b.ReportMetric(float64(values), "values")
			_ = warehouse.EngineChDB
		})
	}
}
