package jira

import (
	"testing"

	"github.com/pmo-oss/pmo/internal/model"
)

// TestChangeKind: changelog items map onto the change vocabulary by field id,
// custom fields by the ids detected for the site, and by name where an item
// has no id (the warehouse's migration 106 gives rows stored before the
// vocabulary the same kinds by name).
func TestChangeKind(t *testing.T) {
	m := &mapper{fields: Fields{Sprint: "customfield_10020", StoryPoints: []string{"customfield_10016", "customfield_10026"}, EpicLink: "customfield_10014"}}
	tests := []struct {
		field, fieldID string
		want           model.ChangeKind
	}{
		{"status", "status", model.ChangeStatus},
		{"status", "", model.ChangeStatus},
		{"Sprint", "customfield_10020", model.ChangeSprint},
		{"Sprint", "customfield_99999", model.ChangeSprint}, // an id the field list no longer names
		{"Story Points", "customfield_10016", model.ChangeStoryPoints},
		{"Story point estimate", "customfield_10026", model.ChangeStoryPoints},
		{"Estimation", "customfield_10026", model.ChangeStoryPoints}, // renamed field, detected id
		{"timeoriginalestimate", "timeoriginalestimate", model.ChangeOriginalEstimate},
		{"timeestimate", "timeestimate", model.ChangeOther},
		{"duedate", "duedate", model.ChangeDueDate},
		{"Fix Version", "fixVersions", model.ChangeFixVersion},
		{"Fix Version", "", model.ChangeFixVersion},
		{"Link", "", model.ChangeLink},
		{"RemoteIssueLink", "", model.ChangeOther},
		{"priority", "priority", model.ChangePriority},
		{"assignee", "assignee", model.ChangeAssignee},
		{"resolution", "resolution", model.ChangeResolution},
		{"issuetype", "issuetype", model.ChangeType},
		{"Epic Link", "customfield_10014", model.ChangeParent},
		{"Parent", "", model.ChangeParent},
		{"IssueParentAssociation", "", model.ChangeParent},
		{"Workflow", "", model.ChangeOther},
		{"Rank", "customfield_10019", model.ChangeOther},
		{"labels", "labels", model.ChangeOther},
	}
	for _, tt := range tests {
		if got := m.changeKind(tt.fieldID, tt.field); got != tt.want {
			t.Errorf("changeKind(%q, %q) = %q, want %q", tt.fieldID, tt.field, got, tt.want)
		}
	}
}
