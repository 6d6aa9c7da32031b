package githubsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GitHub Projects (v2) through the GraphQL API (POST /graphql, and
// /api/graphql for GitHub Enterprise Server): the project's fields
// (ProjectV2SingleSelectField, ProjectV2IterationField, ProjectV2Field)
// and its items (paged with first/after and pageInfo), each with its
// content (Issue, DraftIssue, PullRequest) and fieldValues
// (ProjectV2ItemFieldSingleSelectValue, …IterationValue, …NumberValue;
// other values carry only their __typename, as GitHub answers a query
// without a fragment for them). Rate limits as GitHub sends them for
// GraphQL: 200 with errors of type RATE_LIMITED (x-ratelimit-remaining 0),
// or 403 for a secondary limit.
//
// The simulator recognises the two queries the collector sends by their
// selections (fields or items of organization or user projectV2) rather
// than parsing GraphQL.

// ProjectConfig shapes a simulated project.
type ProjectConfig struct {
	Owner  string // an organisation login (or a user's with User)
	User   bool
	Number int
	// Iterations of the iteration field "Sprint" (14 days each, the last
	// ones ending around Now; default 4).
	Iterations int
}

// Project is a GitHub project (v2) with a status single-select field
// "Status" (Todo, In Progress, Done), an iteration field "Sprint" and a
// number field "Estimate".
type Project struct {
	ID         string
	Owner      string
	User       bool
	Number     int
	Title      string
	Iterations []Iteration
	Items      []*ProjectItem
}

// Iteration is one iteration of the iteration field.
type Iteration struct {
	ID       string
	Title    string
	Start    time.Time // a date
	Duration int       // days
}

// ProjectItem is an item of the project.
type ProjectItem struct {
	ID        string
	Type      string // ISSUE, DRAFT_ISSUE, PULL_REQUEST
	Repo      string
	Number    int
	Status    string // option name, "" unset
	Iteration string // iteration id, "" unset
	Points    *float64
	Updated   time.Time
}

var statusOptions = []struct{ id, name string }{{"f75ad846", "Todo"}, {"47fc9ee4", "In Progress"}, {"98236657", "Done"}}

func (s *Sim) genProject(pc ProjectConfig) {
	if pc.Iterations == 0 {
		pc.Iterations = 4
	}
	p := &Project{ID: fmt.Sprintf("PVT_sim%d", pc.Number), Owner: pc.Owner, User: pc.User, Number: pc.Number, Title: "Roadmap"}
	day := time.Date(s.cfg.Now.Year(), s.cfg.Now.Month(), s.cfg.Now.Day(), 0, 0, 0, 0, time.UTC)
	first := day.AddDate(0, 0, -14*(pc.Iterations-1)-7) // the last iteration is the current one
	for i := range pc.Iterations {
		p.Iterations = append(p.Iterations, Iteration{ID: fmt.Sprintf("it%04x", 0xa0+i), Title: fmt.Sprintf("Iteration %d", i+1),
			Start: first.AddDate(0, 0, 14*i), Duration: 14})
	}
	n := 0
	for _, r := range s.repos {
		for _, is := range r.Issues {
			n++
			it := &ProjectItem{ID: fmt.Sprintf("PVTI_sim%d", is.ID), Type: "ISSUE", Repo: r.FullName(), Number: is.Number, Updated: is.Updated}
			if is.PR {
				it.Type = "PULL_REQUEST"
			} else if n%6 == 0 {
				continue // not every issue is in the project
			}
			switch {
			case is.State == "closed":
				it.Status = "Done"
			case hasLabel(is.Labels, "in progress") || n%5 == 1:
				it.Status = "In Progress"
			case n%4 != 3:
				it.Status = "Todo"
			}
			if n%3 != 0 {
				pts := float64([]int{1, 2, 3, 5, 8}[n%5])
				it.Points = &pts
			}
			for _, x := range p.Iterations { // planned into the first iteration after its creation
				if it.Iteration == "" && is.Created.Before(x.Start) && (is.Closed == nil || !is.Closed.Before(x.Start)) {
					it.Iteration = x.ID
				}
			}
			if it.Iteration == "" && is.State == "open" {
				it.Iteration = p.Iterations[len(p.Iterations)-1].ID
			}
			p.Items = append(p.Items, it)
		}
	}
	p.Items = append(p.Items, &ProjectItem{ID: "PVTI_draft1", Type: "DRAFT_ISSUE", Status: "Todo", Updated: s.cfg.Now.Add(-time.Hour)},
		&ProjectItem{ID: "PVTI_draft2", Type: "DRAFT_ISSUE", Updated: s.cfg.Now.Add(-2 * time.Hour)})
	s.project = p
}

func hasLabel(ls []string, l string) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

// SetProjectItems replaces the project's items (a test that computes by
// hand what they must give).
func (s *Sim) SetProjectItems(items []*ProjectItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range items {
		if it.ID == "" {
			it.ID = fmt.Sprintf("PVTI_set%d", i+1)
		}
		if it.Type == "" {
			it.Type = "ISSUE"
		}
	}
	s.project.Items = items
}

// ProjectIterations returns the project's iterations.
func (s *Sim) ProjectIterations() []Iteration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Iteration(nil), s.project.Iterations...)
}

