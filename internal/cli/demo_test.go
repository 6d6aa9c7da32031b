package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
)

// demoDay is the clock of the tests that run the demo and then ask for its
// data at a fixed date (--as-of 2025-07-01): the organisation's history
// ends at the start of 30 June 2025.
var demoDay = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

// runAt is run with the App's clock at now.
func runAt(t *testing.T, now time.Time, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb, LookupEnv: func(string) (string, bool) { return "", false },
		IsTerminal: func(io.Writer) bool { return false }, Now: func() time.Time { return now }}
	code := a.Run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// TestDemoWholePipeline runs `pmo demo --no-serve` on a fixed day: it
// collects, stores a KPI snapshot of that day and a weekly history, writes
// the reports to the folder it names, and says where they are. Its data
// ends that day, so what a user runs next on the same day sees it (issue 12
// defect 3: the demo's data ended at a fixed date and the next pmo kpi
// computed 0.0/wk everywhere): pmo kpi without --as-of has throughput, WIP
// and cycle time in every scope, the closing hint's command lists issues,
// and pmo report reports that day. A run on a later day collects the
// organisation of that day in full.
func TestDemoWholePipeline(t *testing.T) {
	echartsOrSkip(t)
	cfgPath, dsn, db := engineConfig(t, "chdb")
	out := filepath.Join(t.TempDir(), "reports")
	now := time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)
	r := runAt(t, now, "-c", cfgPath, "demo", "--issues", "500", "--no-serve", "--history-weeks", "2", "--out", out)
	t.Logf("demo:\n%s", r.stdout)
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s", r.code, tail(r.stderr, 20))
	}
	for _, want := range []string{
		`KPI snapshot as of 2026-03-16: \d+ values for 3 projects, 2 programs, 1 sources and the portfolio`,
		`stored 2 KPI snapshots from 2026-03-02 to 2026-03-09 \(every 7 days\)`,
		`reports written to ` + regexp.QuoteMeta(out) + `\n  open file://.*/index.html`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("demo output does not match %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "current", "index.html")); err != nil {
		t.Errorf("no report: %v", err)
	}
	w := openEngine(t, "chdb", dsn, db)
	if n := countRows(t, w, "SELECT count(DISTINCT as_of) FROM v_kpi_values"); n != 3 {
		t.Errorf("%d KPI snapshots stored, want 3 (one and a 2-week history)", n)
	}

	// pmo kpi later that day: every scope has flow.
	k := runAt(t, now.Add(3*time.Hour), "-c", cfgPath, "kpi", "--format", "json")
	if k.code != 0 {
		t.Fatalf("kpi: exit %d\n%s", k.code, tail(k.stderr, 20))
	}
	var snap struct {
		AsOf   time.Time `json:"as_of"`
		Values []struct {
			ScopeKind string            `json:"scope_kind"`
			Scope     string            `json:"scope"`
			KPI       string            `json:"kpi"`
			Window    string            `json:"window"`
			Labels    map[string]string `json:"labels"`
			Value     *float64          `json:"value"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(k.stdout), &snap); err != nil {
		t.Fatalf("kpi --format json: %v", err)
	}
	if want := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC); !snap.AsOf.Equal(want) {
		t.Errorf("kpi as of %s, want %s", snap.AsOf, want)
	}
	type measure struct{ kpi, window, labels string }
	flow := []measure{
		{"throughput", "4w", "measure=per_week"},
		{"wip", "snapshot", "measure=count"},
		{"cycle_time", "12w", "method=nr,quantile=0.5,unit=dc"},
	}
	got := map[string]map[measure]float64{}
	for _, v := range snap.Values {
		ls := make([]string, 0, len(v.Labels))
		for k, x := range v.Labels {
			ls = append(ls, k+"="+x)
		}
		slices.Sort(ls)
		scope := v.ScopeKind + ":" + v.Scope
		if got[scope] == nil {
			got[scope] = map[measure]float64{}
		}
		if v.Value != nil {
			got[scope][measure{v.KPI, v.Window, strings.Join(ls, ",")}] = *v.Value
		}
	}
	if len(got) != 3+2+1+1 {
		t.Errorf("%d scopes, want 3 projects, 2 programs, the source and the portfolio: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	for scope, vals := range got {
		for _, m := range flow {
			if vals[m] <= 0 {
				t.Errorf("%s: %s %s %s is %v, want more than 0", scope, m.kpi, m.window, m.labels, vals[m])
			}
		}
	}

	// The closing hint's command lists the issues behind its value.
	hint := regexp.MustCompile(`Next: pmo (kpi explain [^,]+),`).FindStringSubmatch(r.stdout)
	if hint == nil {
		t.Fatalf("no closing hint with a pmo kpi explain command in:\n%s", r.stdout)
	}
	e := runAt(t, now.Add(3*time.Hour), append([]string{"-c", cfgPath}, strings.Fields(hint[1])...)...)
	if e.code != 0 {
		t.Fatalf("pmo %s: exit %d\n%s", hint[1], e.code, tail(e.stderr, 20))
	}
	if !regexp.MustCompile(`as of 2026-03-16`).MatchString(e.stdout) || !regexp.MustCompile(`\(n = [1-9]\d*\)`).MatchString(e.stdout) ||
		strings.Count(e.stdout, "\n") < 10 {
		t.Errorf("pmo %s lists no issues of 2026-03-16:\n%s", hint[1], e.stdout)
	}

	// pmo report reports that day.
	out2 := filepath.Join(t.TempDir(), "reports")
	rep := runAt(t, now.Add(3*time.Hour), "-c", cfgPath, "report", "--out", out2)
	if rep.code != 0 {
		t.Fatalf("report: exit %d\n%s", rep.code, tail(rep.stderr, 20))
	}
	if b, err := os.ReadFile(filepath.Join(out2, "current", "index.html")); err != nil || !strings.Contains(string(b), "16 Mar 2026") {
		t.Errorf("report index.html is not as of 16 Mar 2026 (%v)", err)
	}

	// The change log lists the simulator's release-date moves of the
	// week, old and new date and by how much, as the demo's daily
	// observations of the versions saw them.
	sim, err := jirasim.New(jirasim.Demo(jirasim.Cloud, 500, 1, demoAnchor(now)))
	if err != nil {
		t.Fatal(err)
	}
	var wantMoves []string
	for _, m := range sim.ReleaseMoves() {
		wantMoves = append(wantMoves, fmt.Sprintf("%s %s → %s %+d", m.Version, m.From.Format(time.DateOnly), m.To.Format(time.DateOnly),
			int(m.To.Sub(m.From).Hours()/24)))
	}
	if len(wantMoves) == 0 {
		t.Fatal("the simulator moves no release date")
	}
	ch := runAt(t, now.Add(3*time.Hour), "-c", cfgPath, "changes", "--kind", "release_date", "--format", "json")
	if ch.code != 0 {
		t.Fatalf("changes: exit %d\n%s", ch.code, tail(ch.stderr, 20))
	}
	var log struct {
		Entries []struct {
			Key, From, To string
			Days          *int64
		}
	}
	if err := json.Unmarshal([]byte(ch.stdout), &log); err != nil {
		t.Fatalf("changes --format json: %v", err)
	}
	var gotMoves []string
	for _, e := range log.Entries {
		if e.Days == nil {
			t.Errorf("release-date move of %s without days: %+v", e.Key, e)
			continue
		}
		gotMoves = append(gotMoves, fmt.Sprintf("%s %s → %s %+d", e.Key, e.From, e.To, *e.Days))
	}
	slices.Sort(gotMoves)
	slices.Sort(wantMoves)
	if !slices.Equal(gotMoves, wantMoves) {
		t.Errorf("the change log's release-date moves:\n%s\nwantMoves the simulator's:\n%s", strings.Join(gotMoves, "\n"), strings.Join(wantMoves, "\n"))
	}

	// The next day the organisation is the same one a day later, collected
	// in full: no issue keeps the first day's timestamps (its year began
	// on 16 March 2025, the next day's on the 17th).
	next := now.AddDate(0, 0, 1)
	r2 := runAt(t, next, "-c", cfgPath, "demo", "--issues", "500", "--no-serve", "--history-weeks", "0", "--out", out)
	if r2.code != 0 {
		t.Fatalf("demo the next day: exit %d\n%s", r2.code, tail(r2.stderr, 20))
	}
	if n := countRows(t, w, "SELECT count() FROM v_issues WHERE created < toDateTime('2025-03-17 00:00:00', 'UTC')"); n != 0 {
		t.Errorf("%d issues keep the first day's creation times after the next day's demo; want every issue collected again", n)
	}
	if n := countRows(t, w, "SELECT count() FROM v_issues"); n != 500 {
		t.Errorf("%d issues after the next day's demo, want the organisation's 500", n)
	}
}

// TestDemoServes runs `pmo demo` with serving on a free loopback port,
// reads /metrics and /reports/index.html from the URLs it prints, and
// stops it as Ctrl-C does.
func TestDemoServes(t *testing.T) {
	echartsOrSkip(t)
	cfgPath, _, _ := engineConfig(t, "chdb")
	out := filepath.Join(t.TempDir(), "reports")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stdout, stderr syncBuffer
	a := &App{Stdout: &stdout, Stderr: &stderr, LookupEnv: func(string) (string, bool) { return "", false }, IsTerminal: func(io.Writer) bool { return false }}
	done := make(chan int, 1)
	go func() {
		done <- a.Run(ctx, []string{"-c", cfgPath, "demo", "--issues", "150", "--history-weeks", "1", "--out", out, "--listen", "127.0.0.1:0"})
	}()
	urlRE := regexp.MustCompile(`metrics  (http://127\.0\.0\.1:\d+)/metrics`)
	deadline := time.Now().Add(3 * time.Minute)
	var root string
	for root == "" {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			root = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("demo ended (exit %d) before serving:\n%s\n%s", code, stdout.String(), tail(stderr.String(), 20))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo did not print its URLs:\n%s", stdout.String())
		}
	}
	for _, want := range []string{"/reports/  (files in " + out + ")", "Stop it with Ctrl-C"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout.String())
		}
	}
	get := func(path, want string) {
		t.Helper()
		for {
			resp, err := http.Get(root + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.Contains(string(b), want) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: no 200 with %q (%v)", path, want, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	get("/metrics", "pmo_kpi_snapshot_timestamp_seconds")
	get("/reports/index.html", "<html")
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exit %d after Ctrl-C, want 0; log:\n%s", code, tail(stderr.String(), 20))
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("demo did not stop")
	}
}
