// Package githubsim is an in-memory GitHub REST API (version 2022-11-28)
// for tests and benchmarks: the issue, milestone, repository and issue
// event endpoints the collector reads, with the documented behaviour that
// matters to a collector — Link-header paging (later pages under
// /repositories/{id}/…, as GitHub does), since/sort/direction, ETag and
// If-None-Match (304s do not count against the rate limit), rate-limit
// headers, primary and secondary rate limits, pull requests inside the
// issue list, transferred (301) and deleted (410) issues — and fault
// injection; and, with Config.Project, a GitHub project (v2) through the
// GraphQL API (graphql.go).
package githubsim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// APIVersion is the only X-GitHub-Api-Version the simulator accepts.
const APIVersion = "2022-11-28"

// Config shapes the simulated data.
type Config struct {
	// Repos are owner/name; default one repository "octo-org/api".
	Repos []string
	// Issues per repository, pull requests included (every fifth number is
	// a pull request) (default 30).
	Issues int
	Seed   uint64
	// Now anchors the generated history (default: a fixed instant).
	Now time.Time
	// Token the clients must send (default "sim-token").
	Token string
	// FaultRate is the share of requests answered with a fault: 429 or
	// 403 rate limits, 500/502, a body cut short, or a hang until the
	// client gives up (HangFor at most).
	FaultRate float64
	HangFor   time.Duration
	// Latency delays every answer (to give a test time to act mid-run).
	Latency time.Duration
	// AppID and AppKey, when set, let a GitHub App authenticate: a JWT
	// signed with the App's key (RS256, iss = AppID) buys an installation
	// token at POST /app/installations/{id}/access_tokens.
	AppID  int64
	AppKey *rsa.PublicKey
	// Project, when set, adds a GitHub project (v2) over the issues of
	// every repository, served through GraphQL.
	Project *ProjectConfig
}

// Milestone, Issue and Event are the simulator's state.
type Milestone struct {
	ID     int64
	Number int
	Title  string
	State  string
	DueOn  *time.Time
}

// Issue is an issue or a pull request.
type Issue struct {
	ID          int64
	Number      int
	Title       string
	State       string
	StateReason string
	User        User
	Labels      []string
	Assignees   []User
	Milestone   *Milestone
	Created     time.Time
	Updated     time.Time
	Closed      *time.Time
	PR          bool
	Events      []Event
	Deleted     bool
	MovedTo     string   // the API URL of the issue after a transfer
	BlockedBy   []*Issue // issue dependencies
	Blocking    []*Issue
	repo        *Repo
}

// User is an account.
type User struct {
	ID    int64
	Login string
}

// Event is an issue event.
type Event struct {
	ID          int64
	Event       string
	Actor       User
	At          time.Time
	Label       string
	Assignee    *User
	Milestone   string
	StateReason string
	RenameFrom  string
	RenameTo    string
}

// Repo is a repository.
type Repo struct {
	ID         int64
	Owner      User
	Name       string
	Milestones []*Milestone
	Issues     []*Issue // by number - 1
}

// FullName is owner/name.
func (r *Repo) FullName() string { return r.Owner.Login + "/" + r.Name }

// Stats counts the requests served.
type Stats struct {
	Requests          int64
	NotModified       int64
	Faults            int64
	MissingVersion    int64 // requests without X-GitHub-Api-Version
	Events            int64 // requests for issue events
	EventsNotModified int64 // of which answered 304
	GraphQL           int64 // GraphQL requests (included in Requests)
}

// Sim is a running simulator; use Handler with httptest.
type Sim struct {
	cfg   Config
	mu    sync.Mutex
	repos []*Repo
	rng   *rand.Rand
	next  int64 // event ids

	project *Project

	requests, notModified, faults, missingVersion, events, events304, graphql atomic.Int64
	installTokens                                                             sync.Map // issued installation tokens
	tokensIssued                                                              atomic.Int64
}

var users = []User{{101, "alice"}, {102, "bob"}, {103, "carol"}, {104, "dave"}}

