package jira

import (
	"sort"
	"strings"

	gojira "github.com/andygrunwald/go-jira"
)

// Custom field types (schema.custom) the collector looks for.
const (
	customSprint      = "com.pyxis.greenhopper.jira:gh-sprint"
	customStoryPoints = "com.pyxis.greenhopper.jira:jsw-story-points"
	customFloat       = "com.atlassian.jira.plugin.system.customfieldtypes:float"
	customEpicLink    = "com.pyxis.greenhopper.jira:gh-epic-link"
	customMultiCheck  = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"
)

// Fields are the custom field ids of one Jira site, found from
// /rest/api/2/field by schema.custom (never by id: ids differ per site).
type Fields struct {
	// StoryPoints lists candidate fields in preference order; an issue's
	// story points are the first of them that has a value.
	StoryPoints []string `json:"storyPoints"`
	Sprint      string   `json:"sprint,omitempty"`
	EpicLink    string   `json:"epicLink,omitempty"`
	Flagged     string   `json:"flagged,omitempty"`
}

// DetectFields picks the custom fields from a /field answer; overrides win.
func DetectFields(defs []gojira.Field, ov FieldOverrides) Fields {
	var f Fields
	type cand struct {
		id   string
		rank int
		num  int64
	}
	var sp []cand
	for _, d := range defs {
		name := strings.ToLower(strings.TrimSpace(d.Name))
		switch d.Schema.Custom {
		case customSprint:
			if f.Sprint == "" || name == "sprint" {
				f.Sprint = d.ID
			}
		case customStoryPoints:
			sp = append(sp, cand{d.ID, 0, d.Schema.CustomID})
		case customFloat:
			if name == "story points" {
				sp = append(sp, cand{d.ID, 1, d.Schema.CustomID})
			}
		case customEpicLink:
			if f.EpicLink == "" {
				f.EpicLink = d.ID
			}
		case customMultiCheck:
			if name == "flagged" && f.Flagged == "" {
				f.Flagged = d.ID
			}
		}
	}
	sort.SliceStable(sp, func(i, j int) bool {
		if sp[i].rank != sp[j].rank {
			return sp[i].rank < sp[j].rank
		}
		return sp[i].num < sp[j].num
	})
	for _, c := range sp {
		f.StoryPoints = append(f.StoryPoints, c.id)
	}
	if ov.StoryPoints != "" {
		f.StoryPoints = []string{ov.StoryPoints}
	}
	if ov.Sprint != "" {
		f.Sprint = ov.Sprint
	}
	if ov.EpicLink != "" {
		f.EpicLink = ov.EpicLink
	}
	if ov.Flagged != "" {
		f.Flagged = ov.Flagged
	}
	return f
}

// ids lists the custom field ids to request in a search.
func (f Fields) ids() []string {
	out := append([]string(nil), f.StoryPoints...)
	for _, id := range []string{f.Sprint, f.EpicLink, f.Flagged} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}
