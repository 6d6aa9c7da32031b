package jira_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/jira"
	"github.com/pmo-oss/pmo/collectors/jira/jirasim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
)

// startSim starts a simulator and returns it with its base URL.
func startSim(t testing.TB, cfg jirasim.Config) (*jirasim.Server, string) {
	t.Helper()
	sim, err := jirasim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, u
}

// startSimWith serves a simulator through wrap (a test middleware).
func startSimWith(t testing.TB, cfg jirasim.Config, wrap func(http.Handler) http.Handler) (*jirasim.Server, string) {
	t.Helper()
	sim, err := jirasim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wrap(sim.Handler()))
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	return sim, srv.URL
}

// simProjects lists the simulator's project keys.
func simProjects(t testing.TB, sim *jirasim.Server, base string) []string {
	t.Helper()
	cfg := sim.Config()
	req, _ := http.NewRequest("GET", base+"/rest/api/2/project", nil)
	if cfg.Mode == jirasim.Cloud {
		req, _ = http.NewRequest("GET", base+"/rest/api/3/project/search?maxResults=1000", nil)
		req.SetBasicAuth(cfg.Email, cfg.APIToken)
	} else {
		req.Header.Set("Authorization", "Bearer "+cfg.PAT)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type p struct {
		Key string `json:"key"`
	}
	var ps []p
	if cfg.Mode == jirasim.Cloud {
		var pg struct{ Values []p }
		err = json.NewDecoder(resp.Body).Decode(&pg)
		ps = pg.Values
	} else {
		err = json.NewDecoder(resp.Body).Decode(&ps)
	}
	if err != nil {
		t.Fatalf("listing simulator projects: %v", err)
	}
	var keys []string
	for _, x := range ps {
		keys = append(keys, x.Key)
	}
	if len(keys) == 0 {
		t.Fatal("the simulator has no projects")
	}
	return keys
}

func simConfig(t testing.TB, sim *jirasim.Server, base string) *jira.Config {
	t.Helper()
	c := jira.NewConfig()
	c.URL = base
	sc := sim.Config()
	if sc.Mode == jirasim.Cloud {
		c.Auth.Email, c.Auth.APIToken = sc.Email, secret.Secret(sc.APIToken)
	} else {
		c.Auth.PersonalAccessToken = secret.Secret(sc.PAT)
	}
	c.Projects = simProjects(t, sim, base)
	c.RequestsPerSecond = 0
	c.Concurrency = 8
	c.PageSize = 1000 // the simulator caps it; the collector must page by what it gets
	c.Timeout = 5 * time.Second
	c.Retry = jira.RetryConfig{MaxAttempts: 30, InitialBackoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxElapsed: time.Minute}
	return c
}

func truthCounts(tr jirasim.Truth) map[model.Kind]int {
	return map[model.Kind]int{
		model.KindProject: tr.Projects, model.KindStatus: tr.Statuses, model.KindBoard: tr.Boards,
		model.KindSprint: tr.Sprints, model.KindVersion: tr.Versions, model.KindIssue: tr.Issues,
		model.KindChange: tr.Changes, model.KindWorklog: tr.Worklogs, model.KindLink: tr.Links,
	}
}

func newCollector(t testing.TB, cfg *jira.Config) collectors.Collector {
	t.Helper()
	c, err := jira.New("sim", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// simSize is the simulated organisation's size: 1,500 issues (15 search
// pages a project walk, changelog and worklog paging on both modes), 1,000
// with -short; PMO_SIM_ISSUES sets another (e.g. 10000 for a long soak).
func simSize() int {
	if n, err := strconv.Atoi(os.Getenv("PMO_SIM_ISSUES")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 1000
	}
	return 1500
}

func searchRequests(m map[string]int64) int64 {
	var n int64
	for k, v := range m {
		if strings.Contains(k, "search") {
			n += v
		}
	}
	return n
}

func perIssueChanges(sink *collectortest.MemorySink) map[string]int {
	keys := map[string]string{}
	for _, r := range sink.Records(model.KindIssue) {
		is := r.(model.Issue)
		keys[is.ID] = is.Key
	}
	out := map[string]int{}
	for _, r := range sink.Records(model.KindChange) {
		out[keys[r.(model.Change).IssueID]]++
	}
	return out
}

// TestSimTruth collects the simulator in both modes and compares every
// record kind with its ground truth, then re-runs and expects no change and
// at most one search request per project.
func TestSimTruth(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			sim, base := startSim(t, jirasim.Config{Mode: mode, Issues: simSize(), Seed: 7})
			cfg := simConfig(t, sim, base)
			sink := collectortest.NewMemorySink()
			opts := collectors.Options{Logger: testLogger(t)}
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			tr := sim.Truth()
			collectortest.CheckCounts(t, sink.Counts(), truthCounts(tr))
			collectortest.CheckRecords(t, "sim", sink)
			collectortest.CheckStats(t, "sim", st, sink)
			if tr.ChangesByIssue != nil {
				got := perIssueChanges(sink)
				bad := 0
				for k, n := range tr.ChangesByIssue {
					if got[k] != n {
						if bad++; bad <= 5 {
							t.Errorf("issue %s: %d changes, want %d", k, got[k], n)
						}
					}
				}
			}
			t.Logf("%s: %d issues in %s, %d requests (%v), %d retries", mode, tr.Issues, st.Duration.Round(time.Millisecond),
				st.Requests, sim.Requests(), st.Retries)

			// Immediate re-run.
			before := sink.Digest()
			sim.ResetRequests()
			st2, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			if sink.Digest() != before {
				t.Error("an immediate re-run changed the stored records")
			}
			if n := searchRequests(sim.Requests()); n > int64(len(cfg.Projects)) {
				t.Errorf("re-run made %d search requests for %d projects (%v)", n, len(cfg.Projects), sim.Requests())
			}
			collectortest.CheckCursorsForward(t, sink.CursorHistory())
			t.Logf("re-run: %d requests %v", st2.Requests, sim.Requests())
		})
	}
}