// New generates the data.
func New(cfg Config) *Sim {
	if len(cfg.Repos) == 0 {
		cfg.Repos = []string{"octo-org/api"}
	}
	if cfg.Issues == 0 {
		cfg.Issues = 30
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	}
	if cfg.Token == "" {
		cfg.Token = "sim-token"
	}
	if cfg.HangFor == 0 {
		cfg.HangFor = 2 * time.Second
	}
	s := &Sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 7)), next: 9_000_000}
	for i, full := range cfg.Repos {
		owner, name, _ := strings.Cut(full, "/")
		r := &Repo{ID: int64(500 + i), Owner: User{int64(900 + i), owner}, Name: name}
		s.genRepo(r)
		s.repos = append(s.repos, r)
	}
	if cfg.Project != nil {
		s.genProject(*cfg.Project)
	}
	return s
}

func (s *Sim) eventID() int64 { s.next++; return s.next }

func (s *Sim) genRepo(r *Repo) {
	now := s.cfg.Now
	past, future := now.AddDate(0, 0, -20), now.AddDate(0, 0, 25)
	r.Milestones = []*Milestone{
		{ID: r.ID*100 + 1, Number: 1, Title: "v1.0", State: "closed", DueOn: &past},
		{ID: r.ID*100 + 2, Number: 2, Title: "v1.1", State: "open", DueOn: &future},
		{ID: r.ID*100 + 3, Number: 3, Title: "v2.0", State: "open"},
	}
	for n := 1; n <= s.cfg.Issues; n++ {
		is := &Issue{ID: r.ID*100000 + int64(n), Number: n, Title: fmt.Sprintf("Issue %d of %s", n, r.Name), State: "open",
			User: users[s.rng.IntN(len(users))], PR: n%5 == 0, repo: r}
		t := now.Add(-time.Duration(20+s.rng.IntN(120)) * 24 * time.Hour).Add(time.Duration(n) * time.Minute).Truncate(time.Second)
		is.Created = t
		step := func() time.Time {
			t = t.Add(time.Duration(1+s.rng.IntN(48)) * time.Hour) // at most 9 events: 18 days
			return t
		}
		add := func(e Event) {
			e.ID, e.Actor = s.eventID(), users[s.rng.IntN(len(users))]
			if e.At.IsZero() {
				e.At = step()
			}
			is.Events = append(is.Events, e)
		}
		if is.PR {
			add(Event{Event: "head_ref_force_pushed"})
			if s.rng.IntN(2) == 0 {
				add(Event{Event: "labeled", Label: "enhancement"})
				is.Labels = append(is.Labels, "enhancement")
			}
			is.Updated = t
			r.Issues = append(r.Issues, is)
			continue
		}
		if k := s.rng.IntN(3); k > 0 {
			l := []string{"", "bug", "enhancement"}[k]
			add(Event{Event: "labeled", Label: l, At: is.Created})
			is.Labels = append(is.Labels, l)
		}
		if s.rng.IntN(4) > 0 {
			u := users[s.rng.IntN(len(users))]
			add(Event{Event: "assigned", Assignee: &u})
			is.Assignees = append(is.Assignees, u)
		}
		if s.rng.IntN(3) > 0 {
			ms := r.Milestones[s.rng.IntN(len(r.Milestones))]
			add(Event{Event: "milestoned", Milestone: ms.Title})
			is.Milestone = ms
		}
		add(Event{Event: "subscribed"})
		switch fate := s.rng.IntN(10); {
		case fate < 2: // still to do
		case fate < 4: // in progress
			add(Event{Event: "labeled", Label: "in progress"})
			is.Labels = append(is.Labels, "in progress")
		case fate < 5: // not planned
			s.close(is, add, "not_planned")
		default: // done, sometimes reopened on the way
			add(Event{Event: "labeled", Label: "in progress"})
			is.Labels = append(is.Labels, "in progress")
			if fate == 9 {
				s.close(is, add, "completed")
				add(Event{Event: "reopened"})
				is.State, is.StateReason, is.Closed = "open", "reopened", nil
			}
			if fate == 8 && len(is.Assignees) > 0 {
				add(Event{Event: "unassigned", Assignee: &is.Assignees[0]})
				is.Assignees = nil
			}
			if fate == 7 && is.Milestone != nil {
				add(Event{Event: "demilestoned", Milestone: is.Milestone.Title})
				is.Milestone = r.Milestones[1]
				add(Event{Event: "milestoned", Milestone: is.Milestone.Title})
			}
			if fate == 6 {
				old := is.Title
				is.Title += " (renamed)"
				add(Event{Event: "renamed", RenameFrom: old, RenameTo: is.Title})
			}
			s.close(is, add, "completed")
			if s.rng.IntN(2) == 0 { // the label is often left on a closed issue
				add(Event{Event: "unlabeled", Label: "in progress"})
				is.Labels = without(is.Labels, "in progress")
			}
		}
		is.Updated = t.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
		if is.Updated.After(now) {
			is.Updated = now
		}
		if n%7 == 0 { // blocked by an earlier issue
			b := r.Issues[n-2]
			if b.PR {
				b = r.Issues[n-3]
			}
			is.BlockedBy, b.Blocking = append(is.BlockedBy, b), append(b.Blocking, is)
		}
		r.Issues = append(r.Issues, is)
	}
}

