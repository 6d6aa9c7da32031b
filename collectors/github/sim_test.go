package github_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/github"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
)

func startSim(t testing.TB, cfg githubsim.Config) (*githubsim.Sim, string) {
	t.Helper()
	sim := githubsim.New(cfg)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func simConfig(base string, repos ...string) *github.Config {
	cfg := github.NewConfig()
	cfg.URL = base + "/api/v3"
	cfg.Token = secret.Secret("sim-token")
	cfg.Repositories = repos
	cfg.PageSize = 10
	cfg.Timeout = 5 * time.Second
	return cfg
}

func newCollector(t testing.TB, source string, cfg *github.Config) *github.Collector {
	t.Helper()
	c, err := github.New(source, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("PMO_TEST_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func truthCounts(tr githubsim.Truth) map[model.Kind]int {
	return map[model.Kind]int{model.KindProject: tr.Projects, model.KindStatus: 3, model.KindVersion: tr.Versions,
		model.KindIssue: tr.Issues, model.KindLink: tr.Links}
}

var repos2 = []string{"octo-org/api", "octo-org/web"}

func TestConformance(t *testing.T) {
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 40, Seed: 3})
	cfg := simConfig(base, repos2...)
	collectortest.Run(t, collectortest.Suite{
		New:   func(t *testing.T) collectors.Collector { return newCollector(t, "gh", cfg) },
		Truth: func(t *testing.T) map[model.Kind]int { return truthCounts(sim.Truth()) },
		RerunRequests: func(t *testing.T, st collectors.Stats) {
			// Per repository: the repository, its milestones, one issue
			// page of the overlap window, and the events of the issues in
			// it (answered 304).
			if st.Requests > int64(3*len(repos2)+4) {
				t.Errorf("an immediate re-run made %d requests, want at most %d", st.Requests, 3*len(repos2)+4)
			}
		},
		ChangeKinds: []model.ChangeKind{model.ChangeStatus, model.ChangeResolution, model.ChangeAssignee,
			model.ChangeFixVersion, model.ChangeOther},
		Logger: testLogger(t),
	})
	if st := sim.Stats(); st.MissingVersion != 0 {
		t.Errorf("%d requests without X-GitHub-Api-Version", st.MissingVersion)
	}
}

func changeKinds(sink *collectortest.MemorySink) map[model.ChangeKind]int {
	out := map[model.ChangeKind]int{}
	for _, r := range sink.Records(model.KindChange) {
		out[r.(model.Change).ChangeKind]++
	}
	return out
}

// TestIncremental counts the requests of re-runs: an unchanged re-run is
// answered with 304s, and a change to two issues re-reads the events of
// those two only.
func TestIncremental(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 40, Seed: 5, Now: now})
	cfg := simConfig(base, repos2...)
	sink := collectortest.NewMemorySink()
	ctx := context.Background()
	collect := func() collectors.Stats {
		t.Helper()
		st, err := newCollector(t, "gh", cfg).Collect(ctx, sink, collectors.Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := collect()
	full := sim.Stats()
	t.Logf("first run: %d requests (%d for events), records %v, changes %v", first.Requests, full.Events, first.Records, changeKinds(sink))
	collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))

	for i, tc := range []struct {
		name        string
		change      func()
		maxRequests int64
		min304      int64
		eventReads  int64
	}{
		// The second run lists the overlap window (a new URL, 200) and
		// gets 304 for the events of the issues in it.
		{"unchanged", func() {}, 3*2 + 2, 0, 0},
		// The third run asks for the same listing: 304.
		{"unchanged again", func() {}, 3 * 2, 2, 0},
		{"two issues changed", func() {
			todo := sim.Find("octo-org/api", func(is githubsim.Issue) bool { return is.State == "open" && !slices.Contains(is.Labels, "in progress") })
			open := sim.Find("octo-org/web", func(is githubsim.Issue) bool { return is.State == "open" })
			if todo == 0 || open == 0 {
				t.Fatal("the simulator has no open issue to change")
			}
			sim.AddLabel("octo-org/api", todo, "in progress", now.Add(time.Hour))
			sim.Close("octo-org/web", open, "not_planned", now.Add(2*time.Hour))
		}, 3*2 + 4, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.change()
			sim.ResetStats()
			before := sink.DigestByKind()
			st := collect()
			ss := sim.Stats()
			t.Logf("run %d: %d requests, %d answered 304, %d event reads", i+2, st.Requests, ss.NotModified, ss.Events)
			if st.Requests != ss.Requests {
				t.Errorf("Stats.Requests %d, the simulator served %d", st.Requests, ss.Requests)
			}
			if st.Requests > tc.maxRequests {
				t.Errorf("%d requests, want at most %d", st.Requests, tc.maxRequests)
			}
			if ss.NotModified < tc.min304 {
				t.Errorf("%d answers were 304, want at least %d", ss.NotModified, tc.min304)
			}
			if full := ss.Events - ss.EventsNotModified; tc.eventReads >= 0 && full != tc.eventReads {
				t.Errorf("%d event lists read in full (%d answered 304), want %d", full, ss.EventsNotModified, tc.eventReads)
			}
			after := sink.DigestByKind()
			changed := before[model.KindIssue] != after[model.KindIssue] || before[model.KindChange] != after[model.KindChange]
			if changed != (tc.eventReads > 0) {
				t.Errorf("issues or changes changed: %v, want %v", changed, tc.eventReads > 0)
			}
		})
	}
	// The changes of the last step are stored with the right meaning.
	var sawStart, sawDiscard bool
	for _, r := range sink.Records(model.KindChange) {
		c := r.(model.Change)
		if c.At.Equal(now.Add(time.Hour)) && c.ChangeKind == model.ChangeStatus && c.To == "label:in progress" {
			sawStart = true
		}
		if c.At.Equal(now.Add(2*time.Hour)) && c.ChangeKind == model.ChangeResolution && c.ToString == "Won't Do" {
			sawDiscard = true
		}
	}
	if !sawStart || !sawDiscard {
		t.Errorf("status change to in progress stored: %v; resolution Won't Do stored: %v", sawStart, sawDiscard)
	}
}

