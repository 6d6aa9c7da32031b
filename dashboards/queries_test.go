// The SDK marks its dashboard (v1) types deprecated in favour of dashboardv2,
// the schema of Grafana 12's new dashboard API behind feature flags; v1 JSON
// is what Grafana 9–12 load from file provisioning, so pmo writes v1.
//
//lint:file-ignore SA1019 v1 dashboards are what file provisioning loads (see above)

package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	_ "github.com/pmo-oss/pmo/collectors/all"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/config"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// The simulated organisation's clock and the SQL panels' time range: the
// 28 days before it (the dashboards' default range, now-28d … now).
var (
	simNow  = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	sqlTo   = simNow
	sqlFrom = simNow.AddDate(0, 0, -28)
	// raidTo is the end of the range of the RAID tables: every risk of
	// the 300-issue organisation is closed by simNow, two are open 60 days
	// before it (and two items blocked or overdue).
	raidTo = simNow.AddDate(0, 0, -60)
)

const (
	scrapeInterval  = time.Second
	defaultInterval = 2 * time.Second
)

// live is the environment every query runs in: one Prometheus scraping one
// pmo serve (fed by the simulator), and a warehouse on each engine holding
// the same simulated organisation and its KPI snapshot.
type live struct {
	prom       string // Prometheus API base URL
	promFrom   time.Time
	warehouses map[string]*warehouse.Warehouse // by engine
	kpi        kpi.Config                      // the KPI settings pmo serve computes with (kpi.teams: simTeams)
}

// TestDashboardQueries runs every query of every committed dashboard: PromQL
// against a real Prometheus scraping pmo serve (collecting the Jira
// simulator), with the variables on All and on real label values; SQL, with
// the ClickHouse plugin's macros expanded, on chDB and on clickhouse-server.
// A query that fails, or returns nothing with All selected, or nothing for
// every real selection, fails the test — and so must the planted defects of
// testdata/broken-queries.json.
func TestDashboardQueries(t *testing.T) {
	env := start(t)
	files := committed(t)
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		t.Run(f, func(t *testing.T) {
			d, err := load(files[f])
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range env.run(d) {
				t.Error(err)
			}
		})
	}
	t.Run("team view", func(t *testing.T) { env.teamView(t, files) })
	t.Run("team drill-downs", func(t *testing.T) { env.teamDrillDowns(t, "throughput") })
	t.Run("team RAID tables", func(t *testing.T) { env.teamRAID(t) })
	t.Run("broken team selector fails", func(t *testing.T) { env.brokenTeamSelectors(t, files["delivery-flow.json"]) })
	t.Run("broken fixture fails", func(t *testing.T) {
		raw, err := os.ReadFile("testdata/broken-queries.json")
		if err != nil {
			t.Fatal(err)
		}
		d, err := load(raw)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, err := range env.run(d) {
			got = append(got, err.Error())
		}
		all := strings.Join(got, "\n")
		for _, want := range []string{
			`"bad PromQL" A: `,               // a syntax error Prometheus rejects
			`"no such metric" A: no series`,  // runs, returns nothing
			`"bad SQL" A on chdb: `,          // an unknown column
			`"bad SQL" A on server: `,        // the same on 18.16
			`"no rows" A on server: no rows`, // runs, returns nothing
		} {
			if !strings.Contains(all, want) {
				t.Errorf("the broken fixture's errors do not mention %q; they are:\n%s", want, all)
			}
		}
	})
}

