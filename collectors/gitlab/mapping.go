package gitlab

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// Status ids. GitLab has two states; the in-progress labels add one status
// each ("label:<name>", lower case).
const (
	statusOpened = "opened"
	statusClosed = "closed"
	labelPrefix  = "label:"
)

// Resolution ids of closed issues.
const (
	resolutionDone      = "done"
	resolutionDiscarded = "discarded"
)

// Change ids are numeric (the KPI replay orders same-second changes by
// them): the event id times 8 plus the event kind, so the ids of the five
// event lists never collide within an issue.
const (
	evState     = 1
	evLabel     = 2
	evMilestone = 3
	evIteration = 4
	evWeight    = 5
	evSynthetic = 6 // a close GitLab recorded no state event for
	evLink      = 7 // an issue link (its issue_link_id)
)

func changeID(id int64, kind int) string { return strconv.FormatInt(id*8+int64(kind), 10) }

// mapper turns GitLab's JSON into model records.
type mapper struct {
	source     string
	inProgress map[string]int    // lower-case label -> position in status.in_progress_labels
	labelNames []string          // the configured spelling, by position
	discard    map[string]bool   // lower-case discard labels
	discardRes string            // the resolution name of discarded issues
	typeLabels map[string]string // lower-case label -> type name
	typeDef    string
}

func newMapper(source string, cfg *Config) *mapper {
	m := &mapper{source: source, inProgress: map[string]int{}, discard: map[string]bool{},
		discardRes: cfg.Status.DiscardResolution, typeLabels: map[string]string{}, typeDef: cfg.Types.Default}
	for _, l := range cfg.Status.InProgressLabels {
		k := strings.ToLower(strings.TrimSpace(l))
		if _, dup := m.inProgress[k]; !dup {
			m.inProgress[k] = len(m.labelNames)
			m.labelNames = append(m.labelNames, strings.TrimSpace(l))
		}
	}
	for _, l := range cfg.Status.DiscardLabels {
		m.discard[strings.ToLower(strings.TrimSpace(l))] = true
	}
	for l, n := range cfg.Types.Labels {
		m.typeLabels[strings.ToLower(strings.TrimSpace(l))] = n
	}
	return m
}

// statuses are the workflow statuses of this source.
func (m *mapper) statuses() []model.Status {
	out := []model.Status{{Source: m.source, ID: statusOpened, Name: "Open", Category: model.CategoryNew}}
	for _, n := range m.labelNames {
		out = append(out, model.Status{Source: m.source, ID: labelPrefix + strings.ToLower(n), Name: n, Category: model.CategoryIndeterminate})
	}
	return append(out, model.Status{Source: m.source, ID: statusClosed, Name: "Closed", Category: model.CategoryDone})
}

// status is the status of an issue in state with labels (lower case).
func (m *mapper) status(state string, labels map[string]bool) (id, name string, cat model.StatusCategory) {
	if state == statusClosed {
		return statusClosed, "Closed", model.CategoryDone
	}
	best := -1
	for l := range labels {
		if p, ok := m.inProgress[l]; ok && p > best {
			best = p
		}
	}
	if best >= 0 {
		return labelPrefix + strings.ToLower(m.labelNames[best]), m.labelNames[best], model.CategoryIndeterminate
	}
	return statusOpened, "Open", model.CategoryNew
}

// resolution is the resolution of an issue in state with labels.
func (m *mapper) resolution(state string, labels map[string]bool) (id, name string) {
	if state != statusClosed {
		return "", ""
	}
	for l := range labels {
		if m.discard[l] {
			return resolutionDiscarded, m.discardRes
		}
	}
	return resolutionDone, "Done"
}

func (m *mapper) issueType(w *wIssue) string {
	for _, l := range w.Labels {
		if n, ok := m.typeLabels[strings.ToLower(l)]; ok {
			return n
		}
	}
	switch w.IssueType {
	case "task":
		return "Task"
	case "incident":
		return "Incident"
	case "test_case":
		return "Test Case"
	}
	return m.typeDef
}