// TestSimFaults runs against a simulator that fails 20% of requests.
func TestSimFaults(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			sim, base := startSim(t, jirasim.Config{Mode: mode, Issues: simSize() / 5, Seed: 11,
				Faults: jirasim.Faults{Rate: 0.2, Seed: 3, RetryAfter: 0, Timeout: 3 * time.Second,
					Kinds: []jirasim.FaultKind{jirasim.Fault429, jirasim.Fault500, jirasim.FaultTimeout, jirasim.FaultTruncate, jirasim.Fault503}}})
			cfg := simConfig(t, sim, base)
			cfg.Timeout = 300 * time.Millisecond
			sink := collectortest.NewMemorySink()
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, collectors.Options{Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			if st.Retries == 0 {
				t.Error("no retries: the faults did not happen")
			}
			collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))
			t.Logf("%d requests, %d retries, %s", st.Requests, st.Retries, st.Duration.Round(time.Millisecond))
		})
	}
}

// countingSink cancels the run after a number of records.
type countingSink struct {
	*collectortest.MemorySink
	n      atomic.Int64
	after  int64
	cancel context.CancelFunc
}

func (s *countingSink) Put(ctx context.Context, recs ...model.Record) error {
	if s.n.Add(int64(len(recs))) > s.after && s.cancel != nil {
		s.cancel()
	}
	return s.MemorySink.Put(ctx, recs...)
}

// TestSimResume cancels a run mid-way, runs again and expects the truth.
func TestSimResume(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			sim, base := startSim(t, jirasim.Config{Mode: mode, Issues: 2000, Seed: 5})
			cfg := simConfig(t, sim, base)
			mem := collectortest.NewMemorySink()
			ctx, cancel := context.WithCancel(context.Background())
			sink := &countingSink{MemorySink: mem, after: int64(sim.Truth().Changes / 2), cancel: cancel}
			_, err := newCollector(t, cfg).Collect(ctx, sink, collectors.Options{Logger: testLogger(t)})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled run returned %v, want context.Canceled", err)
			}
			partial := mem.Counts()[model.KindIssue]
			if _, err := newCollector(t, cfg).Collect(context.Background(), mem, collectors.Options{Logger: testLogger(t)}); err != nil {
				t.Fatal(err)
			}
			collectortest.CheckCounts(t, mem.Counts(), truthCounts(sim.Truth()))
			collectortest.CheckCursorsForward(t, mem.CursorHistory())
			t.Logf("cancelled with %d issues stored; resumed to %d", partial, mem.Counts()[model.KindIssue])
		})
	}
}

// TestSimIncremental updates and deletes issues in the simulator; the next
// run picks up the updates and marks the deleted issues.
func TestSimIncremental(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			sim, base := startSim(t, jirasim.Config{Mode: mode, Issues: 2000, Seed: 9})
			cfg := simConfig(t, sim, base)
			cfg.ReconcileEvery = time.Nanosecond // every run
			sink := collectortest.NewMemorySink()
			opts := collectors.Options{Logger: testLogger(t)}
			if _, err := newCollector(t, cfg).Collect(context.Background(), sink, opts); err != nil {
				t.Fatal(err)
			}
			touched := sim.Touch(40)
			sim.Delete(touched[0], touched[1], touched[2])
			sim.ResetRequests()
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))
			if got := sink.Counts()[model.KindIssueDeleted]; got != 3 {
				t.Errorf("%d deletions recorded, want 3", got)
			}
			if st.Records[model.KindIssue] > 200 {
				t.Errorf("incremental run re-read %d issues for 40 updated", st.Records[model.KindIssue])
			}
			t.Logf("incremental: %d issues, %d requests %v", st.Records[model.KindIssue], st.Requests, sim.Requests())
		})
	}
}

