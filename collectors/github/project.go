package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"
	"github.com/shurcooL/githubv4"

	"github.com/pmo-oss/pmo/internal/model"
)

// GitHub Projects (v2), read through the GraphQL API: the project's fields
// once per run, then its items page by page. The project-item status
// history is not reliable (GitHub shows no history of field values), so
// every run snapshots the fields and stores a change when a value differs
// from the one stored by the run before; the snapshots live in a cursor.

// GraphQL query shapes (github.com/shurcooL/githubv4 builds the query from
// the struct and its tags).
type gqlIteration struct {
	ID        string
	Title     string
	StartDate string
	Duration  int
}

type gqlField struct {
	Typename string `graphql:"__typename"`
	Common   struct {
		Name     string
		DataType string
	} `graphql:"... on ProjectV2FieldCommon"`
	SingleSelect struct {
		Options []struct {
			ID   string
			Name string
		}
	} `graphql:"... on ProjectV2SingleSelectField"`
	Iteration struct {
		Configuration struct {
			Iterations          []gqlIteration
			CompletedIterations []gqlIteration
		}
	} `graphql:"... on ProjectV2IterationField"`
}

type gqlProjectFields struct {
	ID     string
	Title  string
	Number int
	URL    string
	Fields struct {
		Nodes []gqlField
	} `graphql:"fields(first: 50)"`
}

type gqlFieldRef struct {
	Common struct {
		Name string
	} `graphql:"... on ProjectV2FieldCommon"`
}

type gqlValue struct {
	Typename string `graphql:"__typename"`
	Single   struct {
		Name     string
		OptionID string
		Field    gqlFieldRef
	} `graphql:"... on ProjectV2ItemFieldSingleSelectValue"`
	Iteration struct {
		IterationID string
		Title       string
		StartDate   string
		Duration    int
		Field       gqlFieldRef
	} `graphql:"... on ProjectV2ItemFieldIterationValue"`
	Number struct {
		Number *float64
		Field  gqlFieldRef
	} `graphql:"... on ProjectV2ItemFieldNumberValue"`
}

type gqlItem struct {
	ID         string
	Type       string
	IsArchived bool
	UpdatedAt  githubv4.DateTime
	Content    struct {
		Typename string `graphql:"__typename"`
		Issue    struct {
			DatabaseID int64
			Number     int
			Repository struct {
				NameWithOwner string
			}
		} `graphql:"... on Issue"`
	}
	FieldValues struct {
		Nodes []gqlValue
	} `graphql:"fieldValues(first: 50)"`
}

type gqlItems struct {
	Items struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Nodes []gqlItem
	} `graphql:"items(first: $first, after: $after)"`
}

type qFieldsOrg struct {
	Owner struct {
		ProjectV2 *gqlProjectFields `graphql:"projectV2(number: $number)"`
	} `graphql:"organization(login: $login)"`
}

type qFieldsUser struct {
	Owner struct {
		ProjectV2 *gqlProjectFields `graphql:"projectV2(number: $number)"`
	} `graphql:"user(login: $login)"`
}

type qItemsOrg struct {
	Owner struct {
		ProjectV2 *gqlItems `graphql:"projectV2(number: $number)"`
	} `graphql:"organization(login: $login)"`
}

type qItemsUser struct {
	Owner struct {
		ProjectV2 *gqlItems `graphql:"projectV2(number: $number)"`
	} `graphql:"user(login: $login)"`
}

// Cursor of a project: "<stored at> <json projState>".
const cursorProjectPfx = "project:"

// projState is what the project cursor holds: when the last complete run
// started and, per issue (id), the snapshots of its field values.
type projState struct {
	LastRun int64                `json:"last_run"`
	Items   map[string]*itemSnap `json:"items"`
}

// itemSnap is what the runs saw of one issue's project fields. Status is
// the timeline of its project status (status ids; "" = no mapped value):
// every value a run saw differ from the one before, with the instant the
// change was dated at. Points and Sprint are the last values seen and
// PointsAt/SprintAt the instants of their last change (0: as first seen).
type itemSnap struct {
	Repo     string       `json:"r"`
	Number   int          `json:"n"`
	Status   []statusMark `json:"s,omitempty"`
	Points   string       `json:"p,omitempty"`
	PointsAt int64        `json:"pa,omitempty"`
	Sprint   string       `json:"i,omitempty"`
	SprintAt int64        `json:"ia,omitempty"`
	Title    string       `json:"t,omitempty"` // the sprint's name
}

type statusMark struct {
	At int64  `json:"at"`
	ID string `json:"id"`
}

func (s *itemSnap) status() string {
	if s == nil || len(s.Status) == 0 {
		return ""
	}
	return s.Status[len(s.Status)-1].ID
}

