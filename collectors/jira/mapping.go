package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// mapper turns Jira wire values into model records for one source.
type mapper struct {
	source  string
	baseURL string // with trailing slash
	fields  Fields
	// categories maps status id → category, from /rest/api/2/status.
	categories map[string]model.StatusCategory
	// collected holds the upper-case keys of the collected projects. A link
	// is then emitted only from its From issue (so its ObservedAt does not
	// depend on which side was read last), unless the From issue lies in a
	// project that is not collected. Nil: emit from both sides.
	collected map[string]bool
}

func (m *mapper) category(statusID string) model.StatusCategory {
	if statusID == "" {
		return ""
	}
	if c, ok := m.categories[statusID]; ok {
		return c
	}
	return model.CategoryUnknown
}

func categoryOf(key string) model.StatusCategory {
	switch c := model.StatusCategory(strings.ToLower(key)); c {
	case model.CategoryNew, model.CategoryIndeterminate, model.CategoryDone:
		return c
	}
	return model.CategoryUnknown
}

func (m *mapper) status(w wStatus) model.Status {
	cat := model.CategoryUnknown
	if w.StatusCategory != nil {
		cat = categoryOf(w.StatusCategory.Key)
	}
	return model.Status{Source: m.source, ID: string(w.ID), Name: w.Name, Category: cat}
}

func (m *mapper) project(w wProject) model.Project {
	p := model.Project{Source: m.source, ID: string(w.ID), Key: w.Key, Name: w.Name, Lead: w.Lead.id(),
		URL: m.baseURL + "browse/" + w.Key, Archived: w.Archived}
	if w.ProjectCategory != nil {
		p.CategoryID, p.Category = string(w.ProjectCategory.ID), w.ProjectCategory.Name
	}
	return p
}

func (m *mapper) board(w wBoard) model.Board {
	b := model.Board{Source: m.source, ID: string(w.ID), Name: w.Name, Type: w.Type}
	if w.Location != nil {
		b.ProjectID = string(w.Location.ProjectID)
	}
	return b
}

func (m *mapper) sprint(w wSprint, boardID string) (model.Sprint, error) {
	s := model.Sprint{Source: m.source, ID: string(w.ID), BoardID: boardID, Name: w.Name,
		State: strings.ToLower(w.State), Goal: w.Goal}
	if w.OriginBoardID != "" && w.OriginBoardID != "0" {
		s.BoardID = string(w.OriginBoardID)
	}
	var err error
	for _, f := range []struct {
		dst **time.Time
		v   string
		key string
	}{{&s.Start, w.StartDate, "startDate"}, {&s.Activated, w.ActivatedDate, "activatedDate"},
		{&s.End, w.EndDate, "endDate"}, {&s.Complete, w.CompleteDate, "completeDate"}} {
		if *f.dst, err = optTime(f.v); err != nil {
			return s, fmt.Errorf("sprint %s %s: %w", s.ID, f.key, err)
		}
	}
	return s, nil
}

func (m *mapper) version(w wVersion, projectID string, observed time.Time) (model.Version, error) {
	v := model.Version{Source: m.source, ID: string(w.ID), ProjectID: projectID, Name: w.Name, Description: w.Description,
		Released: w.Released, Archived: w.Archived, ObservedAt: observed}
	if w.ProjectID != "" {
		v.ProjectID = string(w.ProjectID)
	}
	var err error
	if v.StartDate, err = optDate(w.StartDate); err != nil {
		return v, fmt.Errorf("version %s startDate: %w", v.ID, err)
	}
	if v.ReleaseDate, err = optDate(w.ReleaseDate); err != nil {
		return v, fmt.Errorf("version %s releaseDate: %w", v.ID, err)
	}
	return v, nil
}

