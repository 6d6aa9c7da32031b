// Package kpitest loads the KPI worked examples (kpis.md §4, in
// internal/kpi/testdata/*.yaml) and the other KPI fixtures into a real
// warehouse, for the tests of the KPI engine and of everything built on it.
package kpitest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Fixture is a worked example described as issues and their transitions
// (testdata/*.yaml), converted to model records by Records.
type Fixture struct {
	Source   string    `yaml:"source"`
	AsOf     time.Time `yaml:"as_of"`
	Statuses []struct {
		ID, Name, Category string
	} `yaml:"statuses"`
	Projects []struct {
		ID, Key, Name, Category string
	} `yaml:"projects"`
	Boards []struct {
		ID, Name, Type string
		ProjectID      string `yaml:"project_id"`
	} `yaml:"boards"`
	Sprints []struct {
		ID                       string `yaml:"id"`
		BoardID                  string `yaml:"board_id"`
		Name                     string `yaml:"name"`
		State                    string `yaml:"state"`
		Start                    *time.Time
		Activated, End, Complete *time.Time
	} `yaml:"sprints"`
	Versions []struct {
		ID        string `yaml:"id"`
		ProjectID string `yaml:"project_id"`
		Name      string `yaml:"name"`
		Start     string `yaml:"start"` // YYYY-MM-DD
	} `yaml:"versions"`
	Issues []Issue `yaml:"issues"`
	Links  []struct {
		Type, Outward, Inward, From, To string
	} `yaml:"links"`
}

// Issue is one issue of a fixture with its changes and worklogs.
type Issue struct {
	Key           string    `yaml:"key"`
	Summary       string    `yaml:"summary"` // default: the key
	Project       string    `yaml:"project"` // default: the key's prefix
	Type          string    `yaml:"type"`
	Created       time.Time `yaml:"created"`
	Updated       time.Time `yaml:"updated"`
	Resolution    string    `yaml:"resolution"`
	Status        string    `yaml:"initial_status"` // default: the first status of the fixture
	Priority      string    `yaml:"priority"`
	Assignee      string    `yaml:"assignee"`
	StoryPoints   *float64  `yaml:"story_points"`
	SprintIDs     []string  `yaml:"sprint_ids"`
	Labels        []string  `yaml:"labels"`
	Parent        string    `yaml:"parent"` // parent issue key
	Epic          string    `yaml:"epic"`   // epic link (company-managed)
	Components    []string  `yaml:"components"`
	FixVersions   []string  `yaml:"fix_versions"` // version ids
	Transitions   []Change
	SprintChanges []Change `yaml:"sprint_changes"`
	// PriorityChanges change the priority (names) before the current one.
	PriorityChanges []Change `yaml:"priority_changes"`
	PointsChanges   []Change `yaml:"points_changes"`
	StatusOverride  string   `yaml:"status_category_override"` // record an unknown category on transitions
	Due             string   `yaml:"due"`                      // YYYY-MM-DD
	EstimateHours   *float64 `yaml:"estimate_h"`               // original estimate
	Worklogs        []struct {
		Author string    `yaml:"author"`
		At     time.Time `yaml:"at"`
		Hours  float64   `yaml:"h"`
	} `yaml:"worklogs"`
}

// Change is a status, sprint or story-point change of a fixture issue.
type Change struct {
	At   time.Time `yaml:"at"`
	From string    `yaml:"from"`
	To   string    `yaml:"to"`
	// ToID gives the status id explicitly (a renamed status: the name in
	// To differs from the status list, the id and category are the same).
	ToID string `yaml:"to_id"`
}

