package github

import (
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/pmo-oss/pmo/internal/model"
)

// Status ids. GitHub has two states; the collector adds one status per
// configured status label.
const (
	statusOpen   = "open"
	statusClosed = "closed"
	labelPrefix  = "label:"
)

type statusDef struct {
	id, name string
	cat      model.StatusCategory
}

// mapper turns GitHub's answers into records.
type mapper struct {
	source    string
	cfg       *Config
	open      statusDef
	closed    statusDef
	labels    []statusDef // in configured order, id = label: + lower-case label
	labelIdx  map[string]int
	typeLabel map[string]string
	// The project (v2) statuses, and the issues' project snapshots of
	// this run (nil without a project).
	projDefs  map[string]statusDef
	projOrder []statusDef
	proj      map[string]*itemSnap
}

func newMapper(source string, cfg *Config) *mapper {
	m := &mapper{source: source, cfg: cfg,
		open:     statusDef{statusOpen, cfg.Statuses.Open, model.CategoryNew},
		closed:   statusDef{statusClosed, cfg.Statuses.Closed, model.CategoryDone},
		labelIdx: map[string]int{}, typeLabel: map[string]string{}}
	for _, l := range cfg.Statuses.Labels {
		key := strings.ToLower(strings.TrimSpace(l.Label))
		name := l.Name
		if name == "" {
			name = l.Label
		}
		cat := model.StatusCategory(l.Category)
		if cat == "" {
			cat = model.CategoryIndeterminate
		}
		m.labelIdx[key] = len(m.labels)
		m.labels = append(m.labels, statusDef{labelPrefix + key, name, cat})
	}
	for l, t := range cfg.TypeLabels {
		m.typeLabel[strings.ToLower(l)] = t
	}
	m.projDefs, m.projOrder = projectDefs(cfg)
	return m
}

func (m *mapper) statuses() []model.Record {
	out := []model.Record{
		model.Status{Source: m.source, ID: m.open.id, Name: m.open.name, Category: m.open.cat},
		model.Status{Source: m.source, ID: m.closed.id, Name: m.closed.name, Category: m.closed.cat},
	}
	for _, l := range slices.Concat(m.labels, m.projOrder) {
		out = append(out, model.Status{Source: m.source, ID: l.id, Name: l.name, Category: l.cat})
	}
	return out
}

// status is the status of an issue in a state with a set of labels
// (lower-case names): closed wins, then the first configured status label.
func (m *mapper) status(open bool, labels map[string]bool) statusDef {
	if !open {
		return m.closed
	}
	best := -1
	for l := range labels {
		if i, ok := m.labelIdx[l]; ok && (best < 0 || i < best) {
			best = i
		}
	}
	if best >= 0 {
		return m.labels[best]
	}
	return m.open
}

func id64(v int64) string { return strconv.FormatInt(v, 10) }

func (m *mapper) project(rp *gh.Repository) model.Project {
	p := model.Project{Source: m.source, ID: id64(rp.GetID()), Key: rp.GetFullName(), Name: rp.GetName(),
		URL: rp.GetHTMLURL(), Archived: rp.GetArchived()}
	// The owner is the program (sources[].program, common to every
	// source, puts all of them into another).
	if o := rp.GetOwner(); o != nil {
		p.CategoryID, p.Category = id64(o.GetID()), o.GetLogin()
	}
	return p
}

func (m *mapper) version(rp *gh.Repository, ms *gh.Milestone, observed time.Time) model.Version {
	v := model.Version{Source: m.source, ID: id64(ms.GetID()), ProjectID: id64(rp.GetID()), Name: ms.GetTitle(),
		Description: ms.GetDescription(), Released: ms.GetState() == "closed", ObservedAt: observed}
	if ms.DueOn != nil {
		d := model.DateOf(ms.DueOn.UTC())
		v.ReleaseDate = &d
	}
	return v
}

func issueKey(rp *gh.Repository, number int) string {
	return rp.GetFullName() + "#" + strconv.Itoa(number)
}

func (m *mapper) resolution(reason string) (id, name string) {
	if reason == "" || reason == "reopened" {
		reason = "completed"
	}
	name, ok := m.cfg.Resolutions[reason]
	if !ok {
		name = reason
	}
	return reason, name
}

func lowerLabels(ls []*gh.Label) map[string]bool {
	out := map[string]bool{}
	for _, l := range ls {
		out[strings.ToLower(l.GetName())] = true
	}
	return out
}