// SetIssues replaces the issues of repository full with the given ones
// (numbered 1, 2, … in order), for a test that computes by hand what they
// must give: their ids, event ids and actors are filled in, updated_at
// defaults to the last event (else creation).
func (s *Sim) SetIssues(full string, issues []*Issue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(full)
	for i, is := range issues {
		is.Number, is.ID, is.repo = i+1, r.ID*100000+int64(i+1), r
		if is.User.Login == "" {
			is.User = users[0]
		}
		if is.State == "" {
			is.State = "open"
		}
		last := is.Created
		for j := range is.Events {
			e := &is.Events[j]
			e.ID = s.eventID()
			if e.Actor.Login == "" {
				e.Actor = users[0]
			}
			if e.At.After(last) {
				last = e.At
			}
		}
		if is.Updated.IsZero() {
			is.Updated = last
		}
	}
	r.Issues = issues
}

// Block makes an issue blocked by another (of any repository of the
// simulator) at instant at: the blocked issue's updated_at moves there.
func (s *Sim) Block(full string, number int, blockerFull string, blocker int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, b := s.issue(full, number), s.issue(blockerFull, blocker)
	is.BlockedBy, b.Blocking = append(is.BlockedBy, b), append(b.Blocking, is)
	is.Updated = at
}

// Unblock removes every dependency of an issue at instant at.
func (s *Sim) Unblock(full string, number int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issue(full, number)
	for _, b := range is.BlockedBy {
		b.Blocking = slices.DeleteFunc(b.Blocking, func(x *Issue) bool { return x == is })
	}
	is.BlockedBy = nil
	is.Updated = at
}

func (s *Sim) close(is *Issue, add func(Event), reason string) {
	add(Event{Event: "closed", StateReason: reason})
	at := is.Events[len(is.Events)-1].At
	is.State, is.StateReason, is.Closed = "closed", reason, &at
}

func without(ls []string, l string) []string {
	var out []string
	for _, x := range ls {
		if x != l {
			out = append(out, x)
		}
	}
	return out
}

// Truth is what a complete collection must hold.
type Truth struct {
	Projects, Versions, Issues, PullRequests int
	Links                                    int // blocked-by dependencies between listed issues
	// With a project: one board per repository with issues in it, one
	// sprint per iteration and board; project items by kind.
	Boards, Sprints, ProjectIssues, ProjectDrafts, ProjectPullRequests int
}