func optTime(s string) (*time.Time, error) {
	if s == "" || s == "<null>" {
		return nil, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
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

// issueParts is everything one search hit yields.
type issueParts struct {
	Issue    model.Issue
	Changes  []model.Change
	Worklogs []model.Worklog
	Links    []model.Link
	// Follow-ups needed because an embedded list was cut short.
	ChangelogTotal int // histories the server has (0 when unknown)
	WorklogTotal   int
}

// decodeField unmarshals fields[name] into v when present and not null.
func decodeField(fields map[string]json.RawMessage, name string, v any) (bool, error) {
	raw, ok := fields[name]
	if !ok {
		return false, nil
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("field %s: %w", name, err)
	}
	return true, nil
}

// issue maps one issue of a search page (with its embedded changelog and
// worklogs). Errors name the issue key and the field.
func (m *mapper) issue(w *wIssue) (issueParts, error) {
	p, err := m.issueInner(w)
	if err != nil {
		return p, fmt.Errorf("issue %s: %w", w.Key, err)
	}
	return p, nil
}

func (m *mapper) issueInner(w *wIssue) (issueParts, error) {
	var p issueParts
	f := w.Fields
	is := model.Issue{Source: m.source, ID: string(w.ID), Key: w.Key, URL: m.baseURL + "browse/" + w.Key}
	var (
		proj                 wIDName
		typ                  wIssueType
		st                   wStatus
		res, prio            wIDName
		assignee, reporter   wUser
		created, updated     flexString
		resolved             flexString
		due                  string
		comps, fixV, affV    []wIDName
		parent               wParent
		orig, remain, spent  *float64
		env                  json.RawMessage
		links                []wLink
		worklog              wWorklogPage
		summary              string
		hasWorklog, hasTimes bool
	)
	decs := []struct {
		name string
		v    any
	}{
		{"project", &proj}, {"summary", &summary}, {"issuetype", &typ}, {"status", &st}, {"resolution", &res},
		{"priority", &prio}, {"assignee", &assignee}, {"reporter", &reporter}, {"created", &created},
		{"updated", &updated}, {"resolutiondate", &resolved}, {"duedate", &due}, {"labels", &is.Labels},
		{"components", &comps}, {"fixVersions", &fixV}, {"versions", &affV}, {"parent", &parent},
		{"timeoriginalestimate", &orig}, {"timeestimate", &remain}, {"timespent", &spent},
		{"environment", &env}, {"issuelinks", &links},
	}
	for _, d := range decs {
		if _, err := decodeField(f, d.name, d.v); err != nil {
			return p, err
		}
	}
	var err error
	if raw := bytes.TrimSpace(f["worklog"]); len(raw) > 0 && raw[0] == '[' {
		// A bare list (seen in API documentation examples).
		hasWorklog, err = decodeField(f, "worklog", &worklog.Worklogs)
	} else {
		hasWorklog, err = decodeField(f, "worklog", &worklog)
	}
	if err != nil {
		return p, err
	}
	_ = hasTimes
	is.ProjectID, is.ProjectKey = string(proj.ID), proj.Key
	is.Summary = summary
	is.TypeID, is.Type = string(typ.ID), typ.Name
	if typ.UntranslatedName != "" {
		is.Type = typ.UntranslatedName
	}
	is.TypeClass = typeClass(typ)
	is.StatusID, is.Status = string(st.ID), st.Name
	if st.UntranslatedName != "" {
		is.Status = st.UntranslatedName
	}
	is.StatusCategory = m.category(is.StatusID)
	if is.StatusCategory == model.CategoryUnknown && st.StatusCategory != nil {
		is.StatusCategory = categoryOf(st.StatusCategory.Key)
	}
	is.ResolutionID, is.Resolution = string(res.ID), res.Name
	is.PriorityID, is.Priority = string(prio.ID), prio.Name
	is.AssigneeID, is.Assignee = assignee.id(), assignee.display()
	is.ReporterID, is.Reporter = reporter.id(), reporter.display()
	if created == "" {
		return p, fmt.Errorf("field created: missing (request it in fields)")
	}
	if is.Created, err = parseTime(string(created)); err != nil {
		return p, fmt.Errorf("field created: %w", err)
	}
	if updated != "" {
		if is.Updated, err = parseTime(string(updated)); err != nil {
			return p, fmt.Errorf("field updated: %w", err)
		}
	} else {
		is.Updated = is.Created
	}
	if is.Resolved, err = optTime(string(resolved)); err != nil {
		return p, fmt.Errorf("field resolutiondate: %w", err)
	}
	if is.DueDate, err = optDate(due); err != nil {
		return p, fmt.Errorf("field duedate: %w", err)
	}
	for _, c := range comps {
		is.Components = append(is.Components, c.Name)
	}
	for _, v := range fixV {
		is.FixVersionIDs = append(is.FixVersionIDs, string(v.ID))
	}
	for _, v := range affV {
		is.AffectsVersionIDs = append(is.AffectsVersionIDs, string(v.ID))
	}
	is.ParentID, is.ParentKey = string(parent.ID), parent.Key
	if parent.Fields != nil && parent.Fields.IssueType != nil && typeClass(*parent.Fields.IssueType) == model.TypeEpic {
		is.EpicKey = parent.Key
	}
	is.OriginalEstimateSeconds = secs(orig)
	is.RemainingEstimateSeconds = secs(remain)
	is.TimeSpentSeconds = secs(spent)
	is.Environment = plainText(env)

	// Custom fields.
	for _, id := range m.fields.StoryPoints {
		v, ok, err := storyPoints(f[id])
		if err != nil {
			return p, fmt.Errorf("story points field %s: %w", id, err)
		}
		if ok {
			is.StoryPoints = &v
			break
		}
	}
	if m.fields.Sprint != "" {
		refs, err := parseSprintField(f[m.fields.Sprint])
		if err != nil {
			return p, fmt.Errorf("field %s: %w", m.fields.Sprint, err)
		}
		for _, r := range refs {
			is.SprintIDs = append(is.SprintIDs, r.ID)
		}
	}
	if m.fields.EpicLink != "" {
		var ek string
		if _, err := decodeField(f, m.fields.EpicLink, &ek); err == nil && ek != "" {
			is.EpicKey = ek
		}
	}
	if m.fields.Flagged != "" {
		var opts []json.RawMessage
		if _, err := decodeField(f, m.fields.Flagged, &opts); err == nil && len(opts) > 0 {
			is.Flagged = true
		}
	}
	var agileFlag bool
	if _, err := decodeField(f, "flagged", &agileFlag); err == nil && agileFlag {
		is.Flagged = true
	}
	p.Issue = is

	// Links, normalised to From <outward> To.
	for _, l := range links {
		ml := model.Link{Source: m.source, ID: string(l.ID), TypeID: string(l.Type.ID), Type: l.Type.Name,
			Outward: l.Type.Outward, Inward: l.Type.Inward, ObservedAt: is.Updated}
		switch {
		case l.OutwardIssue != nil:
			ml.FromIssueID, ml.ToIssueID = is.ID, string(l.OutwardIssue.ID)
		case l.InwardIssue != nil:
			if k, _, ok := strings.Cut(l.InwardIssue.Key, "-"); ok && m.collected[strings.ToUpper(k)] {
				continue // stored when its From issue is read
			}
			ml.FromIssueID, ml.ToIssueID = string(l.InwardIssue.ID), is.ID
		default:
			continue
		}
		p.Links = append(p.Links, ml)
	}

	// Embedded changelog.
	if w.Changelog != nil {
		cs, err := m.changes(is.ID, w.Changelog.Histories)
		if err != nil {
			return p, err
		}
		p.Changes = cs
		p.ChangelogTotal = max(w.Changelog.Total, len(w.Changelog.Histories))
	}
	if hasWorklog {
		ws, err := m.worklogs(is.ID, worklog.Worklogs)
		if err != nil {
			return p, err
		}
		p.Worklogs = ws
		p.WorklogTotal = max(worklog.Total, len(worklog.Worklogs))
	}
	return p, nil
}

// changes maps changelog histories; every item becomes one Change.
func (m *mapper) changes(issueID string, hs []wHistory) ([]model.Change, error) {
	n := 0
	for _, h := range hs {
		n += len(h.Items)
	}
	out := make([]model.Change, 0, n)
	for _, h := range hs {
		at, err := parseTime(h.Created)
		if err != nil {
			return nil, fmt.Errorf("changelog history %s created: %w", h.ID, err)
		}
		for i, it := range h.Items {
			c := model.Change{Source: m.source, IssueID: issueID, ChangeID: string(h.ID), Item: i, At: at,
				AuthorID: h.Author.id(), Field: it.Field, FieldID: it.FieldID, FieldType: it.FieldType,
				From: string(it.From), FromString: string(it.FromString), To: string(it.To), ToString: string(it.ToString)}
			c.ChangeKind = m.changeKind(it.FieldID, it.Field)
			if c.ChangeKind == model.ChangeStatus {
				c.FromCategory = m.category(c.From)
				c.ToCategory = m.category(c.To)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *mapper) worklogs(issueID string, ws []wWorklog) ([]model.Worklog, error) {
	out := make([]model.Worklog, 0, len(ws))
	for _, w := range ws {
		wl := model.Worklog{Source: m.source, ID: string(w.ID), IssueID: issueID, AuthorID: w.Author.id(),
			Author: w.Author.display(), StartedOffset: offsetOf(w.Started), Seconds: w.TimeSpentSeconds}
		if w.IssueID != "" {
			wl.IssueID = string(w.IssueID)
		}
		var err error
		if wl.Started, err = parseTime(w.Started); err != nil {
			return nil, fmt.Errorf("worklog %s started: %w", w.ID, err)
		}
		if w.Created != "" {
			if wl.Created, err = parseTime(w.Created); err != nil {
				return nil, fmt.Errorf("worklog %s created: %w", w.ID, err)
			}
		}
		if w.Updated != "" {
			if wl.Updated, err = parseTime(w.Updated); err != nil {
				return nil, fmt.Errorf("worklog %s updated: %w", w.ID, err)
			}
		}
		out = append(out, wl)
	}
	return out, nil
}

func typeClass(t wIssueType) model.TypeClass {
	if t.HierarchyLevel != nil {
		switch {
		case *t.HierarchyLevel < 0:
			return model.TypeSubtask
		case *t.HierarchyLevel >= 1:
			return model.TypeEpic
		}
		return model.TypeStandard
	}
	if t.Subtask {
		return model.TypeSubtask
	}
	n := t.UntranslatedName
	if n == "" {
		n = t.Name
	}
	if strings.EqualFold(n, "epic") {
		return model.TypeEpic
	}
	return model.TypeStandard
}

func secs(f *float64) *int64 {
	if f == nil {
		return nil
	}
	v := int64(*f)
	return &v
}

// storyPoints reads a number, a numeric string ("-1", "2.5") or null.
func storyPoints(raw json.RawMessage) (float64, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%q is not a number", s)
		}
		return v, true, nil
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s is not a number", clip(string(raw)))
	}
	return v, true, nil
}

// plainText returns a string field as is, or the text of an Atlassian
// Document Format value (API v3), paragraphs joined by newlines.
func plainText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	type node struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Content []node `json:"content"`
	}
	var doc node
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n node)
	walk = func(n node) {
		b.WriteString(n.Text)
		for _, c := range n.Content {
			walk(c)
		}
		if n.Type == "paragraph" || n.Type == "heading" {
			b.WriteString("\n")
		}
	}
	walk(doc)
	return strings.TrimSpace(b.String())
}

