package kpi

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// histIssue is an issue of the history fixture: a Task (or sub-task) of
// project H (or O) created 2025-02-01, started and done at the given
// instants (To Do → In Progress → Done), with its changelog of due dates,
// original estimates and links, and its worklogs.
type histIssue struct {
	key, parent string
	sub         bool
	start, done string // "MM-DDTHH" in 2025, UTC; "" = never
	due         string // current due date, YYYY-MM-DD
	estH        float64
	dueChanges  [][3]string // at, from, to (Jira: "2025-03-10" or "")
	estChanges  [][3]string // at, from, to (seconds as strings)
	linkChanges [][3]string // at, from key, to key; text per side below
	linkText    string      // "is blocked by" or "blocks"
	worklogs    []float64   // hours, logged 03-05 unless negative: then 04-02 (after as_of)
}

func histTime(t *testing.T, s string) time.Time {
	t.Helper()
	x, err := time.Parse("2006-01-02T15", "2025-"+s)
	if err != nil {
		x, err = time.Parse(time.DateOnly, "2025-"+s)
	}
	if err != nil {
		t.Fatalf("fixture instant %q: %v", s, err)
	}
	return x.UTC()
}

func histRecords(t *testing.T, issues []histIssue, links [][2]string) []model.Record {
	t.Helper()
	todo := model.Status{Source: "jira", ID: "1", Name: "To Do", Category: model.CategoryNew}
	prog := model.Status{Source: "jira", ID: "3", Name: "In Progress", Category: model.CategoryIndeterminate}
	done := model.Status{Source: "jira", ID: "5", Name: "Done", Category: model.CategoryDone}
	recs := []model.Record{todo, prog, done,
		model.Project{Source: "jira", ID: "900", Key: "H", Name: "History"},
		model.Project{Source: "jira", ID: "901", Key: "O", Name: "Other"}}
	created := time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
	for _, h := range issues {
		id := kpitest.IssueID(h.key)
		pkey, pid := "H", "900"
		if h.key[0] == 'O' {
			pkey, pid = "O", "901"
		}
		is := model.Issue{Source: "jira", ID: id, Key: h.key, ProjectID: pid, ProjectKey: pkey, Summary: h.key,
			TypeID: "Task", Type: "Task", TypeClass: model.TypeStandard, StatusID: todo.ID, Status: todo.Name, StatusCategory: todo.Category,
			Created: created, Updated: created}
		if h.sub {
			is.TypeID, is.Type, is.TypeClass = "Sub-task", "Sub-task", model.TypeSubtask
		}
		if h.parent != "" {
			is.ParentID, is.ParentKey = kpitest.IssueID(h.parent), h.parent
		}
		change := func(n int, at time.Time, field, fieldID, from, to, fromS, toS string) model.Change {
			kinds := map[string]model.ChangeKind{"status": model.ChangeStatus, "duedate": model.ChangeDueDate,
				"timeoriginalestimate": model.ChangeOriginalEstimate, "Link": model.ChangeLink}
			return model.Change{Source: "jira", IssueID: id, ChangeID: fmt.Sprintf("%s-%s-%d", h.key, fieldID+field, n), At: at,
				ChangeKind: cmp.Or(kinds[field], model.ChangeOther), Field: field, FieldID: fieldID, FieldType: "jira", From: from, To: to, FromString: fromS, ToString: toS}
		}
		if h.start != "" {
			c := change(0, histTime(t, h.start), "status", "status", todo.ID, prog.ID, todo.Name, prog.Name)
			c.FromCategory, c.ToCategory = todo.Category, prog.Category
			recs = append(recs, c)
			is.StatusID, is.Status, is.StatusCategory = prog.ID, prog.Name, prog.Category
		}
		if h.done != "" {
			c := change(1, histTime(t, h.done), "status", "status", prog.ID, done.ID, prog.Name, done.Name)
			c.FromCategory, c.ToCategory = prog.Category, done.Category
			recs = append(recs, c)
			is.StatusID, is.Status, is.StatusCategory = done.ID, done.Name, done.Category
			is.Resolution, is.ResolutionID = "Done", "Done"
		}
		if h.due != "" {
			d, err := time.Parse(time.DateOnly, h.due)
			if err != nil {
				t.Fatal(err)
			}
			is.DueDate = &model.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
		}
		if h.estH > 0 {
			s := int64(h.estH * 3600)
			is.OriginalEstimateSeconds = &s
		}
		for i, c := range h.dueChanges {
			str := func(s string) string {
				if s == "" {
					return ""
				}
				return s + " 00:00:00.0"
			}
			recs = append(recs, change(i, histTime(t, c[0]), "duedate", "duedate", c[1], c[2], str(c[1]), str(c[2])))
		}
		for i, c := range h.estChanges {
			recs = append(recs, change(i, histTime(t, c[0]), "timeoriginalestimate", "timeoriginalestimate", c[1], c[2], c[1], c[2]))
		}
		for i, c := range h.linkChanges {
			// Link items carry no fieldId; from/to are the other issue's key.
			x := change(i, histTime(t, c[0]), "Link", "", c[1], c[2], "", "")
			if c[1] != "" {
				x.FromString = "This issue " + h.linkText + " " + c[1]
			}
			if c[2] != "" {
				x.ToString = "This issue " + h.linkText + " " + c[2]
			}
			recs = append(recs, x)
		}
		for i, hrs := range h.worklogs {
			at := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
			if hrs < 0 {
				at, hrs = time.Date(2025, 4, 2, 10, 0, 0, 0, time.UTC), -hrs
			}
			recs = append(recs, model.Worklog{Source: "jira", ID: h.key + "-w" + strconv.Itoa(i), IssueID: id, AuthorID: "alice", Author: "alice",
				Started: at, Seconds: int64(hrs * 3600), Created: at, Updated: at})
		}
		recs = append(recs, is)
	}
	for i, l := range links { // blocker, blocked
		recs = append(recs, model.Link{Source: "jira", ID: fmt.Sprintf("hl%d", i), TypeID: "10000", Type: "Blocks", Outward: "blocks", Inward: "is blocked by",
			FromIssueID: kpitest.IssueID(l[0]), ToIssueID: kpitest.IssueID(l[1]), ObservedAt: time.Date(2025, 4, 20, 0, 0, 0, 0, time.UTC)})
	}
	return recs
}