func (s *itemSnap) lastMarkAt() int64 {
	if s == nil || len(s.Status) == 0 {
		return 0
	}
	return s.Status[len(s.Status)-1].At
}

func (s *itemSnap) clone() *itemSnap {
	c := *s
	c.Status = slices.Clone(s.Status)
	return &c
}

// projStatusPfx prefixes the status ids of project status options.
const projStatusPfx = "project:"

// projectRun is the project's part of one run.
type projectRun struct {
	cursor string
	state  projState
	// dirty: issues whose snapshot changed in this run (or was first
	// taken), whose issue record and status change must be stored even
	// when the REST listing does not bring them.
	dirty map[string]bool
	// prev: the snapshots as the run found them, for the status changes
	// stored outside the replay of an issue's events.
	prev     map[string]*itemSnap
	replayed map[string]bool
	listed   map[string]listedIssue
	skipped  struct{ drafts, pullRequests, otherRepos, redacted int }
}

type listedIssue struct {
	rp *gh.Repository
	is *gh.Issue
}

func (r *run) projectVars(extra map[string]any) map[string]any {
	p := r.c.cfg.Project
	v := map[string]any{"login": githubv4.String(p.Owner()), "number": githubv4.Int(p.Number)}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// projectFields reads the project and its fields.
func (r *run) projectFields(ctx context.Context) (*gqlProjectFields, error) {
	var pf *gqlProjectFields
	if r.c.cfg.Project.User != "" {
		var q qFieldsUser
		if err := r.cl.query(ctx, &q, r.projectVars(nil)); err != nil {
			return nil, err
		}
		pf = q.Owner.ProjectV2
	} else {
		var q qFieldsOrg
		if err := r.cl.query(ctx, &q, r.projectVars(nil)); err != nil {
			return nil, err
		}
		pf = q.Owner.ProjectV2
	}
	if pf == nil {
		return nil, fmt.Errorf("project.number: %s has no project %d (%s)", r.c.cfg.Project.Owner(), r.c.cfg.Project.Number, projectHint)
	}
	return pf, nil
}

func (r *run) projectItems(ctx context.Context, after string) (*gqlItems, error) {
	vars := r.projectVars(map[string]any{"first": githubv4.Int(r.c.cfg.PageSize), "after": (*githubv4.String)(nil)})
	if after != "" {
		vars["after"] = githubv4.NewString(githubv4.String(after))
	}
	var items *gqlItems
	if r.c.cfg.Project.User != "" {
		var q qItemsUser
		if err := r.cl.query(ctx, &q, vars); err != nil {
			return nil, err
		}
		items = q.Owner.ProjectV2
	} else {
		var q qItemsOrg
		if err := r.cl.query(ctx, &q, vars); err != nil {
			return nil, err
		}
		items = q.Owner.ProjectV2
	}
	if items == nil {
		return nil, fmt.Errorf("project.number: %s has no project %d (%s)", r.c.cfg.Project.Owner(), r.c.cfg.Project.Number, projectHint)
	}
	return items, nil
}

// checkFields finds the configured fields among the project's and returns
// the iteration field's iterations.
func (r *run) checkFields(pf *gqlProjectFields) ([]gqlIteration, error) {
	p := r.c.cfg.Project
	byName := map[string]*gqlField{}
	var names []string
	for i := range pf.Fields.Nodes {
		f := &pf.Fields.Nodes[i]
		byName[strings.ToLower(f.Common.Name)] = f
		names = append(names, f.Common.Name)
	}
	var errs []error
	find := func(key, name, typ string) *gqlField {
		if name == "" {
			return nil
		}
		f := byName[strings.ToLower(name)]
		switch {
		case f == nil:
			errs = append(errs, fmt.Errorf("project.%s: the project %q has no field %q (its fields: %s)", key, pf.Title, name, strings.Join(names, ", ")))
		case f.Common.DataType != typ:
			errs = append(errs, fmt.Errorf("project.%s: field %q is a %s field, want %s", key, name, f.Common.DataType, typ))
		default:
			return f
		}
		return nil
	}
	if f := find("status_field", p.statusField(), "SINGLE_SELECT"); f != nil {
		opts := map[string]bool{}
		for _, o := range f.SingleSelect.Options {
			opts[strings.ToLower(o.Name)] = true
		}
		for _, o := range slices.Concat(p.StatusOptions.Todo, p.StatusOptions.InProgress, p.StatusOptions.Done) {
			if !opts[strings.ToLower(strings.TrimSpace(o))] {
				r.log.Warn("project.status_options names an option the status field lacks", "field", f.Common.Name, "option", o)
			}
		}
	}
	find("points_field", p.PointsField, "NUMBER")
	var its []gqlIteration
	if f := find("iteration_field", p.IterationField, "ITERATION"); f != nil {
		its = slices.Concat(f.Iteration.Configuration.CompletedIterations, f.Iteration.Configuration.Iterations)
	}
	return its, errors.Join(errs...)
}

// project reads the project's items before the repositories are
// collected: the issues' current project values feed the issue records
// and the replay of their history (mapper.proj). Points and sprint changes
// are stored here; status changes come from the replay (or finishProject).
func (r *run) project(ctx context.Context, repos []*gh.Repository) error {
	p := r.c.cfg.Project
	pr := &projectRun{cursor: cursorProjectPfx + strings.ToLower(p.Owner()) + "/" + strconv.Itoa(p.Number),
		dirty: map[string]bool{}, prev: map[string]*itemSnap{}, replayed: map[string]bool{}, listed: map[string]listedIssue{}}
	v, ok, err := r.sink.Cursor(ctx, r.c.source, pr.cursor)
	if err != nil {
		return fmt.Errorf("reading cursor %s: %w", pr.cursor, err)
	}
	if ok {
		if _, js, found := strings.Cut(v, " "); found {
			if err := json.Unmarshal([]byte(js), &pr.state); err != nil {
				r.log.Warn("ignoring unreadable cursor; project fields are snapshotted anew", "cursor", pr.cursor)
				pr.state = projState{}
			}
		}
	}
	if pr.state.Items == nil {
		pr.state.Items = map[string]*itemSnap{}
	}
	for id, s := range pr.state.Items {
		pr.prev[id] = s.clone()
	}
	pf, err := r.projectFields(ctx)
	if err != nil {
		return fmt.Errorf("reading project %s/%d: %w", p.Owner(), p.Number, err)
	}
	iterations, err := r.checkFields(pf)
	if err != nil {
		return err
	}
	repoByName := map[string]*gh.Repository{}
	for _, rp := range repos {
		repoByName[repoKey(rp)] = rp
	}
	lastRun := time.Unix(pr.state.LastRun, 0)
	if pr.state.LastRun == 0 {
		lastRun = time.Time{}
	}
	seen := map[string]bool{}
	inRepos := map[string]*gh.Repository{}
	unmapped := map[string]bool{}
	var recs []model.Record
	after := ""
	for {
		page, err := r.projectItems(ctx, after)
		if err != nil {
			return fmt.Errorf("listing the items of project %s/%d: %w", p.Owner(), p.Number, err)
		}
		for _, it := range page.Items.Nodes {
			switch {
			case it.Type == "DRAFT_ISSUE":
				pr.skipped.drafts++
				continue
			case it.Type == "PULL_REQUEST":
				pr.skipped.pullRequests++
				continue
			case it.Type != "ISSUE" || it.Content.Typename != "Issue":
				pr.skipped.redacted++ // REDACTED: an item the token may not see
				continue
			}
			rp := repoByName[strings.ToLower(it.Content.Issue.Repository.NameWithOwner)]
			if rp == nil {
				pr.skipped.otherRepos++
				continue
			}
			id := id64(it.Content.Issue.DatabaseID)
			seen[id] = true
			inRepos[repoKey(rp)] = rp
			status, points, sprint, title, bad := r.m.projectValues(it, rp)
			if bad != "" {
				unmapped[bad] = true
			}
			at := r.start.Truncate(time.Second)
			if u := it.UpdatedAt.UTC().Truncate(time.Second); u.After(lastRun) {
				at = u
			}
			recs = append(recs, r.snapshot(pr, id, rp, it.Content.Issue.Number, at, status, points, sprint, title)...)
		}
		if !page.Items.PageInfo.HasNextPage || page.Items.PageInfo.EndCursor == "" {
			break
		}
		after = page.Items.PageInfo.EndCursor
	}
	// Issues no longer in the project: their values are unset.
	for id, s := range pr.state.Items {
		if seen[id] || (s.status() == "" && s.Points == "" && s.Sprint == "") {
			continue
		}
		rp := repoByName[s.Repo]
		if rp == nil {
			continue // a repository no longer configured
		}
		recs = append(recs, r.snapshot(pr, id, rp, s.Number, r.start.Truncate(time.Second), "", "", "", "")...)
	}
	if len(unmapped) > 0 {
		r.log.Warn("project status options not in project.status_options: those issues keep the label mapping",
			"options", strings.Join(slices.Sorted(mapsKeys(unmapped)), ", "))
	}
	if n := pr.skipped; n.drafts+n.pullRequests+n.otherRepos+n.redacted > 0 {
		r.log.Info("project items skipped", "project", pf.Title, "draft_issues", n.drafts, "pull_requests", n.pullRequests,
			"other_repositories", n.otherRepos, "not_visible", n.redacted)
	}
	// Iterations → sprints of one board per repository with issues in the project.
	if p.IterationField != "" {
		for _, rp := range repos {
			if inRepos[repoKey(rp)] == nil {
				continue
			}
			recs = append(recs, r.m.board(pf, rp))
			for _, it := range iterations {
				recs = append(recs, r.m.sprint(pf, rp, it, r.start))
			}
		}
	}
	r.m.proj = pr.state.Items
	r.proj = pr
	return r.put(ctx, recs...)
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// snapshot compares an issue's project values with its stored snapshot,
// updates the snapshot and returns the points and sprint changes. at is
// the instant a change is dated at.
func (r *run) snapshot(pr *projectRun, id string, rp *gh.Repository, number int, at time.Time, status, points, sprint, title string) []model.Record {
	old := pr.state.Items[id]
	s := &itemSnap{}
	if old != nil {
		s = old.clone()
	}
	s.Repo, s.Number = repoKey(rp), number
	// A first snapshot matters to the issue record only with a value.
	changed := old == nil && (status != "" || points != "" || sprint != "")
	if s.status() != status {
		t := at.Unix()
		if last := s.lastMarkAt(); t <= last {
			t = last + 1
		}
		s.Status = append(s.Status, statusMark{At: t, ID: status})
		changed = true
	}
	var out []model.Record
	base := model.Change{Source: r.c.source, IssueID: id, At: at}
	if old != nil && old.Points != points {
		c := base
		c.ChangeID = "pv2-points:" + strconv.FormatInt(old.PointsAt, 10)
		c.ChangeKind, c.Field, c.FieldID = model.ChangeStoryPoints, r.c.cfg.Project.PointsField, "project_field"
		c.From, c.To = old.Points, points
		out = append(out, c)
		s.PointsAt = at.Unix()
		changed = true
	}
	if old != nil && old.Sprint != sprint {
		c := base
		c.ChangeID = "pv2-sprint:" + strconv.FormatInt(old.SprintAt, 10)
		c.ChangeKind, c.Field, c.FieldID = model.ChangeSprint, r.c.cfg.Project.IterationField, "project_field"
		c.From, c.FromString, c.To, c.ToString = old.Sprint, old.Title, sprint, title
		out = append(out, c)
		s.SprintAt = at.Unix()
		changed = true
	}
	s.Points, s.Sprint, s.Title = points, sprint, title
	pr.state.Items[id] = s
	if changed {
		pr.dirty[id] = true
	}
	return out
}

// finishProject stores what the replay of the repositories did not: the
// issue records and status changes of issues whose snapshot changed but
// whose events were not replayed in this run (not listed, or their events
// unchanged), then the snapshots.
func (r *run) finishProject(ctx context.Context, repos []*gh.Repository) error {
	pr := r.proj
	repoByName := map[string]*gh.Repository{}
	for _, rp := range repos {
		repoByName[repoKey(rp)] = rp
	}
	ids := slices.Sorted(mapsKeys(pr.dirty))
	for _, id := range ids {
		if pr.replayed[id] {
			continue
		}
		s := pr.state.Items[id]
		li, ok := pr.listed[id]
		if !ok {
			rp := repoByName[s.Repo]
			if rp == nil {
				continue
			}
			var is gh.Issue
			path := "repos/" + rp.GetOwner().GetLogin() + "/" + rp.GetName() + "/issues/" + strconv.Itoa(s.Number)
			if _, err := r.cl.get(ctx, path, "", &is); err != nil {
				var he *HTTPError
				if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusGone || he.Status == http.StatusMovedPermanently) {
					delete(pr.state.Items, id) // deleted or transferred: the REST side marks it
					continue
				}
				return fmt.Errorf("reading issue %s#%d for its project fields: %w", rp.GetFullName(), s.Number, err)
			}
			li = listedIssue{rp: rp, is: &is}
		}
		recs := []model.Record{r.m.issue(li.rp, li.is)}
		if c, ok := r.m.markChange(li.is, pr.prev[id], s); ok {
			recs = append(recs, c)
		}
		if err := r.put(ctx, recs...); err != nil {
			return err
		}
	}
	pr.state.LastRun = r.start.Unix()
	js, err := json.Marshal(pr.state)
	if err != nil {
		return err
	}
	if err := r.sink.SetCursor(ctx, r.c.source, pr.cursor, r.c.now().UTC().Format(etagStamp)+" "+string(js)); err != nil {
		return fmt.Errorf("storing cursor %s: %w", pr.cursor, err)
	}
	return nil
}