// changeKind maps a changelog item onto pmo's change vocabulary
// (model.ChangeKind) by field id — custom fields by the ids found for this
// site (Fields) — or, for items without a field id (older Server and Cloud
// payloads, and Jira's "Link" items), by the field's name. Jira's raw
// from/to already hold the values in the forms the vocabulary names: status,
// priority, resolution and type ids; comma-separated sprint ids; the version
// id; the other issue's key with "This issue <relation> <key>" texts; due
// dates as YYYY-MM-DD; estimates in seconds; story points in the strings.
func (m *mapper) changeKind(fieldID, field string) model.ChangeKind {
	switch {
	case fieldID == "":
	case systemFieldKinds[fieldID] != "":
		return systemFieldKinds[fieldID]
	case fieldID == m.fields.Sprint:
		return model.ChangeSprint
	case slices.Contains(m.fields.StoryPoints, fieldID):
		return model.ChangeStoryPoints
	case fieldID == m.fields.EpicLink:
		return model.ChangeParent
	case !strings.HasPrefix(fieldID, "customfield_"):
		return model.ChangeOther
	}
	// By name: items without a field id, and custom fields the site's
	// field list did not name (a changelog can outlive a field's id).
	if k := fieldNameKinds[strings.ToLower(strings.TrimSpace(field))]; k != "" {
		return k
	}
	return model.ChangeOther
}