// SetIterations replaces the iterations of the project's iteration field.
func (s *Sim) SetIterations(its []Iteration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.project.Iterations = its
}

// ProjectItemOf returns a copy of the project item of an issue, or nil.
func (s *Sim) ProjectItemOf(full string, number int) *ProjectItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.item(full, number); it != nil {
		c := *it
		return &c
	}
	return nil
}

func (s *Sim) item(full string, number int) *ProjectItem {
	if s.project == nil {
		return nil
	}
	for _, it := range s.project.Items {
		if it.Type == "ISSUE" && strings.EqualFold(it.Repo, full) && it.Number == number {
			return it
		}
	}
	return nil
}

// RemoveItem removes an issue's item from the project.
func (s *Sim) RemoveItem(full string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.item(full, number)
	s.project.Items = slices.DeleteFunc(s.project.Items, func(x *ProjectItem) bool { return x == it })
}

// SetItemStatus sets an issue's Status option ("" clears it) at instant
// at; the item's updatedAt moves there (the issue's does not).
func (s *Sim) SetItemStatus(full string, number int, option string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.item(full, number)
	it.Status, it.Updated = option, at
}

// SetItemPoints sets an issue's Estimate (nil clears it) at instant at.
func (s *Sim) SetItemPoints(full string, number int, points *float64, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.item(full, number)
	it.Points, it.Updated = points, at
}

// SetItemIteration sets an issue's Sprint iteration ("" clears it) at
// instant at.
func (s *Sim) SetItemIteration(full string, number int, iteration string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.item(full, number)
	it.Iteration, it.Updated = iteration, at
}

type gqlError struct {
	Type    string   `json:"type,omitempty"`
	Path    []string `json:"path,omitempty"`
	Message string   `json:"message"`
}

// serveGraphQL answers POST /graphql.
func (s *Sim) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	_, installed := s.installTokens.Load(strings.TrimPrefix(auth, "token "))
	if auth != "Bearer "+s.cfg.Token && auth != "token "+s.cfg.Token && !installed {
		writeJSON(w, http.StatusUnauthorized, apiError{Message: "Bad credentials", DocURL: "https://docs.github.com/graphql"})
		return
	}
	s.graphql.Add(1)
	if s.gqlFault(w, r) {
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Query == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Problems parsing JSON", DocURL: "https://docs.github.com/graphql"})
		return
	}
	s.mu.Lock()
	status, body := s.answerGraphQL(req.Query, req.Variables)
	s.mu.Unlock()
	s.rateHeaders(w, 4000)
	w.Header().Set("X-RateLimit-Resource", "graphql")
	writeJSON(w, status, body)
}