func (m *mapper) issueType(is *gh.Issue) string {
	if t := is.GetType(); t != nil && t.GetName() != "" {
		return t.GetName()
	}
	for _, l := range is.Labels {
		if t, ok := m.typeLabel[strings.ToLower(l.GetName())]; ok {
			return t
		}
	}
	return m.cfg.DefaultType
}

func (m *mapper) issue(rp *gh.Repository, is *gh.Issue) model.Issue {
	open := is.GetState() != "closed"
	snap := m.snapOf(id64(is.GetID()))
	st := m.statusOf(open, lowerLabels(is.Labels), snap.status())
	typ := m.issueType(is)
	out := model.Issue{
		Source: m.source, ID: id64(is.GetID()), Key: issueKey(rp, is.GetNumber()), ProjectID: id64(rp.GetID()),
		ProjectKey: rp.GetFullName(), Summary: is.GetTitle(), TypeID: typ, Type: typ, TypeClass: model.TypeStandard,
		StatusID: st.id, Status: st.name, StatusCategory: st.cat,
		Created: is.GetCreatedAt().UTC(), Updated: is.GetUpdatedAt().UTC(), URL: is.GetHTMLURL(),
	}
	if !open {
		out.ResolutionID, out.Resolution = m.resolution(is.GetStateReason())
		if is.ClosedAt != nil {
			t := is.ClosedAt.UTC()
			out.Resolved = &t
		}
	}
	if as := assignees(is); len(as) > 0 {
		out.AssigneeID, out.Assignee = id64(as[0].GetID()), as[0].GetLogin()
	}
	if u := is.GetUser(); u != nil {
		out.ReporterID, out.Reporter = id64(u.GetID()), u.GetLogin()
	}
	for _, l := range is.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	if ms := is.GetMilestone(); ms != nil {
		out.FixVersionIDs = []string{id64(ms.GetID())}
	}
	if p := is.GetParentIssueURL(); p != "" {
		out.ParentKey = parentKey(p)
	}
	if snap != nil {
		if v, err := strconv.ParseFloat(snap.Points, 64); err == nil {
			out.StoryPoints = &v
		}
		if snap.Sprint != "" {
			out.SprintIDs = []string{snap.Sprint}
		}
	}
	return out
}

// parentKey turns …/repos/OWNER/NAME/issues/N into OWNER/NAME#N.
func parentKey(u string) string {
	i := strings.Index(u, "/repos/")
	if i < 0 {
		return ""
	}
	parts := strings.Split(u[i+len("/repos/"):], "/")
	if len(parts) != 4 || parts[2] != "issues" {
		return ""
	}
	return parts[0] + "/" + parts[1] + "#" + parts[3]
}

func (m *mapper) deleted(rp *gh.Repository, is *gh.Issue, at time.Time) model.IssueDeleted {
	return model.IssueDeleted{Source: m.source, IssueID: id64(is.GetID()), IssueKey: issueKey(rp, is.GetNumber()),
		ProjectID: id64(rp.GetID()), At: at}
}

type person struct{ id, login string }

// histState is what the replay of the events tracks.
type histState struct {
	open      bool
	labels    map[string]bool
	assignees []person
	milestone string // title
}

func (s *histState) primary() person {
	if len(s.assignees) == 0 {
		return person{}
	}
	return s.assignees[0]
}

func (s *histState) removeAssignee(p person) {
	s.assignees = slices.DeleteFunc(s.assignees, func(x person) bool { return x.id == p.id })
}

func userOf(u *gh.User) person {
	if u == nil {
		return person{}
	}
	return person{id64(u.GetID()), u.GetLogin()}
}

// closedAt is the instant of the last closed event, for an issue whose
// closed_at is missing (old answers).
func closedAt(events []wEvent) *time.Time {
	var out *time.Time
	for _, e := range events {
		if e.GetEvent() == "closed" {
			if t := e.GetCreatedAt().UTC(); out == nil || t.After(*out) {
				out = &t
			}
		}
	}
	return out
}