// selections are the variable values a dashboard's queries run with:
//
//   - all: every multi-value variable on All (custom ones on their current
//     value);
//   - some: each real value of each query variable with the others on All,
//     each other option of a custom variable, and two projects at once;
//   - chained: the first value down the chain, as a user picks them (source,
//     then a program of that source, then a project of that program, then a
//     board of that project), with each variable's query expanded with the
//     choices above it — the selection that exercises every non-All branch
//     at once.
func (e *live) selections(d dashboard.Dashboard) (all grafana, some []grafana, chained grafana, errs []error) {
	all = allSelected(d)
	all.from, all.to = e.promFrom, time.Now()
	chained = all
	for _, v := range d.Templating.List {
		if v.Type == "custom" && v.Query != nil && v.Query.String != nil {
			for _, opt := range strings.Split(*v.Query.String, ",") {
				if opt = strings.TrimSpace(opt); opt != "" && !slices.Equal(all.vars[v.Name].values, []string{opt}) {
					some = append(some, all.with(v.Name, opt))
				}
			}
			continue
		}
		if v.Type != "query" || v.Query == nil || v.Query.String == nil {
			continue
		}
		vals, err := e.variableValues(all, *v.Query.String)
		if err != nil {
			errs = append(errs, fmt.Errorf("variable %s (All above it): %w", v.Name, err))
			continue
		}
		for _, val := range vals {
			some = append(some, all.with(v.Name, val))
		}
		if v.Name == "project" && len(vals) > 1 {
			some = append(some, all.with("project", vals[0], vals[1]))
		}
		cvals, err := e.variableValues(chained, *v.Query.String)
		if err != nil {
			errs = append(errs, fmt.Errorf("variable %s (chained): %w", v.Name, err))
			continue
		}
		chained = chained.with(v.Name, cvals[0])
	}
	return all, some, chained, errs
}

// variableValues runs a query variable's label_values query expanded with g;
// no value is an error.
func (e *live) variableValues(g grafana, query string) ([]string, error) {
	q, err := g.promQL(query)
	if err != nil {
		return nil, err
	}
	vals, err := e.labelValues(q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("%s has no values", q)
	}
	return vals, nil
}

func (g grafana) with(name string, values ...string) grafana {
	vars := make(map[string]variable, len(g.vars))
	for k, v := range g.vars {
		vars[k] = v
	}
	vars[name] = variable{values: values}
	g.vars = vars
	return g
}

var labelValuesQuery = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

// labelValues runs a label_values(selector, label) variable query the way
// Grafana's Prometheus data source does: the series API over the range.
func (e *live) labelValues(q string) ([]string, error) {
	m := labelValuesQuery.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		return nil, fmt.Errorf("not a label_values(selector, label) query")
	}
	var r struct {
		Status string              `json:"status"`
		Error  string              `json:"error"`
		Data   []map[string]string `json:"data"`
	}
	p := url.Values{"match[]": {m[1]}, "start": {unix(e.promFrom)}, "end": {unix(time.Now())}}
	if err := getJSON(e.prom+"/api/v1/series?"+p.Encode(), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, errors.New(r.Error)
	}
	set := map[string]bool{}
	for _, s := range r.Data {
		if v := s[m[2]]; v != "" {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

func unix(t time.Time) string { return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64) }

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return nil
}

// promQuery runs a PromQL query as the panel does (range over the
// selection's range with step $__interval, or instant at its end) and
// returns the number of series.
func (e *live) promQuery(g grafana, expr string, instant bool) (int, error) {
	s, err := e.promSeries(g, expr, instant)
	return len(s), err
}

// promSeries is promQuery returning the labels of each series.
func (e *live) promSeries(g grafana, expr string, instant bool) ([]map[string]string, error) {
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	p := url.Values{"query": {expr}}
	path := "/api/v1/query_range"
	if instant {
		path = "/api/v1/query"
		p.Set("time", unix(g.to))
	} else {
		p.Set("start", unix(g.from))
		p.Set("end", unix(g.to))
		p.Set("step", strconv.Itoa(int(g.interval/time.Second)))
	}
	if err := getJSON(e.prom+path+"?"+p.Encode(), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, errors.New(r.Error)
	}
	out := make([]map[string]string, len(r.Data.Result))
	for i, x := range r.Data.Result {
		out[i] = x.Metric
	}
	return out, nil
}

