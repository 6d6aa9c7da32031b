package github_test

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestProjectSprintKPIs: the project's iterations become sprints of the
// repository's board, and the sprint KPIs of the GitHub project have
// values (on one engine: the KPI suite holds the engines equal).
func TestProjectSprintKPIs(t *testing.T) {
	engine := "chdb"
	if raceEnabled {
		engine = "server" // chDB cannot run under -race
	}
	whtest.OnEngine(t, engine, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Hour)
		_, base := startSim(t, githubsim.Config{Repos: []string{"octo-org/api"}, Issues: 40, Seed: 21, Now: now,
			Project: &githubsim.ProjectConfig{Owner: "octo-org", Number: 7, Iterations: 8}})
		sink := w.Sink()
		if _, err := newCollector(t, "gh", projectConfig(base, "octo-org/api")).Collect(ctx, sink, collectors.Options{Logger: testLogger(t)}); err != nil {
			t.Fatal(err)
		}
		if err := sink.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		snap, err := kpi.Compute(ctx, w, kpi.DefaultConfig(), now, kpi.ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]int{}
		for _, v := range snap.Values {
			if v.Scope == "gh/octo-org/api" && v.Window == "sprint" && v.Value != nil && *v.Value > 0 {
				found[v.KPI]++
			}
		}
		for _, k := range []string{"sprint_velocity", "say_do_ratio", "commitment_completion_rate"} {
			if found[k] == 0 {
				t.Errorf("no positive %s for the GitHub project (sprint KPIs with values: %v)", k, found)
			}
		}
	})
}
