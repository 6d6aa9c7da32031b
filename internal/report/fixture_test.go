package report

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// The worked examples of kpis.md §4 live with the KPI engine; the report
// tests load the same files into a real warehouse.
const kpiTestdata = "../kpi/testdata/"

type fixture struct {
	Source   string    `yaml:"source"`
	AsOf     time.Time `yaml:"as_of"`
	Statuses []struct{ ID, Name, Category string }
	Projects []struct{ ID, Key, Name, Category string }
	Boards   []struct {
		ID, Name, Type string
		ProjectID      string `yaml:"project_id"`
	}
	Sprints []struct {
		ID                              string
		BoardID                         string `yaml:"board_id"`
		Name, State                     string
		Start, Activated, End, Complete *time.Time
	}
	Issues []struct {
		Key, Project, Type, Resolution, Priority, Assignee string
		Summary                                            string
		Created, Updated                                   time.Time
		Status                                             string     `yaml:"initial_status"`
		StoryPoints                                        *float64   `yaml:"story_points"`
		SprintIDs                                          []string   `yaml:"sprint_ids"`
		Labels                                             []string   `yaml:"labels"`
		Transitions                                        []fxChange `yaml:"transitions"`
		SprintChanges                                      []fxChange `yaml:"sprint_changes"`
		PointsChanges                                      []fxChange `yaml:"points_changes"`
	}
	Links []struct{ Type, Outward, Inward, From, To string }
}

type fxChange struct {
	At       time.Time
	From, To string
}

func loadFixture(t testing.TB, path string) fixture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// records converts the fixture to model records; summaries default to the
// key, or to the given override.
func (f fixture) records(summaries map[string]string) ([]model.Record, error) {
	var out []model.Record
	byName := map[string]model.Status{}
	for _, s := range f.Statuses {
		st := model.Status{Source: f.Source, ID: s.ID, Name: s.Name, Category: model.StatusCategory(s.Category)}
		byName[s.Name] = st
		out = append(out, st)
	}
	projByKey := map[string]string{}
	for _, p := range f.Projects {
		projByKey[p.Key] = p.ID
		out = append(out, model.Project{Source: f.Source, ID: p.ID, Key: p.Key, Name: p.Name, Category: p.Category, CategoryID: p.Category})
	}
	for _, b := range f.Boards {
		out = append(out, model.Board{Source: f.Source, ID: b.ID, Name: b.Name, Type: b.Type, ProjectID: b.ProjectID})
	}
	for _, s := range f.Sprints {
		out = append(out, model.Sprint{Source: f.Source, ID: s.ID, BoardID: s.BoardID, Name: s.Name, State: s.State,
			Start: s.Start, Activated: s.Activated, End: s.End, Complete: s.Complete})
	}
	keyID := map[string]string{}
	for n, is := range f.Issues {
		id := strconv.Itoa(1000 + n)
		keyID[is.Key] = id
		pkey := is.Project
		if pkey == "" {
			pkey, _, _ = strings.Cut(is.Key, "-")
		}
		cur, ok := byName[cmpOr(is.Status, f.Statuses[0].Name)]
		if !ok {
			return nil, fmt.Errorf("%s: unknown status %q", is.Key, is.Status)
		}
		for i, tr := range is.Transitions {
			to, ok := byName[tr.To]
			if !ok {
				to = model.Status{ID: tr.To, Name: tr.To, Category: model.CategoryUnknown}
			}
			from := cur
			if tr.From != "" {
				from = byName[tr.From]
			}
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("s%d", i), At: tr.At.UTC(),
				Field: "status", FieldID: "status", FieldType: "jira", From: from.ID, FromString: from.Name, To: to.ID, ToString: to.Name,
				FromCategory: from.Category, ToCategory: to.Category})
			cur = to
		}
		for i, c := range is.SprintChanges {
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("sp%d", i), At: c.At.UTC(),
				Field: "Sprint", FieldID: "customfield_10020", FieldType: "custom", From: c.From, To: c.To, FromString: c.From, ToString: c.To})
		}
		for i, c := range is.PointsChanges {
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("pt%d", i), At: c.At.UTC(),
				Field: "Story Points", FieldID: "customfield_10016", FieldType: "custom", FromString: c.From, ToString: c.To})
		}
		summary := cmpOr(summaries[is.Key], cmpOr(is.Summary, "Work item "+is.Key))
		iss := model.Issue{Source: f.Source, ID: id, Key: is.Key, ProjectID: projByKey[pkey], ProjectKey: pkey, Summary: summary,
			TypeID: is.Type, Type: is.Type, TypeClass: model.TypeStandard, StatusID: cur.ID, Status: cur.Name, StatusCategory: cur.Category,
			Resolution: is.Resolution, ResolutionID: is.Resolution, Priority: is.Priority, PriorityID: is.Priority,
			AssigneeID: is.Assignee, Assignee: is.Assignee, URL: "https://example.atlassian.net/browse/" + is.Key,
			Created: is.Created.UTC(), Updated: is.Updated.UTC(), StoryPoints: is.StoryPoints, SprintIDs: is.SprintIDs, Labels: is.Labels}
		if cur.Category == model.CategoryDone {
			r := is.Updated.UTC()
			iss.Resolved = &r
		}
		out = append(out, iss)
	}
	for i, l := range f.Links {
		out = append(out, model.Link{Source: f.Source, ID: fmt.Sprintf("l%d", i), TypeID: l.Type, Type: l.Type, Outward: l.Outward, Inward: l.Inward,
			FromIssueID: keyID[l.From], ToIssueID: keyID[l.To], ObservedAt: f.AsOf})
	}
	return out, nil
}

func (f fixture) load(t testing.TB, w *warehouse.Warehouse, summaries map[string]string) {
	t.Helper()
	recs, err := f.records(summaries)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := w.Sink().Put(ctx, recs...); err != nil {
		t.Fatalf("loading %d records: %v", len(recs), err)
	}
	if err := w.Sink().Flush(ctx); err != nil {
		t.Fatalf("flushing: %v", err)
	}
}