// Read reads a fixture file.
func Read(t testing.TB, path string) Fixture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f Fixture
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// Records converts the fixture to model records.
func (f Fixture) Records() ([]model.Record, error) {
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
	for _, v := range f.Versions {
		ver := model.Version{Source: f.Source, ID: v.ID, ProjectID: v.ProjectID, Name: v.Name, ObservedAt: f.AsOf}
		if v.Start != "" {
			d, err := time.Parse(time.DateOnly, v.Start)
			if err != nil {
				return nil, fmt.Errorf("version %s: start: %v", v.Name, err)
			}
			ver.StartDate = &model.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
		}
		out = append(out, ver)
	}
	for _, is := range f.Issues {
		id := IssueID(is.Key)
		pkey := is.Project
		if pkey == "" {
			pkey, _, _ = strings.Cut(is.Key, "-")
		}
		initial := f.Statuses[0].Name
		if is.Status != "" {
			initial = is.Status
		}
		cur, ok := byName[initial]
		if !ok {
			return nil, fmt.Errorf("%s: unknown status %q", is.Key, initial)
		}
		item := 0
		for i, tr := range is.Transitions {
			to, ok := byName[tr.To]
			if tr.ToID != "" {
				to = model.Status{ID: tr.ToID, Name: tr.To, Category: model.CategoryUnknown}
				for _, st := range byName {
					if st.ID == tr.ToID {
						to.Category = st.Category
					}
				}
			} else if !ok {
				// An id the status list does not know: category unknown (C3).
				to = model.Status{ID: tr.To, Name: tr.To, Category: model.CategoryUnknown}
			}
			from := cur
			if tr.From != "" {
				from = byName[tr.From]
			}
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("s%d", i), At: tr.At.UTC(),
				ChangeKind: model.ChangeStatus, Field: "status", FieldID: "status", FieldType: "jira", From: from.ID, FromString: from.Name, To: to.ID, ToString: to.Name,
				FromCategory: from.Category, ToCategory: to.Category})
			cur = to
			item++
		}
		for i, c := range is.SprintChanges {
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("sp%d", i), At: c.At.UTC(),
				ChangeKind: model.ChangeSprint, Field: "Sprint", FieldID: "customfield_10020", FieldType: "custom", From: c.From, To: c.To, FromString: c.From, ToString: c.To})
		}
		for i, c := range is.PriorityChanges {
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("pr%d", i), At: c.At.UTC(),
				ChangeKind: model.ChangePriority, Field: "priority", FieldID: "priority", FieldType: "jira", From: priorityID(c.From), To: priorityID(c.To), FromString: c.From, ToString: c.To})
		}
		for i, c := range is.PointsChanges {
			out = append(out, model.Change{Source: f.Source, IssueID: id, ChangeID: fmt.Sprintf("pt%d", i), At: c.At.UTC(),
				ChangeKind: model.ChangeStoryPoints, Field: "Story Points", FieldID: "customfield_10016", FieldType: "custom", FromString: c.From, ToString: c.To})
		}
		iss := model.Issue{Source: f.Source, ID: id, Key: is.Key, ProjectID: projByKey[pkey], ProjectKey: pkey, Summary: cmp.Or(is.Summary, is.Key), URL: "https://example.atlassian.net/browse/" + is.Key,
			TypeID: is.Type, Type: is.Type, TypeClass: model.TypeStandard, StatusID: cur.ID, Status: cur.Name, StatusCategory: cur.Category,
			Resolution: is.Resolution, ResolutionID: is.Resolution, Priority: is.Priority, PriorityID: priorityID(is.Priority),
			AssigneeID: is.Assignee, Assignee: is.Assignee,
			Created: is.Created.UTC(), Updated: is.Updated.UTC(), StoryPoints: is.StoryPoints, SprintIDs: is.SprintIDs, Labels: is.Labels,
			EpicKey: is.Epic, Components: is.Components, FixVersionIDs: is.FixVersions}
		if is.Due != "" {
			d, err := time.Parse(time.DateOnly, is.Due)
			if err != nil {
				return nil, fmt.Errorf("%s: due: %v", is.Key, err)
			}
			iss.DueDate = &model.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
		}
		if is.EstimateHours != nil {
			s := int64(*is.EstimateHours * 3600)
			iss.OriginalEstimateSeconds = &s
		}
		for i, wl := range is.Worklogs {
			out = append(out, model.Worklog{Source: f.Source, ID: fmt.Sprintf("%s-w%d", is.Key, i), IssueID: id, AuthorID: wl.Author, Author: wl.Author,
				Started: wl.At.UTC(), Seconds: int64(wl.Hours * 3600), Created: wl.At.UTC(), Updated: wl.At.UTC()})
		}
		if is.Parent != "" {
			iss.ParentID, iss.ParentKey = IssueID(is.Parent), is.Parent
		}
		if cur.Category == model.CategoryDone {
			r := is.Updated.UTC()
			iss.Resolved = &r
		}
		out = append(out, iss)
	}
	keyID := map[string]string{}
	for _, is := range f.Issues {
		keyID[is.Key] = IssueID(is.Key)
	}
	for i, l := range f.Links {
		out = append(out, model.Link{Source: f.Source, ID: fmt.Sprintf("l%d", i), TypeID: l.Type, Type: l.Type, Outward: l.Outward, Inward: l.Inward,
			FromIssueID: keyID[l.From], ToIssueID: keyID[l.To], ObservedAt: f.AsOf})
	}
	return out, nil
}

// Load puts the fixture into the warehouse through its sink.
func (f Fixture) Load(t testing.TB, w *warehouse.Warehouse) {
	t.Helper()
	recs, err := f.Records()
	if err != nil {
		t.Fatal(err)
	}
	PutRecords(t, w, recs)
}

// PutRecords writes records through the warehouse sink and flushes it.
func PutRecords(t testing.TB, w *warehouse.Warehouse, recs []model.Record) {
	t.Helper()
	ctx := context.Background()
	sink := w.Sink()
	if err := sink.Put(ctx, recs...); err != nil {
		t.Fatalf("loading %d records: %v", len(recs), err)
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatalf("flushing: %v", err)
	}
}

// IssueID derives a stable issue id from the key, so that fixtures loaded
// into one warehouse never collide.
func IssueID(key string) string { return "id-" + key }

// priorityID is the id Jira gives a priority name (its five defaults are
// 1-5; others keep the name): priority changes carry ids in From/To and the
// names in FromString/ToString (model.ChangePriority), as the Jira
// collector stores them, so a KPI that read the ids would show in a test.
func priorityID(name string) string {
	if i := slices.Index([]string{"Highest", "High", "Medium", "Low", "Lowest"}, name); i >= 0 {
		return strconv.Itoa(i + 1)
	}
	return name
}

// FieldChange is a change a fixture format has no field for (a link added, a
// due date moved, a re-estimate), in the tracker-neutral vocabulary: Kind
// is a model.ChangeKind, From and To (and their display strings) the
// values as collectors store them, Author the account id of who made it.
type FieldChange struct {
	Key, Kind, From, To, Author string
	FromString                  string `yaml:"from_string"`
	ToString                    string `yaml:"to_string"`
	At                          time.Time
}

// Record is c as a change of source with change id id; a kind or value the
// vocabulary refuses is an error naming the issue.
func (c FieldChange) Record(source, id string) (model.Change, error) {
	ch := model.Change{Source: source, IssueID: IssueID(c.Key), ChangeID: id, At: c.At.UTC(), AuthorID: c.Author,
		ChangeKind: model.ChangeKind(c.Kind), Field: c.Kind, From: c.From, To: c.To, FromString: c.FromString, ToString: c.ToString}
	if err := ch.CheckValue(); err != nil {
		return ch, fmt.Errorf("%s change %s: %w", c.Key, id, err)
	}
	return ch, nil
}