// Truth counts the repositories, milestones and issues (pull requests,
// deleted and transferred issues left out).
func (s *Sim) Truth() Truth {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t Truth
	for _, r := range s.repos {
		t.Projects++
		t.Versions += len(r.Milestones)
		for _, is := range r.Issues {
			switch {
			case is.Deleted || is.MovedTo != "":
			case is.PR:
				t.PullRequests++
			default:
				t.Issues++
				for _, b := range is.BlockedBy {
					if !b.Deleted && b.MovedTo == "" {
						t.Links++
					}
				}
			}
		}
	}
	if s.project != nil {
		boards := map[string]bool{}
		for _, it := range s.project.Items {
			switch it.Type {
			case "ISSUE":
				t.ProjectIssues++
				boards[strings.ToLower(it.Repo)] = true
			case "DRAFT_ISSUE":
				t.ProjectDrafts++
			case "PULL_REQUEST":
				t.ProjectPullRequests++
			}
		}
		t.Boards = len(boards)
		t.Sprints = len(boards) * len(s.project.Iterations)
	}
	return t
}

// Stats returns the request counters.
func (s *Sim) Stats() Stats {
	return Stats{Requests: s.requests.Load(), NotModified: s.notModified.Load(), Faults: s.faults.Load(),
		MissingVersion: s.missingVersion.Load(), Events: s.events.Load(), EventsNotModified: s.events304.Load(), GraphQL: s.graphql.Load()}
}

// ResetStats zeroes the request counters.
func (s *Sim) ResetStats() {
	s.requests.Store(0)
	s.notModified.Store(0)
	s.faults.Store(0)
	s.missingVersion.Store(0)
	s.events.Store(0)
	s.events304.Store(0)
	s.graphql.Store(0)
}

// SetFaultRate changes the share of faulty answers.
func (s *Sim) SetFaultRate(f float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.FaultRate = f
}

func (s *Sim) repo(full string) *Repo {
	for _, r := range s.repos {
		if strings.EqualFold(r.FullName(), full) {
			return r
		}
	}
	return nil
}

func (s *Sim) issue(full string, number int) *Issue {
	r := s.repo(full)
	if r == nil || number < 1 || number > len(r.Issues) {
		return nil
	}
	return r.Issues[number-1]
}

// AddLabel labels an issue at instant at (its updated_at moves there).
func (s *Sim) AddLabel(full string, number int, label string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issue(full, number)
	is.Labels = append(is.Labels, label)
	is.Events = append(is.Events, Event{ID: s.eventID(), Event: "labeled", Label: label, At: at, Actor: users[0]})
	is.Updated = at
}

// Close closes an issue with a state reason at instant at.
func (s *Sim) Close(full string, number int, reason string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issue(full, number)
	is.Events = append(is.Events, Event{ID: s.eventID(), Event: "closed", StateReason: reason, At: at, Actor: users[0]})
	is.State, is.StateReason, is.Closed, is.Updated = "closed", reason, &at, at
}

// Delete deletes an issue (GitHub answers 410 for it afterwards).
func (s *Sim) Delete(full string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issue(full, number).Deleted = true
}

// Transfer moves an issue to another repository of the simulator; the old
// place answers 301 with the new one in Location.
func (s *Sim) Transfer(full string, number int, to string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, dst := s.issue(full, number), s.repo(to)
	moved := *is
	moved.Number = len(dst.Issues) + 1
	moved.ID = dst.ID*100000 + int64(moved.Number)
	moved.Events = append(append([]Event(nil), is.Events...), Event{ID: s.eventID(), Event: "transferred", At: at, Actor: users[0]})
	moved.Updated = at
	moved.Milestone = nil
	moved.repo, moved.BlockedBy, moved.Blocking = dst, nil, nil // dependencies are not carried over here
	dst.Issues = append(dst.Issues, &moved)
	is.MovedTo = fmt.Sprintf("/repos/%s/issues/%d", dst.FullName(), moved.Number)
}

// Handler serves the API at / and at /api/v3/ (GitHub Enterprise Server).
func (s *Sim) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

