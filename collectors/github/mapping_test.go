package github

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/pmo-oss/pmo/internal/model"
)

// TestChanges replays made-up event lists and compares the changes in a
// compact form: "kind from>to" per change, in order.
func TestChanges(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	alice, bob := &gh.User{ID: new(int64(1)), Login: new("alice")}, &gh.User{ID: new(int64(2)), Login: new("bob")}
	ev := func(i int, kind string, mod ...func(*wEvent)) wEvent {
		e := wEvent{IssueEvent: gh.IssueEvent{ID: new(int64(100 + i)), Event: new(kind),
			CreatedAt: &gh.Timestamp{Time: t0.Add(time.Duration(i) * time.Hour)}, Actor: alice}}
		for _, m := range mod {
			m(&e)
		}
		return e
	}
	label := func(l string) func(*wEvent) { return func(e *wEvent) { e.Label = &gh.Label{Name: l} } }
	user := func(u *gh.User) func(*wEvent) { return func(e *wEvent) { e.Assignee = u } }
	ms := func(title string) func(*wEvent) {
		return func(e *wEvent) { e.Milestone = &gh.Milestone{Title: new(title)} }
	}
	reason := func(r string) func(*wEvent) { return func(e *wEvent) { e.StateReason = new(r) } }
	issue := func(state, stateReason string, labels []string, assignees []*gh.User, milestone string) *gh.Issue {
		is := &gh.Issue{ID: new(int64(7)), Number: new(1), State: new(state), Assignees: assignees}
		if stateReason != "" {
			is.StateReason = new(stateReason)
		}
		for _, l := range labels {
			is.Labels = append(is.Labels, &gh.Label{Name: l})
		}
		if milestone != "" {
			is.Milestone = &gh.Milestone{Title: new(milestone), ID: new(int64(55))}
		}
		return is
	}
	milestones := map[string]string{"v1": "51", "v2": "52"}
	tests := []struct {
		name   string
		issue  *gh.Issue
		events []wEvent
		want   []string
	}{
		{"no events", issue("open", "", nil, nil, ""), nil, nil},
		{"started and finished by labels and close",
			issue("closed", "completed", []string{"bug"}, nil, ""),
			[]wEvent{ev(1, "labeled", label("In Progress")), ev(2, "unlabeled", label("In Progress")), ev(3, "closed", reason("completed"))},
			[]string{"other >In Progress", "status open>label:in progress", "other In Progress>", "status label:in progress>open",
				"resolution >completed", "status open>closed"}},
		{"label present since creation starts in that status",
			issue("closed", "completed", []string{"in progress"}, nil, ""),
			[]wEvent{ev(1, "closed")},
			[]string{"resolution >completed", "status label:in progress>closed"}},
		{"closed as not planned, reopened, closed as completed",
			issue("closed", "completed", nil, nil, ""),
			[]wEvent{ev(1, "closed", reason("not_planned")), ev(2, "reopened"), ev(3, "closed", reason("completed"))},
			[]string{"resolution >not_planned", "status open>closed", "resolution not_planned>", "status closed>open",
				"resolution >completed", "status open>closed"}},
		{"a closed event without state_reason takes the issue's on the last close",
			issue("closed", "not_planned", nil, nil, ""),
			[]wEvent{ev(1, "closed")},
			[]string{"resolution >not_planned", "status open>closed"}},
		{"a close recorded twice changes once",
			issue("closed", "", nil, nil, ""),
			[]wEvent{ev(1, "closed"), ev(1, "closed")},
			[]string{"resolution >completed", "status open>closed"}},
		{"milestone moved; a deleted milestone is kept as other",
			issue("open", "", nil, nil, "v2"),
			[]wEvent{ev(1, "milestoned", ms("gone")), ev(2, "demilestoned", ms("gone")), ev(3, "milestoned", ms("v1")),
				ev(4, "demilestoned", ms("v1")), ev(5, "milestoned", ms("v2"))},
			[]string{"other >gone", "other gone>", "fix_version >51", "fix_version 51>", "fix_version >52"}},
		{"the first assignee is the assignee",
			issue("open", "", nil, []*gh.User{bob}, ""),
			[]wEvent{ev(1, "assigned", user(alice)), ev(2, "assigned", user(bob)), ev(3, "unassigned", user(alice))},
			[]string{"assignee >1", "assignee 1>2"}},
		{"unassigned to nobody",
			issue("open", "", nil, nil, ""),
			[]wEvent{ev(1, "assigned", user(alice)), ev(2, "unassigned", user(alice))},
			[]string{"assignee >1", "assignee 1>"}},
		{"events out of order are sorted; noise ignored",
			issue("open", "", []string{"in progress"}, nil, ""),
			[]wEvent{ev(3, "subscribed"), ev(2, "labeled", label("in progress")), ev(1, "mentioned"), ev(4, "referenced")},
			[]string{"other >in progress", "status open>label:in progress"}},
	}
	cfg := NewConfig()
	m := newMapper("gh", cfg)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range m.changes(tc.issue, tc.events, milestones) {
				if err := c.CheckValue(); err != nil {
					t.Errorf("change %+v: %v", c, err)
				}
				from, to := c.From, c.To
				if from == "" {
					from = c.FromString
				}
				if to == "" {
					to = c.ToString
				}
				got = append(got, fmt.Sprintf("%s %s>%s", c.ChangeKind, from, to))
				if c.IssueID != "7" || c.ChangeID == "" || c.At.IsZero() || c.AuthorID != "1" {
					t.Errorf("change %+v: identity fields not set", c)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("changes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestIssueMapping(t *testing.T) {
	rp := &gh.Repository{ID: new(int64(9)), Name: new("api"), FullName: new("octo/api"), Owner: &gh.User{ID: new(int64(3)), Login: new("octo")}}
	cfg := NewConfig()
	cfg.TypeLabels = map[string]string{"Bug": "Bug"}
	m := newMapper("gh", cfg)
	is := &gh.Issue{ID: new(int64(70)), Number: new(12), State: new("open"), Title: new("t"),
		Labels:         []*gh.Label{{Name: "bug"}, {Name: "In Progress"}},
		ParentIssueURL: new("https://api.github.com/repos/octo/api/issues/3")}
	got := m.issue(rp, is)
	if got.Key != "octo/api#12" || got.ProjectID != "9" || got.Type != "Bug" || got.StatusID != "label:in progress" ||
		got.StatusCategory != model.CategoryIndeterminate || got.ParentKey != "octo/api#3" {
		t.Errorf("issue %+v", got)
	}
	is.Type = &gh.IssueType{Name: new("Feature")}
	if got := m.issue(rp, is); got.Type != "Feature" {
		t.Errorf("an issue type must win over type labels, got %q", got.Type)
	}
	if p := m.project(rp); p.Category != "octo" || p.CategoryID != "3" || p.Key != "octo/api" {
		t.Errorf("project %+v", p)
	}
	due := gh.Timestamp{Time: time.Date(2026, 5, 31, 7, 0, 0, 0, time.UTC)}
	v := m.version(rp, &gh.Milestone{ID: new(int64(4)), Title: new("v1"), State: new("closed"), DueOn: &due}, time.Now())
	if v.ReleaseDate == nil || v.ReleaseDate.String() != "2026-05-31" || !v.Released || v.ProjectID != "9" {
		t.Errorf("version %+v", v)
	}
}
