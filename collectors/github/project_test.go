package github_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/github"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/model"
)

func projectConfig(base string, repos ...string) *github.Config {
	cfg := simConfig(base, repos...)
	cfg.Project.Organization, cfg.Project.Number = "octo-org", 7
	cfg.Project.IterationField, cfg.Project.PointsField = "Sprint", "Estimate"
	return cfg
}

func projectTruth(tr githubsim.Truth) map[model.Kind]int {
	out := truthCounts(tr)
	out[model.KindStatus] = 3 + 3 // open, closed, in progress + Todo, In Progress, Done
	out[model.KindBoard], out[model.KindSprint] = tr.Boards, tr.Sprints
	return out
}

// TestConformanceProject runs the collectors' suite with a project (v2):
// its statuses, boards and sprints are complete and an immediate re-run
// stores nothing new. A first collection stores no story-point or sprint
// changes (the values seen first are the initial ones): TestProjectSnapshots
// checks those kinds.
func TestConformanceProject(t *testing.T) {
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 30, Seed: 3,
		Project: &githubsim.ProjectConfig{Owner: "octo-org", Number: 7}})
	cfg := projectConfig(base, repos2...)
	collectortest.Run(t, collectortest.Suite{
		New:   func(t *testing.T) collectors.Collector { return newCollector(t, "gh", cfg) },
		Truth: func(t *testing.T) map[model.Kind]int { return projectTruth(sim.Truth()) },
		RerunRequests: func(t *testing.T, st collectors.Stats) {
			// The REST re-run as without a project, plus the project's
			// fields and its items (one page of 10 … items: 6).
			if want := int64(3*len(repos2)+4) + 1 + 6; st.Requests > want {
				t.Errorf("an immediate re-run made %d requests, want at most %d", st.Requests, want)
			}
		},
		ChangeKinds: []model.ChangeKind{model.ChangeStatus, model.ChangeResolution, model.ChangeAssignee,
			model.ChangeFixVersion, model.ChangeOther},
		Logger: testLogger(t),
	})
}

// checkStatusChains checks that every issue's status changes chain: each
// change starts from the status the one before ended in, and the last
// ends in the issue's current status.
func checkStatusChains(t *testing.T, sink *collectortest.MemorySink) {
	t.Helper()
	byIssue := map[string][]model.Change{}
	for _, r := range sink.Records(model.KindChange) {
		if c := r.(model.Change); c.ChangeKind == model.ChangeStatus {
			byIssue[c.IssueID] = append(byIssue[c.IssueID], c)
		}
	}
	for _, r := range sink.Records(model.KindIssue) {
		is := r.(model.Issue)
		cs := byIssue[is.ID]
		slices.SortStableFunc(cs, func(a, b model.Change) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			return a.Item - b.Item
		})
		for i := 1; i < len(cs); i++ {
			if cs[i].From != cs[i-1].To {
				t.Errorf("%s: status change %s at %s starts from %q, the one before ended in %q", is.Key, cs[i].ChangeID, cs[i].At, cs[i].From, cs[i-1].To)
			}
		}
		if len(cs) > 0 && cs[len(cs)-1].To != is.StatusID {
			t.Errorf("%s: last status change ends in %q, the issue is in %q", is.Key, cs[len(cs)-1].To, is.StatusID)
		}
	}
}