type apiError struct {
	Message string `json:"message"`
	DocURL  string `json:"documentation_url,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Sim) rateHeaders(w http.ResponseWriter, remaining int64) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(max(remaining, 0), 10))
	h.Set("X-RateLimit-Used", strconv.FormatInt(5000-max(remaining, 0), 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (s *Sim) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.cfg.Latency > 0 {
		select {
		case <-time.After(s.cfg.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if r.Method == http.MethodPost && (r.URL.Path == "/graphql" || r.URL.Path == "/api/graphql") {
		s.serveGraphQL(w, r)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	if r.Method == http.MethodPost && strings.HasPrefix(path, "/app/installations/") && strings.HasSuffix(path, "/access_tokens") {
		s.installationToken(w, r)
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Not Found"})
		return
	}
	switch v := r.Header.Get("X-GitHub-Api-Version"); v {
	case APIVersion:
	case "":
		s.missingVersion.Add(1)
	default:
		writeJSON(w, http.StatusBadRequest, apiError{Message: "Unsupported 'X-GitHub-Api-Version' header: " + v})
		return
	}
	auth := r.Header.Get("Authorization")
	_, installed := s.installTokens.Load(strings.TrimPrefix(auth, "token "))
	if auth != "Bearer "+s.cfg.Token && auth != "token "+s.cfg.Token && !installed {
		writeJSON(w, http.StatusUnauthorized, apiError{Message: "Bad credentials", DocURL: "https://docs.github.com/rest"})
		return
	}
	if s.fault(w, r) {
		return
	}
	status, body, hdr := s.route(r, path)
	if status == 0 {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Not Found", DocURL: "https://docs.github.com/rest"})
		return
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if status != http.StatusOK {
		s.rateHeaders(w, 4000)
		writeJSON(w, status, body)
		return
	}
	b, _ := json.Marshal(body)
	sum := sha256.Sum256(b)
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
	w.Header().Set("Vary", "Accept, Authorization")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.TrimPrefix(inm, "W/") == strings.TrimPrefix(etag, "W/") {
		s.notModified.Add(1)
		if strings.HasSuffix(path, "/events") {
			s.events304.Add(1)
		}
		s.rateHeaders(w, 4000) // a 304 does not use the limit
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.rateHeaders(w, 4000-s.requests.Load()%1000)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// fault answers with an injected failure, FaultRate of the time.
func (s *Sim) fault(w http.ResponseWriter, r *http.Request) bool {
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
		s.rateHeaders(w, 3000)
		writeJSON(w, http.StatusTooManyRequests, apiError{Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			DocURL: "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
	case 1: // primary rate limit
		s.rateHeaders(w, 0)
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10))
		writeJSON(w, http.StatusForbidden, apiError{Message: "API rate limit exceeded for user ID 1.",
			DocURL: "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"})
	case 2:
		writeJSON(w, http.StatusBadGateway, apiError{Message: "Server Error"})
	case 3:
		writeJSON(w, http.StatusInternalServerError, apiError{Message: "Server Error"})
	case 4: // a body cut short
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`[{"id":1,"number":`))
	case 5: // no answer until the client gives up
		select {
		case <-r.Context().Done():
		case <-time.After(s.cfg.HangFor):
		}
		writeJSON(w, http.StatusGatewayTimeout, apiError{Message: "timeout"})
	}
	return true
}

// route answers a GET; status 0 means not found.
func (s *Sim) route(r *http.Request, path string) (int, any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	q := r.URL.Query()
	var repo *Repo
	var rest []string
	switch {
	case len(parts) >= 3 && parts[0] == "repos":
		repo, rest = s.repo(parts[1]+"/"+parts[2]), parts[3:]
	case len(parts) >= 2 && parts[0] == "repositories":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		for _, x := range s.repos {
			if x.ID == id {
				repo = x
			}
		}
		rest = parts[2:]
	case len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		var list []any
		for _, x := range s.repos {
			if strings.EqualFold(x.Owner.Login, parts[1]) {
				list = append(list, repoJSON(x))
			}
		}
		if list == nil {
			return 0, nil, nil
		}
		return s.paged(r, list, "")
	}
	if repo == nil {
		return 0, nil, nil
	}
	switch {
	case len(rest) == 0:
		return http.StatusOK, repoJSON(repo), nil
	case len(rest) == 1 && rest[0] == "milestones":
		var list []any
		for _, m := range repo.Milestones {
			if st := q.Get("state"); st == "all" || st == m.State || (st == "" && m.State == "open") {
				list = append(list, milestoneJSON(repo, m))
			}
		}
		return s.paged(r, list, fmt.Sprintf("/repositories/%d/milestones", repo.ID))
	case len(rest) == 1 && rest[0] == "issues":
		return s.listIssues(r, repo)
	case len(rest) >= 2 && rest[0] == "issues":
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 1 || n > len(repo.Issues) {
			return 0, nil, nil
		}
		is := repo.Issues[n-1]
		if is.Deleted {
			return http.StatusGone, apiError{Message: "This issue was deleted", DocURL: "https://docs.github.com/rest/issues/issues#get-an-issue"}, nil
		}
		if is.MovedTo != "" {
			loc := is.MovedTo
			if len(rest) == 3 {
				loc += "/" + rest[2]
			}
			return http.StatusMovedPermanently, apiError{Message: "Moved Permanently", DocURL: "https://docs.github.com/rest"},
				http.Header{"Location": {absURL(r, loc)}}
		}
		switch {
		case len(rest) == 2:
			return http.StatusOK, issueJSON(repo, is), nil
		case len(rest) == 4 && rest[2] == "dependencies" && rest[3] == "blocked_by":
			list := make([]any, 0, len(is.BlockedBy))
			for _, b := range is.BlockedBy {
				list = append(list, issueJSON(b.repo, b))
			}
			return s.paged(r, list, fmt.Sprintf("/repositories/%d/issues/%d/dependencies/blocked_by", repo.ID, n))
		case len(rest) == 3 && rest[2] == "events":
			s.events.Add(1)
			list := make([]any, 0, len(is.Events))
			for _, e := range is.Events {
				list = append(list, eventJSON(repo, is, e))
			}
			return s.paged(r, list, fmt.Sprintf("/repositories/%d/issues/%d/events", repo.ID, n))
		}
	}
	return 0, nil, nil
}

func (s *Sim) listIssues(r *http.Request, repo *Repo) (int, any, http.Header) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return http.StatusUnprocessableEntity, apiError{Message: "Validation Failed"}, nil
		}
		since = t
	}
	var sel []*Issue
	for _, is := range repo.Issues {
		if is.Deleted || is.MovedTo != "" || (state != "all" && state != is.State) || is.Updated.Before(since) {
			continue
		}
		sel = append(sel, is)
	}
	key := func(is *Issue) time.Time { return is.Created }
	if q.Get("sort") == "updated" {
		key = func(is *Issue) time.Time { return is.Updated }
	}
	asc := q.Get("direction") == "asc"
	sort.SliceStable(sel, func(i, j int) bool {
		a, b := key(sel[i]), key(sel[j])
		if a.Equal(b) {
			return (sel[i].Number < sel[j].Number) == asc
		}
		return a.Before(b) == asc
	})
	list := make([]any, 0, len(sel))
	for _, is := range sel {
		list = append(list, issueJSON(repo, is))
	}
	return s.paged(r, list, fmt.Sprintf("/repositories/%d/issues", repo.ID))
}

func absURL(r *http.Request, path string) string {
	prefix := ""
	if strings.HasPrefix(r.URL.Path, "/api/v3/") {
		prefix = "/api/v3"
	}
	return "http://" + r.Host + prefix + path
}

// paged cuts list by page/per_page and sets Link; later pages are
// addressed through idPath, as GitHub does with /repositories/{id}/….
func (s *Sim) paged(r *http.Request, list []any, idPath string) (int, any, http.Header) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = max(pg, 1)
	last := max(1, (len(list)+per-1)/per)
	lo, hi := min((pg-1)*per, len(list)), min(pg*per, len(list))
	out := list[lo:hi]
	if out == nil {
		out = []any{}
	}
	base := r.URL.Path
	if idPath != "" {
		base = idPath
		if strings.HasPrefix(r.URL.Path, "/api/v3/") {
			base = "/api/v3" + idPath
		}
	}
	link := func(p int, rel string) string {
		q2 := r.URL.Query()
		q2.Set("page", strconv.Itoa(p))
		q2.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<http://%s%s?%s>; rel="%s"`, r.Host, base, q2.Encode(), rel)
	}
	var links []string
	if pg < last {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"), link(pg-1, "prev"))
	}
	h := http.Header{}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	return http.StatusOK, out, h
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func userJSON(u User) map[string]any {
	return map[string]any{"login": u.Login, "id": u.ID, "type": "User", "site_admin": false,
		"url": "https://api.github.com/users/" + u.Login, "html_url": "https://github.com/" + u.Login}
}

func repoJSON(r *Repo) map[string]any {
	return map[string]any{"id": r.ID, "node_id": fmt.Sprintf("R_sim%d", r.ID), "name": r.Name, "full_name": r.FullName(),
		"owner": map[string]any{"login": r.Owner.Login, "id": r.Owner.ID, "type": "Organization"}, "private": false,
		"html_url": "https://github.com/" + r.FullName(), "archived": false, "has_issues": true,
		"url": "https://api.github.com/repos/" + r.FullName()}
}

func milestoneJSON(r *Repo, m *Milestone) map[string]any {
	out := map[string]any{"id": m.ID, "number": m.Number, "title": m.Title, "state": m.State, "description": nil,
		"url":      fmt.Sprintf("https://api.github.com/repos/%s/milestones/%d", r.FullName(), m.Number),
		"html_url": fmt.Sprintf("https://github.com/%s/milestone/%d", r.FullName(), m.Number), "due_on": nil}
	if m.DueOn != nil {
		// GitHub sends a due date as an instant at 07:00 or 08:00 UTC (Pacific midnight).
		d := m.DueOn.UTC()
		out["due_on"] = ts(time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, time.UTC))
	}
	return out
}