func (m *mapper) project(w wProject) model.Project {
	p := model.Project{Source: m.source, ID: strconv.FormatInt(w.ID, 10), Key: w.PathWithNamespace, Name: w.Name,
		URL: w.WebURL, Archived: w.Archived}
	if w.Namespace.Kind == "group" {
		// The group a project lives in is its program.
		p.CategoryID = strconv.FormatInt(w.Namespace.ID, 10)
		p.Category = w.Namespace.FullPath
		if p.Category == "" {
			p.Category = w.Namespace.Name
		}
	}
	return p
}

func parseDate(s *string) (*model.Date, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	d, err := model.ParseDate(*s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (m *mapper) version(w wMilestone, projectID string, observed time.Time) (model.Version, error) {
	v := model.Version{Source: m.source, ID: strconv.FormatInt(w.ID, 10), ProjectID: projectID, Name: w.Title,
		Description: w.Description, Released: w.State == "closed", ObservedAt: observed}
	var err error
	if v.StartDate, err = parseDate(w.StartDate); err != nil {
		return v, fmt.Errorf("milestone %d (%s) start_date: %w", w.ID, w.Title, err)
	}
	if v.ReleaseDate, err = parseDate(w.DueDate); err != nil {
		return v, fmt.Errorf("milestone %d (%s) due_date: %w", w.ID, w.Title, err)
	}
	return v, nil
}

// GitLab iterations belong to a group's cadence and are shared by the
// group's projects; pmo's sprints belong to a board of one project. Each
// project gets a board of its own ("iterations-<project id>") and each
// iteration it sees becomes a sprint of that board ("<project id>-<iteration
// id>"), so the sprint KPIs of a project count its own issues only.
func boardID(projectID string) string { return "iterations-" + projectID }

func sprintID(projectID string, iterationID int64) string {
	return projectID + "-" + strconv.FormatInt(iterationID, 10)
}

func (m *mapper) board(p model.Project) model.Board {
	return model.Board{Source: m.source, ID: boardID(p.ID), Name: p.Key + " iterations", Type: "scrum", ProjectID: p.ID}
}

func (m *mapper) sprint(w wIteration, projectID string) (model.Sprint, error) {
	s := model.Sprint{Source: m.source, ID: sprintID(projectID, w.ID), BoardID: boardID(projectID), Name: w.Title}
	if s.Name == "" {
		s.Name = "Iteration " + strconv.FormatInt(w.IID, 10)
	}
	switch w.State {
	case 2:
		s.State = "active"
	case 3:
		s.State = "closed"
	default:
		s.State = "future"
	}
	start, err := parseDate(w.StartDate)
	if err != nil {
		return s, fmt.Errorf("iteration %d start_date: %w", w.ID, err)
	}
	due, err := parseDate(w.DueDate)
	if err != nil {
		return s, fmt.Errorf("iteration %d due_date: %w", w.ID, err)
	}
	if start != nil {
		t := start.Time()
		s.Start = &t
		if s.State != "future" {
			s.Activated = &t
		}
	}
	if due != nil {
		// An iteration ends at the end of its due date.
		t := due.Time().Add(24*time.Hour - time.Second)
		s.End = &t
		if s.State == "closed" {
			s.Complete = &t
		}
	}
	return s, nil
}

func userID(u *wUser) string {
	if u == nil || u.ID == 0 {
		return ""
	}
	return strconv.FormatInt(u.ID, 10)
}

func userName(u *wUser) string {
	if u == nil {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Username
}

func formatWeight(w *float64) string {
	if w == nil {
		return ""
	}
	return strconv.FormatFloat(*w, 'f', -1, 64)
}

// moved reports whether the issue was moved to another project.
func moved(w *wIssue) bool { return w.MovedToID != nil && *w.MovedToID != 0 }

// records maps one listed issue: an issue moved to another project lives on
// there under a new id, so this one is marked deleted (never counted twice);
// any other gives the issue and its history.
func (m *mapper) records(w *wIssue, p model.Project, ev *events) ([]model.Record, error) {
	return m.recordsWith(w, p, ev, nil)
}

// recordsWith is records with the keys of the collected projects by id, for
// the other issue of a link that GitLab gives without its reference.
func (m *mapper) recordsWith(w *wIssue, p model.Project, ev *events, projectKeys map[int64]string) ([]model.Record, error) {
	if moved(w) {
		return []model.Record{model.IssueDeleted{Source: m.source, IssueID: strconv.FormatInt(w.ID, 10),
			IssueKey: p.Key + "#" + strconv.FormatInt(w.IID, 10), ProjectID: p.ID, At: w.UpdatedAt.UTC()}}, nil
	}
	is, changes, err := m.issue(w, p, ev)
	if err != nil {
		return nil, err
	}
	recs := make([]model.Record, 0, 1+len(changes))
	recs = append(recs, is)
	for _, c := range changes {
		recs = append(recs, c)
	}
	if ev != nil {
		recs = append(recs, m.links(w, is, ev.Links, projectKeys)...)
	}
	return recs, nil
}

// links maps an issue's links: "blocks" and "is_blocked_by" to the Blocks
// link type normalised to "From blocks To", "relates_to" to Relates (From the
// lower id). Each gives a link change on this issue at the link's creation
// (GitLab records no removals; a removed link is simply gone from the list).
func (m *mapper) links(w *wIssue, is model.Issue, ls []wLinkedIssue, projectKeys map[int64]string) []model.Record {
	var out []model.Record
	for _, l := range ls {
		if l.IssueLinkID == 0 || l.ID == 0 {
			continue
		}
		other := strconv.FormatInt(l.ID, 10)
		otherKey := ""
		switch {
		case l.References != nil && l.References.Full != "":
			otherKey = l.References.Full
		case projectKeys[l.ProjectID] != "":
			otherKey = projectKeys[l.ProjectID] + "#" + strconv.FormatInt(l.IID, 10)
		default:
			otherKey = strconv.FormatInt(l.ProjectID, 10) + "#" + strconv.FormatInt(l.IID, 10)
		}
		// Observed at the link's creation: both issues list the link, and
		// either may be the one read, so the record must not depend on it.
		lk := model.Link{Source: m.source, ID: strconv.FormatInt(l.IssueLinkID, 10), ObservedAt: w.UpdatedAt.UTC()}
		if l.LinkCreatedAt != nil {
			lk.ObservedAt = l.LinkCreatedAt.UTC()
		}
		relation := "relates to"
		switch l.LinkType {
		case "blocks":
			lk.TypeID, lk.Type, lk.Outward, lk.Inward = "blocks", "Blocks", "blocks", "is blocked by"
			lk.FromIssueID, lk.ToIssueID = is.ID, other
			relation = "blocks"
		case "is_blocked_by":
			lk.TypeID, lk.Type, lk.Outward, lk.Inward = "blocks", "Blocks", "blocks", "is blocked by"
			lk.FromIssueID, lk.ToIssueID = other, is.ID
			relation = "is blocked by"
		default:
			lk.TypeID, lk.Type, lk.Outward, lk.Inward = "relates_to", "Relates", "relates to", "relates to"
			lk.FromIssueID, lk.ToIssueID = is.ID, other
			if w.ID > l.ID {
				lk.FromIssueID, lk.ToIssueID = other, is.ID
			}
		}
		out = append(out, lk)
		if l.LinkCreatedAt != nil {
			out = append(out, model.Change{Source: m.source, IssueID: is.ID, ChangeID: changeID(l.IssueLinkID, evLink),
				At: l.LinkCreatedAt.UTC(), ChangeKind: model.ChangeLink, Field: "Link", FieldID: "links",
				To: otherKey, ToString: "This issue " + relation + " " + otherKey})
		}
	}
	return out
}

// issue maps an issue and its resource events to the issue record and its
// history.
func (m *mapper) issue(w *wIssue, p model.Project, ev *events) (model.Issue, []model.Change, error) {
	labels := map[string]bool{}
	for _, l := range w.Labels {
		labels[strings.ToLower(l)] = true
	}
	is := model.Issue{Source: m.source, ID: strconv.FormatInt(w.ID, 10), ProjectID: p.ID, ProjectKey: p.Key,
		Summary: w.Title, Created: w.CreatedAt.UTC(), Updated: w.UpdatedAt.UTC(), Labels: w.Labels, URL: w.WebURL,
		TypeClass: model.TypeStandard, AssigneeID: "", ReporterID: userID(w.Author), Reporter: userName(w.Author)}
	is.Key = p.Key + "#" + strconv.FormatInt(w.IID, 10)
	is.Type = m.issueType(w)
	is.TypeID = strings.ToLower(is.Type)
	is.StatusID, is.Status, is.StatusCategory = m.status(w.State, labels)
	is.ResolutionID, is.Resolution = m.resolution(w.State, labels)
	if w.State == statusClosed && w.ClosedAt != nil {
		t := w.ClosedAt.UTC()
		is.Resolved = &t
	}
	switch {
	case len(w.Assignees) > 0:
		is.AssigneeID, is.Assignee = userID(&w.Assignees[0]), userName(&w.Assignees[0])
	case w.Assignee != nil:
		is.AssigneeID, is.Assignee = userID(w.Assignee), userName(w.Assignee)
	}
	var err error
	if is.DueDate, err = parseDate(w.DueDate); err != nil {
		return is, nil, fmt.Errorf("issue %s due_date: %w", is.Key, err)
	}
	if w.Weight != nil {
		v := *w.Weight
		is.StoryPoints = &v
	}
	if ts := w.TimeStats; ts != nil {
		if ts.TimeEstimate > 0 {
			v := ts.TimeEstimate
			is.OriginalEstimateSeconds = &v
		}
		if ts.TotalTimeSpent > 0 {
			v := ts.TotalTimeSpent
			is.TimeSpentSeconds = &v
		}
	}
	if w.Milestone != nil && w.Milestone.ID != 0 {
		is.FixVersionIDs = []string{strconv.FormatInt(w.Milestone.ID, 10)}
	}
	if w.Iteration != nil && w.Iteration.ID != 0 {
		is.SprintIDs = []string{sprintID(p.ID, w.Iteration.ID)}
	}
	if ev == nil {
		ev = &events{}
	}
	var ch []model.Change
	add := func(c model.Change) {
		c.Source, c.IssueID = m.source, is.ID
		c.At = c.At.UTC()
		ch = append(ch, c)
	}
	m.workflow(w, labels, ev, add)
	m.milestones(ev, add)
	m.iterations(p.ID, ev, add)
	m.weights(ev, add)
	return is, ch, nil
}

// workflow replays the state and label events from the issue's creation:
// the labels at creation are the current ones with the label events undone
// in reverse, the state at creation is opened. Each event that changes the
// status (state, or the in-progress label in force) or the resolution (a
// discard label on a closed issue) gives a status or resolution change, so
// the first change's from is the status the issue was created in.
func (m *mapper) workflow(w *wIssue, current map[string]bool, ev *events, add func(model.Change)) {
	type step struct {
		at     time.Time
		id     int64
		kind   int
		state  string
		label  string
		adds   bool
		author *wUser
	}
	var steps []step
	for _, e := range ev.State {
		st := e.State
		if st == "reopened" {
			st = statusOpened
		}
		steps = append(steps, step{at: e.CreatedAt, id: e.ID, kind: evState, state: st, author: e.User})
	}
	for _, e := range ev.Label {
		if e.Label == nil || e.Label.Name == "" {
			continue // a label deleted since: its name is gone
		}
		steps = append(steps, step{at: e.CreatedAt, id: e.ID, kind: evLabel, label: e.Label.Name, adds: e.Action == "add", author: e.User})
	}
	sort.SliceStable(steps, func(i, j int) bool {
		if !steps[i].at.Equal(steps[j].at) {
			return steps[i].at.Before(steps[j].at)
		}
		if steps[i].kind != steps[j].kind {
			return steps[i].kind > steps[j].kind // labels first, then the state
		}
		return steps[i].id < steps[j].id
	})
	labels := map[string]bool{}
	for l := range current {
		labels[l] = true
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if s := steps[i]; s.kind == evLabel {
			if s.adds {
				delete(labels, strings.ToLower(s.label))
			} else {
				labels[strings.ToLower(s.label)] = true
			}
		}
	}
	state := statusOpened
	// An issue closed before GitLab recorded state events (13.x) has no
	// close event: close it at closed_at, after the recorded events.
	sawClose := false
	for _, s := range steps {
		if s.kind == evState && s.state == statusClosed {
			sawClose = true
		}
	}
	if w.State == statusClosed && !sawClose && w.ClosedAt != nil {
		at := *w.ClosedAt
		if n := len(steps); n > 0 && steps[n-1].at.After(at) {
			at = steps[n-1].at
		}
		steps = append(steps, step{at: at, id: 0, kind: evSynthetic, state: statusClosed})
	}
	stID, stName, stCat := m.status(state, labels)
	resID, resName := m.resolution(state, labels)
	// The events of one instant (a scoped label swapped for another, a
	// label set as the issue is closed) change the status once, after all
	// of them.
	for i := 0; i < len(steps); {
		j := i
		for j < len(steps) && steps[j].at.Equal(steps[i].at) {
			j++
		}
		item := 0
		for _, s := range steps[i:j] {
			item = 0
			if s.kind != evLabel {
				state = s.state
				continue
			}
			c := model.Change{ChangeID: changeID(s.id, s.kind), At: s.at, AuthorID: userID(s.author), ChangeKind: model.ChangeOther,
				Field: "labels", FieldID: "labels"}
			if s.adds {
				c.ToString = s.label
				labels[strings.ToLower(s.label)] = true
			} else {
				c.FromString = s.label
				delete(labels, strings.ToLower(s.label))
			}
			add(c)
			item = 1
		}
		last := steps[j-1]
		cid := changeID(last.id, last.kind)
		i = j
		id, name, cat := m.status(state, labels)
		if id != stID {
			add(model.Change{ChangeID: cid, Item: item, At: last.at, AuthorID: userID(last.author), ChangeKind: model.ChangeStatus,
				Field: "status", FieldID: "status", From: stID, FromString: stName, To: id, ToString: name,
				FromCategory: stCat, ToCategory: cat})
			item++
			stID, stName, stCat = id, name, cat
		}
		rid, rname := m.resolution(state, labels)
		if rid != resID {
			add(model.Change{ChangeID: cid, Item: item, At: last.at, AuthorID: userID(last.author), ChangeKind: model.ChangeResolution,
				Field: "resolution", FieldID: "resolution", From: resID, FromString: resName, To: rid, ToString: rname})
			resID, resName = rid, rname
		}
	}
}

func (m *mapper) milestones(ev *events, add func(model.Change)) {
	es := append([]wMilestoneEvent(nil), ev.Milestone...)
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].CreatedAt.Equal(es[j].CreatedAt) {
			return es[i].CreatedAt.Before(es[j].CreatedAt)
		}
		return es[i].ID < es[j].ID
	})
	for _, e := range es {
		if e.Milestone == nil || e.Milestone.ID == 0 {
			continue
		}
		id := strconv.FormatInt(e.Milestone.ID, 10)
		c := model.Change{ChangeID: changeID(e.ID, evMilestone), At: e.CreatedAt, AuthorID: userID(e.User),
			ChangeKind: model.ChangeFixVersion, Field: "milestone", FieldID: "milestone"}
		if e.Action == "remove" {
			c.From, c.FromString = id, e.Milestone.Title
		} else {
			c.To, c.ToString = id, e.Milestone.Title
		}
		add(c)
	}
}