func (s *Sim) answerGraphQL(query string, vars map[string]any) (int, any) {
	owner := "organization"
	if strings.Contains(query, "user(login:") {
		owner = "user"
	}
	login, _ := vars["login"].(string)
	number, _ := vars["number"].(float64)
	p := s.project
	if p == nil || !strings.EqualFold(p.Owner, login) || p.User != (owner == "user") {
		what := "an Organization"
		if owner == "user" {
			what = "a User"
		}
		return http.StatusOK, map[string]any{"data": map[string]any{owner: nil},
			"errors": []gqlError{{Type: "NOT_FOUND", Path: []string{owner}, Message: fmt.Sprintf("Could not resolve to %s with the login of '%s'.", what, login)}}}
	}
	if int(number) != p.Number {
		return http.StatusOK, map[string]any{"data": map[string]any{owner: map[string]any{"projectV2": nil}},
			"errors": []gqlError{{Type: "NOT_FOUND", Path: []string{owner, "projectV2"}, Message: fmt.Sprintf("Could not resolve to a ProjectV2 with the number %d.", int(number))}}}
	}
	var proj map[string]any
	switch {
	case strings.Contains(query, "items(first:"):
		first, _ := vars["first"].(float64)
		if first < 1 || first > 100 {
			return http.StatusOK, map[string]any{"data": nil, "errors": []gqlError{{Type: "EXCESSIVE_PAGINATION",
				Message: "Requesting " + strconv.Itoa(int(first)) + " records on the `items` connection exceeds the `first` limit of 100 records."}}}
		}
		after, _ := vars["after"].(string)
		proj = s.itemsJSON(int(first), after)
	case strings.Contains(query, "fields(first:"):
		proj = s.fieldsJSON()
	default:
		return http.StatusOK, map[string]any{"data": nil, "errors": []gqlError{{Message: "the simulator does not answer this query"}}}
	}
	return http.StatusOK, map[string]any{"data": map[string]any{owner: map[string]any{"projectV2": proj}}}
}

func cursorOf(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(i)))
}

func (s *Sim) itemsJSON(first int, after string) map[string]any {
	p := s.project
	lo := 0
	if after != "" {
		b, _ := base64.StdEncoding.DecodeString(after)
		i, _ := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:v2:"))
		lo = i + 1
	}
	hi := min(lo+first, len(p.Items))
	lo = min(lo, hi)
	nodes := []any{}
	for _, it := range p.Items[lo:hi] {
		nodes = append(nodes, s.itemJSON(it))
	}
	var end any
	if hi > lo {
		end = cursorOf(hi - 1)
	}
	return map[string]any{"items": map[string]any{"totalCount": len(p.Items),
		"pageInfo": map[string]any{"hasNextPage": hi < len(p.Items), "endCursor": end}, "nodes": nodes}}
}

func (s *Sim) itemJSON(it *ProjectItem) map[string]any {
	values := []any{map[string]any{"__typename": "ProjectV2ItemFieldTextValue"}} // Title
	var content map[string]any
	switch it.Type {
	case "DRAFT_ISSUE":
		content = map[string]any{"__typename": "DraftIssue"}
	case "PULL_REQUEST":
		content = map[string]any{"__typename": "PullRequest"}
	default:
		is := s.issue(it.Repo, it.Number)
		if is == nil || is.Deleted || is.MovedTo != "" {
			// What the token cannot see (here: gone) comes as REDACTED.
			return map[string]any{"id": it.ID, "type": "REDACTED", "isArchived": false, "updatedAt": ts(it.Updated),
				"content": nil, "fieldValues": map[string]any{"nodes": []any{}}}
		}
		content = map[string]any{"__typename": "Issue", "databaseId": is.ID, "number": is.Number,
			"repository": map[string]any{"nameWithOwner": is.repo.FullName()}}
		values = append(values, map[string]any{"__typename": "ProjectV2ItemFieldRepositoryValue"})
	}
	for _, o := range statusOptions {
		if o.name == it.Status {
			values = append(values, map[string]any{"__typename": "ProjectV2ItemFieldSingleSelectValue", "name": o.name, "optionId": o.id,
				"field": map[string]any{"name": "Status"}})
		}
	}
	for _, x := range s.project.Iterations {
		if x.ID == it.Iteration {
			values = append(values, map[string]any{"__typename": "ProjectV2ItemFieldIterationValue", "iterationId": x.ID, "title": x.Title,
				"startDate": x.Start.Format(time.DateOnly), "duration": x.Duration, "field": map[string]any{"name": "Sprint"}})
		}
	}
	if it.Points != nil {
		values = append(values, map[string]any{"__typename": "ProjectV2ItemFieldNumberValue", "number": *it.Points,
			"field": map[string]any{"name": "Estimate"}})
	}
	return map[string]any{"id": it.ID, "type": it.Type, "isArchived": false, "updatedAt": ts(it.Updated), "content": content,
		"fieldValues": map[string]any{"nodes": values}}
}