func issueJSON(r *Repo, is *Issue) map[string]any {
	labels := []any{}
	for i, l := range is.Labels {
		labels = append(labels, map[string]any{"id": 7000 + i, "name": l, "color": "ededed", "default": false})
	}
	assignees := []any{}
	for _, a := range is.Assignees {
		assignees = append(assignees, userJSON(a))
	}
	kind := "issues"
	if is.PR {
		kind = "pull"
	}
	out := map[string]any{
		"id": is.ID, "node_id": fmt.Sprintf("I_sim%d", is.ID), "number": is.Number, "title": is.Title, "state": is.State,
		"user": userJSON(is.User), "labels": labels, "assignees": assignees, "assignee": nil, "milestone": nil,
		"comments": 0, "created_at": ts(is.Created), "updated_at": ts(is.Updated), "closed_at": nil,
		"url":            fmt.Sprintf("https://api.github.com/repos/%s/issues/%d", r.FullName(), is.Number),
		"repository_url": "https://api.github.com/repos/" + r.FullName(),
		"html_url":       fmt.Sprintf("https://github.com/%s/%s/%d", r.FullName(), kind, is.Number),
		"state_reason":   nil, "author_association": "MEMBER", "locked": false,
	}
	if len(is.Assignees) > 0 {
		out["assignee"] = userJSON(is.Assignees[0])
	}
	if is.Milestone != nil {
		out["milestone"] = milestoneJSON(r, is.Milestone)
	}
	if is.Closed != nil {
		out["closed_at"] = ts(*is.Closed)
	}
	if is.StateReason != "" {
		out["state_reason"] = is.StateReason
	}
	open := 0
	for _, b := range is.BlockedBy {
		if b.State == "open" {
			open++
		}
	}
	openBlocking := 0
	for _, b := range is.Blocking {
		if b.State == "open" {
			openBlocking++
		}
	}
	out["issue_dependencies_summary"] = map[string]any{"blocked_by": open, "total_blocked_by": len(is.BlockedBy),
		"blocking": openBlocking, "total_blocking": len(is.Blocking)}
	out["sub_issues_summary"] = map[string]any{"total": 0, "completed": 0, "percent_completed": 0}
	if is.PR {
		out["pull_request"] = map[string]any{"url": fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", r.FullName(), is.Number)}
	}
	return out
}

func eventJSON(r *Repo, is *Issue, e Event) map[string]any {
	out := map[string]any{"id": e.ID, "node_id": fmt.Sprintf("E_sim%d", e.ID), "event": e.Event, "actor": userJSON(e.Actor),
		"created_at": ts(e.At), "commit_id": nil, "commit_url": nil,
		"url": fmt.Sprintf("https://api.github.com/repos/%s/issues/events/%d", r.FullName(), e.ID)}
	switch e.Event {
	case "labeled", "unlabeled":
		out["label"] = map[string]any{"name": e.Label, "color": "ededed"}
	case "assigned", "unassigned":
		out["assignee"] = userJSON(*e.Assignee)
		out["assigner"] = userJSON(e.Actor)
	case "milestoned", "demilestoned":
		out["milestone"] = map[string]any{"title": e.Milestone}
	case "renamed":
		out["rename"] = map[string]any{"from": e.RenameFrom, "to": e.RenameTo}
	case "closed":
		out["state_reason"] = e.StateReason
	}
	return out
}

// Find returns the number of the first issue (not a pull request) of a
// repository for which ok is true, or 0.
func (s *Sim) Find(full string, ok func(Issue) bool) int {
	// ok runs on (shallow) copies outside the lock, so it may call the
	// simulator.
	s.mu.Lock()
	var cands []Issue
	for _, is := range s.repo(full).Issues {
		if !is.PR && !is.Deleted && is.MovedTo == "" {
			cands = append(cands, *is)
		}
	}
	s.mu.Unlock()
	for _, is := range cands {
		if ok(is) {
			return is.Number
		}
	}
	return 0
}

// ByUpdated returns the numbers of a repository's listed entries (pull
// requests included) from the least to the most recently updated.
func (s *Sim) ByUpdated(full string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel []*Issue
	for _, is := range s.repo(full).Issues {
		if !is.Deleted && is.MovedTo == "" {
			sel = append(sel, is)
		}
	}
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].Updated.Before(sel[j].Updated) })
	out := make([]int, len(sel))
	for i, is := range sel {
		out[i] = is.Number
	}
	return out
}

