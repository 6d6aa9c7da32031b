package redmine

import (
	"encoding/json"
	"strconv"
)

// The shapes of Redmine's REST answers (the JSON format of Redmine 5.0).

// wRef is {"id": 1, "name": "..."}.
type wRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (r *wRef) idString() string {
	if r == nil || r.ID == 0 {
		return ""
	}
	return strconv.FormatInt(r.ID, 10)
}

func (r *wRef) name() string {
	if r == nil {
		return ""
	}
	return r.Name
}

type wPage struct {
	TotalCount int `json:"total_count"`
	Offset     int `json:"offset"`
	Limit      int `json:"limit"`
}

type wProject struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Identifier  string `json:"identifier"`
	Description string `json:"description"`
	Status      int    `json:"status"` // 1 active, 5 closed, 9 archived
	Parent      *wRef  `json:"parent"`
	CreatedOn   string `json:"created_on"`
	UpdatedOn   string `json:"updated_on"`
}

type wProjectPage struct {
	wPage
	Projects []wProject `json:"projects"`
}

type wStatus struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	IsClosed bool   `json:"is_closed"`
}

type wTracker struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	DefaultStatus *wRef  `json:"default_status"`
}

type wPriority struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type wCustomFieldDef struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	CustomizedTyp string `json:"customized_type"`
}

type wVersion struct {
	ID          int64  `json:"id"`
	Project     *wRef  `json:"project"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"` // open, locked, closed
	DueDate     string `json:"due_date"`
	CreatedOn   string `json:"created_on"`
	UpdatedOn   string `json:"updated_on"`
}

// wCustomValue is an issue's custom field value; value is a string, or a
// list of strings for multi-value fields.
type wCustomValue struct {
	ID    int64           `json:"id"`
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

func (v wCustomValue) text() string {
	var s string
	if json.Unmarshal(v.Value, &s) == nil {
		return s
	}
	var ss []string
	if json.Unmarshal(v.Value, &ss) == nil && len(ss) > 0 {
		return ss[0]
	}
	return ""
}

type wIssue struct {
	ID             int64          `json:"id"`
	Project        *wRef          `json:"project"`
	Tracker        *wRef          `json:"tracker"`
	Status         *wRef          `json:"status"`
	Priority       *wRef          `json:"priority"`
	Author         *wRef          `json:"author"`
	AssignedTo     *wRef          `json:"assigned_to"`
	Category       *wRef          `json:"category"`
	FixedVersion   *wRef          `json:"fixed_version"`
	Parent         *wRef          `json:"parent"`
	Subject        string         `json:"subject"`
	StartDate      string         `json:"start_date"`
	DueDate        string         `json:"due_date"`
	DoneRatio      float64        `json:"done_ratio"`
	EstimatedHours *float64       `json:"estimated_hours"`
	SpentHours     *float64       `json:"spent_hours"`
	CustomFields   []wCustomValue `json:"custom_fields"`
	CreatedOn      string         `json:"created_on"`
	UpdatedOn      string         `json:"updated_on"`
	ClosedOn       string         `json:"closed_on"`
	Journals       []wJournal     `json:"journals"`
	Relations      []wRelation    `json:"relations"`
}

type wIssuePage struct {
	wPage
	Issues []wIssue `json:"issues"`
}

type wIssueOne struct {
	Issue wIssue `json:"issue"`
}

type wJournal struct {
	ID        int64     `json:"id"`
	User      *wRef     `json:"user"`
	Notes     string    `json:"notes"`
	CreatedOn string    `json:"created_on"`
	Details   []wDetail `json:"details"`
}

// wDetail is one changed property of a journal: property attr (a standard
// field by its column name), cf (a custom field by id), relation (a
// relation type, the other issue's id as value) or attachment.
type wDetail struct {
	Property string  `json:"property"`
	Name     string  `json:"name"`
	OldValue *string `json:"old_value"`
	NewValue *string `json:"new_value"`
}

type wRelation struct {
	ID           int64    `json:"id"`
	IssueID      int64    `json:"issue_id"`
	IssueToID    int64    `json:"issue_to_id"`
	RelationType string   `json:"relation_type"`
	Delay        *float64 `json:"delay"`
}

type wTimeEntry struct {
	ID        int64   `json:"id"`
	Project   *wRef   `json:"project"`
	Issue     *wRef   `json:"issue"`
	User      *wRef   `json:"user"`
	Activity  *wRef   `json:"activity"`
	Hours     float64 `json:"hours"`
	Comments  string  `json:"comments"`
	SpentOn   string  `json:"spent_on"`
	CreatedOn string  `json:"created_on"`
	UpdatedOn string  `json:"updated_on"`
}

type wTimeEntryPage struct {
	wPage
	TimeEntries []wTimeEntry `json:"time_entries"`
}
