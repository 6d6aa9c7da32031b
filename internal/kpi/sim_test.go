package kpi

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/jira"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/secret"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestSimulatorEveryProject collects the Jira simulator's organisation with
// the real collector and checks that every KPI computes for every project
// and that the C8 invariant holds for every closed sprint. 2,000 issues by
// default; PMO_KPI_SIM_ISSUES=100000 runs the issue's 100k check.
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
		sim, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: issues, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		base, err := sim.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		sc := sim.Config()
		cfg := jira.NewConfig()
		cfg.URL = base
		cfg.Auth.Email, cfg.Auth.APIToken = sc.Email, secret.Secret(sc.APIToken)
		cfg.Projects = simProjects(t, base, sc.Email, sc.APIToken)
		col, err := jira.New("sim", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := col.Collect(ctx, w.Sink(), collectors.Options{}); err != nil {
			t.Fatalf("collecting the simulator: %v", err)
		}
		if err := w.Sink().Flush(ctx); err != nil {
			t.Fatal(err)
		}
		asOf := sc.Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		t0 := time.Now()
		snap, err := Compute(ctx, w, DefaultConfig(), asOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d issues: %d values in %s", issues, len(snap.Values), time.Since(t0).Round(time.Millisecond))
		if len(snap.Checks) > 0 {
			t.Errorf("%d failed checks, e.g. %s", len(snap.Checks), snap.Checks[0])
		}
		// Every non-sprint KPI of the catalog has values for every project.
		has := map[string]map[string]bool{}
		for _, v := range snap.Values {
			if v.ScopeKind != ScopeProject {
				continue
			}
			if has[v.Scope] == nil {
				has[v.Scope] = map[string]bool{}
			}
			has[v.Scope][v.KPI] = true
		}
		if len(has) < 2 {
			t.Fatalf("values for %d projects; want every simulated project", len(has))
		}
		sprintProjects := 0
		for scope, kpis := range has {
			for _, d := range Catalog {
				if d.Group != "Sprint" && !kpis[d.ID] {
					t.Errorf("project %s: no %s value", scope, d.ID)
				}
			}
			if kpis["sprint_carryover"] {
				sprintProjects++
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
		t.Logf("%d projects, %d with sprints, %d closed sprints checked", len(has), sprintProjects, closed)
		if closed == 0 {
			t.Error("the simulator produced no closed sprint to check the C8 invariant on")
		}
	})
}

func simProjects(t *testing.T, base, email, token string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/rest/api/2/project", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(email, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ps []struct{ Key string }
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil {
		t.Fatalf("listing the simulator's projects: %v", err)
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}
