package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// openEngine opens the test database of engineConfig for checks.
func openEngine(t *testing.T, engine, dsn, db string) *warehouse.Warehouse {
	t.Helper()
	opts := warehouse.Options{DSN: dsn, Database: db}
	if engine == "chdb" {
		opts.ChDBLibrary = chdbLibrary(t)
	}
	w, err := warehouse.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func countRows(t *testing.T, w *warehouse.Warehouse, q string) uint64 {
	t.Helper()
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var n uint64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// pushgateway is an in-process stand-in for a Pushgateway: it records the
// pushes (method, path and body).
type pushgateway struct {
	mu     sync.Mutex
	pushes []string
	bodies []string
}

func startPushgateway(t *testing.T) (*pushgateway, string) {
	t.Helper()
	pg := &pushgateway{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Decode the pushed families (delimited protobuf) as a Pushgateway
		// does, and keep them in the text format.
		var text strings.Builder
		dec := expfmt.NewDecoder(r.Body, expfmt.ResponseFormat(r.Header))
		for {
			var mf dto.MetricFamily
			if err := dec.Decode(&mf); err != nil {
				if err != io.EOF {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				break
			}
			_, _ = expfmt.MetricFamilyToText(&text, &mf)
		}
		pg.mu.Lock()
		pg.pushes = append(pg.pushes, r.Method+" "+r.URL.Path)
		pg.bodies = append(pg.bodies, text.String())
		pg.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return pg, srv.URL
}

func (pg *pushgateway) get() ([]string, string) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	return append([]string(nil), pg.pushes...), strings.Join(pg.bodies, "\n")
}

// TestKPICommand: on each engine, after a small demo collection, pmo kpi
// stores a snapshot; computing the same as-of again leaves the stored row
// count unchanged; the formats parse; explain lists issues; a backfill
// stores one snapshot per step; the run metrics reach the Pushgateway.
func TestKPICommand(t *testing.T) {
	// On the embedded default; the KPI SQL is held on both engines by
	// internal/kpi, the server's commands by TestReportAndEmail and
	// TestBaselineCommand.
	for _, engine := range []string{"chdb"} {
		t.Run(engine, func(t *testing.T) {
			cfgPath, dsn, db := engineConfig(t, engine)
			if r := runAt(t, demoDay, "-c", cfgPath, "demo", "--issues", "300", "--no-serve", "--history-weeks", "0", "--out", t.TempDir()); r.code != 0 {
				t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
			}
			pg, gwURL := startPushgateway(t)
			r := run(t, nil, "-c", cfgPath, "kpi", "--as-of", "2025-07-01", "--format", "csv", "--pushgateway", gwURL)
			if r.code != 0 {
				t.Fatalf("kpi: exit %d\n%s", r.code, r.stderr)
			}
			recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
			if err != nil || len(recs) < 10 {
				t.Fatalf("kpi --format csv: %d records, %v\n%s", len(recs), err, tail(r.stdout, 10))
			}
			if got := recs[0][len(recs[0])-1]; got != "rag" {
				t.Fatalf("kpi --format csv: last column %q, want rag", got)
			}
			kinds := map[string]bool{}
			rags := map[string]int{}
			for _, rec := range recs[1:] {
				kinds[rec[0]] = true
				rags[rec[len(rec)-1]]++
				if rec[5] != "2025-07-01T00:00:00Z" {
					t.Fatalf("as_of %q, want 2025-07-01T00:00:00Z", rec[5])
				}
			}
			for _, k := range []string{"portfolio", "source", "program", "project"} {
				if !kinds[k] {
					t.Errorf("no %s values in the snapshot", k)
				}
			}
			for _, st := range []string{"green", "red", ""} {
				if rags[st] == 0 {
					t.Errorf("no value with rag %q in the snapshot (%v)", st, rags)
				}
			}
			w := openEngine(t, engine, dsn, db)
			// The stored RAG is the printed one (0 green, 1 amber, 2 red).
			for st, code := range map[string]int{"green": 0, "amber": 1, "red": 2} {
				if n := countRows(t, w, fmt.Sprintf("SELECT count() FROM v_kpi_values WHERE as_of = toDateTime('2025-07-01 00:00:00', 'UTC') AND rag = %d", code)); n != uint64(rags[st]) {
					t.Errorf("stored %d values with rag %d, printed %d %s", n, code, rags[st], st)
				}
			}
			const on = " WHERE as_of = toDateTime('2025-07-01 00:00:00', 'UTC')"
			view := countRows(t, w, "SELECT count() FROM v_kpi_values"+on)
			final := countRows(t, w, "SELECT count() FROM kpi_values FINAL"+on)
			if view != uint64(len(recs)-1) || final != view {
				t.Errorf("stored %d values (view), %d (FINAL); printed %d", view, final, len(recs)-1)
			}
			// The same as-of again replaces, never duplicates.
			if r := run(t, nil, "-c", cfgPath, "kpi", "--as-of", "2025-07-01"); r.code != 0 || !strings.Contains(r.stdout, "SCOPE") {
				t.Fatalf("second kpi: exit %d\n%s", r.code, r.stderr)
			}
			if v, f := countRows(t, w, "SELECT count() FROM v_kpi_values"+on), countRows(t, w, "SELECT count() FROM kpi_values FINAL"+on); v != view || f != final {
				t.Errorf("after computing the same as-of twice: %d values (view), %d (FINAL); want %d, %d", v, f, view, final)
			}
			pushes, body := pg.get()
			if len(pushes) != 1 || !strings.HasPrefix(pushes[0], "PUT /metrics/job/pmo_kpi/") || !strings.Contains(body, `pmo_kpi_refresh_runs_total{result="success"} 1`) {
				t.Errorf("pushes %v; body:\n%s", pushes, tail(body, 20))
			}

			// One scope, JSON.
			proj := ""
			for _, rec := range recs[1:] {
				if rec[0] == "project" {
					proj = rec[1][strings.LastIndex(rec[1], "/")+1:]
					break
				}
			}
			r = run(t, nil, "-c", cfgPath, "kpi", "--as-of", "2025-07-01", "--scope", "project:"+proj, "--format", "json")
			var snap struct {
				Values []struct {
					ScopeKind string `json:"scope_kind"`
					Scope     string
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil || r.code != 0 || len(snap.Values) == 0 {
				t.Fatalf("kpi --scope project:%s --format json: exit %d, %v\n%s", proj, r.code, err, r.stderr)
			}
			for _, v := range snap.Values {
				if v.ScopeKind != "project" || !strings.HasSuffix(v.Scope, "/"+proj) {
					t.Fatalf("--scope project:%s printed %s:%s", proj, v.ScopeKind, v.Scope)
				}
			}

			// Explain.
			r = run(t, nil, "-c", cfgPath, "kpi", "explain", "throughput", "--scope", "project:"+proj, "--as-of", "2025-07-01")
			if r.code != 0 || !strings.Contains(r.stdout, "throughput for project:") || !strings.Contains(r.stdout, proj+"-") {
				t.Errorf("explain: exit %d\n%s%s", r.code, tail(r.stdout, 10), r.stderr)
			}
			r = run(t, nil, "-c", cfgPath, "kpi", "explain", "throughput", "--scope", "project:"+proj, "--as-of", "2025-07-01", "--window", "12w")
			if r.code != 0 || !strings.Contains(r.stdout, "window 12w") || !strings.Contains(r.stdout, "measure=count = ") {
				t.Errorf("explain --window 12w: exit %d\n%s%s", r.code, tail(r.stdout, 10), r.stderr)
			}
			r = run(t, nil, "-c", cfgPath, "kpi", "explain", "throughput", "--scope", "project:"+proj, "--as-of", "2025-07-01", "--window", "5w")
			checkOneLineError(t, r, ExitUsage, []string{`"5w" is not one of`, "kpi.flow_windows_weeks"}, nil)
			r = run(t, nil, "-c", cfgPath, "kpi", "sql", "throughput", "--scope", "project:"+proj, "--as-of", "2025-07-01", "--window", "12w")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "-- pmo kpi sql throughput") || !strings.Contains(r.stdout, "AS in_done") {
				t.Errorf("kpi sql: exit %d\n%s%s", r.code, tail(r.stdout, 5), r.stderr)
			}
			r = run(t, nil, "-c", cfgPath, "kpi", "sql", "evm_spi", "--scope", "project:"+proj, "--as-of", "2025-07-01")
			checkOneLineError(t, r, ExitFailure, []string{"evm_spi", "not defined by a SQL model yet"}, nil)
			// Every KPI is explained: evm_spi of a scope without EVM inputs
			// says its values are NULL and lists nothing.
			r = run(t, nil, "-c", cfgPath, "kpi", "explain", "evm_spi", "--scope", "project:"+proj, "--as-of", "2025-07-01")
			if r.code != 0 || !strings.Contains(r.stdout, "evm_spi for project:") {
				t.Errorf("kpi explain evm_spi: exit %d\n%s%s", r.code, tail(r.stdout, 5), r.stderr)
			}
			r = run(t, nil, "-c", cfgPath, "kpi", "explain", "cycle_time", "--scope", "project:NOPE", "--as-of", "2025-07-01")
			checkOneLineError(t, r, ExitUsage, []string{`--scope: no scope "project:NOPE"`, "known scopes: portfolio"}, nil)
			r = run(t, nil, "-c", cfgPath, "kpi", "--scope", "project:NOPE", "--as-of", "2025-07-01")
			checkOneLineError(t, r, ExitUsage, []string{`--scope: no scope "project:NOPE"`, "known scopes: portfolio"}, nil)

			// Backfill: 2025-06-03 .. 2025-07-01 weekly = 5 snapshots.
			before := countRows(t, w, "SELECT count() FROM v_kpi_values")
			r = run(t, nil, "-c", cfgPath, "kpi", "--from", "2025-06-03", "--to", "2025-07-01", "--step", "1w", "--scope", "portfolio")
			if r.code != 0 || !strings.Contains(r.stdout, "stored 5 KPI snapshots from 2025-06-03 to 2025-07-01") {
				t.Fatalf("backfill: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			// The demo's own snapshot (as of 2025-06-30) makes 6.
			if n := countRows(t, w, "SELECT count(DISTINCT as_of) FROM v_kpi_values"); n != 6 {
				t.Errorf("%d distinct as_of after the backfill, want 6", n)
			}
			if after := countRows(t, w, "SELECT count() FROM v_kpi_values"); after <= before {
				t.Errorf("the backfill stored nothing new: %d values before, %d after", before, after)
			}
			// Calibration of the stored release forecasts: runs, prints its header.
			r = run(t, nil, "-c", cfgPath, "kpi", "calibration", "--as-of", "2025-07-01", "--format", "csv")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "scope_kind,scope,release,horizon_weeks,percentile,n,hits,hit_rate,mae_days,as_of\n") {
				t.Errorf("kpi calibration: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestKPIUsageErrors: bad input exits 2 with one line naming the flag.
func TestKPIUsageErrors(t *testing.T) {
	cfg := writeConfig(t, "warehouse:\n  dsn: \"clickhouse://127.0.0.1:1/default\"\n")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"kpi", "--as-of", "2025-13-01"}, []string{"--as-of", "2025-13-01", "YYYY-MM-DD"}},
		{[]string{"kpi", "--from", "yesterday"}, []string{"--from", "yesterday"}},
		// Issue 12 defect 2: a stray future as-of is refused, saying how to ask for it.
		{[]string{"kpi", "--as-of", "2099-01-01", "--scope", "project:X"}, []string{"--as-of", "2099-01-01", "in the future", "--allow-future-as-of"}},
		{[]string{"kpi", "--from", "2025-01-01", "--to", "2099-01-01"}, []string{"--to", "2099-01-01", "--allow-future-as-of"}},
		{[]string{"kpi", "--to", "2025-01-01"}, []string{"--to needs --from"}},
		{[]string{"kpi", "--from", "2025-02-01", "--to", "2025-01-01"}, []string{"--from 2025-02-01 is after --to 2025-01-01"}},
		{[]string{"kpi", "--from", "2025-01-01", "--step", "3h"}, []string{"--step", "3h"}},
		{[]string{"kpi", "--scope", "board:x"}, []string{"--scope", "board"}},
		{[]string{"kpi", "--format", "xml"}, []string{"--format", "xml", "table, json, csv"}},
		{[]string{"kpi", "--pushgateway", "ftp://u:s3cret@gw"}, []string{"--pushgateway"}},
		{[]string{"kpi", "explain", "velocityy", "--scope", "portfolio"}, []string{`unknown KPI "velocityy"`, "sprint_velocity"}},
		{[]string{"kpi", "explain", "throughput"}, []string{"--scope is required"}},
		{[]string{"kpi", "explain", "throughput", "--scope", "program"}, []string{"--scope", "program:NAME"}},
		{[]string{"kpi", "explain"}, []string{"one KPI id"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, append(tc.args, "-c", cfg)...)
			checkOneLineError(t, r, ExitUsage, tc.want, []string{"s3cret"})
		})
	}
	r := run(t, nil, "kpi", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "cycle_time") || !strings.Contains(r.stdout, "QUESTION") {
		t.Errorf("kpi list: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, nil, "kpi", "--help")
	for _, want := range []string{"--from", "--as-of", "pmo kpi explain cycle_time --scope project:ALPHA", "--pushgateway"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("kpi --help lacks %q", want)
		}
	}
}

// TestCollectPushes: pmo collect pushes its run metrics (job pmo_collect)
// to the Pushgateway of serve.pushgateway.
func TestCollectPushes(t *testing.T) {
	cfgPath, _, _ := engineConfig(t, "chdb")
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: %s", r.stderr)
	}
	pg, gwURL := startPushgateway(t)
	s, err := jirasim.New(jirasim.Config{Issues: 120, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	body := string(base) + fmt.Sprintf("serve:\n  pushgateway: %q\nsources:\n  - name: sim\n    type: jira\n    url: %s\n    deployment: cloud\n    auth: {email: sim@example.com, api_token: sim-token}\n    projects: [%s]\n",
		gwURL, sim, strings.Join(s.ProjectKeys(), ", "))
	cfg := writeConfig(t, body)
	if r := run(t, nil, "-c", cfg, "collect"); r.code != 0 {
		t.Fatalf("collect: exit %d\n%s", r.code, r.stderr)
	}
	pushes, got := pg.get()
	if len(pushes) != 1 || !strings.HasPrefix(pushes[0], "PUT /metrics/job/pmo_collect/") {
		t.Fatalf("pushes: %v", pushes)
	}
	for _, want := range []string{`pmo_source_runs_total{result="success",source="sim"} 1`, `pmo_source_records_written_total{kind="issues",source="sim"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("pushed metrics lack %s:\n%s", want, tail(got, 30))
		}
	}
}
