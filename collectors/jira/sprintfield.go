package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// SprintRef is one value of an issue's Sprint field, in either of its forms.
type SprintRef struct {
	ID           string `json:"id"`
	BoardID      string `json:"boardId,omitempty"`
	Name         string `json:"name,omitempty"`
	State        string `json:"state,omitempty"` // lower case: future, active, closed
	Goal         string `json:"goal,omitempty"`
	StartDate    string `json:"startDate,omitempty"`
	EndDate      string `json:"endDate,omitempty"`
	CompleteDate string `json:"completeDate,omitempty"`
}

// legacyKeys are the keys Jira writes in the legacy toString form. A comma
// starts a new key only when one of these follows, so names and goals may
// contain commas, brackets and '='.
var legacyKeys = []string{
	"id", "rapidViewId", "state", "name", "goal", "startDate", "endDate", "completeDate",
	"activatedDate", "sequence", "synced", "autoStartStop", "incompleteIssuesDestinationId", "originBoardId",
}

// ParseLegacySprint parses com.atlassian.greenhopper.service.sprint.Sprint@hash[k=v,…].
// Keys may come in any order; "<null>" and empty values mean unset.
func ParseLegacySprint(s string) (SprintRef, error) {
	open := strings.IndexByte(s, '[')
	if open < 0 || !strings.HasSuffix(strings.TrimSpace(s), "]") {
		return SprintRef{}, fmt.Errorf("legacy sprint value %q: want …Sprint@hash[key=value,…]", clip(s))
	}
	body := strings.TrimSpace(s)
	body = body[open+1 : len(body)-1]
	// Find every ",key=" (or the leading "key=") that starts a pair.
	type cut struct{ at, valStart int }
	var cuts []cut
	for i := 0; i <= len(body); i++ {
		if i != 0 && (i >= len(body) || body[i] != ',') {
			continue
		}
		start := i
		if i != 0 {
			start = i + 1
		}
		for _, k := range legacyKeys {
			if strings.HasPrefix(body[start:], k+"=") {
				cuts = append(cuts, cut{at: i, valStart: start + len(k) + 1})
				break
			}
		}
	}
	if len(cuts) == 0 || cuts[0].at != 0 {
		return SprintRef{}, fmt.Errorf("legacy sprint value %q: no known key after '['", clip(s))
	}
	var r SprintRef
	for n, c := range cuts {
		end := len(body)
		if n+1 < len(cuts) {
			end = cuts[n+1].at
		}
		keyStart := c.at
		if c.at != 0 {
			keyStart++
		}
		key := body[keyStart : c.valStart-1]
		val := body[c.valStart:end]
		if val == "<null>" {
			val = ""
		}
		switch key {
		case "id":
			r.ID = val
		case "rapidViewId":
			r.BoardID = val
		case "state":
			r.State = strings.ToLower(val)
		case "name":
			r.Name = val
		case "goal":
			r.Goal = val
		case "startDate":
			r.StartDate = val
		case "endDate":
			r.EndDate = val
		case "completeDate":
			r.CompleteDate = val
		}
	}
	if r.ID == "" {
		return SprintRef{}, fmt.Errorf("legacy sprint value %q: no id", clip(s))
	}
	return r, nil
}

// parseSprintField reads the Sprint custom field: null, an array of objects
// (Cloud), or an array of legacy strings (Data Center, old Cloud).
func parseSprintField(raw json.RawMessage) ([]SprintRef, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var elems []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, fmt.Errorf("sprint field: %w", err)
		}
	} else {
		elems = []json.RawMessage{raw}
	}
	out := make([]SprintRef, 0, len(elems))
	for _, e := range elems {
		e = bytes.TrimSpace(e)
		switch {
		case len(e) == 0 || string(e) == "null":
		case e[0] == '"':
			var s string
			if err := json.Unmarshal(e, &s); err != nil {
				return nil, fmt.Errorf("sprint field: %w", err)
			}
			r, err := ParseLegacySprint(s)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		case e[0] == '{':
			var w wSprint
			if err := json.Unmarshal(e, &w); err != nil {
				return nil, fmt.Errorf("sprint field: %w", err)
			}
			b := w.BoardID
			if b == "" {
				b = w.OriginBoardID
			}
			out = append(out, SprintRef{ID: string(w.ID), BoardID: string(b), Name: w.Name, State: strings.ToLower(w.State),
				Goal: w.Goal, StartDate: w.StartDate, EndDate: w.EndDate, CompleteDate: w.CompleteDate})
		default:
			return nil, fmt.Errorf("sprint field: unexpected value %s", clip(string(e)))
		}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
