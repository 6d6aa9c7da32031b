package redmine

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// relation describes a Redmine relation type as a link type: its name, the
// text seen from the issue_from side (outward) and from the issue_to side
// (inward).
type relation struct{ typ, outward, inward string }

// relations by Redmine relation_type (the issue_from side).
var relations = map[string]relation{
	"relates":    {"Relates", "relates to", "relates to"},
	"duplicates": {"Duplicates", "duplicates", "is duplicated by"},
	"blocks":     {"Blocks", "blocks", "is blocked by"},
	"precedes":   {"Precedes", "precedes", "follows"},
	"copied_to":  {"Copied to", "copied to", "copied from"},
}

// journalRelationText is the text of a journal's relation detail, whose name
// is the relation type as seen from the journal's issue: the issue_from side
// names the type ("blocks"), the issue_to side its reverse ("blocked").
var journalRelationText = map[string]string{
	"relates": "relates to", "duplicates": "duplicates", "duplicated": "is duplicated by",
	"blocks": "blocks", "blocked": "is blocked by", "precedes": "precedes", "follows": "follows",
	"copied_to": "copied to", "copied_from": "copied from",
}

// mapper turns Redmine answers into model records. Its lookup tables are
// filled before issues are mapped and only read afterwards.
type mapper struct {
	source  string
	baseURL string
	cfg     *Config

	categories map[string]model.StatusCategory // status id → category
	statusName map[string]string
	discarded  map[string]bool // status ids in statuses.discarded
	priorities map[string]string
	trackers   map[string]string
	spField    string // story points custom field id; "" when none
	projects   map[string]wProject
}