// TestHistoryReplay checks that P1, P3 and K3 use the values in force at
// the relevant instant, replayed from the changelog, at as_of 2025-04-01
// (tz UTC, window 4w = [03-04, 04-01)).
//
// P1 (done in W; default = due date at done_at, baseline = first non-null):
//
//	H-1 due set 03-01 to 03-10, moved 03-12 to 03-20, done 03-15: on time (03-20); baseline 03-10 → 5 late; 1 change
//	H-2 due 03-10, moved 03-20 (after done) to 03-25, done 03-15: late 5 (03-10, not the current 03-25); baseline 03-10 → 5; 1 change
//	H-3 due 03-31 never changed, done 03-30: on time both; 0 changes
//	H-4 due 03-05, moved 04-05 (after as_of) to 04-10, done 03-20: late 15 both; the change is after as_of → 0 changes
//
// default on_time 2/4 = 0.5, late 2, lateness [5, 15]: NR P50 x[⌈1⌉] = 5, P85 x[⌈1.7⌉] = 15;
// baseline_due on_time 1/4 = 0.25, late 3, changes 2, lateness [5, 5, 15]: NR P50 x[⌈1.5⌉] = 5, P85 x[⌈2.55⌉] = 15.
//
// P3 (r = spent / original estimate at started_at, sub-tasks rolled up):
//
//	H-5 estimate 8 h at start 03-02, edited 03-05 to 10 h; 10 h logged → r = 10/8 = 1.25 (not 1.0)
//	H-6 no estimate; sub-tasks H-7 (4 h, logged 3 h) and H-8 (2 h when H-6 started 03-03, edited
//	    03-10 to 5 h; logged 3 h, and 5 h on 04-02 after as_of) → spent 6 h, estimate 4 + 2 = 6 h, r = 1.0
//	H-9 estimate 4 h, logged 1 h; sub-task H-10 (8 h, ignored: the parent has an estimate) logged 2 h → r = 3/4 = 0.75
//
// median (R7) of [0.75, 1, 1.25] = 1.0; ratio of sums (10 + 6 + 3) / (8 + 6 + 4) = 19/18; within [0.8, 1.25]: 2/3.
//
// K3 (open flow items of H: H-11…H-17, H-19 = 8; H-18 is done):
//
//	H-11 In Progress, blocked by H-12 (link added 03-10, Link items on both sides)  → blocked, 22 days
//	H-13 blocked by H-14, link added 04-05 (after as_of)                              → not blocked
//	H-15 blocked by H-14, link added 03-01 and removed 03-20 (the link row remains)   → not blocked
//	H-16 blocked by H-14, added 03-01, removed 04-10: no link row, changelog only     → blocked, 31 days
//	H-17 blocked by H-18, done 03-25 (no Link items: the current link counts)         → not blocked
//	H-19 In Progress, blocked by O-1 of project O (no Link items)                     → blocked, since unknown
//
// ratio 3/8 = 0.375; WIP variant {H-11, H-19} both blocked → 1.0; cross-project share 1/3;
// blocked days (known since) [22, 31]: NR P50 = 22, P85 = 31 (n = 2).
func TestHistoryReplay(t *testing.T) {
	issues := []histIssue{
		{key: "H-1", start: "03-02T09", done: "03-15T12", due: "2025-03-20",
			dueChanges: [][3]string{{"03-01T10", "", "2025-03-10"}, {"03-12T10", "2025-03-10", "2025-03-20"}}},
		{key: "H-2", start: "03-02T09", done: "03-15T12", due: "2025-03-25",
			dueChanges: [][3]string{{"03-20T10", "2025-03-10", "2025-03-25"}}},
		{key: "H-3", start: "03-02T09", done: "03-30T12", due: "2025-03-31"},
		{key: "H-4", start: "03-02T09", done: "03-20T12", due: "2025-04-10",
			dueChanges: [][3]string{{"04-05T10", "2025-03-05", "2025-04-10"}}},

		{key: "H-5", start: "03-02T09", done: "03-10T12", estH: 10, worklogs: []float64{10},
			estChanges: [][3]string{{"03-01T10", "", "28800"}, {"03-05T10", "28800", "36000"}}},
		{key: "H-6", start: "03-03T09", done: "03-20T12"},
		{key: "H-7", sub: true, parent: "H-6", start: "03-04T09", done: "03-10T12", estH: 4, worklogs: []float64{3}},
		{key: "H-8", sub: true, parent: "H-6", start: "03-04T09", done: "03-10T12", estH: 5, worklogs: []float64{3, -5},
			estChanges: [][3]string{{"03-10T10", "7200", "18000"}}},
		{key: "H-9", start: "03-03T09", done: "03-20T12", estH: 4, worklogs: []float64{1}},
		{key: "H-10", sub: true, parent: "H-9", estH: 8, worklogs: []float64{2}},

		{key: "H-11", start: "03-05T09", linkText: "is blocked by", linkChanges: [][3]string{{"03-10T00", "", "H-12"}}},
		{key: "H-12", linkText: "blocks", linkChanges: [][3]string{{"03-10T00", "", "H-11"}}},
		{key: "H-13", linkText: "is blocked by", linkChanges: [][3]string{{"04-05T00", "", "H-14"}}},
		{key: "H-14"},
		{key: "H-15", linkText: "is blocked by", linkChanges: [][3]string{{"03-01T00", "", "H-14"}, {"03-20T00", "H-14", ""}}},
		{key: "H-16", linkText: "is blocked by", linkChanges: [][3]string{{"03-01T00", "", "H-14"}, {"04-10T00", "H-14", ""}}},
		{key: "H-17"},
		{key: "H-18", start: "03-05T09", done: "03-25T12"},
		{key: "H-19", start: "03-05T09"},
		{key: "O-1"},
	}
	links := [][2]string{{"H-12", "H-11"}, {"H-14", "H-13"}, {"H-14", "H-15"}, {"H-18", "H-17"}, {"O-1", "H-19"}}
	recs := histRecords(t, issues, links)
	asOf := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		kpitest.PutRecords(t, w, recs)
		snap, err := Compute(context.Background(), w, exampleCConfig(), asOf, ScopeFilter{Kind: ScopeProject, Name: "H"})
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, snap, ScopeProject, "jira/H", []want{
			{"due_date_adherence", "4w", "measure=on_time_ratio", 0.5, 4},
			{"due_date_adherence", "4w", "measure=late", 2, 4},
			{"due_date_adherence", "4w", "measure=lateness,method=nr,quantile=0.5,unit=dc", 5, 2},
			{"due_date_adherence", "4w", "measure=lateness,method=nr,quantile=0.85,unit=dc", 15, 2},
			{"due_date_adherence", "4w", "measure=on_time_ratio,variant=baseline_due", 0.25, 4},
			{"due_date_adherence", "4w", "measure=late,variant=baseline_due", 3, 4},
			{"due_date_adherence", "4w", "measure=due_date_changes,variant=baseline_due", 2, 4},
			{"due_date_adherence", "4w", "measure=lateness,method=nr,quantile=0.5,unit=dc,variant=baseline_due", 5, 3},
			{"due_date_adherence", "4w", "measure=lateness,method=nr,quantile=0.85,unit=dc,variant=baseline_due", 15, 3},

			{"estimation_accuracy", "4w", "measure=median", 1.0, 3},
			{"estimation_accuracy", "4w", "measure=ratio_of_sums", 19.0 / 18, 3},
			{"estimation_accuracy", "4w", "measure=within_band", 2.0 / 3, 3},

			{"blocked_ratio", "snapshot", "measure=ratio", 3.0 / 8, 8},
			{"blocked_ratio", "snapshot", "measure=ratio,variant=wip", 1.0, 2},
			{"blocked_ratio", "snapshot", "measure=cross_project_share", 1.0 / 3, 3},
			{"blocked_ratio", "snapshot", "measure=blocked_days,method=nr,quantile=0.5,unit=days", 22, 2},
			{"blocked_ratio", "snapshot", "measure=blocked_days,method=nr,quantile=0.85,unit=days", 31, 2},
		})
		// pmo kpi explain lists the replayed values behind the numbers.
		roles := map[string]map[string]string{
			"due_date_adherence": {
				"H-1": "on time (due 2025-03-20); baseline_due: late 5 d (due 2025-03-10), 1 due-date change(s)",
				"H-2": "late 5 d (due 2025-03-10); baseline_due: late 5 d (due 2025-03-10), 1 due-date change(s)",
				"H-4": "late 15 d (due 2025-03-05); baseline_due: late 15 d (due 2025-03-05), 0 due-date change(s)",
			},
			"estimation_accuracy": {
				"H-5": "counted: spent 10.00 h (sub-tasks 0.00 h) / estimate at start 8.00 h = 1.250",
				"H-6": "counted: spent 6.00 h (sub-tasks 6.00 h) / estimate of the sub-tasks 6.00 h = 1.000",
				"H-1": "excluded: no time spent",
			},
			"blocked_ratio": {
				"H-11": "open (indeterminate), blocked",
				"H-13": "open (new), not blocked",
				"H-15": "open (new), not blocked",
				"H-16": "open (new), blocked",
				"H-19": "open (indeterminate), blocked (blocker in another project)",
			},
		}
		for kpi, want := range roles {
			e, err := Explain(context.Background(), w, exampleCConfig(), kpi, "project:H", asOf)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, it := range e.Items {
				got[it.Key] = it.Role
			}
			for k, r := range want {
				if got[k] != r {
					t.Errorf("explain %s: %s role %q, want %q", kpi, k, got[k], r)
				}
			}
		}
	})
}