// changes maps the events of an issue onto changes. The state at creation
// is the current state with every event undone (GitHub records no
// "created with" values), so the first change's from values are right.
func (m *mapper) changes(is *gh.Issue, events []wEvent, milestones map[string]string) []model.Change {
	evs := slices.Clone(events)
	sortEvents(evs)
	cur := histState{open: is.GetState() != "closed", labels: lowerLabels(is.Labels), milestone: is.GetMilestone().GetTitle()}
	for _, a := range assignees(is) {
		cur.assignees = append(cur.assignees, userOf(a))
	}
	// Undo every event, newest first.
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		switch e.GetEvent() {
		case "labeled":
			delete(cur.labels, strings.ToLower(e.GetLabel().GetName()))
		case "unlabeled":
			cur.labels[strings.ToLower(e.GetLabel().GetName())] = true
		case "closed":
			cur.open = true
		case "reopened":
			cur.open = false
		case "assigned":
			cur.removeAssignee(userOf(e.Assignee))
		case "unassigned":
			cur.assignees = append(cur.assignees, userOf(e.Assignee))
		case "milestoned":
			cur.milestone = ""
		case "demilestoned":
			cur.milestone = e.GetMilestone().GetTitle()
		}
	}
	// Replay them, oldest first.
	issueID := id64(is.GetID())
	lastClose := -1
	for i, e := range evs {
		if e.GetEvent() == "closed" {
			lastClose = i
		}
	}
	var out []model.Change
	resID, resName := "", ""
	// The project status snapshots are replayed as events of their own.
	var marks []statusMark
	if snap := m.snapOf(issueID); snap != nil {
		marks = snap.Status
	}
	proj, nextMark := "", 0
	applyMarks := func(until int64, all bool) {
		for ; nextMark < len(marks) && (all || marks[nextMark].At < until); nextMark++ {
			mk := marks[nextMark]
			before := m.statusOf(cur.open, cur.labels, proj)
			prevAt := int64(0)
			if nextMark > 0 {
				prevAt = marks[nextMark-1].At
			}
			proj = mk.ID
			if after := m.statusOf(cur.open, cur.labels, proj); after != before {
				out = append(out, m.statusChange(issueID, prevAt, mk.At, before, after))
			}
		}
	}
	for i, e := range evs {
		applyMarks(e.GetCreatedAt().Unix(), false)
		item := 0
		base := model.Change{Source: m.source, IssueID: issueID, ChangeID: id64(e.GetID()), At: e.GetCreatedAt().UTC(),
			AuthorID: userOf(e.Actor).id}
		emit := func(c model.Change) {
			c.Source, c.IssueID, c.ChangeID, c.At, c.AuthorID = base.Source, base.IssueID, base.ChangeID, base.At, base.AuthorID
			c.Item = item
			item++
			out = append(out, c)
		}
		before := m.statusOf(cur.open, cur.labels, proj)
		prim := cur.primary()
		switch e.GetEvent() {
		case "labeled", "unlabeled":
			l := e.GetLabel().GetName()
			c := model.Change{ChangeKind: model.ChangeOther, Field: "labels", FieldID: "labels"}
			if e.GetEvent() == "labeled" {
				cur.labels[strings.ToLower(l)] = true
				c.To, c.ToString = l, l
			} else {
				delete(cur.labels, strings.ToLower(l))
				c.From, c.FromString = l, l
			}
			emit(c)
		case "closed":
			cur.open = false
			reason := ""
			if e.StateReason != nil {
				reason = *e.StateReason
			}
			if reason == "" && i == lastClose && is.GetState() == "closed" {
				reason = is.GetStateReason()
			}
			id, name := m.resolution(reason)
			if id == resID {
				break // a repeated close (GitHub records some twice)
			}
			emit(model.Change{ChangeKind: model.ChangeResolution, Field: "resolution", FieldID: "state_reason",
				From: resID, FromString: resName, To: id, ToString: name})
			resID, resName = id, name
		case "reopened":
			cur.open = true
			emit(model.Change{ChangeKind: model.ChangeResolution, Field: "resolution", FieldID: "state_reason",
				From: resID, FromString: resName})
			resID, resName = "", ""
		case "assigned":
			cur.removeAssignee(userOf(e.Assignee))
			cur.assignees = append(cur.assignees, userOf(e.Assignee))
		case "unassigned":
			cur.removeAssignee(userOf(e.Assignee))
		case "milestoned", "demilestoned":
			title := e.GetMilestone().GetTitle()
			id, ok := milestones[title]
			c := model.Change{ChangeKind: model.ChangeFixVersion, Field: "milestone", FieldID: "milestone"}
			if !ok {
				// A deleted milestone: the event keeps only its title.
				c.ChangeKind = model.ChangeOther
			}
			if e.GetEvent() == "milestoned" {
				cur.milestone = title
				c.To, c.ToString = id, title
				if !ok {
					c.To = title
				}
			} else {
				cur.milestone = ""
				c.From, c.FromString = id, title
				if !ok {
					c.From = title
				}
			}
			emit(c)
		case "renamed":
			if rn := e.GetRename(); rn != nil {
				emit(model.Change{ChangeKind: model.ChangeOther, Field: "title", FieldID: "title",
					FromString: rn.GetFrom(), ToString: rn.GetTo()})
			}
		default:
			continue
		}
		if after := m.statusOf(cur.open, cur.labels, proj); after != before {
			emit(model.Change{ChangeKind: model.ChangeStatus, Field: "status", FieldID: "status",
				From: before.id, FromString: before.name, FromCategory: before.cat,
				To: after.id, ToString: after.name, ToCategory: after.cat})
		}
		if p := cur.primary(); p != prim {
			emit(model.Change{ChangeKind: model.ChangeAssignee, Field: "assignee", FieldID: "assignee",
				From: prim.id, FromString: prim.login, To: p.id, ToString: p.login})
		}
	}
	applyMarks(0, true)
	return out
}