func newMapper(source, baseURL string, cfg *Config) *mapper {
	return &mapper{source: source, baseURL: baseURL, cfg: cfg, categories: map[string]model.StatusCategory{},
		statusName: map[string]string{}, discarded: map[string]bool{}, priorities: map[string]string{},
		trackers: map[string]string{}, projects: map[string]wProject{}}
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func optDate(s string) (*model.Date, error) {
	if s == "" {
		return nil, nil
	}
	d, err := model.ParseDate(s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func listed(names []string, st wStatus) bool {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if strings.EqualFold(n, st.Name) || n == id(st.ID) {
			return true
		}
	}
	return false
}

// statuses maps the statuses onto categories: the configured lists first,
// then is_closed → done, a tracker's default status → new, else in progress.
func (m *mapper) statuses(ws []wStatus, trackers []wTracker) []model.Status {
	defaults := map[int64]bool{}
	for _, t := range trackers {
		if t.DefaultStatus != nil {
			defaults[t.DefaultStatus.ID] = true
		}
		m.trackers[id(t.ID)] = t.Name
	}
	sm := m.cfg.Statuses
	out := make([]model.Status, 0, len(ws))
	for _, w := range ws {
		var cat model.StatusCategory
		switch {
		case listed(sm.Discarded, w):
			cat = model.CategoryDone
			m.discarded[id(w.ID)] = true
		case listed(sm.Done, w):
			cat = model.CategoryDone
		case listed(sm.InProgress, w):
			cat = model.CategoryIndeterminate
		case listed(sm.ToDo, w):
			cat = model.CategoryNew
		case w.IsClosed:
			cat = model.CategoryDone
		case defaults[w.ID]:
			cat = model.CategoryNew
		default:
			cat = model.CategoryIndeterminate
		}
		m.categories[id(w.ID)] = cat
		m.statusName[id(w.ID)] = w.Name
		out = append(out, model.Status{Source: m.source, ID: id(w.ID), Name: w.Name, Category: cat})
	}
	return out
}

func (m *mapper) category(statusID string) model.StatusCategory {
	if c, ok := m.categories[statusID]; ok {
		return c
	}
	return model.CategoryUnknown
}

func (m *mapper) project(w wProject) model.Project {
	p := model.Project{Source: m.source, ID: id(w.ID), Key: w.Identifier, Name: w.Name,
		URL: m.baseURL + "projects/" + w.Identifier, Archived: w.Status == 5 || w.Status == 9}
	if w.Parent != nil {
		p.CategoryID, p.Category = w.Parent.idString(), w.Parent.Name
	}
	return p
}

func (m *mapper) version(w wVersion, observed time.Time) (model.Version, error) {
	due, err := optDate(w.DueDate)
	if err != nil {
		return model.Version{}, fmt.Errorf("version %d (%s): due_date: %w", w.ID, w.Name, err)
	}
	return model.Version{Source: m.source, ID: id(w.ID), ProjectID: w.Project.idString(), Name: w.Name,
		Description: w.Description, ReleaseDate: due, Released: w.Status == "closed", ObservedAt: observed}, nil
}

// issueKey is the key pmo shows for an issue: its project's identifier and
// its (site-wide) number, "website-42"; "#42" when the project is unknown.
func (m *mapper) issueKey(issueID, projectID string) string {
	if p, ok := m.projects[projectID]; ok && p.Identifier != "" {
		return p.Identifier + "-" + issueID
	}
	return "#" + issueID
}

func hoursToSeconds(h float64) int64 { return int64(math.Round(h * 3600)) }

// issueParts are the records of one issue.
type issueParts struct {
	Issue   model.Issue
	Changes []model.Change
	Links   []model.Link
}

// issue maps an issue read with include=journals,relations. keys resolves
// the key of another issue (relations).
func (m *mapper) issue(w *wIssue, keys func(string) string) (issueParts, error) {
	if w.ID == 0 || w.Project == nil || w.Status == nil {
		return issueParts{}, fmt.Errorf("issue without id, project or status in the answer")
	}
	iid := id(w.ID)
	where := "issue #" + iid
	created, err := parseTime(w.CreatedOn)
	if err != nil {
		return issueParts{}, fmt.Errorf("%s: created_on: %w", where, err)
	}
	updated, err := parseTime(w.UpdatedOn)
	if err != nil {
		return issueParts{}, fmt.Errorf("%s: updated_on: %w", where, err)
	}
	due, err := optDate(w.DueDate)
	if err != nil {
		return issueParts{}, fmt.Errorf("%s: due_date: %w", where, err)
	}
	pid := w.Project.idString()
	is := model.Issue{
		Source: m.source, ID: iid, Key: m.issueKey(iid, pid), ProjectID: pid, ProjectKey: m.projects[pid].Identifier,
		Summary: w.Subject, TypeID: w.Tracker.idString(), Type: w.Tracker.name(), TypeClass: model.TypeStandard,
		StatusID: w.Status.idString(), Status: w.Status.Name, PriorityID: w.Priority.idString(), Priority: w.Priority.name(),
		AssigneeID: w.AssignedTo.idString(), Assignee: w.AssignedTo.name(), ReporterID: w.Author.idString(),
		Reporter: w.Author.name(), Created: created, Updated: updated, DueDate: due,
		ParentID: w.Parent.idString(), URL: m.baseURL + "issues/" + iid,
	}
	is.StatusCategory = m.category(is.StatusID)
	// Redmine has no resolution field: a done issue's resolution is the name
	// of its status, or discarded_resolution for a discarded status (so that
	// kpi.discard_resolutions tells it), and an open issue has none.
	switch {
	case m.discarded[is.StatusID]:
		is.Resolution = m.cfg.DiscardedResolution
	case is.StatusCategory == model.CategoryDone:
		is.Resolution = is.Status
	}
	if w.EstimatedHours != nil {
		s := hoursToSeconds(*w.EstimatedHours)
		is.OriginalEstimateSeconds = &s
	}
	if w.SpentHours != nil {
		s := hoursToSeconds(*w.SpentHours)
		is.TimeSpentSeconds = &s
	}
	if w.Category != nil {
		is.Components = []string{w.Category.Name}
	}
	if v := w.FixedVersion.idString(); v != "" {
		is.FixVersionIDs = []string{v}
	}
	for _, cv := range w.CustomFields {
		if m.spField != "" && id(cv.ID) == m.spField {
			if t := strings.TrimSpace(cv.text()); t != "" {
				f, err := strconv.ParseFloat(t, 64)
				if err != nil {
					return issueParts{}, fmt.Errorf("%s: story points field %q: %q is not a number", where, cv.Name, t)
				}
				is.StoryPoints = &f
			}
		}
	}
	changes, err := m.changes(iid, w.Journals, keys)
	if err != nil {
		return issueParts{}, fmt.Errorf("%s: %w", where, err)
	}
	if is.StatusCategory == model.CategoryDone {
		is.Resolved = m.resolvedAt(is, changes, w.ClosedOn)
	}
	ip := issueParts{Issue: is, Changes: changes}
	for _, r := range w.Relations {
		if r.IssueID != w.ID {
			continue // stored from the issue_from side, so that every run stores the same row
		}
		rel, ok := relations[r.RelationType]
		if !ok {
			rel = relation{r.RelationType, r.RelationType, r.RelationType}
		}
		ip.Links = append(ip.Links, model.Link{Source: m.source, ID: id(r.ID), TypeID: r.RelationType, Type: rel.typ,
			Outward: rel.outward, Inward: rel.inward, FromIssueID: id(r.IssueID), ToIssueID: id(r.IssueToID), ObservedAt: updated})
	}
	return ip, nil
}

// resolvedAt is when a done issue last entered a done status: the last
// status change from a category other than done, else closed_on, else its
// creation (created done).
func (m *mapper) resolvedAt(is model.Issue, changes []model.Change, closedOn string) *time.Time {
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		if c.ChangeKind == model.ChangeStatus && c.ToCategory == model.CategoryDone && c.FromCategory != model.CategoryDone {
			t := c.At
			return &t
		}
	}
	if closedOn != "" {
		if t, err := parseTime(closedOn); err == nil {
			return &t
		}
	}
	t := is.Created
	return &t
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// changes maps journal details onto model changes, one or two per detail
// (a target version changed from one version to another is a removal and
// an addition). Notes-only journals give none.
func (m *mapper) changes(issueID string, js []wJournal, keys func(string) string) ([]model.Change, error) {
	var out []model.Change
	// Journals come oldest first; keep that order with ids as tie-break.
	sorted := append([]wJournal(nil), js...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, j := range sorted {
		if len(j.Details) == 0 {
			continue
		}
		at, err := parseTime(j.CreatedOn)
		if err != nil {
			return nil, fmt.Errorf("journal %d: created_on: %w", j.ID, err)
		}
		item := 0
		base := model.Change{Source: m.source, IssueID: issueID, ChangeID: id(j.ID), At: at, AuthorID: j.User.idString()}
		emit := func(c model.Change) {
			c.Item = item
			item++
			if c.CheckValue() != nil { // a value pmo cannot read as its kind: keep it for audit only
				c.ChangeKind, c.FromCategory, c.ToCategory = model.ChangeOther, "", ""
			}
			out = append(out, c)
		}
		for _, d := range j.Details {
			c := base
			c.Field, c.FieldID, c.FieldType = d.Name, d.Name, d.Property
			from, to := str(d.OldValue), str(d.NewValue)
			c.From, c.To = from, to
			c.ChangeKind = model.ChangeOther
			switch d.Property {
			case "attr":
				switch d.Name {
				case "status_id":
					c.ChangeKind, c.Field = model.ChangeStatus, "status"
					c.FromString, c.ToString = m.statusName[from], m.statusName[to]
					if from != "" {
						c.FromCategory = m.category(from)
					}
					if to != "" {
						c.ToCategory = m.category(to)
					}
				case "assigned_to_id":
					c.ChangeKind, c.Field = model.ChangeAssignee, "assignee"
				case "priority_id":
					c.ChangeKind, c.Field = model.ChangePriority, "priority"
					c.FromString, c.ToString = m.priorities[from], m.priorities[to]
				case "tracker_id":
					c.ChangeKind, c.Field = model.ChangeType, "tracker"
					c.FromString, c.ToString = m.trackers[from], m.trackers[to]
				case "due_date":
					c.ChangeKind, c.Field = model.ChangeDueDate, "due date"
				case "parent_id":
					c.ChangeKind, c.Field = model.ChangeParent, "parent"
				case "estimated_hours":
					c.ChangeKind, c.Field = model.ChangeOriginalEstimate, "estimated time"
					c.FromString, c.ToString = from, to
					if c.From, err = hoursText(from); err == nil {
						c.To, err = hoursText(to)
					}
					if err != nil {
						c.ChangeKind, c.From, c.To = model.ChangeOther, from, to
					}
				case "fixed_version_id":
					c.ChangeKind, c.Field = model.ChangeFixVersion, "target version"
					if from != "" && to != "" {
						rm := c
						rm.To = ""
						emit(rm)
						c.From = ""
					}
					if from == "" && to == "" {
						c.ChangeKind = model.ChangeOther
					}
				}
			case "cf":
				c.FieldID = "cf_" + d.Name
				if m.spField != "" && d.Name == m.spField {
					c.ChangeKind, c.Field = model.ChangeStoryPoints, "story points"
				}
			case "relation":
				text, ok := journalRelationText[d.Name]
				if !ok {
					text = d.Name
				}
				c.FieldID = "relation_" + d.Name
				switch {
				case to != "" && from == "":
					c.ChangeKind, c.To = model.ChangeLink, keys(to)
					c.ToString = text + " " + c.To
				case from != "" && to == "":
					c.ChangeKind, c.From = model.ChangeLink, keys(from)
					c.FromString = text + " " + c.From
				}
			}
			emit(c)
		}
	}
	return out, nil
}

// hoursText turns Redmine's hours ("1.5") into whole seconds ("5400").
func hoursText(h string) (string, error) {
	if strings.TrimSpace(h) == "" {
		return "", nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(h), 64)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(hoursToSeconds(f), 10), nil
}

// worklog maps a time entry; ok is false for time logged on a project
// rather than an issue (pmo keeps worklogs per issue).
func (m *mapper) worklog(w wTimeEntry) (model.Worklog, bool, error) {
	if w.Issue == nil || w.Issue.ID == 0 {
		return model.Worklog{}, false, nil
	}
	day, err := model.ParseDate(w.SpentOn)
	if err != nil {
		return model.Worklog{}, false, fmt.Errorf("time entry %d: spent_on: %w", w.ID, err)
	}
	created, err := parseTime(w.CreatedOn)
	if err != nil {
		return model.Worklog{}, false, fmt.Errorf("time entry %d: created_on: %w", w.ID, err)
	}
	updated, err := parseTime(w.UpdatedOn)
	if err != nil {
		return model.Worklog{}, false, fmt.Errorf("time entry %d: updated_on: %w", w.ID, err)
	}
	return model.Worklog{Source: m.source, ID: id(w.ID), IssueID: w.Issue.idString(), AuthorID: w.User.idString(),
		Author: w.User.name(), Started: day.Time(), StartedOffset: "", Seconds: hoursToSeconds(w.Hours),
		Created: created, Updated: updated}, true, nil
}
