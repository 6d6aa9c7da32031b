package jira

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Wire types: the parts of Jira's REST answers the collector reads. They are
// deliberately loose (flexString, json.RawMessage) because the same field
// differs between Cloud, Data Center and API versions.

// flexString accepts a JSON string, number, bool or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

type wUser struct {
	AccountID   string `json:"accountId"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// id is the stable id of the user: accountId (Cloud), key or name (DC).
func (u *wUser) id() string {
	if u == nil {
		return ""
	}
	switch {
	case u.AccountID != "":
		return u.AccountID
	case u.Key != "":
		return u.Key
	}
	return u.Name
}

func (u *wUser) display() string {
	if u == nil {
		return ""
	}
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

type wIDName struct {
	ID   flexString `json:"id"`
	Key  string     `json:"key"`
	Name string     `json:"name"`
}

type wServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	DeploymentType string `json:"deploymentType"`
}

type wStatus struct {
	ID               flexString `json:"id"`
	Name             string     `json:"name"`
	UntranslatedName string     `json:"untranslatedName"`
	StatusCategory   *struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

type wProject struct {
	ID              flexString `json:"id"`
	Key             string     `json:"key"`
	Name            string     `json:"name"`
	Archived        bool       `json:"archived"`
	Lead            *wUser     `json:"lead"`
	ProjectCategory *wIDName   `json:"projectCategory"`
}

type wProjectPage struct {
	StartAt    int        `json:"startAt"`
	MaxResults int        `json:"maxResults"`
	Total      int        `json:"total"`
	IsLast     bool       `json:"isLast"`
	Values     []wProject `json:"values"`
}

type wVersion struct {
	ID          flexString `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Archived    bool       `json:"archived"`
	Released    bool       `json:"released"`
	ReleaseDate string     `json:"releaseDate"`
	StartDate   string     `json:"startDate"`
	ProjectID   flexString `json:"projectId"`
}

type wBoard struct {
	ID       flexString `json:"id"`
	Name     string     `json:"name"`
	Type     string     `json:"type"`
	Location *struct {
		ProjectID flexString `json:"projectId"`
	} `json:"location"`
}

type wBoardPage struct {
	StartAt    int      `json:"startAt"`
	MaxResults int      `json:"maxResults"`
	Total      int      `json:"total"`
	IsLast     bool     `json:"isLast"`
	Values     []wBoard `json:"values"`
}

type wSprint struct {
	ID            flexString `json:"id"`
	Name          string     `json:"name"`
	State         string     `json:"state"`
	Goal          string     `json:"goal"`
	StartDate     string     `json:"startDate"`
	EndDate       string     `json:"endDate"`
	CompleteDate  string     `json:"completeDate"`
	ActivatedDate string     `json:"activatedDate"`
	OriginBoardID flexString `json:"originBoardId"`
	BoardID       flexString `json:"boardId"`
	RapidViewID   flexString `json:"rapidViewId"`
}

type wSprintPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	IsLast     bool      `json:"isLast"`
	Values     []wSprint `json:"values"`
}

type wItem struct {
	Field      string     `json:"field"`
	FieldType  string     `json:"fieldtype"`
	FieldID    string     `json:"fieldId"`
	From       flexString `json:"from"`
	FromString flexString `json:"fromString"`
	To         flexString `json:"to"`
	ToString   flexString `json:"toString"`
}

type wHistory struct {
	ID      flexString `json:"id"`
	Author  *wUser     `json:"author"`
	Created string     `json:"created"`
	Items   []wItem    `json:"items"`
}

type wChangelog struct {
	StartAt    int        `json:"startAt"`
	MaxResults int        `json:"maxResults"`
	Total      int        `json:"total"`
	Histories  []wHistory `json:"histories"`
}

// wChangelogPage is /rest/api/3/issue/{key}/changelog.
type wChangelogPage struct {
	StartAt    int        `json:"startAt"`
	MaxResults int        `json:"maxResults"`
	Total      int        `json:"total"`
	IsLast     *bool      `json:"isLast"`
	Values     []wHistory `json:"values"`
}

type wWorklog struct {
	ID               flexString `json:"id"`
	IssueID          flexString `json:"issueId"`
	Author           *wUser     `json:"author"`
	Started          string     `json:"started"`
	TimeSpentSeconds int64      `json:"timeSpentSeconds"`
	Created          string     `json:"created"`
	Updated          string     `json:"updated"`
}

type wWorklogPage struct {
	StartAt    int        `json:"startAt"`
	MaxResults int        `json:"maxResults"`
	Total      int        `json:"total"`
	Worklogs   []wWorklog `json:"worklogs"`
}

type wIssue struct {
	ID        flexString                 `json:"id"`
	Key       string                     `json:"key"`
	Fields    map[string]json.RawMessage `json:"fields"`
	Changelog *wChangelog                `json:"changelog"`
}

// wSearchPage covers both search answers: DC /rest/api/2/search
// (startAt/maxResults/total) and Cloud /rest/api/3/search/jql
// (nextPageToken/isLast).
type wSearchPage struct {
	StartAt       int      `json:"startAt"`
	MaxResults    int      `json:"maxResults"`
	Total         int      `json:"total"`
	IsLast        *bool    `json:"isLast"`
	NextPageToken string   `json:"nextPageToken"`
	Issues        []wIssue `json:"issues"`
}

// Known issue field values.
type wIssueType struct {
	ID               flexString `json:"id"`
	Name             string     `json:"name"`
	UntranslatedName string     `json:"untranslatedName"`
	Subtask          bool       `json:"subtask"`
	HierarchyLevel   *int       `json:"hierarchyLevel"`
}

type wParent struct {
	ID     flexString `json:"id"`
	Key    string     `json:"key"`
	Fields *struct {
		IssueType *wIssueType `json:"issuetype"`
	} `json:"fields"`
}

type wLinkedIssue struct {
	ID  flexString `json:"id"`
	Key string     `json:"key"`
}

type wLink struct {
	ID   flexString `json:"id"`
	Type struct {
		ID      flexString `json:"id"`
		Name    string     `json:"name"`
		Inward  string     `json:"inward"`
		Outward string     `json:"outward"`
	} `json:"type"`
	InwardIssue  *wLinkedIssue `json:"inwardIssue"`
	OutwardIssue *wLinkedIssue `json:"outwardIssue"`
}

// parseTime parses Jira instants: 2025-01-06T08:00:00.000+0100, …Z,
// RFC 3339 with a colon in the offset. The result is UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil // epoch milliseconds (seen in API examples)
	}
	t, err := time.Parse("2006-01-02T15:04:05Z0700", s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// offsetOf returns the UTC offset as written ("+0100", "Z"), or "".
func offsetOf(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "Z") {
		return "Z"
	}
	if n := len(s); n >= 5 {
		tail := s[n-5:]
		if tail[0] == '+' || tail[0] == '-' {
			if _, err := strconv.Atoi(tail[1:]); err == nil {
				return tail
			}
		}
		if n >= 6 && (s[n-6] == '+' || s[n-6] == '-') && s[n-3] == ':' {
			return s[n-6:n-3] + s[n-2:]
		}
	}
	return ""
}
