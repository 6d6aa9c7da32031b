package gitlab_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/gitlab"
	"github.com/pmo-oss/pmo/collectors/gitlab/gitlabsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
)

// simNow is the simulated present of the tests: an hour ago, so that no
// simulated update falls inside the incremental overlap (10 minutes) and a
// re-run reads nothing again unless the test touches issues.
func simNow() time.Time { return time.Now().UTC().Add(-time.Hour).Truncate(time.Second) }

func startSim(t testing.TB, cfg gitlabsim.Config) (*gitlabsim.Server, string) {
	t.Helper()
	if cfg.Now.IsZero() {
		cfg.Now = simNow()
	}
	sim, err := gitlabsim.New(cfg)
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
func startSimWith(t testing.TB, cfg gitlabsim.Config, wrap func(http.Handler) http.Handler) (*gitlabsim.Server, string) {
	t.Helper()
	if cfg.Now.IsZero() {
		cfg.Now = simNow()
	}
	sim, err := gitlabsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wrap(sim.Handler()))
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	return sim, srv.URL
}

func simConfig(t testing.TB, sim *gitlabsim.Server, base string) *gitlab.Config {
	t.Helper()
	c := gitlab.NewConfig()
	c.URL = base
	c.Auth.PrivateToken = secret.Secret(sim.Config().Token)
	c.Groups = []string{sim.GroupPath()}
	c.RequestsPerSecond = 0
	c.Concurrency = 8
	c.Timeout = 5 * time.Second
	c.Retry = gitlab.RetryConfig{MaxAttempts: 30, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxElapsed: time.Minute}
	return c
}

func truthCounts(tr gitlabsim.Truth) map[model.Kind]int {
	return map[model.Kind]int{
		model.KindProject: tr.Projects, model.KindStatus: tr.Statuses, model.KindBoard: tr.Boards,
		model.KindSprint: tr.Sprints, model.KindVersion: tr.Versions, model.KindIssue: tr.Issues,
		model.KindChange: tr.Changes, model.KindWorklog: tr.Worklogs, model.KindLink: tr.Links, model.KindIssueDeleted: tr.Moved,
	}
}

func newCollector(t testing.TB, cfg *gitlab.Config) collectors.Collector {
	t.Helper()
	c, err := gitlab.New("gl", cfg)
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

// issueListRequests counts the requests for issue lists.
func issueListRequests(m map[string]int64) int64 { return m["issues"] }

// TestSimTruth collects the simulator as GitLab Premium with keyset
// pagination, as GitLab Free that ignores pagination=keyset, and as a
// GitLab that refuses it (405, the collector falls back to offsets), compares every
// record kind with the ground truth, then re-runs: nothing changes and the
// re-run reads one issue page per project.
func TestSimTruth(t *testing.T) {
	tests := []struct {
		name            string
		premium, keyset bool
		pagination      string
	}{
		{"premium-keyset", true, true, gitlab.PaginationAuto},
		{"free-offset", false, false, gitlab.PaginationAuto},
		{"keyset-refused", true, false, gitlab.PaginationAuto},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, base := startSim(t, gitlabsim.Config{Issues: 150, Seed: 7, Premium: tc.premium, Keyset: tc.keyset, MaxPerPage: 20,
				KeysetRefused: tc.name == "keyset-refused"})
			cfg := simConfig(t, sim, base)
			cfg.Pagination = tc.pagination
			sink := collectortest.NewMemorySink()
			opts := collectors.Options{Logger: testLogger(t)}
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			tr := sim.Truth()
			collectortest.CheckCounts(t, sink.Counts(), truthCounts(tr))
			collectortest.CheckRecords(t, "gl", sink)
			collectortest.CheckStats(t, "gl", st, sink)
			t.Logf("%d issues (%d moved), %d changes in %s, %d requests %v", tr.Issues, tr.Moved, tr.Changes,
				st.Duration.Round(time.Millisecond), st.Requests, sim.Requests())

			before := sink.Digest()
			sim.ResetRequests()
			if _, err := newCollector(t, cfg).Collect(context.Background(), sink, opts); err != nil {
				t.Fatal(err)
			}
			if sink.Digest() != before {
				t.Error("an immediate re-run changed the stored records")
			}
			// The overlap re-reads the last 10 minutes: the simulator's
			// issues were last updated well before, so one page each.
			// (A GitLab that refuses keyset pagination costs one request
			// more: each run asks once.)
			want := int64(3)
			if tc.name == "keyset-refused" {
				want++
			}
			if n := issueListRequests(sim.Requests()); n > want {
				t.Errorf("re-run made %d issue list requests for 3 projects, want %d (%v)", n, want, sim.Requests())
			}
			collectortest.CheckCursorsForward(t, sink.CursorHistory())
		})
	}
}