func (s *Sim) fieldsJSON() map[string]any {
	p := s.project
	opts := []any{}
	for _, o := range statusOptions {
		opts = append(opts, map[string]any{"id": o.id, "name": o.name})
	}
	var done, current []any
	for _, x := range p.Iterations {
		j := map[string]any{"id": x.ID, "title": x.Title, "startDate": x.Start.Format(time.DateOnly), "duration": x.Duration}
		if x.Start.AddDate(0, 0, x.Duration).After(s.cfg.Now) {
			current = append(current, j)
		} else {
			done = append(done, j)
		}
	}
	if done == nil {
		done = []any{}
	}
	if current == nil {
		current = []any{}
	}
	url := "https://github.com/orgs/" + p.Owner + "/projects/" + strconv.Itoa(p.Number)
	if p.User {
		url = "https://github.com/users/" + p.Owner + "/projects/" + strconv.Itoa(p.Number)
	}
	return map[string]any{"id": p.ID, "title": p.Title, "number": p.Number, "url": url, "fields": map[string]any{"nodes": []any{
		map[string]any{"__typename": "ProjectV2Field", "name": "Title", "dataType": "TITLE"},
		map[string]any{"__typename": "ProjectV2Field", "name": "Assignees", "dataType": "ASSIGNEES"},
		map[string]any{"__typename": "ProjectV2SingleSelectField", "name": "Status", "dataType": "SINGLE_SELECT", "options": opts},
		map[string]any{"__typename": "ProjectV2IterationField", "name": "Sprint", "dataType": "ITERATION",
			"configuration": map[string]any{"iterations": current, "completedIterations": done}},
		map[string]any{"__typename": "ProjectV2Field", "name": "Estimate", "dataType": "NUMBER"},
	}}}
}

// gqlFault answers a GraphQL request with an injected failure, FaultRate
// of the time.
func (s *Sim) gqlFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	hit := s.cfg.FaultRate > 0 && s.rng.Float64() < s.cfg.FaultRate
	kind := s.rng.IntN(6)
	s.mu.Unlock()
	if !hit {
		return false
	}
	s.faults.Add(1)
	switch kind {
	case 0: // secondary rate limit
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusForbidden, apiError{Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			DocURL: "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits"})
	case 1: // primary rate limit: 200 with a RATE_LIMITED error
		s.rateHeaders(w, 0)
		w.Header().Set("X-RateLimit-Resource", "graphql")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10))
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for user ID 1."}}})
	case 2:
		writeJSON(w, http.StatusBadGateway, apiError{Message: "Server Error"})
	case 3:
		writeJSON(w, http.StatusInternalServerError, apiError{Message: "Server Error"})
	case 4: // a body cut short
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":{"organization":`))
	case 5: // no answer until the client gives up
		select {
		case <-r.Context().Done():
		case <-time.After(s.cfg.HangFor):
		}
		writeJSON(w, http.StatusGatewayTimeout, apiError{Message: "timeout"})
	}
	return true
}