// iterations replays the iteration events: an issue is in at most one
// iteration, so each change carries the one before and the one after; a
// move from one iteration to the next (a remove and an add in one instant)
// is one change.
func (m *mapper) iterations(projectID string, ev *events, add func(model.Change)) {
	es := append([]wIterationEvent(nil), ev.Iteration...)
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].CreatedAt.Equal(es[j].CreatedAt) {
			return es[i].CreatedAt.Before(es[j].CreatedAt)
		}
		return es[i].ID < es[j].ID
	})
	cur, curName := "", ""
	for i := 0; i < len(es); {
		j := i
		for j < len(es) && es[j].CreatedAt.Equal(es[i].CreatedAt) {
			j++
		}
		from, fromName := cur, curName
		var last *wIterationEvent
		for k := i; k < j; k++ {
			e := &es[k]
			if e.Iteration == nil || e.Iteration.ID == 0 {
				continue
			}
			id := sprintID(projectID, e.Iteration.ID)
			if e.Action == "remove" {
				if cur == "" && from == "" && k == i {
					// Removed from an iteration the history never added
					// it to: it was in it from the start.
					from, fromName = id, e.Iteration.Title
				} else if cur != id {
					continue
				}
				cur, curName = "", ""
			} else {
				cur, curName = id, e.Iteration.Title
			}
			last = e
		}
		i = j
		if last == nil || cur == from {
			continue
		}
		add(model.Change{ChangeID: changeID(last.ID, evIteration), At: last.CreatedAt, AuthorID: userID(last.User),
			ChangeKind: model.ChangeSprint, Field: "iteration", FieldID: "iteration", From: from, FromString: fromName,
			To: cur, ToString: curName})
	}
}

