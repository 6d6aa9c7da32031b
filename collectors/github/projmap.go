package github

import (
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/pmo-oss/pmo/internal/model"
)

// projectDefs are the statuses of the project's status options: to-do
// options are in category new, in-progress ones indeterminate. A done
// option counts as in progress while the issue is open: an issue is done
// when it is closed (statuses.closed), as without a project.
func projectDefs(cfg *Config) (map[string]statusDef, []statusDef) {
	byID := map[string]statusDef{}
	var order []statusDef
	if !cfg.Project.IsSet() || cfg.Project.statusField() == "" {
		return byID, nil
	}
	o := cfg.Project.StatusOptions
	for _, g := range []struct {
		opts []string
		cat  model.StatusCategory
	}{{o.Todo, model.CategoryNew}, {o.InProgress, model.CategoryIndeterminate}, {o.Done, model.CategoryIndeterminate}} {
		for _, name := range g.opts {
			name = strings.TrimSpace(name)
			d := statusDef{projStatusPfx + strings.ToLower(name), name, g.cat}
			if _, dup := byID[d.id]; !dup {
				byID[d.id] = d
				order = append(order, d)
			}
		}
	}
	return byID, order
}

// statusOf is the status of an issue: closed wins; then the project
// status option when it is a mapped one; then the labels.
func (m *mapper) statusOf(open bool, labels map[string]bool, proj string) statusDef {
	if open && proj != "" {
		if d, ok := m.projDefs[proj]; ok {
			return d
		}
	}
	return m.status(open, labels)
}

// projectValues reads an item's configured field values: the status id
// ("" when unset or not mapped; bad names an unmapped option), the points
// and the sprint id and name.
func (m *mapper) projectValues(it gqlItem, rp *gh.Repository) (status, points, sprint, title, bad string) {
	p := m.cfg.Project
	for _, v := range it.FieldValues.Nodes {
		switch v.Typename {
		case "ProjectV2ItemFieldSingleSelectValue":
			if sf := p.statusField(); sf != "" && strings.EqualFold(v.Single.Field.Common.Name, sf) {
				id := projStatusPfx + strings.ToLower(strings.TrimSpace(v.Single.Name))
				if _, ok := m.projDefs[id]; ok {
					status = id
				} else {
					bad = v.Single.Name
				}
			}
		case "ProjectV2ItemFieldNumberValue":
			if p.PointsField != "" && strings.EqualFold(v.Number.Field.Common.Name, p.PointsField) && v.Number.Number != nil {
				points = strconv.FormatFloat(*v.Number.Number, 'g', -1, 64)
			}
		case "ProjectV2ItemFieldIterationValue":
			if p.IterationField != "" && strings.EqualFold(v.Iteration.Field.Common.Name, p.IterationField) && v.Iteration.IterationID != "" {
				sprint, title = sprintID(v.Iteration.IterationID, rp), v.Iteration.Title
			}
		}
	}
	return status, points, sprint, title, bad
}

// sprintID: an iteration is one sprint per repository (a sprint belongs
// to one board, a board to one project), so the ids are per repository.
func sprintID(iteration string, rp *gh.Repository) string {
	return iteration + "@" + id64(rp.GetID())
}

func (m *mapper) board(pf *gqlProjectFields, rp *gh.Repository) model.Board {
	return model.Board{Source: m.source, ID: pf.ID + "@" + id64(rp.GetID()), Name: pf.Title + " (" + rp.GetFullName() + ")",
		Type: "scrum", ProjectID: id64(rp.GetID())}
}

// sprint turns an iteration into a sprint: start = its start date (UTC
// midnight), end = start + duration days; its state follows from now.
func (m *mapper) sprint(pf *gqlProjectFields, rp *gh.Repository, it gqlIteration, now time.Time) model.Sprint {
	s := model.Sprint{Source: m.source, ID: sprintID(it.ID, rp), BoardID: pf.ID + "@" + id64(rp.GetID()), Name: it.Title, State: "future"}
	d, err := model.ParseDate(it.StartDate)
	if err != nil {
		return s
	}
	start := d.Time()
	end := start.AddDate(0, 0, it.Duration)
	s.Start, s.End = &start, &end
	switch {
	case !now.Before(end):
		s.State = "closed"
		c := end
		s.Complete = &c
	case !now.Before(start):
		s.State = "active"
	}
	return s
}

// projectOf is the project status an issue had at instant t (Unix
// seconds) by its snapshots, and the snapshots.
func (m *mapper) snapOf(issueID string) *itemSnap {
	if m.proj == nil {
		return nil
	}
	return m.proj[issueID]
}

// markChange is the status change of the last snapshot mark of an issue
// whose events are not replayed in this run, against its current state:
// from the status with the mark before, to the status with the last one.
func (m *mapper) markChange(is *gh.Issue, prev, now *itemSnap) (model.Change, bool) {
	if now == nil || len(now.Status) == 0 || (prev != nil && len(prev.Status) == len(now.Status)) {
		return model.Change{}, false
	}
	open, labels := is.GetState() != "closed", lowerLabels(is.Labels)
	before, after := m.statusOf(open, labels, prev.status()), m.statusOf(open, labels, now.status())
	if before == after {
		return model.Change{}, false
	}
	mk := now.Status[len(now.Status)-1]
	return m.statusChange(id64(is.GetID()), prev.lastMarkAt(), mk.At, before, after), true
}

// statusChange is a status change from a snapshot mark at instant at;
// its id is made of the instant of the mark before (0 for the first), so
// that a run that stops before storing the snapshots and its re-run store
// the same change.
func (m *mapper) statusChange(issueID string, prevAt, at int64, before, after statusDef) model.Change {
	return model.Change{Source: m.source, IssueID: issueID, ChangeID: "pv2-status:" + strconv.FormatInt(prevAt, 10),
		At: time.Unix(at, 0).UTC(), ChangeKind: model.ChangeStatus, Field: "status", FieldID: "project_status",
		From: before.id, FromString: before.name, FromCategory: before.cat,
		To: after.id, ToString: after.name, ToCategory: after.cat}
}
