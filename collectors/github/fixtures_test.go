package github

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtureDir is ../shared/fixtures/real-world from the repository root (the
// repository is cloned with shared/ beside it).
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "real-world")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real-world fixtures missing at %s (clone the shared folder beside the repository): %v", dir, err)
		}
		t.Skipf("real-world fixtures not found at %s (clone the shared folder beside the repository); skipping", dir)
	}
	return dir
}

// golden compares v, as indented JSON, with testdata/golden/<name>.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file %s (run with -update if the change is intended)", name, path)
	}
}

// devlakeRows reads the data column of a DevLake raw table.
func devlakeRows(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "data" {
			col = i
		}
	}
	out := make([]json.RawMessage, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		out = append(out, json.RawMessage(rec[col]))
	}
	return out
}

// replayBody reads the response body of a PyGithub replay file (the tenth
// line of an exchange).
func replayBody(t *testing.T, path string) json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 10 {
		t.Fatalf("%s: %d lines, want an exchange of 10", path, len(lines))
	}
	return json.RawMessage(lines[9])
}

func readJSON(t *testing.T, path string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRepo is one repository served from real payloads: its issue list
// (pull requests included, as GitHub sends them), the events per issue
// number, its milestones. The repository object itself is made up (the
// captures hold none), with an id of its own.
type fixtureRepo struct {
	full       string
	id         int64
	issues     []json.RawMessage
	events     map[int][]json.RawMessage
	milestones []json.RawMessage
}

// fixtureServer serves the repositories at the REST paths the collector
// reads, in one page each.
func fixtureServer(t *testing.T, repos []*fixtureRepo) *httptest.Server {
	t.Helper()
	byName := map[string]*fixtureRepo{}
	for _, r := range repos {
		byName["/repos/"+r.full] = r
	}
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(v)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for prefix, fr := range byName {
			rest, ok := strings.CutPrefix(strings.TrimPrefix(r.URL.Path, "/api/v3"), prefix)
			if !ok {
				continue
			}
			owner, name, _ := strings.Cut(fr.full, "/")
			switch {
			case rest == "":
				write(w, map[string]any{"id": fr.id, "name": name, "full_name": fr.full,
					"owner": map[string]any{"login": owner, "id": fr.id * 10}, "html_url": "https://github.com/" + fr.full})
				return
			case rest == "/milestones":
				write(w, append([]json.RawMessage{}, fr.milestones...))
				return
			case rest == "/issues":
				write(w, fr.issues)
				return
			case strings.HasPrefix(rest, "/issues/") && strings.HasSuffix(rest, "/events"):
				n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rest, "/issues/"), "/events"))
				write(w, append([]json.RawMessage{}, fr.events[n]...))
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found"}`)
	}))
}

