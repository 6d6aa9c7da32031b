package gitlab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/pmo-oss/pmo/collectors/all" // every collector type of the pmo binary
	"github.com/pmo-oss/pmo/collectors/gitlab/gitlabsim"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/cli"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// pmo runs the CLI in-process with env as its whole environment.
func pmo(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	a := &cli.App{Stdout: &out, Stderr: &errb, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		IsTerminal: func(io.Writer) bool { return false }}
	code = a.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// TestPmoCollectAndKPI runs `pmo collect` on a configuration with a GitLab
// source (the simulator, Premium) beside a Jira one into each engine:
// readers see exactly the simulator's truth and a re-run changes nothing;
// then `pmo kpi`: the GitLab projects get flow, sprint and release values
// like the Jira ones.
func TestPmoCollectAndKPI(t *testing.T) {
	skipUnderRace(t)
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		gsim, gbase := startSim(t, gitlabsim.Config{Issues: 120, Seed: 3, Premium: true, Keyset: true})
		jsim, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 100, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		jbase, err := jsim.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(jsim.Close)
		dsn := os.Getenv(whtest.EnvServerDSN)
		if w.Engine() == warehouse.EngineChDB {
			if dsn, err = whtest.ChDBDSN(); err != nil {
				t.Fatal(err)
			}
		}
		cfg := filepath.Join(t.TempDir(), "pmo.yaml")
		body := fmt.Sprintf(`warehouse:
  dsn: %q
  database: %s
sources:
  - name: gl
    type: gitlab
    url: %s
    auth: {private_token: "${GITLAB_TOKEN}"}
    groups: [%s]
    requests_per_second: 0
  - name: jira
    type: jira
    url: %s
    deployment: cloud
    auth: {email: sim@example.com, api_token: "${JIRA_TOKEN}"}
    projects: [%s]
    requests_per_second: 0
`, dsn, w.Database(), gbase, gsim.GroupPath(), jbase, strings.Join(jsim.ProjectKeys(), ", "))
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"GITLAB_TOKEN": gitlabsim.DefaultToken, "JIRA_TOKEN": jsim.Config().APIToken}
		start := time.Now()
		code, out, errs := pmo(env, "collect", "-c", cfg)
		t.Logf("pmo collect: %s", time.Since(start).Round(time.Millisecond))
		if code != 0 {
			t.Fatalf("pmo collect: exit %d\n%s%s", code, out, errs)
		}
		tr := gsim.Truth()
		if !strings.Contains(out, "gl") || !strings.Contains(out, fmt.Sprint(tr.Issues)) {
			t.Errorf("the collect summary does not show gl's %d issues:\n%s", tr.Issues, out)
		}
		// Readers see exactly the truth, and a re-run changes nothing.
		first := countViews(t, w, "gl")
		for k, n := range truthCounts(tr) {
			if first[k] != n {
				t.Errorf("%s: readers see %d, truth %d", k, first[k], n)
			}
		}
		if code, out, errs := pmo(env, "collect", "-c", cfg, "--source", "gl"); code != 0 {
			t.Fatalf("pmo collect again: exit %d\n%s%s", code, out, errs)
		}
		if again := countViews(t, w, "gl"); fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("a re-run changed the counts: %v -> %v", first, again)
		}
		start = time.Now()
		code, out, errs = pmo(env, "kpi", "-c", cfg, "--format", "json")
		t.Logf("pmo kpi: %s", time.Since(start).Round(time.Millisecond))
		if code != 0 {
			t.Fatalf("pmo kpi: exit %d\n%s%s", code, out, errs)
		}
		var snap struct {
			Values []struct {
				KPI       string   `json:"kpi"`
				ScopeKind string   `json:"scope_kind"`
				Scope     string   `json:"scope"`
				Value     *float64 `json:"value"`
			} `json:"values"`
		}
		if err := json.Unmarshal([]byte(out), &snap); err != nil {
			t.Fatalf("pmo kpi --format json: %v\n%s", err, out[:min(len(out), 2000)])
		}
		got := map[string]map[string]bool{} // scope -> KPIs with a value
		for _, v := range snap.Values {
			if v.Value != nil {
				if got[v.Scope] == nil {
					got[v.Scope] = map[string]bool{}
				}
				got[v.Scope][v.KPI] = true
			}
		}
		for _, p := range gsim.ProjectPaths() {
			scope := "gl/" + p
			for _, k := range []string{"throughput", "cycle_time", "wip", "sprint_velocity", "release_schedule_adherence", "due_date_adherence"} {
				if !got[scope][k] {
					t.Errorf("%s has no %s value (values for: %v)", scope, k, keys(got[scope]))
				}
			}
		}
		t.Logf("KPIs with values for gl/%s: %v", gsim.ProjectPaths()[0], keys(got["gl/"+gsim.ProjectPaths()[0]]))
		// Explain lists the GitLab issues behind a value.
		p := gsim.ProjectPaths()[0]
		code, out, errs = pmo(env, "kpi", "explain", "throughput", "-c", cfg, "--scope", "project:gl/"+p, "--window", "12w")
		if code != 0 || !strings.Contains(out, p+"#") {
			t.Errorf("pmo kpi explain throughput --scope project:gl/%s --window 12w: exit %d\n%s%s", p, code, out[:min(len(out), 1500)], errs)
		}
	})
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
