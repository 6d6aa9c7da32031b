package redmine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	_ "github.com/pmo-oss/pmo/collectors/all" // every tracker: the mixed portfolio beside Redmine
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/collectors/gitlab/gitlabsim"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/collectors/redmine"
	"github.com/pmo-oss/pmo/internal/cli"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// warehouseForTest returns the DSN and a fresh database of a real
// warehouse: the test ClickHouse server when there is one, else the
// embedded engine (not under -race, which chDB cannot host).
func warehouseForTest(t *testing.T) (dsn, db string) {
	t.Helper()
	db = fmt.Sprintf("pmo_redmine_%d", time.Now().UnixNano())
	dsn = os.Getenv(whtest.EnvServerDSN)
	if dsn == "" {
		if raceEnabled {
			whtest.Unavailable(t, "no ClickHouse server ("+whtest.EnvServerDSN+" unset) and chDB cannot run under -race")
		}
		var err error
		if dsn, err = whtest.ChDBDSN(); err != nil {
			whtest.Unavailable(t, err.Error())
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		w, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: db})
		if err != nil {
			return
		}
		defer w.Close()
		_ = w.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`")
	})
	return dsn, db
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func pmo(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	defer func(start time.Time) { t.Logf("pmo %s: %s", args[0], time.Since(start).Round(time.Millisecond)) }(time.Now())
	var out, errb bytes.Buffer
	a := &cli.App{Stdout: &out, Stderr: &errb,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		IsTerminal: func(io.Writer) bool { return false }}
	code := a.Run(context.Background(), args)
	return cliResult{code, out.String(), errb.String()}
}

// TestEndToEnd runs pmo migrate, pmo collect and pmo kpi on one portfolio
// across every built-in tracker: the real Redmine beside simulated Jira,
// GitHub and GitLab, all in one program (Redmine's parent project; the
// other sources name it with sources[].program). The Redmine projects get
// KPI values; the program rolls up the projects of all four trackers (its
// throughput is the sum of theirs) and explain lists issues of each.
func TestEndToEnd(t *testing.T) {
	url, w := sharedWorld(t)
	dsn, db := warehouseForTest(t)
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second) // every tracker's history ends now
	sim, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 100, Seed: 5, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	gh := githubsim.New(githubsim.Config{Repos: []string{"octo-org/api"}, Issues: 40, Seed: 17, Now: now})
	ghSrv := httptest.NewServer(gh.Handler())
	t.Cleanup(ghSrv.Close)
	gl, err := gitlabsim.New(gitlabsim.Config{Issues: 40, Seed: 3, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	glBase, err := gl.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gl.Close)
	program := "Program " + w.prefix // the Redmine parent project's name
	cfg := fmt.Sprintf(`warehouse:
  dsn: %q
  database: %s
sources:
  - name: redmine
    type: redmine
    url: %s
    auth: {api_key: "${RM_KEY}"}
    projects: [%s]
    requests_per_second: 0
  - name: jira
    type: jira
    program: %q
    url: %s
    auth: {email: sim@example.com, api_token: "${SIM_TOKEN}"}
    projects: [%s]
    requests_per_second: 0
  - name: gh
    type: github
    program: %q
    url: %s/api/v3
    token: sim-token
    repositories: [octo-org/api]
  - name: gl
    type: gitlab
    program: %q
    url: %s
    auth: {private_token: %q}
    groups: [%s]
    requests_per_second: 0
kpi:
  flow_item_types: [Story, Task, Bug, Feature, Support, Issue]
`, dsn, db, url, strings.Join(w.projects, ", "), program, base, strings.Join(sim.ProjectKeys(), ", "),
		program, ghSrv.URL, program, glBase, gitlabsim.DefaultToken, gl.GroupPath())
	path := filepath.Join(t.TempDir(), "pmo.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"RM_KEY": w.key, "SIM_TOKEN": "sim-token"}
	if r := pmo(t, env, "migrate", "-c", path); r.code != 0 {
		t.Fatalf("pmo migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	partial := abortedCollect(t, url, w, dsn, db)
	for _, args := range [][]string{{"collect"}} {
		r := pmo(t, env, append(args, "-c", path)...)
		if r.code != 0 {
			t.Fatalf("pmo %s: exit %d\n%s%s", args[0], r.code, r.stdout, r.stderr)
		}
		if args[0] == "collect" {
			t.Logf("pmo collect:\n%s", r.stdout)
			if strings.Contains(r.stdout+r.stderr, w.key) {
				t.Error("pmo collect printed the API key")
			}
		}
	}
	checkWarehouse(t, dsn, db, w, partial)
	// The seeded history happened today: compute the as-of that ends today.
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	r := pmo(t, env, "kpi", "-c", path, "--format", "json", "--as-of", tomorrow, "--allow-future-as-of")
	if r.code != 0 {
		t.Fatalf("pmo kpi: exit %d\n%s", r.code, r.stderr)
	}
	var snap kpi.Snapshot
	if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil {
		t.Fatalf("pmo kpi --format json: %v\n%.2000s", err, r.stdout)
	}
	// Values with a population per scope, for the Redmine project and program.
	have := map[string]map[string]bool{}
	for _, v := range snap.Values {
		if v.Value == nil {
			continue
		}
		if have[v.Scope] == nil {
			have[v.Scope] = map[string]bool{}
		}
		have[v.Scope][v.KPI] = true
	}
	project := "redmine/" + w.projects[0]
	for _, v := range snap.Values {
		if v.Scope == project && v.Value != nil && slices.Contains([]string{"wip", "throughput", "cycle_time", "blocked_ratio"}, v.KPI) {
			t.Logf("%s %s %s %v = %g (n=%d)", v.Scope, v.KPI, v.Window, v.Labels, *v.Value, v.N)
		}
		// The seed blocks one open item of two in progress or to do per
		// project; a link history read wrongly gives 0.
		if v.Scope == project && v.KPI == "blocked_ratio" && fmt.Sprint(v.Labels) == "measure=ratio" && (v.Value == nil || *v.Value <= 0) {
			t.Errorf("blocked_ratio of %s = %v, want > 0 (one open item is blocked by an open blocker)", project, v.Value)
		}
	}
	// explain works on Redmine data: the blocked item, by its key, is the
	// one explained as blocked (the link history read from the journals).
	r = pmo(t, env, "kpi", "explain", "blocked_ratio", "-c", path, "--scope", "project:"+project, "--as-of", tomorrow, "--format", "csv")
	var blockedRows []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, ", blocked\"") {
			blockedRows = append(blockedRows, strings.SplitN(line, ",", 2)[0])
		}
	}
	if want := fmt.Sprintf("%s-%d", w.projects[0], w.blocked); r.code != 0 || !slices.Equal(blockedRows, []string{want}) {
		t.Errorf("pmo kpi explain blocked_ratio --scope project:%s: exit %d, blocked %v, want [%s]\n%s%s", project, r.code, blockedRows, want, r.stdout, r.stderr)
	}
	// One program across the trackers: its throughput is the sum of its
	// projects' (every project of every source is in it), and explain lists
	// issues of each tracker.
	progTP, sumTP := -1.0, 0.0
	bySource := map[string]float64{}
	for _, v := range snap.Values {
		if v.KPI != "throughput" || v.Window != "12w" || v.Labels["measure"] != "count" || v.Value == nil {
			continue
		}
		switch v.ScopeKind {
		case kpi.ScopeProgram:
			if v.Scope == program {
				progTP = *v.Value
			}
		case kpi.ScopeProject:
			sumTP += *v.Value
			src, _, _ := strings.Cut(v.Scope, "/")
			bySource[src] += *v.Value
		}
	}
	if progTP != sumTP || progTP <= 0 {
		t.Errorf("throughput 12w of program %q = %g, its projects sum to %g (by source %v): want the same, > 0", program, progTP, sumTP, bySource)
	}
	for _, src := range []string{"redmine", "jira", "gh", "gl"} {
		if bySource[src] <= 0 {
			t.Errorf("no throughput in 12 weeks from the %s projects of program %q (by source %v)", src, program, bySource)
		}
	}
	r = pmo(t, env, "kpi", "explain", "throughput", "-c", path, "--scope", "program:"+program, "--as-of", tomorrow, "--window", "12w", "--format", "json")
	var ex kpi.Explanation
	if err := json.Unmarshal([]byte(r.stdout), &ex); r.code != 0 || err != nil {
		t.Fatalf("pmo kpi explain throughput --scope program:%s: exit %d, %v\n%s", program, r.code, err, r.stderr)
	}
	keyOf := map[string]func(string) bool{
		"redmine": func(k string) bool { return strings.HasPrefix(k, w.prefix) },
		"jira": func(k string) bool {
			return slices.ContainsFunc(sim.ProjectKeys(), func(p string) bool { return strings.HasPrefix(k, p+"-") })
		},
		"gh": func(k string) bool { return strings.HasPrefix(k, "octo-org/api#") },
		"gl": func(k string) bool { return strings.HasPrefix(k, gl.GroupPath()+"/") },
	}
	listed := map[string]int{}
	for _, it := range ex.Items {
		for src, is := range keyOf {
			if is(it.Key) {
				listed[src]++
			}
		}
	}
	for src := range keyOf {
		if float64(listed[src]) != bySource[src] {
			t.Errorf("explain throughput of program %q lists %d issues of %s, its projects' throughput is %g (listed %v)", program, listed[src], src, bySource[src], listed)
		}
	}
	for _, want := range []struct{ scope, kpi string }{
		{project, "wip"}, {project, "throughput"}, {project, "cycle_time"}, {project, "blocked_ratio"},
		{program, "wip"},
	} {
		if !have[want.scope][want.kpi] {
			var scopes []string
			for s := range have {
				scopes = append(scopes, s)
			}
			t.Errorf("no %s value for scope %q (scopes with values: %v)", want.kpi, want.scope, scopes)
		}
	}
}

// abortedCollect collects the Redmine source into the warehouse and stops
// abruptly a third of the way: the context is cancelled and the sink is
// dropped without a flush, so whatever it still buffered is lost, as in a
// killed process. It returns the issues readers see afterwards.
func abortedCollect(t *testing.T, url string, w *world, dsn, db string) uint64 {
	t.Helper()
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: db, BatchSize: 5, FlushInterval: time.Hour,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	cfg := w.config(url)
	cfg.Concurrency = 1
	c, err := redmine.New("redmine", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = c.Collect(cctx, wh.Sink(), collectors.Options{Progress: func(p collectors.Progress) {
		if p.IssuesSeen >= int64(w.issues/3) {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the aborted collection returned %v, want it cancelled", err)
	}
	return countIssues(t, wh)
}

func countIssues(t *testing.T, wh *warehouse.Warehouse) uint64 {
	t.Helper()
	var n uint64
	rows, err := wh.Query(context.Background(), "SELECT count() FROM v_issues WHERE source = 'redmine'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// checkWarehouse: after the aborted run and a complete one, readers see
// every seeded record once.
func checkWarehouse(t *testing.T, dsn, db string, w *world, partial uint64) {
	t.Helper()
	ctx := context.Background()
	wh, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	if partial == 0 || partial >= uint64(w.issues) {
		t.Errorf("the aborted run left %d of %d issues; want some, not all", partial, w.issues)
	}
	for q, want := range map[string]uint64{
		"SELECT count() FROM v_issues WHERE source = 'redmine'":                                                                                uint64(w.issues),
		"SELECT count() FROM v_worklogs WHERE source = 'redmine'":                                                                              uint64(w.worklogs),
		"SELECT count() FROM v_issue_links WHERE source = 'redmine'":                                                                           uint64(w.links),
		"SELECT count() FROM (SELECT id FROM v_issues WHERE source = 'redmine' GROUP BY id HAVING count() > 1)":                                0,
		"SELECT count() FROM (SELECT change_id FROM v_changes WHERE source = 'redmine' GROUP BY issue_id, change_id, item HAVING count() > 1)": 0,
	} {
		rows, err := wh.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	t.Logf("aborted run left %d of %d issues; after pmo collect readers see each record once", partial, w.issues)
}