// sqlRows runs q and returns its first column, as text.
func (e *live) sqlRows(ctx context.Context, w *warehouse.Warehouse, q string) ([]string, error) {
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		dest := make([]any, len(rows.Columns()))
		var first any
		dest[0] = &first
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint(first))
	}
	return out, rows.Err()
}

// projectOf is the project key of a drill-down row's first column: an issue
// key (KEY-123) or a project scope (source/KEY).
var projectOf = regexp.MustCompile(`^(?:[^/]*/)?([A-Z][A-Z0-9_]*)(?:-\d+)?$`)

// run runs every query of d with every selection; it returns the failures.
func (e *live) run(d dashboard.Dashboard) []error {
	ctx := context.Background()
	all, some, chained, errs := e.selections(d)
	some = append(some, chained)
	// SQL (a population query takes about a second): besides All and the
	// project its rows name (runSQL), the chained selection and two projects
	// at once.
	sqlSome := []grafana{chained}
	for _, g := range some {
		if len(g.vars["project"].values) == 2 {
			sqlSome = append(sqlSome, g)
		}
	}
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	// each runs one PromQL query with All and with the real selections:
	// errors always count; no series with All counts; anyData reports
	// whether some real selection returned series.
	each := func(where string, do func(g grafana) (int, error), some []grafana) (anyData bool) {
		n, err := do(all)
		switch {
		case err != nil:
			add("%s: %v", where, err)
			return true
		case n == 0:
			add("%s: no series with every variable on All", where)
		}
		for _, g := range some {
			n, err := do(g)
			if err != nil {
				add("%s with %v: %v", where, g.vars, err)
				return true
			}
			anyData = anyData || n > 0
		}
		return anyData || len(some) == 0 || n == 0
	}
	for _, p := range panels(d) {
		title := deref(p.Title)
		for _, tg := range p.Targets {
			switch x := tg.(type) {
			case *prometheus.Dataquery:
				instant := x.Instant != nil && *x.Instant
				where := fmt.Sprintf("panel %q %s", title, deref(x.RefId))
				if !each(where, func(g grafana) (int, error) {
					q, err := g.promQL(x.Expr)
					if err != nil {
						return 0, err
					}
					return e.promQuery(g, q, instant)
				}, some) {
					add("%s: no series for any real variable value", where)
				}
			case ClickHouseQuery:
				where := fmt.Sprintf("panel %q %s", title, x.RefID)
				if reg, ok := raidRegister(title); ok {
					e.runSQL(ctx, where, x.RawSQL, all, sqlSome, add, raidTo)
					e.raidRows(ctx, where, reg, x.RawSQL, all, add)
					continue
				}
				e.runSQL(ctx, where, x.RawSQL, all, sqlSome, add, sqlTo)
			}
		}
	}
	return errs
}

// runSQL runs a ClickHouse query (range: 28 days to to) on both engines
// with every variable on All: it must return rows. On the embedded engine, with project set to one
// project those rows name, it must return exactly that project's rows (the
// variable filter keeps what it should, where data exists); on the server,
// the other selections (chained, two projects) must run. A population query
// takes about a second, so each selection runs on one engine.
func (e *live) runSQL(ctx context.Context, where, raw string, all grafana, some []grafana, add func(string, ...any), to time.Time) {
	run := func(g grafana, engine string) ([]string, error) {
		g.from, g.to = to.AddDate(0, 0, -28), to
		q, err := g.sql(raw)
		if err != nil {
			return nil, err
		}
		return e.sqlRows(ctx, e.warehouses[engine], q)
	}
	for i, engine := range whtest.Engines {
		at := where + " on " + engine
		rows, err := run(all, engine)
		if err != nil {
			add("%s: %v", at, err)
			continue
		}
		if len(rows) == 0 {
			add("%s: no rows with every variable on All", at)
			continue
		}
		per := map[string]int{}
		for _, r := range rows {
			if m := projectOf.FindStringSubmatch(r); m != nil {
				per[m[1]]++
			}
		}
		if len(per) == 0 {
			add("%s: the first column (%q, …) names no project: a drill-down lists issue keys or project scopes first", at, rows[0])
			continue
		}
		if i > 0 {
			for _, g := range some {
				if _, err := run(g, engine); err != nil {
					add("%s with %v: %v", at, g.vars, err)
				}
			}
			continue
		}
		projects := make([]string, 0, len(per))
		for p := range per {
			projects = append(projects, p)
		}
		slices.Sort(projects)
		p := projects[0]
		got, err := run(all.with("project", p), engine)
		switch {
		case err != nil:
			add("%s with project %s: %v", at, p, err)
		case len(got) != per[p]:
			add("%s with project %s: %d rows, want the %d of that project among the %d with All", at, p, len(got), per[p], len(rows))
		}
	}
}

