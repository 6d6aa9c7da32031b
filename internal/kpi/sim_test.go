package kpi

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/jira/jiratest"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestSimulatorEveryProject collects the Jira simulator's organisation with
// the real collector and checks that the full catalog computes for every
// project and every program (every non-sprint KPI has values there, and
// every KPI has a non-NULL value somewhere), and that the C8 invariant holds
// for every closed sprint. The configuration adds what trackers do not hold:
// a capacity calendar, a ready status and AgileEVM inputs per project.
// 2,000 issues by default; PMO_KPI_SIM_ISSUES=100000 runs the issue's 100k
// check.
func TestSimulatorEveryProject(t *testing.T) {
	issues := 2000
	if v := os.Getenv("PMO_KPI_SIM_ISSUES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("PMO_KPI_SIM_ISSUES=%q: want a number of issues", v)
		}
		issues = n
	}
	if testing.Short() {
		t.Skip("collects a simulated Jira organisation; skipped with -short")
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		sim, cfg := jiratest.Collect(t, w, jirasim.Config{Mode: jirasim.Cloud, Issues: issues, Seed: 7})
		sc := sim.Config()
		asOf := sc.Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		kc := DefaultConfig()
		kc.ReadyStatusIDs = []string{"10101"}
		kc.Capacity = &Capacity{WorkingDays: []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, HoursPerDay: 8, FTE: 1}
		for _, key := range cfg.Projects {
			kc.Scopes = append(kc.Scopes, ScopeConfig{Kind: ScopeProject, Name: key,
				EVM: &EVM{Mode: "agile", BAC: 250000, PlannedReleasePoints: 400, PlannedSprints: 10, SprintsCompleted: 5, HourlyRate: 90}})
		}
		if errs := kc.Validate(); len(errs) > 0 {
			t.Fatal(errs)
		}
		t0 := time.Now()
		snap, err := Compute(ctx, w, kc, asOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d issues: %d values in %s", issues, len(snap.Values), time.Since(t0).Round(time.Millisecond))
		if len(snap.Checks) > 0 {
			t.Errorf("%d failed checks, e.g. %s", len(snap.Checks), snap.Checks[0])
		}
		// Every non-sprint KPI of the catalog has values for every project
		// and program; every KPI has a non-NULL value in some project.
		has := map[string]map[string]bool{}
		nonNull := map[string]int{}
		for _, v := range snap.Values {
			if v.ScopeKind != ScopeProject && v.ScopeKind != ScopeProgram {
				continue
			}
			k := v.ScopeKind + " " + v.Scope
			if has[k] == nil {
				has[k] = map[string]bool{}
			}
			has[k][v.KPI] = true
			if v.Value != nil && v.ScopeKind == ScopeProject {
				nonNull[v.KPI]++
			}
		}
		projects, programs := 0, 0
		sprintProjects := 0
		for scope, kpis := range has {
			if strings.HasPrefix(scope, ScopeProject) {
				projects++
			} else {
				programs++
			}
			for _, d := range Catalog {
				if d.Group != "Sprint" && !kpis[d.ID] {
					t.Errorf("%s: no %s value", scope, d.ID)
				}
			}
			if kpis["sprint_carryover"] {
				sprintProjects++
			}
		}
		if projects < 2 || programs < 1 {
			t.Fatalf("values for %d projects and %d programs; want every simulated project and program", projects, programs)
		}
		for _, d := range Catalog {
			if nonNull[d.ID] == 0 {
				t.Errorf("%s: NULL in every project", d.ID)
			}
		}
		reps, err := SprintReports(ctx, w, DefaultConfig(), asOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		closed := 0
		for _, r := range reps {
			if r.State != "closed" {
				continue
			}
			closed++
			if g := r.InvariantGap(); g > 1e-9 || g < -1e-9 {
				t.Errorf("sprint %s of %s: commitment %g + added %g − removed %g + estimate change %g ≠ completed %g + not completed %g",
					r.Sprint, r.Project, r.Commitment, r.Added, r.Removed, r.EstimateChange, r.Completed, r.NotCompleted)
			}
		}
		// Without done status ids the replay reads only the status changes
		// that change done-ness: the reports equal those of a read of every
		// status change (a done_status_ids entry for a board that does not
		// exist asks for every change and changes no board's rule).
		all := DefaultConfig()
		all.DoneStatusIDs = map[string][]string{"no-such-board": {"x"}}
		repsAll, err := SprintReports(ctx, w, all, asOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(reps, repsAll) {
			t.Errorf("sprint reports differ when every status change is read: %d vs %d reports", len(reps), len(repsAll))
			for i := range min(len(reps), len(repsAll)) {
				if !reflect.DeepEqual(reps[i], repsAll[i]) {
					t.Errorf("first difference: sprint %s of %s\n done-ness changes only: %+v\n every status change: %+v", reps[i].Sprint, reps[i].Project, reps[i], repsAll[i])
					break
				}
			}
		}
		t.Logf("%d projects, %d programs, %d with sprints, %d closed sprints checked", projects, programs, sprintProjects, closed)
		if closed == 0 {
			t.Error("the simulator produced no closed sprint to check the C8 invariant on")
		}
	})
}
