package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/pmo-oss/pmo/collectors/all" // the jira collector, as in the pmo binary
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/cli"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// cluster is a running test cluster (scripts/clickhouse-test-cluster.sh).
type cluster struct {
	script, state string
	dsn, name     string   // node 1's DSN, the remote_servers name
	nodes         []string // every node's DSN, node 1 first
}

// run runs the cluster script with args.
func (c *cluster) run(args ...string) (string, error) {
	cmd := exec.Command(c.script, args...)
	cmd.Env = append(os.Environ(), "PMO_CH_CLUSTER_STATE="+c.state)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", filepath.Base(c.script), strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// logTails logs the end of every server's and ZooKeeper's logs.
func (c *cluster) logTails(t testing.TB) {
	logs, _ := filepath.Glob(filepath.Join(c.state, "node*", "log", "*.log"))
	zk, _ := filepath.Glob(filepath.Join(c.state, "zk", "*.log"))
	for _, f := range append(logs, zk...) {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		t.Logf("%s (last lines):\n%s", strings.TrimPrefix(f, c.state+"/"), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
}

// repoRoot is the folder with go.mod above the working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// startCluster starts ZooKeeper and two clickhouse-server shards on
// loopback, stopped when the test ends. Without the programs the test skips
// (fails under CI=true).
func startCluster(t testing.TB) *cluster {
	t.Helper()
	for _, p := range []string{"clickhouse-client", "java"} {
		whtest.Tool(t, p)
	}
	if _, err := exec.LookPath("clickhouse-server"); err != nil {
		if _, err := os.Stat("/usr/sbin/clickhouse-server"); err != nil {
			whtest.Unavailable(t, "clickhouse-server not found: scripts/setup.sh installs it (make setup)")
		}
	}
	if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
		whtest.Unavailable(t, "ZooKeeper not found (/usr/share/java/zookeeper.jar): scripts/setup.sh installs Debian's zookeeper (make setup)")
	}
	c := &cluster{
		script: filepath.Join(repoRoot(t), "scripts", "clickhouse-test-cluster.sh"),
		state:  filepath.Join(t.TempDir(), "cluster"),
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t)
		}
		t0 := time.Now()
		if _, err := c.run("stop"); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
		t.Logf("cluster stopped in %v", time.Since(t0).Round(time.Millisecond))
	})
	if _, err := c.run("start"); err != nil {
		t.Fatalf("starting the cluster: %v", err)
	}
	env, err := c.run("env")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export (\w+)='?([^'\n]*)'?$`).FindAllStringSubmatch(env, -1) {
		vars[m[1]] = m[2]
	}
	c.dsn, c.name, c.nodes = vars["PMO_TEST_CLUSTER_DSN"], vars["PMO_TEST_CLUSTER_NAME"], strings.Fields(vars["PMO_TEST_CLUSTER_NODES"])
	if c.dsn == "" || c.name == "" || len(c.nodes) < 2 {
		t.Fatalf("the cluster script's env is incomplete:\n%s", env)
	}
	return c
}

