package gitlab

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

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

type goldenRecord struct {
	Kind   model.Kind   `json:"kind"`
	ID     string       `json:"identity"`
	Record model.Record `json:"record"`
}

type goldenSet struct {
	Counts  map[model.Kind]int `json:"counts"`
	Records []goldenRecord     `json:"records"`
}

// toGolden also holds every change to the change vocabulary's contract.
func toGolden(t *testing.T, recs []model.Record) goldenSet {
	t.Helper()
	g := goldenSet{Counts: map[model.Kind]int{}}
	for _, r := range recs {
		if c, ok := r.(model.Change); ok {
			if err := c.CheckValue(); err != nil {
				t.Errorf("change %s (field %q): %v", c.Identity(), c.Field, err)
			}
		}
		g.Counts[r.Kind()]++
		g.Records = append(g.Records, goldenRecord{r.Kind(), r.Identity(), r})
	}
	sort.SliceStable(g.Records, func(i, j int) bool {
		if g.Records[i].Kind != g.Records[j].Kind {
			return g.Records[i].Kind < g.Records[j].Kind
		}
		return g.Records[i].ID < g.Records[j].ID
	})
	return g
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
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
	if col < 0 {
		t.Fatalf("%s: no data column", path)
	}
	var out []json.RawMessage
	for _, rec := range recs[1:] {
		out = append(out, json.RawMessage(rec[col]))
	}
	return out
}

func testMapper() *mapper {
	cfg := NewConfig()
	// The GitLab data team's scoped workflow labels, as a user would map them.
	cfg.Status.InProgressLabels = append(cfg.Status.InProgressLabels, "workflow::5 - development")
	return newMapper("gitlab.com", cfg)
}

// TestFixturesDevLakeIssues maps real gitlab.com issues (DevLake's raw
// table of /projects/:id/issues): null and set weights, group milestones,
// time stats, scoped labels, a moved issue (moved_to_id).
func TestFixturesDevLakeIssues(t *testing.T) {
	dir := fixtureDir(t)
	rows := devlakeRows(t, filepath.Join(dir, "devlake", "gitlab", "raw_tables", "_raw_gitlab_api_issues.csv"))
	m := testMapper()
	p := model.Project{Source: "gitlab.com", ID: "12345678", Key: "gitlab-data/snowflake_spend"}
	var recs []model.Record
	for _, row := range rows {
		var w wIssue
		if err := json.Unmarshal(row, &w); err != nil {
			t.Fatalf("decoding %s: %v", row[:80], err)
		}
		rs, err := m.records(&w, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rs...)
	}
	g := toGolden(t, recs)
	if g.Counts[model.KindIssue] != 15 || g.Counts[model.KindIssueDeleted] != 1 {
		t.Errorf("counts %v, want 15 issues and 1 moved (iid 10)", g.Counts)
	}
	byKey := map[string]model.Issue{}
	for _, r := range recs {
		if is, ok := r.(model.Issue); ok {
			byKey[is.Key] = is
		}
	}
	for _, tc := range []struct {
		key, status string
		points      *float64
		version     string
	}{
		{"gitlab-data/snowflake_spend#1", statusClosed, nil, "887728"},
		{"gitlab-data/snowflake_spend#2", statusClosed, ptr(1.0), "921946"},
		{"gitlab-data/snowflake_spend#3", statusOpened, nil, ""},
		{"gitlab-data/snowflake_spend#7", statusClosed, ptr(2.0), "1126095"},
	} {
		is, ok := byKey[tc.key]
		if !ok {
			t.Errorf("%s missing", tc.key)
			continue
		}
		if is.StatusID != tc.status || !eqPtr(is.StoryPoints, tc.points) || (tc.version != "" && (len(is.FixVersionIDs) != 1 || is.FixVersionIDs[0] != tc.version)) {
			t.Errorf("%s: status %s points %v versions %v, want %s %v %s", tc.key, is.StatusID, is.StoryPoints, is.FixVersionIDs, tc.status, tc.points, tc.version)
		}
	}
	golden(t, "devlake_issues", g)
}

func ptr[T any](v T) *T { return &v }

func eqPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// TestFixturesPercevalIssues maps the two issue list pages perceval
// recorded from gitlab.com (fdroid).
func TestFixturesPercevalIssues(t *testing.T) {
	dir := fixtureDir(t)
	m := testMapper()
	var proj wProject
	readJSON(t, filepath.Join(dir, "gitlab", "perceval", "project.json"), &proj)
	p := m.project(proj)
	if p.ID != "36528" || p.Key == "" {
		t.Errorf("project %+v", p)
	}
	recs := []model.Record{p}
	for _, f := range []string{"issue_page_1.json", "issue_page_2.json"} {
		var ws []wIssue
		readJSON(t, filepath.Join(dir, "gitlab", "perceval", f), &ws)
		for i := range ws {
			rs, err := m.records(&ws[i], p, nil)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rs...)
		}
	}
	g := toGolden(t, recs)
	if g.Counts[model.KindIssue] != 4 {
		t.Errorf("counts %v, want 4 issues", g.Counts)
	}
	golden(t, "perceval_issues", g)
}

