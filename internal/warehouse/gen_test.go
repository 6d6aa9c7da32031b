package warehouse_test

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
)

// synthetic makes n issues with changesPer changes each, deterministically.
func synthetic(n, changesPer int) (issues []model.Record, changes []model.Record) {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	issues = make([]model.Record, 0, n)
	changes = make([]model.Record, 0, n*changesPer)
	cats := []model.StatusCategory{model.CategoryNew, model.CategoryIndeterminate, model.CategoryDone}
	for i := range n {
		id := strconv.Itoa(10000 + i)
		created := base.Add(time.Duration(i) * time.Minute)
		sp := float64(i % 13)
		est := int64(3600 * (i % 8))
		iss := model.Issue{
			Source: "jira", ID: id, Key: fmt.Sprintf("P%d-%d", i%10, i), ProjectID: strconv.Itoa(i % 10),
			ProjectKey: fmt.Sprintf("P%d", i%10), Summary: fmt.Sprintf("Issue %d: do the thing", i),
			TypeID: "1", Type: "Story", TypeClass: model.TypeStandard, StatusID: "3", Status: "In Progress",
			StatusCategory: cats[i%3], PriorityID: "2", Priority: "High", AssigneeID: "u" + strconv.Itoa(i%50),
			Assignee: "User " + strconv.Itoa(i%50), ReporterID: "u1", Reporter: "User 1",
			Created: created, Updated: created.Add(48 * time.Hour), StoryPoints: &sp, OriginalEstimateSeconds: &est,
			Labels: []string{"a", "b"}, FixVersionIDs: []string{"100"}, SprintIDs: []string{"7", "8"},
			URL: "https://example.atlassian.net/browse/P-" + id,
		}
		if i%3 == 2 {
			r := created.Add(72 * time.Hour)
			iss.Resolved = &r
		}
		issues = append(issues, iss)
		for j := range changesPer {
			changes = append(changes, model.Change{
				Source: "jira", IssueID: id, ChangeID: strconv.Itoa(i*changesPer + j), Item: 0,
				At: created.Add(time.Duration(j) * time.Hour), AuthorID: "u2", ChangeKind: model.ChangeStatus, Field: "status", FieldID: "status",
				FieldType: "jira", From: "1", FromString: "To Do", To: "3", ToString: "In Progress",
				FromCategory: model.CategoryNew, ToCategory: model.CategoryIndeterminate,
			})
		}
	}
	return issues, changes
}