// installationToken answers an App's JWT with an installation token, as
// GitHub does (201, token and expires_at), after checking the JWT's RS256
// signature against the App's key, its issuer and its expiry.
func (s *Sim) installationToken(w http.ResponseWriter, r *http.Request) {
	jwt, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(jwt, ".")
	if !ok || s.cfg.AppKey == nil || len(parts) != 3 {
		writeJSON(w, http.StatusUnauthorized, apiError{Message: "A JSON web token could not be decoded"})
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(s.cfg.AppKey, crypto.SHA256, sum[:], sig) != nil {
		writeJSON(w, http.StatusUnauthorized, apiError{Message: "'Issuer' claim ('iss') must be an Integer"})
		return
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Exp int64           `json:"exp"`
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &claims) != nil || strings.Trim(string(claims.Iss), `"`) != strconv.FormatInt(s.cfg.AppID, 10) ||
		time.Unix(claims.Exp, 0).Before(time.Now()) {
		writeJSON(w, http.StatusUnauthorized, apiError{Message: "Integration not found"})
		return
	}
	tok := fmt.Sprintf("ghs_sim%d", s.tokensIssued.Add(1))
	s.installTokens.Store(tok, true)
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": ts(time.Now().Add(time.Hour)),
		"permissions": map[string]string{"issues": "read", "metadata": "read"}, "repository_selection": "all"})
}

// TokensIssued counts the installation tokens handed out.
func (s *Sim) TokensIssued() int64 { return s.tokensIssued.Load() }