// TestSimConformance runs the collector conformance suite.
func TestSimConformance(t *testing.T) {
	sim, base := startSim(t, jirasim.Config{Mode: jirasim.Cloud, Issues: 1000, Seed: 1})
	cfg := simConfig(t, sim, base)
	collectortest.Run(t, collectortest.Suite{
		New:   func(t *testing.T) collectors.Collector { return newCollector(t, cfg) },
		Truth: func(t *testing.T) map[model.Kind]int { return truthCounts(sim.Truth()) },
		ChangeKinds: []model.ChangeKind{model.ChangeStatus, model.ChangeResolution, model.ChangeSprint, model.ChangeStoryPoints,
			model.ChangeAssignee, model.ChangePriority, model.ChangeLink, model.ChangeFixVersion, model.ChangeOther},
	})
}

func TestSimAuthFailure(t *testing.T) {
	sim, base := startSim(t, jirasim.Config{Mode: jirasim.Cloud, Issues: 100})
	cfg := simConfig(t, sim, base)
	cfg.Auth.APIToken = "wrong-token-d3adb33f"
	_, err := newCollector(t, cfg).Collect(context.Background(), collectortest.NewMemorySink(), collectors.Options{Logger: testLogger(t)})
	if !errors.Is(err, jira.ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	if !strings.Contains(err.Error(), "authentication failed for source sim") || strings.Contains(err.Error(), "d3adb33f") {
		t.Errorf("error %q", err)
	}
}

// touchingSink updates issues in the simulator while the collector pages:
// every `every` issues stored, it touches `n` issues, until `until` issues
// have been stored.
type touchingSink struct {
	*collectortest.MemorySink
	sim          *jirasim.Server
	every, n     int
	until        int
	seen, nextAt int
	touched      int
}

func (s *touchingSink) Put(ctx context.Context, recs ...model.Record) error {
	for _, r := range recs {
		if r.Kind() == model.KindIssue {
			s.seen++
		}
	}
	if s.seen < s.until && s.seen >= s.nextAt {
		s.touched += len(s.sim.Touch(s.n))
		s.nextAt = s.seen + s.every
	}
	return s.MemorySink.Put(ctx, recs...)
}

// countContinued counts the search requests that continue a query by token
// or by a startAt other than 0.
func countContinued(n *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/search") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte("nextPageToken")) || strings.TrimLeft(r.URL.Query().Get("startAt"), "0") != "" {
					n.Add(1)
				}
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestSimTouchWhilePaging updates issues while the collector pages through
// them. Every issue must still be read (an offset walk over "ORDER BY
// updated" skips one issue per update behind it), and a following
// incremental run must leave every issue with its complete changelog.
func TestSimTouchWhilePaging(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			var continued atomic.Int64
			sim, base := startSimWith(t, jirasim.Config{Mode: mode, Issues: 2000, Seed: 21}, countContinued(&continued))
			cfg := simConfig(t, sim, base)
			cfg.Overlap = 0 // so the second run cannot re-read a skipped issue by chance
			mem := collectortest.NewMemorySink()
			sink := &touchingSink{MemorySink: mem, sim: sim, every: 100, n: 7, until: 1600}
			opts := collectors.Options{Logger: testLogger(t)}
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := continued.Load(); n > 0 {
				// Keyset paging restarts the query after every page; it
				// must not depend on what a token or an offset means once
				// the result has changed.
				t.Errorf("%d search requests continued a query by token or startAt", n)
			}
			if sink.touched == 0 {
				t.Fatal("no issue was touched during the run")
			}
			tr := sim.Truth()
			if got := mem.Counts()[model.KindIssue]; got != tr.Issues {
				t.Errorf("first run stored %d distinct issues, want %d (issues were skipped)", got, tr.Issues)
			}
			t.Logf("%s: %d issues touched during the run; %d issue records read, %d requests %v",
				mode, sink.touched, st.Records[model.KindIssue], st.Requests, sim.Requests())

			if _, err := newCollector(t, cfg).Collect(context.Background(), mem, opts); err != nil {
				t.Fatal(err)
			}
			tr = sim.Truth()
			collectortest.CheckCounts(t, mem.Counts(), truthCounts(tr))
			got := perIssueChanges(mem)
			bad := 0
			for k, n := range tr.ChangesByIssue {
				if got[k] != n {
					if bad++; bad <= 5 {
						t.Errorf("issue %s: %d changes, want %d", k, got[k], n)
					}
				}
			}
			if bad > 5 {
				t.Errorf("… %d issues in all with wrong change counts", bad)
			}
		})
	}
}

