// Package model holds the tracker-neutral records every collector emits and the
// warehouse stores. It imports nothing of pmo's and nothing outside the
// standard library.
//
// Conventions shared by every record:
//   - Source is the name of the tracker instance in the configuration
//     ("jira-cloud", "gitlab-internal", ...), so several sites coexist.
//   - IDs are the tracker's stable identifiers as strings (Jira ids are numeric
//     strings, GitHub/GitLab ids are integers rendered in decimal).
//   - Instants are UTC time.Time values. Civil dates (due dates, release dates)
//     are Date values, which carry no time zone (kpis.md C1).
//   - Optional values are pointers or empty strings/slices; nil means "not set"
//     and is stored as NULL, never as 0.
package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind names a record kind. It is also the warehouse table the record lands in.
type Kind string

// The record kinds, in the order a collector usually emits them.
const (
	KindProject      Kind = "projects"
	KindStatus       Kind = "statuses"
	KindBoard        Kind = "boards"
	KindSprint       Kind = "sprints"
	KindVersion      Kind = "versions"
	KindIssue        Kind = "issues"
	KindChange       Kind = "changes"
	KindWorklog      Kind = "worklogs"
	KindLink         Kind = "issue_links"
	KindIssueDeleted Kind = "issue_deletions"
)

// Kinds lists every record kind.
var Kinds = []Kind{KindProject, KindStatus, KindBoard, KindSprint, KindVersion, KindIssue, KindChange, KindWorklog, KindLink, KindIssueDeleted}

// Record is implemented by every record type.
type Record interface {
	Kind() Kind
	// Identity is the record's key within its kind and source; loading a
	// record with the same identity again replaces the earlier one.
	Identity() string
}

// StatusCategory is the Jira status category key of a status (kpis.md C3).
type StatusCategory string

// The three status categories. CategoryUnknown is stored for a status id the
// collector could not map; KPIs treat it as indeterminate and flag it.
const (
	CategoryNew           StatusCategory = "new"
	CategoryIndeterminate StatusCategory = "indeterminate"
	CategoryDone          StatusCategory = "done"
	CategoryUnknown       StatusCategory = "unknown"
)

// Valid reports whether c is one of the known categories (unknown included).
func (c StatusCategory) Valid() bool {
	switch c {
	case CategoryNew, CategoryIndeterminate, CategoryDone, CategoryUnknown:
		return true
	}
	return false
}

// TypeClass is the hierarchy level of an issue type, independent of its
// (localised, admin-editable) name.
type TypeClass string

// Issue type classes.
const (
	TypeStandard TypeClass = "standard" // story, task, bug, risk, ...
	TypeEpic     TypeClass = "epic"
	TypeSubtask  TypeClass = "subtask"
)

// Date is a civil date without a time zone (due dates, release dates).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parsing date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// Time returns midnight UTC of the date, the form the warehouse stores.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Project is a tracker project (Jira project, GitHub repository, GitLab
// project, Redmine project). Its category is the PMO's program.
type Project struct {
	Source     string
	ID         string
	Key        string
	Name       string
	CategoryID string // program id; empty when the project has no category
	Category   string // program name
	Lead       string
	URL        string
	Archived   bool
}

// Status is a workflow status and the category it maps to.
type Status struct {
	Source   string
	ID       string
	Name     string
	Category StatusCategory
}

// Board is an agile board (the owner of sprints).
type Board struct {
	Source    string
	ID        string
	Name      string
	Type      string // scrum, kanban, simple
	ProjectID string // location project, if any
}

// Sprint is a time-boxed iteration of a board.
type Sprint struct {
	Source    string
	ID        string
	BoardID   string
	Name      string
	State     string // future, active, closed
	Goal      string
	Start     *time.Time // planned start (startDate)
	Activated *time.Time // actual start (activatedDate), when the tracker has it
	End       *time.Time // planned end (endDate)
	Complete  *time.Time // completeDate of a closed sprint
}

// Version is a release (Jira fix version, GitLab/GitHub milestone, Redmine
// version). The warehouse keeps one row per version and observation day, so
// the first planned release date (the baseline, kpis.md C12) is never lost.
type Version struct {
	Source      string
	ID          string
	ProjectID   string
	Name        string
	Description string
	StartDate   *Date
	ReleaseDate *Date
	Released    bool
	Archived    bool
	ObservedAt  time.Time // when the collector saw it in this state
}