// TestProjectSnapshots: a run, a status, a points and an iteration change
// in the project, a re-run → exactly one new change each with the right
// from and to, the issue records follow; another re-run stores nothing.
func TestProjectSnapshots(t *testing.T) {
	// The simulator's present is the real one: a change is dated at the
	// item's update when that is later than the run before.
	now := time.Now().UTC().Truncate(time.Second)
	sim, base := startSim(t, githubsim.Config{Repos: repos2, Issues: 30, Seed: 5, Now: now,
		Project: &githubsim.ProjectConfig{Owner: "octo-org", Number: 7}})
	cfg := projectConfig(base, repos2...)
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
	collect()
	collectortest.CheckCounts(t, sink.Counts(), projectTruth(sim.Truth()))
	checkStatusChains(t, sink)
	issues := map[string]model.Issue{}
	for _, r := range sink.Records(model.KindIssue) {
		is := r.(model.Issue)
		issues[is.Key] = is
	}
	var inProject, withPoints, inSprint int
	for _, is := range issues {
		if strings.HasPrefix(is.StatusID, "project:") {
			inProject++
		}
		if is.StoryPoints != nil {
			withPoints++
		}
		if len(is.SprintIDs) > 0 {
			inSprint++
		}
	}
	if inProject == 0 || withPoints == 0 || inSprint == 0 {
		t.Fatalf("first run: %d issues in a project status, %d with points, %d in a sprint; want some of each", inProject, withPoints, inSprint)
	}
	if k := changeKinds(sink); k[model.ChangeStoryPoints]+k[model.ChangeSprint] != 0 {
		t.Errorf("a first collection stored %d story-point and %d sprint changes, want none (current values are the initial ones)",
			k[model.ChangeStoryPoints], k[model.ChangeSprint])
	}

	// An open issue in Todo, with points.
	todo := 0
	for _, is := range issues {
		if strings.HasPrefix(is.Key, "octo-org/api#") && is.StatusID == "project:todo" && is.StoryPoints != nil {
			n, _ := strconv.Atoi(strings.TrimPrefix(is.Key, "octo-org/api#"))
			if todo == 0 || n < todo {
				todo = n
			}
		}
	}
	if todo == 0 {
		t.Fatal("the simulator has no open Todo issue with points in the project")
	}
	its := sim.ProjectIterations()
	old := sim.ProjectItemOf("octo-org/api", todo)
	oldPts := *old.Points
	at := now.Add(time.Hour)
	sim.SetItemStatus("octo-org/api", todo, "In Progress", at)
	eight := 8.0
	sim.SetItemPoints("octo-org/api", todo, &eight, at)
	next := its[0].ID
	if old.Iteration == next {
		next = its[1].ID
	}
	sim.SetItemIteration("octo-org/api", todo, next, at)

	before := len(sink.Records(model.KindChange))
	sim.ResetStats()
	collect()
	key := "octo-org/api#" + itoa(todo)
	is := issueByKey(t, sink, key)
	var got []model.Change
	for _, r := range sink.Records(model.KindChange) {
		if c := r.(model.Change); c.IssueID == is.ID && strings.HasPrefix(c.ChangeID, "pv2-") && c.At.Equal(at) {
			got = append(got, c)
		}
	}
	if n := len(sink.Records(model.KindChange)) - before; n != 3 {
		t.Errorf("the re-run stored %d new changes, want 3: %v", n, got)
	}
	want := map[model.ChangeKind][2]string{
		model.ChangeStatus:      {"project:todo", "project:in progress"},
		model.ChangeStoryPoints: {ftoa(oldPts), "8"},
		model.ChangeSprint:      {sprintOf(old.Iteration, is.ProjectID), sprintOf(next, is.ProjectID)},
	}
	for _, c := range got {
		w, ok := want[c.ChangeKind]
		if !ok || c.From != w[0] || c.To != w[1] {
			t.Errorf("%s change %s: %q → %q, want %q → %q", c.ChangeKind, c.ChangeID, c.From, c.To, w[0], w[1])
		}
		delete(want, c.ChangeKind)
	}
	if len(want) > 0 {
		t.Errorf("missing changes of %s: %v", key, want)
	}
	if is.StatusID != "project:in progress" || is.StatusCategory != model.CategoryIndeterminate || is.StoryPoints == nil || *is.StoryPoints != 8 ||
		!slices.Equal(is.SprintIDs, []string{sprintOf(next, is.ProjectID)}) {
		t.Errorf("%s after the change: status %s (%s), points %v, sprints %v", key, is.StatusID, is.StatusCategory, is.StoryPoints, is.SprintIDs)
	}
	collectortest.CheckRecords(t, "gh", sink)
	collectortest.CheckChangeKinds(t, sink, []model.ChangeKind{model.ChangeStatus, model.ChangeStoryPoints, model.ChangeSprint})
	checkStatusChains(t, sink)

	// Nothing changed: nothing new, and the project costs its two queries.
	digest := sink.DigestByKind()
	sim.ResetStats()
	collect()
	if ss := sim.Stats(); ss.GraphQL != 1+ceilDiv(sim.Truth().ProjectIssues+sim.Truth().ProjectDrafts+sim.Truth().ProjectPullRequests, cfg.PageSize) {
		t.Errorf("an unchanged re-run made %d GraphQL requests", ss.GraphQL)
	}
	for k, d := range sink.DigestByKind() {
		if digest[k] != d {
			t.Errorf("an unchanged re-run changed the stored %s", k)
		}
	}

	// A label on the issue brings it into the REST listing: the replay of
	// its events with the snapshots stores the same project status change
	// (no second one), and the label does not change its status.
	pv2 := func() map[string]model.Change {
		out := map[string]model.Change{}
		for _, r := range sink.Records(model.KindChange) {
			if c := r.(model.Change); c.IssueID == is.ID && strings.HasPrefix(c.ChangeID, "pv2-status:") {
				out[c.ChangeID] = c
			}
		}
		return out
	}
	beforeLabel := pv2()
	sim.AddLabel("octo-org/api", todo, "in review", now.Add(2*time.Hour))
	collect()
	if after := pv2(); len(after) != len(beforeLabel) {
		t.Errorf("project status changes of %s: %d before its events were replayed, %d after", key, len(beforeLabel), len(after))
	} else {
		for id, c := range after {
			if b := beforeLabel[id]; b.From != c.From || b.To != c.To || !b.At.Equal(c.At) {
				t.Errorf("%s: the replay stored %s→%s at %s, the snapshot run %s→%s at %s", id, c.From, c.To, c.At, b.From, b.To, b.At)
			}
		}
	}
	if is := issueByKey(t, sink, key); is.StatusID != "project:in progress" {
		t.Errorf("%s after a label: status %s, want the project's", key, is.StatusID)
	}
	checkStatusChains(t, sink)

	// Removed from the project: its values are unset.
	sim.RemoveItem("octo-org/api", todo)
	before = len(sink.Records(model.KindChange))
	collect()
	is = issueByKey(t, sink, key)
	if n := len(sink.Records(model.KindChange)) - before; n != 3 || is.StatusID != "open" || is.StoryPoints != nil || len(is.SprintIDs) != 0 {
		t.Errorf("after its removal from the project: %d new changes (want 3), status %s, points %v, sprints %v", n, is.StatusID, is.StoryPoints, is.SprintIDs)
	}
	checkStatusChains(t, sink)
}