// systemFieldKinds are the kinds of Jira's system fields by field id.
var systemFieldKinds = map[string]model.ChangeKind{
	"status": model.ChangeStatus, "timeoriginalestimate": model.ChangeOriginalEstimate, "duedate": model.ChangeDueDate,
	"fixVersions": model.ChangeFixVersion, "priority": model.ChangePriority, "assignee": model.ChangeAssignee,
	"resolution": model.ChangeResolution, "issuetype": model.ChangeType, "parent": model.ChangeParent,
	"IssueParentAssociation": model.ChangeParent,
}

// fieldNameKinds are the kinds by lower-case field name, for items without
// a field id (the names the warehouse's migration 106 maps too).
var fieldNameKinds = map[string]model.ChangeKind{
	"status": model.ChangeStatus, "sprint": model.ChangeSprint, "story points": model.ChangeStoryPoints,
	"story point estimate": model.ChangeStoryPoints, "timeoriginalestimate": model.ChangeOriginalEstimate,
	"duedate": model.ChangeDueDate, "fix version": model.ChangeFixVersion, "link": model.ChangeLink,
	"priority": model.ChangePriority, "assignee": model.ChangeAssignee, "resolution": model.ChangeResolution,
	"issuetype": model.ChangeType, "parent": model.ChangeParent, "epic link": model.ChangeParent,
	"parent link": model.ChangeParent, "issueparentassociation": model.ChangeParent,
}