// TestSimFaults: 20 % of the requests fail (429 with and without headers,
// 5xx, timeouts, bodies cut short); the records are those of a clean run.
func TestSimFaults(t *testing.T) {
	clean, cbase := startSim(t, gitlabsim.Config{Issues: 60, Seed: 11, Premium: true, Keyset: true})
	want := collectortest.NewMemorySink()
	if _, err := newCollector(t, simConfig(t, clean, cbase)).Collect(context.Background(), want, collectors.Options{Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	sim, base := startSim(t, gitlabsim.Config{Issues: 60, Seed: 11, Premium: true, Keyset: true, Now: clean.Config().Now,
		Faults: gitlabsim.Faults{Rate: 0.2, Seed: 3, Timeout: 3 * time.Second, Kinds: []gitlabsim.FaultKind{
			gitlabsim.Fault429, gitlabsim.Fault429Reset, gitlabsim.Fault429Bare, gitlabsim.Fault500, gitlabsim.Fault502,
			gitlabsim.FaultTimeout, gitlabsim.FaultTruncate}}})
	cfg := simConfig(t, sim, base)
	cfg.Timeout = 200 * time.Millisecond
	got := collectortest.NewMemorySink()
	st, err := newCollector(t, cfg).Collect(context.Background(), got, collectors.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Retries == 0 {
		t.Error("no retries: the faults did not happen")
	}
	for k, d := range want.DigestByKind() {
		if got.DigestByKind()[k] != d {
			t.Errorf("%s differ from a run without faults", k)
		}
	}
	collectortest.CheckCounts(t, got.Counts(), truthCounts(sim.Truth()))
	t.Logf("%d requests, %d retries, %s", st.Requests, st.Retries, st.Duration.Round(time.Millisecond))
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
	sim, base := startSim(t, gitlabsim.Config{Issues: 90, Seed: 5, Premium: true, Keyset: true, MaxPerPage: 10})
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
}

// TestSimIncremental updates and deletes issues in the simulator; the next
// run reads only the updated ones (by updated_after) and marks the deleted
// ones, in both pagination modes.
func TestSimIncremental(t *testing.T) {
	for _, keyset := range []bool{true, false} {
		t.Run(map[bool]string{true: "keyset", false: "offset"}[keyset], func(t *testing.T) {
			// Offsets: the server could page by keyset, pagination: offset
			// says not to.
			sim, base := startSim(t, gitlabsim.Config{Issues: 90, Seed: 9, Premium: true, Keyset: true})
			cfg := simConfig(t, sim, base)
			if !keyset {
				cfg.Pagination = gitlab.PaginationOffset
			}
			cfg.ReconcileEvery = time.Nanosecond // every run
			sink := collectortest.NewMemorySink()
			opts := collectors.Options{Logger: testLogger(t)}
			if _, err := newCollector(t, cfg).Collect(context.Background(), sink, opts); err != nil {
				t.Fatal(err)
			}
			touched := sim.Touch(12)
			sim.Delete(touched[:3]...)
			sim.ResetRequests()
			st, err := newCollector(t, cfg).Collect(context.Background(), sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			tr := sim.Truth()
			want := truthCounts(tr)
			want[model.KindIssueDeleted] = tr.Moved + 3
			collectortest.CheckCounts(t, sink.Counts(), want)
			// The overlap re-reads the issue at each project's cursor: 3 more.
			reread := int64(len(touched) - 3 + 3)
			if got := st.Records[model.KindIssue]; got != reread {
				t.Errorf("incremental run read %d issues for %d updated and 3 deleted, want %d", got, len(touched), reread)
			}
			reqs := sim.Requests()
			if reqs["resource_state_events"] != reread {
				t.Errorf("incremental run read the state events of %d issues, want %d (%v)", reqs["resource_state_events"], reread, reqs)
			}
			labelled := 0
			for _, r := range sink.Records(model.KindIssue) {
				for _, l := range r.(model.Issue).Labels {
					if l == "touched" {
						labelled++
					}
				}
			}
			if labelled != len(touched)-3 {
				t.Errorf("%d stored issues carry the new label, want %d", labelled, len(touched)-3)
			}
			t.Logf("incremental: %d issues, %d requests %v", st.Records[model.KindIssue], st.Requests, reqs)
		})
	}
}

// TestSimConformance runs the collector conformance suite.
func TestSimConformance(t *testing.T) {
	sim, base := startSim(t, gitlabsim.Config{Issues: 60, Seed: 1, Premium: true, Keyset: true})
	cfg := simConfig(t, sim, base)
	collectortest.Run(t, collectortest.Suite{
		New:   func(t *testing.T) collectors.Collector { return newCollector(t, cfg) },
		Truth: func(t *testing.T) map[model.Kind]int { return truthCounts(sim.Truth()) },
		RerunRequests: func(t *testing.T, st collectors.Stats) {
			// The group's project list; milestones, iterations, one issue
			// page and one timelog page per project; and the five event
			// lists and the links of the one issue per project the overlap
			// reads again.
			if st.Requests > 1+3*4+3*6 {
				t.Errorf("an immediate re-run made %d requests, want at most 31", st.Requests)
			}
		},
		ChangeKinds: []model.ChangeKind{model.ChangeStatus, model.ChangeResolution, model.ChangeSprint, model.ChangeStoryPoints,
			model.ChangeFixVersion, model.ChangeLink, model.ChangeOther},
	})
}

// TestSimAuthFailure: a wrong token fails at once with an auth error that
// names the key to fix and never shows the token.
func TestSimAuthFailure(t *testing.T) {
	sim, base := startSim(t, gitlabsim.Config{Issues: 10})
	cfg := simConfig(t, sim, base)
	cfg.Auth.PrivateToken = "glpat-wrong-d3adb33f"
	st, err := newCollector(t, cfg).Collect(context.Background(), collectortest.NewMemorySink(), collectors.Options{Logger: testLogger(t)})
	if err == nil {
		t.Fatal("no error with a wrong token")
	}
	if !errors.Is(err, gitlab.ErrAuth) || collectors.ErrorKind(err) != collectors.KindAuth {
		t.Errorf("error %v is not an auth error (kind %s)", err, collectors.ErrorKind(err))
	}
	for _, want := range []string{"collecting source gl", "auth.private_token", "HTTP 401"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "d3adb33f") {
		t.Errorf("the token leaks into %q", err)
	}
	if st.Retries != 0 {
		t.Errorf("%d retries of an auth failure", st.Retries)
	}
}

// TestSimProjectsByPath collects projects named by path and by id (no
// group) and a missing one fails naming it.
func TestSimProjectsByPath(t *testing.T) {
	sim, base := startSim(t, gitlabsim.Config{Issues: 30, Seed: 2})
	cfg := simConfig(t, sim, base)
	cfg.Groups = nil
	cfg.Projects = []string{sim.ProjectPaths()[0], "2"}
	sink := collectortest.NewMemorySink()
	if _, err := newCollector(t, cfg).Collect(context.Background(), sink, collectors.Options{Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	if n := sink.Counts()[model.KindProject]; n != 2 {
		t.Errorf("%d projects, want 2", n)
	}
	cfg.Projects = []string{"acme/missing"}
	_, err := newCollector(t, cfg).Collect(context.Background(), collectortest.NewMemorySink(), collectors.Options{Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), `"acme/missing" (projects[0])`) || collectors.ErrorKind(err) != collectors.KindNotFound {
		t.Errorf("missing project: got %v (kind %s)", err, collectors.ErrorKind(err))
	}
}

// syncBuffer is a log destination safe for the collector's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSimDegrades: on GitLab Free (no iterations, no iteration or weight
// events: 404) and without GraphQL timelogs the collection succeeds without
// sprints, sprint and story-point history and worklogs, and says so once
// per missing part.
func TestSimDegrades(t *testing.T) {
	sim, base := startSim(t, gitlabsim.Config{Issues: 60, Seed: 4, NoTimelogs: true})
	cfg := simConfig(t, sim, base)
	var logs syncBuffer
	sink := collectortest.NewMemorySink()
	_, err := newCollector(t, cfg).Collect(context.Background(), sink,
		collectors.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))
	for _, want := range []string{"no iterations endpoint", "no resource_iteration_events endpoint",
		"no resource_weight_events endpoint", "gave no timelogs"} {
		if n := strings.Count(logs.String(), want); n != 1 {
			t.Errorf("%d warnings %q, want 1:\n%s", n, want, logs.String())
		}
	}
	for _, r := range sink.Records(model.KindChange) {
		if k := r.(model.Change).ChangeKind; k == model.ChangeSprint || k == model.ChangeStoryPoints {
			t.Fatalf("a %s change without the Premium events", k)
		}
	}
}

// TestSimIssueDeletedMidRun: an issue listed but gone when its events are
// read (404) is marked deleted, and the run goes on.
func TestSimIssueDeletedMidRun(t *testing.T) {
	sim, base := startSimWith(t, gitlabsim.Config{Issues: 30, Seed: 6}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.EscapedPath(), "/projects/1/issues/2/") {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"message":"404 Issue Not Found"}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	cfg := simConfig(t, sim, base)
	sink := collectortest.NewMemorySink()
	if _, err := newCollector(t, cfg).Collect(context.Background(), sink, collectors.Options{Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	tr := sim.Truth()
	got := sink.Counts()
	if got[model.KindIssue] != tr.Issues-1 || got[model.KindIssueDeleted] != tr.Moved+1 {
		t.Errorf("issues %d, deletions %d; want %d and %d", got[model.KindIssue], got[model.KindIssueDeleted], tr.Issues-1, tr.Moved+1)
	}
	for _, r := range sink.Records(model.KindIssueDeleted) {
		if d := r.(model.IssueDeleted); d.IssueKey == "acme/proj-1#2" {
			return
		}
	}
	t.Error("acme/proj-1#2 is not marked deleted")
}