// TestDeletedAndTransferred deletes one issue and transfers another to the
// second repository between runs: the reconciling run marks both gone
// from the first repository, and the transferred one appears in the
// second.
func TestDeletedAndTransferred(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 12, Seed: 9, Now: now})
	cfg := simConfig(base, repos2...)
	sink := collectortest.NewMemorySink()
	ctx := context.Background()
	collect := func(opts collectors.Options) {
		t.Helper()
		opts.Logger = testLogger(t)
		if _, err := newCollector(t, "gh", cfg).Collect(ctx, sink, opts); err != nil {
			t.Fatal(err)
		}
	}
	collect(collectors.Options{})
	issueID := func(key string) string {
		for _, r := range sink.Records(model.KindIssue) {
			if is := r.(model.Issue); is.Key == key {
				return is.ID
			}
		}
		t.Fatalf("no issue %s stored", key)
		return ""
	}
	delID, movID := issueID("octo-org/api#3"), issueID("octo-org/api#4")
	sim.Delete("octo-org/api", 3)
	sim.Transfer("octo-org/api", 4, "octo-org/web", now.Add(time.Hour))

	// A deletion leaves no trace in an incremental listing; the transfer
	// shows as a new issue in the target repository.
	collect(collectors.Options{})
	if got := len(sink.Records(model.KindIssueDeleted)); got != 0 {
		t.Fatalf("%d deletions before reconciling", got)
	}
	collect(collectors.Options{Full: true}) // a full run reconciles
	deleted := map[string]bool{}
	for _, r := range sink.Records(model.KindIssueDeleted) {
		d := r.(model.IssueDeleted)
		deleted[d.IssueID] = true
		if d.ProjectID != "500" || d.At.IsZero() {
			t.Errorf("deletion %+v: want project 500 and a detection time", d)
		}
	}
	if len(deleted) != 2 || !deleted[delID] || !deleted[movID] {
		t.Errorf("deleted %v, want %s and %s", deleted, delID, movID)
	}
	collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))
	if id := issueID("octo-org/web#13"); id == movID {
		t.Errorf("the transferred issue kept its id")
	}
}

// TestMovedWhileCollecting: an issue listed but transferred or deleted
// before its events are read (301, 410) is marked deleted.
func TestMovedWhileCollecting(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 6, Seed: 9, Now: now})
	// A proxy that applies the change right after the first issue listing.
	var once sync.Once
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if strings.HasSuffix(r.URL.Path, "/repos/octo-org/api/issues") {
			once.Do(func() {
				sim.Delete("octo-org/api", 1)
				sim.Transfer("octo-org/api", 2, "octo-org/web", now)
			})
		}
	}))
	defer srv.Close()
	_ = base
	sink := collectortest.NewMemorySink()
	if _, err := newCollector(t, "gh", simConfig(srv.URL, repos2...)).Collect(context.Background(), sink, collectors.Options{}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range sink.Records(model.KindIssueDeleted) {
		keys = append(keys, r.(model.IssueDeleted).IssueKey)
	}
	slices.Sort(keys)
	if want := []string{"octo-org/api#1", "octo-org/api#2"}; !slices.Equal(keys, want) {
		t.Errorf("deleted %v, want %v", keys, want)
	}
}