// Issue is a work item with its current field values.
type Issue struct {
	Source         string
	ID             string
	Key            string
	ProjectID      string
	ProjectKey     string
	Summary        string
	TypeID         string
	Type           string
	TypeClass      TypeClass
	StatusID       string
	Status         string
	StatusCategory StatusCategory
	ResolutionID   string
	Resolution     string
	PriorityID     string
	Priority       string
	AssigneeID     string
	Assignee       string
	ReporterID     string
	Reporter       string
	Created        time.Time
	Updated        time.Time
	Resolved       *time.Time
	DueDate        *Date
	StoryPoints    *float64
	// Effort in seconds (kpis.md C9).
	OriginalEstimateSeconds  *int64
	RemainingEstimateSeconds *int64
	TimeSpentSeconds         *int64
	Labels                   []string
	Components               []string
	Environment              string
	ParentID                 string // parent issue (sub-task parent, or epic in team-managed projects)
	ParentKey                string
	EpicKey                  string // epic link in company-managed projects
	FixVersionIDs            []string
	AffectsVersionIDs        []string
	SprintIDs                []string // current value of the Sprint field
	Flagged                  bool
	URL                      string
}

// ChangeKind is the tracker-neutral meaning of a change: the vocabulary the
// KPI engine reads history in. Every collector maps its tracker's history
// (Jira changelog items, GitHub issue events, GitLab resource events,
// Redmine journal details) onto these kinds; KPI SQL filters on the kind and
// never on a tracker's field names.
//
// The value of a change of a kind other than ChangeOther is in From/To, or,
// when From/To are empty, in FromString/ToString, in the form given per
// kind below; "" means "not set" (no sprint, no estimate, no due date).
type ChangeKind string

// The change kinds.
const (
	// ChangeStatus: From/To are status ids; FromCategory/ToCategory are the
	// categories of those statuses at ingest time (kpis.md C3).
	ChangeStatus ChangeKind = "status"
	// ChangeSprint: the whole sprint membership after and before the change,
	// as comma-separated sprint ids ("12, 13").
	ChangeSprint ChangeKind = "sprint"
	// ChangeStoryPoints: the estimate in points, a decimal number ("3", "0.5").
	ChangeStoryPoints ChangeKind = "story_points"
	// ChangeOriginalEstimate: the original effort estimate in whole seconds.
	ChangeOriginalEstimate ChangeKind = "original_estimate"
	// ChangeDueDate: the due date, YYYY-MM-DD (a longer text starting with
	// the date is accepted).
	ChangeDueDate ChangeKind = "due_date"
	// ChangeFixVersion: one version (fix version, milestone, target version)
	// added (To = version id) or removed (From = version id).
	ChangeFixVersion ChangeKind = "fix_version"
	// ChangeLink: one issue link added (To = the other issue's key) or
	// removed (From = the other issue's key); ToString/FromString end with
	// "<relation> <other key>", the relation being the link type's outward
	// or inward text as seen from this issue ("blocks", "is blocked by").
	ChangeLink ChangeKind = "link"
	// ChangePriority: priority ids (FromString/ToString: names).
	ChangePriority ChangeKind = "priority"
	// ChangeAssignee: account ids (FromString/ToString: display names).
	ChangeAssignee ChangeKind = "assignee"
	// ChangeParent: the parent or epic issue's key or id.
	ChangeParent ChangeKind = "parent"
	// ChangeResolution: resolution ids (FromString/ToString: names).
	ChangeResolution ChangeKind = "resolution"
	// ChangeType: issue type ids (FromString/ToString: names).
	ChangeType ChangeKind = "type"
	// ChangeOther: any other field; kept for audit, read by no KPI.
	ChangeOther ChangeKind = "other"
)

// ChangeKinds lists every change kind.
var ChangeKinds = []ChangeKind{ChangeStatus, ChangeSprint, ChangeStoryPoints, ChangeOriginalEstimate, ChangeDueDate,
	ChangeFixVersion, ChangeLink, ChangePriority, ChangeAssignee, ChangeParent, ChangeResolution, ChangeType, ChangeOther}