// TestSimSameInstant updates more issues at one instant than a page holds
// and than the walk lists in "id not in (…)": the incremental run must read
// each of them once and miss none.
func TestSimSameInstant(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			var continued atomic.Int64
			sim, base := startSimWith(t, jirasim.Config{Mode: mode, Issues: 1200, Seed: 4}, countContinued(&continued))
			cfg := simConfig(t, sim, base)
			sink := collectortest.NewMemorySink()
			opts := collectors.Options{Logger: testLogger(t)}
			if _, err := newCollector(t, cfg).Collect(context.Background(), sink, opts); err != nil {
				t.Fatal(err)
			}
			// One instant, about 250 issues per project, pages of 100: the
			// second page brings the ties to 200, more than the walk lists
			// in "id not in", so it continues that query for the third.
			touched := sim.Touch(750)
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			tr := sim.Truth()
			collectortest.CheckCounts(t, sink.Counts(), truthCounts(tr))
			got := perIssueChanges(sink)
			for k, n := range tr.ChangesByIssue {
				if got[k] != n {
					t.Errorf("issue %s: %d changes, want %d", k, got[k], n)
				}
			}
			if continued.Load() == 0 {
				t.Error("the walk never continued a query; the test misses its case")
			}
			// The touched issues, plus the few in the overlap window before the cursor.
			if n := st.Records[model.KindIssue]; n < int64(len(touched)) || n > int64(len(touched))+10 {
				t.Errorf("incremental run read %d issues for %d touched at one instant", n, len(touched))
			}
		})
	}
}

// TestSimReconcileSkippedListing deletes an issue while the deletion check
// lists a project's ids. On Data Center the listing pages by startAt, so the
// issues behind the deleted one shift back and one is skipped: it must be
// checked and kept, not marked deleted.
func TestSimReconcileSkippedListing(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.Cloud, jirasim.DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			var sim *jirasim.Server
			var deleted atomic.Value
			sim, base := startSimWith(t, jirasim.Config{Mode: mode, Issues: 2000, Seed: 9}, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/search") {
						body, _ := io.ReadAll(r.Body)
						r.Body = io.NopCloser(bytes.NewReader(body))
						q := r.URL.Query()
						listing := q.Get("fields") == "key" || bytes.Contains(body, []byte(`"fields":["key"]`))
						second := q.Get("startAt") == "100" || bytes.Contains(body, []byte("nextPageToken"))
						if listing && second && deleted.Load() == nil {
							jql := q.Get("jql") + string(body)
							if i := strings.Index(jql, `project = \"`); i >= 0 { // in a JSON body
								jql = jql[i+len(`project = \"`):]
							} else if i := strings.Index(jql, `project = "`); i >= 0 {
								jql = jql[i+len(`project = "`):]
							}
							key := jql[:strings.IndexAny(jql, `\"`)] + "-1" // read on the first page
							deleted.Store(key)
							sim.Delete(key)
						}
					}
					h.ServeHTTP(w, r)
				})
			})
			cfg := simConfig(t, sim, base)
			cfg.ReconcileEvery = time.Nanosecond // every run
			sink := collectortest.NewMemorySink()
			opts := collectors.Options{Logger: testLogger(t)}
			for run := 1; run <= 2; run++ {
				if _, err := newCollector(t, cfg).Collect(context.Background(), sink, opts); err != nil {
					t.Fatal(err)
				}
			}
			if deleted.Load() == nil {
				t.Fatal("the test did not delete an issue during the listing")
			}
			// Run 2 deleted the issue during its listing (after reading it);
			// run 3 detects that deletion. No run may hide an existing issue.
			if got, want := sink.Counts()[model.KindIssue], sim.Truth().Issues+1; got != want {
				t.Errorf("after the listing with a deletion: %d issues, want %d", got, want)
			}
			if _, err := newCollector(t, cfg).Collect(context.Background(), sink, opts); err != nil {
				t.Fatal(err)
			}
			collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))
			if got := sink.Counts()[model.KindIssueDeleted]; got != 1 {
				t.Errorf("%d deletions recorded, want 1 (%v)", got, deleted.Load())
			}
		})
	}
}