// TestUpdatedDuringWalk updates an issue already read while the issue list
// is walked: it moves to the end of the updated order. With page offsets
// the issue behind it would shift onto the page already read and be
// skipped; the keyset walk reads every issue, and the moved one in its
// new state.
func TestUpdatedDuringWalk(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim, _ := startSim(t, githubsim.Config{Repos: []string{"octo-org/api"}, Issues: 30, Seed: 13, Now: now})
	var (
		once  sync.Once
		moved int
	)
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if strings.HasSuffix(r.URL.Path, "/issues") {
			once.Do(func() {
				// An entry of the first page (pull requests count there too).
				for _, n := range sim.ByUpdated("octo-org/api")[:5] {
					if n%5 != 0 {
						moved = n
						break
					}
				}
				sim.AddLabel("octo-org/api", moved, "late", now.Add(time.Hour))
			})
		}
	}))
	defer srv.Close()
	cfg := simConfig(srv.URL, "octo-org/api")
	cfg.PageSize = 5
	sink := collectortest.NewMemorySink()
	if _, err := newCollector(t, "gh", cfg).Collect(context.Background(), sink, collectors.Options{}); err != nil {
		t.Fatal(err)
	}
	collectortest.CheckCounts(t, sink.Counts(), truthCounts(sim.Truth()))
	for _, r := range sink.Records(model.KindIssue) {
		if is := r.(model.Issue); is.Key == "octo-org/api#"+strconv.Itoa(moved) && !slices.Contains(is.Labels, "late") {
			t.Errorf("the issue updated during the walk is stored in its old state: %v", is.Labels)
		}
	}
}

// TestDependencies: blocked-by dependencies are links (From = the
// blocker); one removed and one added between runs become link changes
// at the issue's update, in the form the KPI models read.
func TestDependencies(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 20, Seed: 2, Now: now})
	cfg := simConfig(base, repos2...)
	sink := collectortest.NewMemorySink()
	collect := func() {
		t.Helper()
		if _, err := newCollector(t, "gh", cfg).Collect(context.Background(), sink, collectors.Options{Logger: testLogger(t)}); err != nil {
			t.Fatal(err)
		}
	}
	collect()
	ids := map[string]string{}
	for _, r := range sink.Records(model.KindIssue) {
		is := r.(model.Issue)
		ids[is.Key] = is.ID
	}
	links := sink.Records(model.KindLink)
	if len(links) != sim.Truth().Links || len(links) == 0 {
		t.Fatalf("%d links, want %d", len(links), sim.Truth().Links)
	}
	l := links[0].(model.Link)
	if l.Type != "Blocks" || l.Outward != "blocks" || l.Inward != "is blocked by" || l.FromIssueID == "" || l.ToIssueID == "" {
		t.Errorf("link %+v", l)
	}
	if got := len(sink.Records(model.KindChange)); got == 0 {
		t.Fatal("no changes")
	}
	for _, r := range sink.Records(model.KindChange) {
		if r.(model.Change).ChangeKind == model.ChangeLink {
			t.Fatalf("a first run made link change %+v; it cannot know when a dependency was added", r)
		}
	}
	// #7 of api is blocked by #6 (the generator's rule); remove that, and
	// make #8 blocked by web#1.
	sim.Unblock("octo-org/api", 7, now.Add(time.Hour))
	sim.Block("octo-org/api", 8, "octo-org/web", 1, now.Add(2*time.Hour))
	collect()
	var got []string
	for _, r := range sink.Records(model.KindChange) {
		c := r.(model.Change)
		if c.ChangeKind != model.ChangeLink {
			continue
		}
		if err := c.CheckValue(); err != nil {
			t.Error(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s>%s %s", c.IssueID, c.At.Format(time.Kitchen), c.From, c.To, c.FromString+c.ToString))
	}
	slices.Sort(got)
	want := []string{
		ids["octo-org/api#7"] + " 1:00PM octo-org/api#6> This issue is blocked by octo-org/api#6",
		ids["octo-org/api#8"] + " 2:00PM >octo-org/web#1 This issue is blocked by octo-org/web#1",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("link changes\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestOrganization collects every repository of an organisation, without
// a repository list.
func TestOrganization(t *testing.T) {
	sim, base := startSim(t, githubsim.Config{Repos: append([]string{"other/lib"}, repos2...), Issues: 10, Seed: 4})
	cfg := simConfig(base)
	cfg.Organization = "octo-org"
	sink := collectortest.NewMemorySink()
	if _, err := newCollector(t, "gh", cfg).Collect(context.Background(), sink, collectors.Options{}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range sink.Records(model.KindProject) {
		keys = append(keys, r.(model.Project).Key)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, repos2) {
		t.Errorf("projects %v, want %v", keys, repos2)
	}
	if got, all := len(sink.Records(model.KindIssue)), sim.Truth().Issues; got != all*2/3 {
		t.Errorf("%d issues, want the %d of octo-org's two repositories", got, all*2/3)
	}
	cfg.Organization = "nobody"
	_, err := newCollector(t, "gh", cfg).Collect(context.Background(), collectortest.NewMemorySink(), collectors.Options{})
	if err == nil || !strings.Contains(err.Error(), "organization nobody") || collectors.ErrorKind(err) != collectors.KindNotFound {
		t.Errorf("unknown organisation: %v (kind %s)", err, collectors.ErrorKind(err))
	}
}