func loadFixtureRepos(t *testing.T) []*fixtureRepo {
	dir := fixtureDir(t)
	// panjf2000/ants as Apache DevLake captured it: 42 issue rows of which
	// 16 are pull requests, and the first page of the repository's issue
	// events (each carries its issue).
	ants := &fixtureRepo{full: "panjf2000/ants", id: 1001, events: map[int][]json.RawMessage{}}
	raw := filepath.Join(dir, "devlake", "github", "raw_tables")
	ants.issues = devlakeRows(t, filepath.Join(raw, "_raw_github_api_issues.csv"))
	// The events are the newest of the repository and concern later issues
	// than the list (numbers 157–230); each event carries its issue, which
	// joins the list once.
	listed := map[int]bool{}
	for _, e := range devlakeRows(t, filepath.Join(raw, "_raw_github_api_events.csv")) {
		var x struct {
			Issue json.RawMessage `json:"issue"`
		}
		var n struct {
			Number int `json:"number"`
		}
		if err := json.Unmarshal(e, &x); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(x.Issue, &n); err != nil {
			t.Fatal(err)
		}
		if !listed[n.Number] {
			listed[n.Number] = true
			ants.issues = append(ants.issues, x.Issue)
		}
		ants.events[n.Number] = append(ants.events[n.Number], e)
	}
	// composer/composer as issueshark captured two issues and their events
	// (closed, reopened, labeled, renamed, ...).
	shark := filepath.Join(dir, "github", "issueshark")
	composer := &fixtureRepo{full: "composer/composer", id: 1002, events: map[int][]json.RawMessage{}}
	for _, n := range []int{6050, 6131} {
		composer.issues = append(composer.issues, readJSON(t, filepath.Join(shark, fmt.Sprintf("issue_%d.json", n))))
		var evs []json.RawMessage
		if err := json.Unmarshal(readJSON(t, filepath.Join(shark, fmt.Sprintf("issue_%d_events.json", n))), &evs); err != nil {
			t.Fatal(err)
		}
		composer.events[n] = evs
	}
	// PyGithub/PyGithub#28 closed as not planned, with its recorded events;
	// its milestone from the same issue.
	replay := filepath.Join(dir, "github", "pygithub-replay")
	issue28 := replayBody(t, filepath.Join(replay, "Issue.testEditWithStateReasonNotPlanned.txt"))
	var evs []json.RawMessage
	if err := json.Unmarshal(replayBody(t, filepath.Join(replay, "Issue.testGetEvents.txt")), &evs); err != nil {
		t.Fatal(err)
	}
	pyg := &fixtureRepo{full: "PyGithub/PyGithub", id: 1003, issues: []json.RawMessage{issue28}, events: map[int][]json.RawMessage{28: evs}}
	var withMS struct {
		Milestone json.RawMessage `json:"milestone"`
	}
	if err := json.Unmarshal(issue28, &withMS); err == nil && len(withMS.Milestone) > 0 && string(withMS.Milestone) != "null" {
		pyg.milestones = []json.RawMessage{withMS.Milestone}
	}
	return []*fixtureRepo{ants, composer, pyg}
}

// TestFixtureGolden collects real GitHub payloads through the collector
// and compares every record with the golden files.
func TestFixtureGolden(t *testing.T) {
	repos := loadFixtureRepos(t)
	srv := fixtureServer(t, repos)
	defer srv.Close()
	cfg := NewConfig()
	cfg.URL = srv.URL
	cfg.Token = "fixture-token"
	cfg.TypeLabels = map[string]string{"bug": "Bug", "enhancement": "Story", "proposal": "Story"}
	cfg.Statuses.Labels = []LabelStatus{{Label: "pending development", Name: "In Progress"},
		{Label: "waiting for response", Name: "Waiting", Category: "indeterminate"}}
	for _, r := range repos {
		cfg.Repositories = append(cfg.Repositories, r.full)
	}
	c, err := New("gh", cfg)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return at }
	sink := collectortest.NewMemorySink()
	if _, err := c.Collect(context.Background(), sink, collectors.Options{Logger: testLog()}); err != nil {
		t.Fatal(err)
	}
	collectortest.CheckRecords(t, "gh", sink)
	counts := sink.Counts()
	// ants: 42 - 16 pull requests + 15 issues of the events (3 of their
	// 18 are pull requests); composer 2; PyGithub 1.
	if counts[model.KindIssue] != 26+15+2+1 {
		t.Errorf("%d issues, want 44 (the pull requests of ants left out)", counts[model.KindIssue])
	}
	for _, k := range []model.Kind{model.KindProject, model.KindStatus, model.KindVersion, model.KindIssue, model.KindChange} {
		golden(t, string(k), sink.Records(k))
	}
	// Spot checks a reader can verify against the payloads.
	var notPlanned, reopened bool
	for _, r := range sink.Records(model.KindIssue) {
		is := r.(model.Issue)
		if is.Key == "PyGithub/PyGithub#28" {
			notPlanned = is.Resolution == "Won't Do" && is.StatusID == statusClosed
		}
	}
	for _, r := range sink.Records(model.KindChange) {
		ch := r.(model.Change)
		if ch.ChangeKind == model.ChangeStatus && ch.From == statusClosed && ch.To == statusOpen {
			reopened = true
		}
	}
	if !notPlanned {
		t.Error("PyGithub#28 (state_reason not_planned) is not closed as Won't Do")
	}
	if !reopened {
		t.Error("composer#6050's reopened event gave no status change closed → open")
	}
}
