package gitlab

import (
	"time"
)

// The JSON shapes of GitLab's REST API v4 that pmo reads. client-go's typed
// structs are used where they keep every value; these keep what they lose
// (a weight that is null rather than 0, a due date that is absent).

type wUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

type wNamespace struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	Kind     string `json:"kind"` // group or user
	FullPath string `json:"full_path"`
}

type wProject struct {
	ID                int64      `json:"id"`
	Name              string     `json:"name"`
	Path              string     `json:"path"`
	PathWithNamespace string     `json:"path_with_namespace"`
	WebURL            string     `json:"web_url"`
	Archived          bool       `json:"archived"`
	Namespace         wNamespace `json:"namespace"`
}

type wMilestone struct {
	ID          int64   `json:"id"`
	IID         int64   `json:"iid"`
	ProjectID   int64   `json:"project_id"`
	GroupID     int64   `json:"group_id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	State       string  `json:"state"` // active or closed
	StartDate   *string `json:"start_date"`
	DueDate     *string `json:"due_date"`
	Expired     *bool   `json:"expired"`
}

type wIteration struct {
	ID        int64   `json:"id"`
	IID       int64   `json:"iid"`
	GroupID   int64   `json:"group_id"`
	Title     string  `json:"title"`
	State     int     `json:"state"` // 1 upcoming, 2 current, 3 closed
	StartDate *string `json:"start_date"`
	DueDate   *string `json:"due_date"`
	WebURL    string  `json:"web_url"`
}

type wTimeStats struct {
	TimeEstimate   int64 `json:"time_estimate"`
	TotalTimeSpent int64 `json:"total_time_spent"`
}

type wReferences struct {
	Short string `json:"short"`
	Full  string `json:"full"`
}

type wIssue struct {
	ID         int64        `json:"id"`
	IID        int64        `json:"iid"`
	ProjectID  int64        `json:"project_id"`
	Title      string       `json:"title"`
	State      string       `json:"state"` // opened or closed
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	ClosedAt   *time.Time   `json:"closed_at"`
	Labels     []string     `json:"labels"`
	Milestone  *wMilestone  `json:"milestone"`
	Author     *wUser       `json:"author"`
	Assignee   *wUser       `json:"assignee"`
	Assignees  []wUser      `json:"assignees"`
	DueDate    *string      `json:"due_date"`
	Weight     *float64     `json:"weight"`
	TimeStats  *wTimeStats  `json:"time_stats"`
	MovedToID  *int64       `json:"moved_to_id"`
	IssueType  string       `json:"issue_type"` // issue, incident, task, test_case
	Iteration  *wIteration  `json:"iteration"`
	Epic       *wEpic       `json:"epic"`
	WebURL     string       `json:"web_url"`
	References *wReferences `json:"references"`
}

type wEpic struct {
	ID  int64 `json:"id"`
	IID int64 `json:"iid"`
}

// The resource events of an issue (one list per kind).

type wStateEvent struct {
	ID        int64     `json:"id"`
	User      *wUser    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	State     string    `json:"state"` // opened, closed, reopened
}

type wLabelEvent struct {
	ID        int64     `json:"id"`
	User      *wUser    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	Label     *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"label"` // null when the label was deleted since
	Action string `json:"action"` // add or remove
}

type wMilestoneEvent struct {
	ID        int64       `json:"id"`
	User      *wUser      `json:"user"`
	CreatedAt time.Time   `json:"created_at"`
	Milestone *wMilestone `json:"milestone"`
	Action    string      `json:"action"`
}

type wIterationEvent struct {
	ID        int64       `json:"id"`
	User      *wUser      `json:"user"`
	CreatedAt time.Time   `json:"created_at"`
	Iteration *wIteration `json:"iteration"`
	Action    string      `json:"action"`
}

type wWeightEvent struct {
	ID        int64     `json:"id"`
	User      *wUser    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	Weight    *float64  `json:"weight"`
}

// wLinkedIssue is an entry of an issue's links (GET …/issues/:iid/links):
// the other issue and the link.
type wLinkedIssue struct {
	ID            int64        `json:"id"`
	IID           int64        `json:"iid"`
	ProjectID     int64        `json:"project_id"`
	References    *wReferences `json:"references"`
	IssueLinkID   int64        `json:"issue_link_id"`
	LinkType      string       `json:"link_type"` // relates_to, blocks, is_blocked_by
	LinkCreatedAt *time.Time   `json:"link_created_at"`
}

// events are the resource events and links of one issue.
type events struct {
	State     []wStateEvent
	Label     []wLabelEvent
	Milestone []wMilestoneEvent
	Iteration []wIterationEvent
	Weight    []wWeightEvent
	Links     []wLinkedIssue
}

// GraphQL: a page of a project's timelogs.
type gTimelogPage struct {
	Data *struct {
		Project *struct {
			Timelogs struct {
				Nodes    []gTimelog `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"timelogs"`
		} `json:"project"`
	} `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

type gTimelog struct {
	ID        string    `json:"id"` // gid://gitlab/Timelog/123
	SpentAt   time.Time `json:"spentAt"`
	TimeSpent int64     `json:"timeSpent"` // seconds
	User      *struct {
		ID       string `json:"id"` // gid://gitlab/User/1
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"user"`
	Issue *struct {
		ID string `json:"id"` // gid://gitlab/Issue/5000; null for merge requests
	} `json:"issue"`
}