func ceilDiv(a, b int) int64 { return int64((a + b - 1) / b) }

func issueByKey(t *testing.T, sink *collectortest.MemorySink, key string) model.Issue {
	t.Helper()
	for _, r := range sink.Records(model.KindIssue) {
		if is := r.(model.Issue); is.Key == key {
			return is
		}
	}
	t.Fatalf("no issue %s stored", key)
	return model.Issue{}
}

func sprintOf(iteration, repoID string) string {
	if iteration == "" {
		return ""
	}
	return iteration + "@" + repoID
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// TestProjectConfigAgainstProject: a user's project is read like an
// organisation's; a wrong owner, number or field fails the run with an
// error that names the key to fix.
func TestProjectConfigAgainstProject(t *testing.T) {
	_, base := startSim(t, githubsim.Config{Repos: []string{"octo-cat/notes"}, Issues: 8, Seed: 2,
		Project: &githubsim.ProjectConfig{Owner: "octo-cat", User: true, Number: 2}})
	for _, tc := range []struct {
		name string
		set  func(*github.ProjectConfig)
		kind string // error kind, "" for success
		want string // in the error
	}{
		{"user project", func(p *github.ProjectConfig) {}, "", ""},
		{"organisation instead of user", func(p *github.ProjectConfig) { p.User, p.Organization = "", "octo-cat" }, "not_found", "project.organization"},
		{"wrong number", func(p *github.ProjectConfig) { p.Number = 3 }, "not_found", "project.number"},
		{"no such field", func(p *github.ProjectConfig) { p.IterationField = "Cycle" }, "", "project.iteration_field: the project \"Roadmap\" has no field \"Cycle\""},
		{"field of another type", func(p *github.ProjectConfig) { p.StatusField, p.PointsField = "-", "Status" }, "", "project.points_field: field \"Status\" is a SINGLE_SELECT field, want NUMBER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := simConfig(base, "octo-cat/notes")
			cfg.Project.User, cfg.Project.Number = "octo-cat", 2
			cfg.Project.IterationField, cfg.Project.PointsField = "Sprint", "Estimate"
			tc.set(&cfg.Project)
			sink := collectortest.NewMemorySink()
			_, err := newCollector(t, "gh", cfg).Collect(context.Background(), sink, collectors.Options{Logger: testLogger(t)})
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "":
				if len(sink.Records(model.KindSprint)) == 0 {
					t.Error("no sprints from the user's project")
				}
			case err == nil || !strings.Contains(err.Error(), tc.want) || (tc.kind != "" && collectors.ErrorKind(err) != tc.kind):
				t.Errorf("error %v (kind %s), want one naming %q of kind %q", err, collectors.ErrorKind(err), tc.want, tc.kind)
			}
		})
	}
}