// start builds the live environment (shared by every dashboard): the
// simulator with a few faults (so retries and rate-limit waits happen), pmo
// serve on chDB collecting it plus a source whose token has no permission
// (so a collection fails), a real Prometheus scraping serve every second,
// and the same organisation collected into clickhouse-server with its KPI
// snapshot stored.
func start(t *testing.T) *live {
	promBin := whtest.Tool(t, "prometheus")
	ctx := context.Background()
	began := time.Now()
	s, err := jirasim.New(jirasim.Config{Mode: jirasim.Cloud, Issues: 300, Seed: 11, Now: simNow,
		Faults: jirasim.Faults{Rate: 0.05, Kinds: []jirasim.FaultKind{jirasim.Fault429, jirasim.Fault500}, Seed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	keys := s.ProjectKeys()
	cfg := kpi.DefaultConfig()
	// Earned value for one project and one team, so the SPI/CPI/EAC panels
	// have series in both views.
	evm := &kpi.EVM{Mode: "agile", BAC: 100000, PlannedReleasePoints: 100, PlannedSprints: 10, SprintsCompleted: 4, HourlyRate: 50}
	cfg.Teams = simTeams(keys)
	// Team Web reports in New York (the rest in UTC): the drill-downs and
	// the team view then bind every zone-dependent parameter per zone.
	cfg.Scopes = []kpi.ScopeConfig{{Kind: kpi.ScopeProject, Name: keys[0], EVM: evm}, {Kind: kpi.ScopeTeam, Name: cfg.Teams[0].Name, EVM: evm},
		{Kind: kpi.ScopeTeam, Name: "Web", TZ: "America/New_York"}}
	sources := simSources(t, base, keys)
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	// clickhouse-server: collect and compute while serve starts on chDB.
	server := whtest.Open(t, "server")
	srvDone := make(chan error, 1)
	go func() {
		p := &pipeline.Pipeline{Warehouse: server, Sources: sources[:1], KPI: &cfg, Logger: logger, Now: func() time.Time { return simNow }}
		if _, err := p.Collect(ctx, "sim", false); err != nil {
			srvDone <- fmt.Errorf("collecting the simulator into clickhouse-server: %w", err)
			return
		}
		_, _, err := p.RefreshKPIs(ctx)
		srvDone <- err
	}()

	chdb := whtest.Open(t, "chdb")
	p := &pipeline.Pipeline{Warehouse: chdb, Sources: sources, KPI: &cfg, Logger: logger, Now: func() time.Time { return simNow }}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pipeline.NewServer(p, pipeline.ServeConfig{})
	srv.Listener = ln
	srv.RunAtStart = true
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	target := ln.Addr().String()
	waitFor(t, 3*time.Minute, "pmo serve's first collections and KPI refresh", func() bool {
		body, _ := fetch("http://" + target + "/metrics")
		return strings.Contains(body, `pmo_source_runs_total{result="success",source="sim"} 1`) &&
			strings.Contains(body, `pmo_source_runs_total{result="failure",source="sim-noperm"} 1`) &&
			strings.Contains(body, "pmo_kpi_refresh_last_success_timestamp_seconds ") && strings.Contains(body, "pmo_throughput_items{")
	})
	t.Logf("pmo serve on chDB collected and computed in %s", time.Since(began).Round(time.Millisecond))
	if err := <-srvDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("clickhouse-server collected and computed (%s since start)", time.Since(began).Round(time.Millisecond))

	// Prometheus, scraping serve every second.
	dir := t.TempDir()
	port := freePort(t)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	yml := fmt.Sprintf("global:\n  scrape_interval: %s\nscrape_configs:\n  - job_name: pmo\n    static_configs:\n      - targets: [%q]\n", scrapeInterval, target)
	if err := os.WriteFile(cfgFile, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	pctx, pstop := context.WithCancel(ctx)
	prom := exec.CommandContext(pctx, promBin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+port, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	prom.Stdout, prom.Stderr = logf, logf
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pstop()
		_ = prom.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", b)
		}
	})
	e := &live{prom: "http://127.0.0.1:" + port, promFrom: time.Now(), warehouses: map[string]*warehouse.Warehouse{"chdb": chdb, "server": server}, kpi: cfg}
	// Enough scrapes for rate() over $__rate_interval at every step.
	waitFor(t, 2*time.Minute, "Prometheus to hold 10 scrapes of pmo serve", func() bool {
		n, err := e.promQuery(grafana{to: time.Now()}, `count_over_time(up{job="pmo"}[1m]) >= 10`, true)
		return err == nil && n > 0
	})
	t.Logf("Prometheus has 10 scrapes (%s since start)", time.Since(began).Round(time.Millisecond))
	return e
}

// simTeams is the kpi.teams of the simulated organisation (projects APO,
// BOR, CAS at seed 11; APO and CAS in program Digital Platform, BOR in
// Customer Experience): a board team (the first project's scrum board, so
// the team has sprint values), a component team across projects, and a
// team of no program.
func simTeams(keys []string) []kpi.Team {
	return []kpi.Team{
		{Name: "Payments", Boards: []string{keys[0] + " Scrum"}, Program: "Digital Platform"},
		{Name: "Backend", Components: []string{"Backend", "API"}, Program: "Customer Experience"},
		{Name: "Web", Components: []string{"Frontend"}},
	}
}

// simSources configures the real Jira collector on the simulator as a user
// would: "sim" with its projects, "sim-noperm" with a token that has no
// permission (its collection fails with an auth error).
func simSources(t *testing.T, base string, keys []string) []pipeline.Source {
	t.Helper()
	yml := fmt.Sprintf(`sources:
  - name: sim
    type: jira
    url: %[1]s
    deployment: cloud
    auth: {email: sim@example.com, api_token: sim-token}
    projects: [%[2]s]
    # a request rate the collection exceeds: the limiter's waits are the
    # rate-limit waits the Pipeline health dashboard shows
    requests_per_second: 10
    retry: {max_attempts: 5, initial_backoff: 10ms, max_backoff: 50ms, max_elapsed: 10s}
  - name: sim-noperm
    type: jira
    url: %[1]s
    deployment: cloud
    auth: {email: sim@example.com, api_token: sim-noperm}
    projects: [%[2]s]
    retry: {max_attempts: 2, initial_backoff: 10ms, max_backoff: 50ms, max_elapsed: 2s}
`, base, strings.Join(keys, ", "))
	cfg, err := pipeline.ParseConfig([]byte(yml), "(test sources)", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := pipeline.NewSources(cfg.Sources)
	if err != nil {
		t.Fatal(err)
	}
	for i := range srcs {
		srcs[i].Schedule = "@daily"
	}
	return srcs
}

func fetch(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// waitFor polls cond until it holds or the deadline passes (a condition,
// never a fixed sleep).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