// dep is a blocker of an issue: its id and key.
type dep struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// keyOf is OWNER/NAME#N of an issue from its repository_url (or html_url).
func keyOf(is *gh.Issue) string {
	for _, u := range []string{is.GetRepositoryURL(), is.GetHTMLURL()} {
		if i := strings.Index(u, "/repos/"); i >= 0 {
			return u[i+len("/repos/"):] + "#" + strconv.Itoa(is.GetNumber())
		}
		if rest, ok := strings.CutPrefix(u, "https://github.com/"); ok {
			if parts := strings.Split(rest, "/"); len(parts) >= 2 {
				return parts[0] + "/" + parts[1] + "#" + strconv.Itoa(is.GetNumber())
			}
		}
	}
	return "#" + strconv.Itoa(is.GetNumber())
}

func (m *mapper) blockers(list []*gh.Issue) []dep {
	out := make([]dep, 0, len(list))
	for _, b := range list {
		out = append(out, dep{id64(b.GetID()), keyOf(b)})
	}
	slices.SortFunc(out, func(a, b dep) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// The link type of GitHub issue dependencies, named as Jira's "Blocks" so
// that kpi.blocking_link_types' default finds it.
const (
	linkTypeID = "blocked_by"
	linkType   = "Blocks"
	linkOut    = "blocks"
	linkIn     = "is blocked by"
)

func (m *mapper) links(is *gh.Issue, blockers []dep) []model.Link {
	out := make([]model.Link, 0, len(blockers))
	for _, b := range blockers {
		out = append(out, model.Link{Source: m.source, ID: b.ID + ">" + id64(is.GetID()), TypeID: linkTypeID, Type: linkType,
			Outward: linkOut, Inward: linkIn, FromIssueID: b.ID, ToIssueID: id64(is.GetID()), ObservedAt: is.GetUpdatedAt().UTC()})
	}
	return out
}

// linkChanges compares an issue's blockers with those stored before and
// returns the additions and removals as link changes at the issue's update.
func (m *mapper) linkChanges(is *gh.Issue, before, now []dep) []model.Change {
	at := is.GetUpdatedAt().UTC()
	had := map[string]bool{}
	for _, b := range before {
		had[b.ID] = true
	}
	has := map[string]bool{}
	for _, b := range now {
		has[b.ID] = true
	}
	var out []model.Change
	add := func(b dep, added bool) {
		c := model.Change{Source: m.source, IssueID: id64(is.GetID()), At: at, ChangeKind: model.ChangeLink,
			Field: "blocked_by", FieldID: "issue_dependencies"}
		op := "removed"
		if added {
			op = "added"
			c.To, c.ToString = b.Key, "This issue "+linkIn+" "+b.Key
		} else {
			c.From, c.FromString = b.Key, "This issue "+linkIn+" "+b.Key
		}
		c.ChangeID = "dep-" + op + ":" + b.ID + ":" + strconv.FormatInt(at.Unix(), 10)
		out = append(out, c)
	}
	for _, b := range before {
		if !has[b.ID] {
			add(b, false)
		}
	}
	for _, b := range now {
		if !had[b.ID] {
			add(b, true)
		}
	}
	return out
}

// assignees are the issue's assignees, first first; answers older than
// multiple assignees carry only the singular field.
func assignees(is *gh.Issue) []*gh.User {
	if len(is.Assignees) > 0 {
		return is.Assignees
	}
	//lint:ignore SA1019 the pinned API version (2022-11-28) still sends assignee; servers before multiple assignees send only it
	if a := is.Assignee; a != nil {
		return []*gh.User{a}
	}
	return nil
}