// TestFixturesEventPayloads decodes the resource event payloads of
// GitLab's API documentation (as client-go's tests carry them) into the
// wire types and maps them onto an issue.
func TestFixturesEventPayloads(t *testing.T) {
	dir := filepath.Join(fixtureDir(t), "gitlab", "go-gitlab")
	var ev events
	readJSON(t, filepath.Join(dir, "resource_state_events__TestResourceStateEventsService_ListIssueStateEvents_00.json"), &ev.State)
	readJSON(t, filepath.Join(dir, "resource_label_events__TestResourceLabelEventsService_ListIssueLabelEvents_00.json"), &ev.Label)
	readJSON(t, filepath.Join(dir, "resource_milestone_events__ListIssueMilestoneEvents_00.json"), &ev.Milestone)
	readJSON(t, filepath.Join(dir, "resource_iteration_events__TestListIssueIterationEventsService_ListIssueIterationEvents_00.json"), &ev.Iteration)
	readJSON(t, filepath.Join(dir, "resource_weight_events__TestResourceWeightEventsService_ListIssueWightEvents_00.json"), &ev.Weight)
	if len(ev.State) != 1 || ev.State[0].State != "opened" || ev.State[0].User == nil || ev.State[0].User.ID != 1 {
		t.Errorf("state events %+v", ev.State)
	}
	if len(ev.Label) != 1 || ev.Label[0].Label == nil || ev.Label[0].Label.Name != "a1" || ev.Label[0].Action != "add" {
		t.Errorf("label events %+v", ev.Label)
	}
	if len(ev.Milestone) != 1 || ev.Milestone[0].Milestone == nil || ev.Milestone[0].Milestone.ID != 61 || ev.Milestone[0].Milestone.Title != "v1.2" {
		t.Errorf("milestone events %+v", ev.Milestone)
	}
	it := ev.Iteration
	if len(it) != 1 || it[0].Iteration == nil || it[0].Iteration.ID != 133 || *it[0].Iteration.StartDate != "2023-09-17" ||
		!it[0].CreatedAt.Equal(time.Date(2023, 9, 22, 6, 51, 4, 801e6, time.UTC)) {
		t.Errorf("iteration events %+v", it)
	}
	if len(ev.Weight) != 1 || ev.Weight[0].Weight == nil || *ev.Weight[0].Weight != 3 {
		t.Errorf("weight events %+v", ev.Weight)
	}
	var issue wIssue
	readJSON(t, filepath.Join(dir, "issues__TestGetIssueMilestone_26.json"), &issue)
	issue.CreatedAt = time.Date(2018, 8, 20, 13, 0, 0, 0, time.UTC)
	m := testMapper()
	sp, err := m.sprint(*it[0].Iteration, "1")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := m.records(&issue, model.Project{Source: "gitlab.com", ID: "1", Key: "group/project"}, &ev)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "event_payloads", toGolden(t, append(recs, sp)))
}

// TestHistoryReplay maps constructed histories (testdata/history.json)
// that pin the replay's rules: the labels and state at creation, one status
// change per instant, resolutions, closes GitLab has no event for,
// iterations, weights and milestones.
func TestHistoryReplay(t *testing.T) {
	var cases []struct {
		Name   string `json:"name"`
		About  string `json:"about"`
		Issue  wIssue `json:"issue"`
		Events struct {
			State     []wStateEvent     `json:"state"`
			Label     []wLabelEvent     `json:"label"`
			Milestone []wMilestoneEvent `json:"milestone"`
			Iteration []wIterationEvent `json:"iteration"`
			Weight    []wWeightEvent    `json:"weight"`
			Links     []wLinkedIssue    `json:"links"`
		} `json:"events"`
	}
	readJSON(t, filepath.Join("testdata", "history.json"), &cases)
	m := newMapper("gl", NewConfig())
	p := model.Project{Source: "gl", ID: "7", Key: "acme/app"}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			ev := events(tc.Events)
			recs, err := m.records(&tc.Issue, p, &ev)
			if err != nil {
				t.Fatal(err)
			}
			// The last status change leads to the issue's current status.
			is := recs[0].(model.Issue)
			last := ""
			for _, r := range recs[1:] {
				if c, ok := r.(model.Change); ok && c.ChangeKind == model.ChangeStatus {
					last = c.To
				}
			}
			if last != "" && last != is.StatusID {
				t.Errorf("history ends in %s, the issue is in %s", last, is.StatusID)
			}
			golden(t, "history_"+tc.Name, toGolden(t, recs))
		})
	}
}