// pmo runs the pmo command line in-process.
func pmo(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &cli.App{
		Stdout:     &out,
		Stderr:     &errb,
		LookupEnv:  func(k string) (string, bool) { v, ok := map[string]string{"SIM_TOKEN": "sim-token"}[k]; return v, ok },
		IsTerminal: func(io.Writer) bool { return false },
	}
	code = a.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// writeConfig writes a pmo config for database db on the cluster's node 1,
// ON CLUSTER when onCluster, with the simulator as source "sim".
func writeConfig(t testing.TB, c *cluster, db string, onCluster bool, simURL string, projects []string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "warehouse:\n  dsn: %q\n  database: %s\n  batch_size: 100\n", c.dsn, db)
	if onCluster {
		fmt.Fprintf(&b, "  cluster: %s\n", c.name)
	}
	fmt.Fprintf(&b, "sources:\n  - name: sim\n    type: jira\n    url: %s\n    deployment: cloud\n"+
		"    auth: {email: sim@example.com, api_token: \"${SIM_TOKEN}\"}\n    projects: [%s]\n    requests_per_second: 0\n    page_size: 20\n",
		simURL, strings.Join(projects, ", "))
	p := filepath.Join(t.TempDir(), db+".yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// open opens database db on a node as a member of cluster (pmo's settings
// for a cluster), or as a single server when cluster is "".
func open(t *testing.T, dsn, db, cluster string) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), warehouse.Options{DSN: dsn, Database: db, Cluster: cluster, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// count runs a query that returns one number.
func count(t *testing.T, w *warehouse.Warehouse, q string) int64 {
	t.Helper()
	n, err := tryCount(w, q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func tryCount(w *warehouse.Warehouse, q string) (int64, error) {
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		return 0, fmt.Errorf("%s: no row (%v)", q, rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	return n, rows.Err()
}

func truthCounts(tr jirasim.Truth) map[model.Kind]int {
	return map[model.Kind]int{
		model.KindProject: tr.Projects, model.KindStatus: tr.Statuses, model.KindBoard: tr.Boards,
		model.KindSprint: tr.Sprints, model.KindVersion: tr.Versions, model.KindIssue: tr.Issues,
		model.KindChange: tr.Changes, model.KindWorklog: tr.Worklogs, model.KindLink: tr.Links,
	}
}

// checkTruth holds what readers of db see to the simulator's truth.
func checkTruth(t *testing.T, w *warehouse.Warehouse, truth jirasim.Truth) {
	t.Helper()
	got, err := w.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for kind, want := range truthCounts(truth) {
		if got[string(kind)] != uint64(want) {
			t.Errorf("%s: readers see %d, the simulator has %d", kind, got[string(kind)], want)
		}
	}
	// The same record seen twice: none (per identity, across every shard).
	for _, q := range []string{
		"SELECT count() - uniqExact(source, id) FROM v_issues",
		"SELECT count() - uniqExact(source, issue_id, change_id, item) FROM v_changes",
		"SELECT count() - uniqExact(source, id) FROM v_worklogs",
		"SELECT count() - uniqExact(source, id) FROM v_issue_links",
		"SELECT count() - uniqExact(source, id) FROM v_sprints",
	} {
		if n := count(t, w, q); n != 0 {
			t.Errorf("%d duplicates: %s", n, q)
		}
	}
}

// kpiValue is one stored KPI value.
type kpiValue struct {
	value *float64
	n     uint64
	rag   *int64
}

// kpiSnapshot reads the KPI values of one as-of, keyed by scope kind,
// scope, window and labels, grouped by KPI.
func kpiSnapshot(t *testing.T, w *warehouse.Warehouse, asOf time.Time) map[string]map[string]kpiValue {
	t.Helper()
	rows, err := w.Query(context.Background(), "SELECT kpi, scope_kind, scope, window, labels, value, n, rag FROM v_kpi_values WHERE as_of = ?", asOf)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]kpiValue{}
	for rows.Next() {
		var kpi, kind, scope, window, labels string
		var v kpiValue
		if err := rows.Scan(&kpi, &kind, &scope, &window, &labels, &v.value, &v.n, &v.rag); err != nil {
			t.Fatal(err)
		}
		if out[kpi] == nil {
			out[kpi] = map[string]kpiValue{}
		}
		out[kpi][kind+":"+scope+" "+window+" "+labels] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func fmtValue(v kpiValue) string {
	s := "NULL"
	if v.value != nil {
		s = strconv.FormatFloat(*v.value, 'g', -1, 64)
	}
	r := "-"
	if v.rag != nil {
		r = strconv.FormatInt(*v.rag, 10)
	}
	return fmt.Sprintf("%s (n %d, rag %s)", s, v.n, r)
}

func sameValue(a, b kpiValue) bool {
	if a.n != b.n || (a.rag == nil) != (b.rag == nil) || (a.rag != nil && *a.rag != *b.rag) || (a.value == nil) != (b.value == nil) {
		return false
	}
	if a.value == nil {
		return true
	}
	x, y := *a.value, *b.value
	// Sums over shards add in another order: the last bits may differ.
	return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}

// TestCluster runs pmo on a real cluster (ZooKeeper, two clickhouse-server
// shards on loopback): pmo migrate twice (the second does nothing), a
// collection of the Jira simulator during which one server is killed
// (SIGKILL), the server restarted and the collection rerun, then run again
// in full (a second version of every record); then what
// readers see equals the simulator's truth with no duplicate, each record
// is on exactly one shard, pmo status works, and pmo kpi computes on the
// cluster exactly the values it computes on a single server from the same
// data (every KPI, scope, window and label), which are also what the latest
// complete refresh (reports, exporter, email) reads.
func TestCluster(t *testing.T) {
	t0 := time.Now()
	c := startCluster(t)
	t.Logf("cluster %s up in %v: %d shards", c.name, time.Since(t0).Round(time.Millisecond), len(c.nodes))

	sim, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 200, Seed: 13})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	truth := sim.Truth()
	// Once armed, the first simulator request that finds issues stored on
	// node 2 SIGKILLs node 2 before it is answered: the collection has
	// written part of the issues to both shards and dies half-way.
	var (
		requests atomic.Int64
		armed    atomic.Bool
		killMu   sync.Mutex // guards killErr and killedAt
		killErr  error
		killedAt int64
		node2    *warehouse.Warehouse
	)
	simHandler := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		if armed.Load() {
			killMu.Lock()
			if armed.Load() { // still: a concurrent request may have killed it meanwhile
				if stored, err := tryCount(node2, "SELECT count() FROM issues_local"); err != nil {
					killErr = fmt.Errorf("counting the issues on node 2: %w", err)
					armed.Store(false)
				} else if stored > 0 {
					_, killErr = c.run("kill", "2")
					killedAt = n
					armed.Store(false)
				}
			}
			killMu.Unlock()
		}
		simHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	// The single server: node 1 alone, no cluster, same data.
	single := writeConfig(t, c, "pmo_single", false, srv.URL, sim.ProjectKeys())
	if code, out, errs := pmo(t, "migrate", "-c", single); code != 0 {
		t.Fatalf("migrate (single): exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := pmo(t, "collect", "-c", single); code != 0 {
		t.Fatalf("collect (single): exit %d\n%s%s", code, out, errs)
	}
	full := requests.Load()
	checkTruth(t, open(t, c.dsn, "pmo_single", ""), truth)
	t.Logf("single server loaded in %v (%d simulator requests)", time.Since(t0).Round(time.Millisecond), full)

	// The cluster: migrate twice.
	cfg := writeConfig(t, c, "pmo", true, srv.URL, sim.ProjectKeys())
	code, out, errs := pmo(t, "migrate", "-c", cfg)
	if code != 0 || !strings.Contains(out, "schema migrated from version 0 to") {
		t.Fatalf("migrate (cluster): exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = pmo(t, "migrate", "-c", cfg)
	if code != 0 || !strings.HasPrefix(out, "schema is up to date at version ") {
		t.Fatalf("second migrate (cluster): exit %d, want nothing to do\n%s%s", code, out, errs)
	}
	t.Logf("cluster migrated twice at %v", time.Since(t0).Round(time.Millisecond))

	// Collect; node 2 dies half-way.
	node2 = open(t, c.nodes[1], "pmo", "")
	requests.Store(0)
	armed.Store(true)
	code, out, errs = pmo(t, "collect", "-c", cfg)
	armed.Store(false)
	killMu.Lock()
	defer killMu.Unlock()
	if killErr != nil {
		t.Fatalf("killing node 2: %v", killErr)
	}
	if killedAt == 0 {
		t.Fatalf("the collection made %d requests and ended before node 2 held any issue (exit %d)", requests.Load(), code)
	}
	if code == 0 {
		t.Fatalf("collect succeeded although node 2 was killed at request %d of %d:\n%s", killedAt, full, out)
	}
	t.Logf("collect with node 2 killed at request %d of %d: exit %d (%s); node 1 then held %d issues and %d changes",
		killedAt, full, code, lastLine(errs),
		count(t, open(t, c.nodes[0], "pmo", ""), "SELECT count() FROM issues_local"),
		count(t, open(t, c.nodes[0], "pmo", ""), "SELECT count() FROM changes_local"))
	if _, err := c.run("restart", "2"); err != nil {
		t.Fatalf("restarting node 2: %v", err)
	}
	t.Logf("node 2 restarted at %v", time.Since(t0).Round(time.Millisecond))
	if code, out, errs := pmo(t, "collect", "-c", cfg); code != 0 {
		t.Fatalf("collect after the restart: exit %d\n%s%s", code, out, errs)
	}
	// Everything once more: every record gets a second version, which must
	// land on the shard of the first to be collapsed.
	if code, out, errs := pmo(t, "collect", "-c", cfg, "--full"); code != 0 {
		t.Fatalf("collect --full: exit %d\n%s%s", code, out, errs)
	}
	w := open(t, c.dsn, "pmo", c.name)
	checkTruth(t, w, truth)
	t.Logf("rows stored (before deduplication): %d issues, %d changes; the simulator has %d and %d",
		count(t, w, "SELECT count() FROM issues"), count(t, w, "SELECT count() FROM changes"), truth.Issues, truth.Changes)
	// Every issue and change is on exactly one shard, and both shards hold some.
	for _, tc := range []struct {
		table string
		want  int
	}{{"issues", truth.Issues}, {"changes", truth.Changes}} {
		var sum int64
		for i, dsn := range c.nodes {
			n := count(t, open(t, dsn, "pmo", ""), "SELECT count() FROM "+tc.table+"_local FINAL")
			if n == 0 {
				t.Errorf("shard %d holds no %s", i+1, tc.table)
			}
			sum += n
		}
		if sum != int64(tc.want) {
			t.Errorf("%s over the shards: %d rows, the simulator has %d (a record on two shards is not deduplicated)", tc.table, sum, tc.want)
		}
	}
	code, out, errs = pmo(t, "status", "-c", cfg)
	if code != 0 || !regexp.MustCompile(`\n  issues\s+`+strconv.Itoa(truth.Issues)+`\n`).MatchString(out) {
		t.Errorf("status on the cluster: exit %d, want %d issues\n%s%s", code, truth.Issues, out, errs)
	}
	t.Logf("cluster loaded (again with --full) and checked at %v", time.Since(t0).Round(time.Millisecond))

	// The same KPI snapshot on both.
	day := time.Now().UTC().Truncate(24 * time.Hour)
	asOf := day.Format(time.DateOnly)
	for _, cf := range []string{single, cfg} {
		if code, out, errs := pmo(t, "kpi", "-c", cf, "--as-of", asOf); code != 0 {
			t.Fatalf("kpi --as-of %s (%s): exit %d\n%s%s", asOf, filepath.Base(cf), code, out, errs)
		}
	}
	want := kpiSnapshot(t, open(t, c.dsn, "pmo_single", ""), day)
	got := kpiSnapshot(t, w, day)
	if len(want) == 0 {
		t.Fatal("the single server stored no KPI values")
	}
	kpis := make([]string, 0, len(want))
	for k := range want {
		kpis = append(kpis, k)
	}
	for k := range got {
		if want[k] == nil {
			kpis = append(kpis, k)
		}
	}
	sort.Strings(kpis)
	values := 0
	for _, kpi := range kpis {
		var diffs []string
		for key, wv := range want[kpi] {
			gv, ok := got[kpi][key]
			switch {
			case !ok:
				diffs = append(diffs, key+": missing on the cluster")
			case !sameValue(gv, wv):
				diffs = append(diffs, fmt.Sprintf("%s: cluster %s, single server %s", key, fmtValue(gv), fmtValue(wv)))
			}
			values++
		}
		for key := range got[kpi] {
			if _, ok := want[kpi][key]; !ok {
				diffs = append(diffs, key+": only on the cluster")
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			t.Errorf("%s: %d of %d values differ:\n  %s", kpi, len(diffs), len(want[kpi]), strings.Join(diffs[:min(len(diffs), 5)], "\n  "))
		}
	}
	// What reports, the exporter and email read: the latest complete
	// refresh (kpi_refreshes FINAL, then the values of its as-of).
	snap, err := kpi.LatestComplete(context.Background(), w)
	if err != nil || !snap.AsOf.Equal(day) || len(snap.Values) != values {
		t.Errorf("latest complete refresh on the cluster: as-of %v with %d values (%v), want %v with %d", snap.AsOf, len(snap.Values), err, day, values)
	}
	t.Logf("%d KPIs, %d values compared; done in %v", len(kpis), values, time.Since(t0).Round(time.Millisecond))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