func (m *mapper) weights(ev *events, add func(model.Change)) {
	es := append([]wWeightEvent(nil), ev.Weight...)
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].CreatedAt.Equal(es[j].CreatedAt) {
			return es[i].CreatedAt.Before(es[j].CreatedAt)
		}
		return es[i].ID < es[j].ID
	})
	prev := ""
	for _, e := range es {
		to := formatWeight(e.Weight)
		if to == prev {
			continue
		}
		add(model.Change{ChangeID: changeID(e.ID, evWeight), At: e.CreatedAt, AuthorID: userID(e.User),
			ChangeKind: model.ChangeStoryPoints, Field: "weight", FieldID: "weight", From: prev, To: to})
		prev = to
	}
}

// gidNumber returns the number at the end of a GraphQL global id
// ("gid://gitlab/Issue/5000" -> "5000"), the id the REST API uses.
func gidNumber(gid string) string {
	if i := strings.LastIndexByte(gid, '/'); i >= 0 {
		return gid[i+1:]
	}
	return gid
}

// worklog maps a timelog of an issue; ok is false for timelogs of merge
// requests.
func (m *mapper) worklog(g gTimelog) (model.Worklog, bool) {
	if g.Issue == nil || g.Issue.ID == "" || g.ID == "" {
		return model.Worklog{}, false
	}
	w := model.Worklog{Source: m.source, ID: gidNumber(g.ID), IssueID: gidNumber(g.Issue.ID), Started: g.SpentAt.UTC(),
		StartedOffset: g.SpentAt.Format("-0700"), Seconds: g.TimeSpent, Created: g.SpentAt.UTC(), Updated: g.SpentAt.UTC()}
	if g.User != nil {
		w.AuthorID, w.Author = gidNumber(g.User.ID), g.User.Name
		if w.Author == "" {
			w.Author = g.User.Username
		}
	}
	return w, true
}
