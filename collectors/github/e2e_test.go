package github_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	_ "github.com/pmo-oss/pmo/collectors/jira" // the jira source beside the github one
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/cli"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestPmoCollectAndKPI runs the pmo CLI in-process — migrate, collect and
// kpi — with a GitHub simulator source beside a Jira simulator source, on
// both engines: the warehouse's views hold the GitHub simulator's truth,
// an incremental re-run changes no count, and the flow KPIs of the GitHub
// projects, their program and the mixed portfolio have values.
func TestPmoCollectAndKPI(t *testing.T) {
	for _, engine := range whtest.Engines {
		t.Run(engine, func(t *testing.T) {
			if raceEnabled && engine == "chdb" {
				t.Skip("chDB in-process runs without -race: go test -run TestPmoCollectAndKPI ./collectors/github/")
			}
			w := whtest.Open(t, engine) // a fresh database, dropped at the end
			dsn := os.Getenv(whtest.EnvServerDSN)
			if w.Engine() == warehouse.EngineChDB {
				var err error
				if dsn, err = whtest.ChDBDSN(); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now().UTC().Truncate(time.Hour)
			sim, ghBase := startSim(t, githubsim.Config{Repos: repos2, Issues: 60, Seed: 17, Now: now,
				Project: &githubsim.ProjectConfig{Owner: "octo-org", Number: 7, Iterations: 6}})
			js, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 100, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			jBase, err := js.Start()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(js.Close)
			cfg := filepath.Join(t.TempDir(), "pmo.yaml")
			body := fmt.Sprintf(`warehouse:
  dsn: %q
  database: %s
sources:
  - name: gh
    type: github
    url: %s/api/v3
    token: ${GH_TOKEN}
    repositories: [octo-org/api, octo-org/web]
    program: Platform
    project: {organization: octo-org, number: 7, iteration_field: Sprint, points_field: Estimate}
  - name: jira
    type: jira
    url: %s
    deployment: cloud
    auth: {email: sim@example.com, api_token: sim-token}
    projects: [%s]
`, dsn, w.Database(), ghBase, jBase, strings.Join(js.ProjectKeys(), ", "))
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			pmo := func(args ...string) string {
				t.Helper()
				var out, errb bytes.Buffer
				app := &cli.App{Stdout: &out, Stderr: &errb, IsTerminal: func(io.Writer) bool { return false },
					LookupEnv: func(k string) (string, bool) {
						if k == "GH_TOKEN" {
							return "sim-token", true
						}
						return os.LookupEnv(k)
					}}
				if code := app.Run(context.Background(), append(args, "-c", cfg)); code != 0 {
					t.Fatalf("pmo %s: exit %d\n%s", strings.Join(args, " "), code, tail(errb.String(), 15))
				}
				return out.String()
			}
			pmo("migrate")
			out := pmo("collect")
			if !strings.Contains(out, "gh ") || !strings.Contains(out, "jira ") {
				t.Fatalf("collect summary lacks a source:\n%s", out)
			}
			// The warehouse's views hold the simulator's truth, and an
			// incremental re-run changes no count.
			ctx := context.Background()
			first := viewCounts(t, ctx, w, "gh")
			for k, n := range projectTruth(sim.Truth()) {
				if first[k] != n {
					t.Errorf("%s: warehouse has %d, truth %d", k, first[k], n)
				}
			}
			if first[model.KindChange] == 0 {
				t.Error("no changes stored")
			}
			pmo("collect", "--source", "gh")
			if again := viewCounts(t, ctx, w, "gh"); fmt.Sprint(again) != fmt.Sprint(first) {
				t.Errorf("re-run changed the counts: %v -> %v", first, again)
			}
			rows, err := csv.NewReader(strings.NewReader(pmo("kpi", "--format", "csv"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			for _, h := range []string{"scope_kind", "scope", "kpi", "value"} {
				if _, ok := col[h]; !ok {
					t.Fatalf("kpi csv has no %q column: %v", h, rows[0])
				}
			}
			found := map[string]bool{}
			for _, r := range rows[1:] {
				v, err := strconv.ParseFloat(r[col["value"]], 64)
				if err != nil || v <= 0 {
					continue
				}
				found[r[col["scope_kind"]]+":"+r[col["scope"]]+" "+r[col["kpi"]]] = true
			}
			for _, want := range []string{
				"project:gh/octo-org/api throughput", "project:gh/octo-org/api cycle_time", "project:gh/octo-org/api wip",
				"project:gh/octo-org/web lead_time", "program:Platform throughput", "source:gh created_vs_resolved",
				"project:gh/octo-org/api sprint_velocity", "project:gh/octo-org/web say_do_ratio",
				"portfolio:all throughput", "source:jira wip",
			} {
				if !found[want] {
					t.Errorf("no positive value of %s", want)
				}
			}
			if t.Failed() {
				t.Logf("scopes and KPIs with values: %v", found)
			}
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