// Valid reports whether k is one of ChangeKinds.
func (k ChangeKind) Valid() bool {
	for _, v := range ChangeKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Change is one history item: a change of one field of one issue at one
// instant. Every item is kept, with and without a field id; ChangeKind says
// what it means in pmo's vocabulary.
type Change struct {
	Source     string
	IssueID    string
	ChangeID   string // id of the history entry (several items share it)
	Item       int    // position of the item within its history entry
	At         time.Time
	AuthorID   string
	ChangeKind ChangeKind // what the change means; ChangeOther when no KPI reads it
	Field      string     // the tracker's display name: "status", "Sprint", "Story Points", "Link", ...
	FieldID    string     // the tracker's field id: "status", "customfield_10020", ...; may be empty
	FieldType  string     // tracker-specific field class (Jira: "jira" or "custom")
	From       string     // raw id(s) or value, see ChangeKind
	FromString string
	To         string
	ToString   string
	// For status changes, the categories of From and To at ingest time (C3).
	FromCategory StatusCategory
	ToCategory   StatusCategory
}

// Worklog is time logged against an issue.
type Worklog struct {
	Source        string
	ID            string
	IssueID       string
	AuthorID      string
	Author        string
	Started       time.Time // UTC
	StartedOffset string    // the offset the tracker gave, e.g. "+0800", for audit
	Seconds       int64
	Created       time.Time
	Updated       time.Time
}

// Link is a directed issue link normalised to "From <outward> To", e.g. for
// the Blocks type "From blocks To" (kpis.md C11).
type Link struct {
	Source      string
	ID          string
	TypeID      string
	Type        string // link type name, e.g. "Blocks"
	Outward     string // e.g. "blocks"
	Inward      string // e.g. "is blocked by"
	FromIssueID string
	ToIssueID   string
	ObservedAt  time.Time // issue update time of the fetch that saw the link
}

// IssueDeleted marks an issue that no longer exists in the tracker. Readers
// of the warehouse no longer see the issue or its changes, worklogs and links.
type IssueDeleted struct {
	Source    string
	IssueID   string
	IssueKey  string
	ProjectID string
	At        time.Time // when the deletion was detected
}

func (Project) Kind() Kind      { return KindProject }
func (Status) Kind() Kind       { return KindStatus }
func (Board) Kind() Kind        { return KindBoard }
func (Sprint) Kind() Kind       { return KindSprint }
func (Version) Kind() Kind      { return KindVersion }
func (Issue) Kind() Kind        { return KindIssue }
func (Change) Kind() Kind       { return KindChange }
func (Worklog) Kind() Kind      { return KindWorklog }
func (Link) Kind() Kind         { return KindLink }
func (IssueDeleted) Kind() Kind { return KindIssueDeleted }

func (r Project) Identity() string { return r.Source + "/" + r.ID }
func (r Status) Identity() string  { return r.Source + "/" + r.ID }
func (r Board) Identity() string   { return r.Source + "/" + r.ID }
func (r Sprint) Identity() string  { return r.Source + "/" + r.ID }
func (r Version) Identity() string {
	return r.Source + "/" + r.ID + "@" + DateOf(r.ObservedAt.UTC()).String()
}
func (r Issue) Identity() string { return r.Source + "/" + r.ID }
func (r Change) Identity() string {
	return fmt.Sprintf("%s/%s/%s/%d", r.Source, r.IssueID, r.ChangeID, r.Item)
}
func (r Worklog) Identity() string      { return r.Source + "/" + r.ID }
func (r Link) Identity() string         { return r.Source + "/" + r.ID }
func (r IssueDeleted) Identity() string { return r.Source + "/" + r.IssueID }

// CheckValue reports whether the change's kind is known and its values have
// the form ChangeKind documents for that kind; nil when they do. Collectors'
// conformance tests call it on every change they emit.
func (c Change) CheckValue() error {
	if !c.ChangeKind.Valid() {
		return fmt.Errorf("change kind %q is not one of the model's ChangeKinds", c.ChangeKind)
	}
	val := func(raw, text string) string {
		if raw != "" {
			return raw
		}
		return text
	}
	from, to := val(c.From, c.FromString), val(c.To, c.ToString)
	check := func(what string, ok func(string) bool) error {
		for _, v := range []string{from, to} {
			if v != "" && !ok(v) {
				return fmt.Errorf("%s change: value %q is not %s", c.ChangeKind, v, what)
			}
		}
		return nil
	}
	switch c.ChangeKind {
	case ChangeStatus:
		if c.From == "" && c.To == "" {
			return fmt.Errorf("status change: neither from nor to names a status id")
		}
		if c.To != "" && !c.ToCategory.Valid() {
			return fmt.Errorf("status change: to category %q is not a status category", c.ToCategory)
		}
		if c.From != "" && !c.FromCategory.Valid() {
			return fmt.Errorf("status change: from category %q is not a status category", c.FromCategory)
		}
	case ChangeStoryPoints:
		return check("a decimal number", func(v string) bool { _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); return err == nil })
	case ChangeOriginalEstimate:
		return check("whole seconds", func(v string) bool { _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); return err == nil })
	case ChangeDueDate:
		return check("a YYYY-MM-DD date", func(v string) bool {
			if len(v) < 10 {
				return false
			}
			_, err := ParseDate(v[:10])
			return err == nil
		})
	case ChangeSprint:
		return check("comma-separated sprint ids", func(v string) bool {
			for _, p := range strings.Split(v, ",") {
				if strings.TrimSpace(p) == "" {
					return false
				}
			}
			return true
		})
	case ChangeFixVersion, ChangeLink:
		if (c.From == "") == (c.To == "") {
			return fmt.Errorf("%s change: exactly one of from (removed) and to (added) must be set, got from %q to %q", c.ChangeKind, c.From, c.To)
		}
		if c.ChangeKind == ChangeLink {
			other, text := c.To+c.From, c.ToString+c.FromString
			if !strings.HasSuffix(text, " "+other) {
				return fmt.Errorf("link change: text %q does not end with the other issue's key %q", text, other)
			}
		}
	}
	return nil
}
