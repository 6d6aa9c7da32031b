// Package gitlabsim is an in-process GitLab REST API v4 simulator for tests,
// benchmarks and demos. It follows GitLab's documented behaviour for the
// endpoints pmo reads: PRIVATE-TOKEN authentication, offset pagination with
// X-Page / X-Next-Page / X-Total (the totals left out past 10,000 rows),
// keyset pagination of project issues (pagination=keyset, Link rel="next"),
// updated_after filters, the resource state / label / milestone / iteration
// / weight events of issues, iterations and weights only on Premium (404
// otherwise), moved issues (moved_to_id), and RateLimit-* headers with 429
// answers. Faults (429 with or without Retry-After / RateLimit-Reset, 5xx,
// timeouts, bodies cut short) can be injected at a rate.
package gitlabsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a kind of injected failure.
type FaultKind string

// Fault kinds.
const (
	Fault429        FaultKind = "429"          // with Retry-After: 0
	Fault429Reset   FaultKind = "429-reset"    // with RateLimit-Reset (now)
	Fault429Bare    FaultKind = "429-bare"     // no header at all
	Fault500        FaultKind = "500"          // internal server error
	Fault502        FaultKind = "502"          // bad gateway (HTML body)
	FaultTimeout    FaultKind = "timeout"      // no answer until the client gives up
	FaultTruncate   FaultKind = "truncate"     // a 200 whose body is cut short
	maxOffsetTotals           = 10_000         // GitLab leaves out X-Total past this many rows
	groupID                   = 100            // the simulated group
	groupPath                 = "acme"         // its path
	defaultToken              = "glpat-simtok" // the accepted PRIVATE-TOKEN
)

// DefaultToken is the PRIVATE-TOKEN the simulator accepts unless
// Config.Token says otherwise.
const DefaultToken = "glpat-simtok"

// Faults configures injected failures.
type Faults struct {
	Rate    float64 // share of requests that fail (0..1)
	Seed    uint64
	Kinds   []FaultKind
	Timeout time.Duration // how long a timeout fault holds the request at most (default 2s)
}

// Config describes the simulated instance.
type Config struct {
	Projects int    // projects in the group (default 3)
	Issues   int    // issues in all (default 300)
	Seed     uint64 // data seed
	Token    string
	// Premium serves iterations and iteration/weight events; without it
	// those endpoints answer 404 as on GitLab Free.
	Premium bool
	// Keyset serves keyset pagination of project issues (GitLab 18.x);
	// without it pagination=keyset is ignored and offsets are used.
	Keyset bool
	// KeysetRefused answers pagination=keyset on issues with 405, as GitLab
	// does for a request it cannot page by keyset.
	KeysetRefused bool
	// NoTimelogs answers GraphQL timelog queries with the error of a GitLab
	// whose GraphQL schema has no Project.timelogs.
	NoTimelogs bool
	// MaxPerPage caps per_page (GitLab: 100).
	MaxPerPage int
	// Now is the simulated present (default: the real clock at New).
	Now    time.Time
	Faults Faults
}

// Truth is what a complete collection must produce.
type Truth struct {
	Projects, Statuses, Boards, Sprints, Versions, Issues, Changes, Worklogs, Links, Moved int
}

type link struct {
	ID       int64
	From, To *issue
	Type     string // blocks (From blocks To) or relates_to
	At       time.Time
}

type timelog struct {
	ID      int64
	SpentAt time.Time
	Seconds int64
	User    user
}

type user struct {
	ID             int64
	Username, Name string
}

type milestone struct {
	ID, IID, ProjectID, GroupID int64
	Title, State                string
	Start, Due                  string
}

type iteration struct {
	ID, IID, GroupID int64
	Title            string
	State            int
	Start, Due       string
}

type event struct {
	ID     int64
	At     time.Time
	User   user
	Kind   string // state, label, milestone, iteration, weight
	State  string
	Label  string
	Action string
	MS     *milestone
	It     *iteration
	Weight *float64
}

type issue struct {
	ID, IID, ProjectID int64
	Title              string
	State              string
	Created, Updated   time.Time
	Closed             *time.Time
	Labels             []string
	MS                 *milestone
	It                 *iteration
	Author, Assignee   user
	Due                string
	Weight             *float64
	Estimate, Spent    int64
	MovedTo            int64
	Events             []event
	Timelogs           []timelog
}

type project struct {
	ID         int64
	Path, Name string
	Issues     []*issue
}

// Server is a running simulator.
type Server struct {
	cfg        Config
	mu         sync.Mutex
	projects   []*project
	milestones []*milestone
	iterations []*iteration
	links      []*link
	users      []user
	nextEvent  int64
	nextLog    int64
	nextIssue  int64
	rng        *rand.Rand
	faultRNG   *rand.Rand
	requests   map[string]int64
	srv        *httptest.Server
	closed     chan struct{}
	closeOnce  sync.Once
}

// New builds the simulated data.
func New(cfg Config) (*Server, error) {
	if cfg.Projects <= 0 {
		cfg.Projects = 3
	}
	if cfg.Issues < 0 {
		return nil, fmt.Errorf("gitlabsim: Issues %d must not be negative", cfg.Issues)
	}
	if cfg.Issues == 0 {
		cfg.Issues = 300
	}
	if cfg.Token == "" {
		cfg.Token = DefaultToken
	}
	if cfg.MaxPerPage <= 0 {
		cfg.MaxPerPage = 100
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now().UTC().Truncate(time.Second)
	}
	if cfg.Faults.Timeout <= 0 {
		cfg.Faults.Timeout = 2 * time.Second
	}
	s := &Server{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 1)), faultRNG: rand.New(rand.NewPCG(cfg.Faults.Seed, 2)),
		requests: map[string]int64{}, closed: make(chan struct{}), nextEvent: 1000, nextIssue: 5000}
	s.generate()
	return s, nil
}

// Config returns the simulator's configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// Start serves the simulator on a loopback port and returns its base URL.
func (s *Server) Start() (string, error) {
	s.srv = httptest.NewServer(s.Handler())
	return s.srv.URL, nil
}

// Close stops the server and releases held requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	if s.srv != nil {
		s.srv.Close()
	}
}

// ProjectPaths lists the projects' paths (group/project).
func (s *Server) ProjectPaths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.projects {
		out = append(out, p.Path)
	}
	return out
}

// GroupPath is the path of the group that holds every project.
func (s *Server) GroupPath() string { return groupPath }

// Truth returns the record counts a complete collection must produce with
// pmo's default status mapping.
func (s *Server) Truth() Truth {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := Truth{Projects: len(s.projects), Statuses: 2 + 7}
	seenMS := map[int64]bool{}
	for _, m := range s.milestones {
		seenMS[m.ID] = true
	}
	t.Versions = len(seenMS)
	if s.cfg.Premium {
		// Each project's board holds the group's iterations as its sprints.
		t.Sprints = len(s.iterations) * len(s.projects)
		t.Boards = len(s.projects)
	}
	for _, p := range s.projects {
		for _, is := range p.Issues {
			if is.MovedTo != 0 {
				t.Moved++
				continue
			}
			t.Issues++
			t.Changes += s.changesOf(is)
			if !s.cfg.NoTimelogs {
				t.Worklogs += len(is.Timelogs)
			}
		}
	}
	// Each link is stored once and gives a link change on both issues.
	t.Links = len(s.links)
	t.Changes += 2 * len(s.links)
	return t
}

// changesOf counts the changes pmo makes of an issue's events with the
// default mapping (an independent count of what the simulator did).
func (s *Server) changesOf(is *issue) int {
	n := 0
	var lastIt time.Time
	for _, e := range is.Events {
		switch e.Kind {
		case "iteration":
			// A move to another iteration (remove and add in one
			// instant) is one change.
			if s.cfg.Premium && !e.At.Equal(lastIt) {
				n++
			}
			lastIt = e.At
		case "weight":
			if s.cfg.Premium {
				n++
			}
		case "label", "milestone":
			n++ // one change each (a label change is kept as "other")
		}
	}
	// Status and resolution: replay the state and label events; the events
	// of one instant (a scoped label swapped, a label set as the issue is
	// closed) change the status once.
	state, labels := "opened", []string{}
	st, res := status(state, labels)
	for i, e := range is.Events {
		switch e.Kind {
		case "state":
			state = e.State
			if state == "reopened" {
				state = "opened"
			}
		case "label":
			if e.Action == "add" {
				labels = append(labels, e.Label)
			} else {
				out := []string{}
				for _, l := range labels {
					if l != e.Label {
						out = append(out, l)
					}
				}
				labels = out
			}
		default:
			continue
		}
		if next := nextWorkflow(is.Events, i); next >= 0 && is.Events[next].At.Equal(e.At) {
			continue
		}
		nst, nres := status(state, labels)
		if nst != st {
			n++
		}
		if nres != res {
			n++
		}
		st, res = nst, nres
	}
	return n
}

// nextWorkflow is the index of the next state or label event after i, or -1.
func nextWorkflow(es []event, i int) int {
	for j := i + 1; j < len(es); j++ {
		if es[j].Kind == "state" || es[j].Kind == "label" {
			return j
		}
	}
	return -1
}

// Requests returns the request count per endpoint since the last reset.
func (s *Server) Requests() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// ResetRequests zeroes the request counts.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = map[string]int64{}
}

var (
	inProgress = []string{"workflow::doing", "workflow::in review"}
	discard    = map[string]bool{"wontfix": true, "duplicate": true}
)

// status is the status of the default mapping: closed, the last
// in-progress label in workflow order, else opened; and the resolution.
func status(state string, labels []string) (string, string) {
	if state == "closed" {
		for _, l := range labels {
			if discard[l] {
				return "closed", "discarded"
			}
		}
		return "closed", "done"
	}
	st := "opened"
	for _, w := range inProgress {
		for _, l := range labels {
			if l == w {
				st = "label:" + w
			}
		}
	}
	return st, ""
}

func (s *Server) generate() {
	r := s.rng
	for i := 1; i <= 5; i++ {
		s.users = append(s.users, user{ID: int64(i), Username: fmt.Sprintf("dev%d", i), Name: fmt.Sprintf("Developer %d", i)})
	}
	start := s.cfg.Now.AddDate(0, -6, 0)
	// Two-week iterations over the half year; the one holding now is current.
	for i := 0; i < 13; i++ {
		st := start.AddDate(0, 0, 14*i)
		due := st.AddDate(0, 0, 13)
		it := &iteration{ID: int64(300 + i), IID: int64(i + 1), GroupID: groupID, Title: fmt.Sprintf("Iteration %d", i+1),
			Start: st.Format(time.DateOnly), Due: due.Format(time.DateOnly)}
		switch {
		case due.AddDate(0, 0, 1).Before(s.cfg.Now):
			it.State = 3
		case st.After(s.cfg.Now):
			it.State = 1
		default:
			it.State = 2
		}
		s.iterations = append(s.iterations, it)
	}
	gms := &milestone{ID: 900, IID: 1, GroupID: groupID, Title: "Group release 1", State: "active",
		Start: start.Format(time.DateOnly), Due: s.cfg.Now.AddDate(0, 1, 0).Format(time.DateOnly)}
	s.milestones = append(s.milestones, gms)
	for p := 1; p <= s.cfg.Projects; p++ {
		pr := &project{ID: int64(p), Path: fmt.Sprintf("%s/proj-%d", groupPath, p), Name: fmt.Sprintf("Project %d", p)}
		s.projects = append(s.projects, pr)
		for m := 1; m <= 3; m++ {
			due := start.AddDate(0, 2*m, 0)
			ms := &milestone{ID: int64(p*10 + m), IID: int64(m), ProjectID: pr.ID, Title: fmt.Sprintf("v%d.%d", p, m),
				State: "active", Start: start.AddDate(0, 2*(m-1), 0).Format(time.DateOnly), Due: due.Format(time.DateOnly)}
			if due.Before(s.cfg.Now) {
				ms.State = "closed"
			}
			s.milestones = append(s.milestones, ms)
		}
	}
	// Issues are created until a month before now, so their stories (at most
	// a few weeks) end before it.
	span := s.cfg.Now.Sub(start) - 30*24*time.Hour
	for i := 0; i < s.cfg.Issues; i++ {
		pr := s.projects[i%len(s.projects)]
		created := start.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
		is := &issue{ID: s.nextIssue, IID: int64(len(pr.Issues) + 1), ProjectID: pr.ID, Title: fmt.Sprintf("Issue %d of %s", len(pr.Issues)+1, pr.Path),
			State: "opened", Created: created, Updated: created, Author: s.users[r.IntN(len(s.users))]}
		s.nextIssue++
		pr.Issues = append(pr.Issues, is)
		s.story(is, pr)
	}
	// Links between issues of a project (never moved ones): an older
	// issue blocks a newer one, or they relate.
	for _, pr := range s.projects {
		var live []*issue
		for _, is := range pr.Issues {
			if is.MovedTo == 0 {
				live = append(live, is)
			}
		}
		for i := 1; i < len(live); i++ {
			if r.IntN(6) != 0 {
				continue
			}
			a, b := live[r.IntN(i)], live[i]
			at := a.Created
			if b.Created.After(at) {
				at = b.Created
			}
			at = at.Add(time.Hour)
			l := &link{ID: int64(7000 + len(s.links)), From: a, To: b, Type: []string{"blocks", "relates_to"}[r.IntN(2)], At: at}
			s.links = append(s.links, l)
			for _, is := range []*issue{a, b} {
				if at.After(is.Updated) {
					is.Updated = at
				}
			}
		}
	}
}

// story plays an issue's life as events.
func (s *Server) story(is *issue, pr *project) {
	r := s.rng
	at := is.Created
	who := func() user { return s.users[r.IntN(len(s.users))] }
	step := func() time.Time {
		next := at.Add(time.Duration(1+r.IntN(72)) * time.Hour)
		if next.After(s.cfg.Now) {
			next = at.Add(time.Duration(1+r.IntN(60)) * time.Second)
		}
		at = next
		return at
	}
	emit := func(e event) {
		e.ID = s.nextEvent
		s.nextEvent++
		if e.At.Before(is.Created) {
			e.At = is.Created
		}
		switch e.Kind {
		case "state":
			if e.State == "reopened" {
				is.State = "opened"
			} else {
				is.State = e.State
			}
			if is.State == "closed" {
				t := e.At
				is.Closed = &t
			} else {
				is.Closed = nil
			}
		case "label":
			if e.Action == "add" {
				is.Labels = append(is.Labels, e.Label)
			} else {
				out := is.Labels[:0]
				for _, l := range is.Labels {
					if l != e.Label {
						out = append(out, l)
					}
				}
				is.Labels = out
			}
		case "milestone":
			if e.Action == "add" {
				is.MS = e.MS
			} else {
				is.MS = nil
			}
		case "iteration":
			if e.Action == "add" {
				is.It = e.It
			} else {
				is.It = nil
			}
		case "weight":
			is.Weight = e.Weight
		}
		is.Events = append(is.Events, e)
		if e.At.After(is.Updated) {
			is.Updated = e.At
		}
	}
	// At creation: a type label, sometimes a milestone, a weight, an iteration.
	if r.IntN(3) == 0 {
		emit(event{At: at, User: is.Author, Kind: "label", Label: "bug", Action: "add"})
	} else if r.IntN(2) == 0 {
		emit(event{At: at, User: is.Author, Kind: "label", Label: "feature", Action: "add"})
	}
	if r.IntN(2) == 0 {
		ms := s.milestones[r.IntN(len(s.milestones))]
		if ms.ProjectID != 0 && ms.ProjectID != pr.ID {
			ms = s.milestones[0]
		}
		emit(event{At: at, User: is.Author, Kind: "milestone", MS: ms, Action: "add"})
	}
	if s.cfg.Premium && r.IntN(3) > 0 {
		w := float64(1 + r.IntN(8))
		emit(event{At: at, User: is.Author, Kind: "weight", Weight: &w})
	}
	if s.cfg.Premium {
		if it := s.iterationAt(at); it != nil && r.IntN(2) == 0 {
			emit(event{At: at, User: is.Author, Kind: "iteration", It: it, Action: "add"})
		}
	}
	is.Estimate = int64(r.IntN(5)) * 3600
	if r.IntN(4) == 0 {
		is.Due = at.AddDate(0, 0, 14+r.IntN(30)).Format(time.DateOnly)
	}
	is.Assignee = who()
	// The workflow: to do → doing → in review → closed, with detours.
	switch x := r.IntN(10); {
	case x < 2:
		// still to do; maybe moved to another project
		if r.IntN(4) == 0 && is.IID > 3 {
			emit(event{At: step(), User: who(), Kind: "state", State: "closed"})
			is.MovedTo = 99_000 + is.ID
		}
		return
	case x < 3:
		// discarded without being worked on
		emit(event{At: step(), User: who(), Kind: "label", Label: []string{"wontfix", "duplicate"}[r.IntN(2)], Action: "add"})
		emit(event{At: at, User: who(), Kind: "state", State: "closed"})
		return
	}
	emit(event{At: step(), User: who(), Kind: "label", Label: "workflow::doing", Action: "add"})
	if s.cfg.Premium && is.Weight != nil && r.IntN(3) == 0 {
		w := *is.Weight + 2
		emit(event{At: step(), User: who(), Kind: "weight", Weight: &w})
	}
	if s.cfg.Premium && r.IntN(3) == 0 {
		if it := s.iterationAt(at); it != nil && (is.It == nil || it.ID != is.It.ID) {
			if is.It != nil {
				emit(event{At: at, User: who(), Kind: "iteration", It: is.It, Action: "remove"})
			}
			emit(event{At: at, User: who(), Kind: "iteration", It: it, Action: "add"})
		}
	}
	if r.IntN(5) == 0 {
		return // in progress
	}
	// Scoped labels: adding workflow::in review removes workflow::doing.
	t := step()
	emit(event{At: t, User: who(), Kind: "label", Label: "workflow::doing", Action: "remove"})
	emit(event{At: t, User: who(), Kind: "label", Label: "workflow::in review", Action: "add"})
	if r.IntN(6) == 0 {
		return // in review
	}
	t = step()
	emit(event{At: t, User: who(), Kind: "label", Label: "workflow::in review", Action: "remove"})
	emit(event{At: t, User: who(), Kind: "state", State: "closed"})
	// Time logged while it was worked on, in one or two timelogs.
	for n := 1 + r.IntN(2); n > 0; n-- {
		secs := int64(1+r.IntN(8)) * 1800
		s.nextLog++
		is.Timelogs = append(is.Timelogs, timelog{ID: s.nextLog, SpentAt: t.Add(-time.Duration(n) * time.Hour), Seconds: secs, User: who()})
		is.Spent += secs
	}
	if r.IntN(8) == 0 {
		emit(event{At: step(), User: who(), Kind: "state", State: "reopened"})
		emit(event{At: step(), User: who(), Kind: "state", State: "closed"})
	}
	if is.MS != nil && r.IntN(6) == 0 {
		emit(event{At: step(), User: who(), Kind: "milestone", MS: is.MS, Action: "remove"})
	}
}

func (s *Server) iterationAt(t time.Time) *iteration {
	d := t.Format(time.DateOnly)
	for _, it := range s.iterations {
		if it.Start <= d && d <= it.Due {
			return it
		}
	}
	return nil
}

// Delete removes issues (by id) as GitLab does: without a trace.
func (s *Server) Delete(ids ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	del := map[int64]bool{}
	for _, id := range ids {
		del[id] = true
	}
	for _, p := range s.projects {
		kept := p.Issues[:0]
		for _, is := range p.Issues {
			if !del[is.ID] {
				kept = append(kept, is)
			}
		}
		p.Issues = kept
	}
	// Their links go with them.
	kept := s.links[:0]
	for _, l := range s.links {
		if !del[l.From.ID] && !del[l.To.ID] {
			kept = append(kept, l)
		}
	}
	s.links = kept
}

// Touch adds a label to n issues (the oldest-updated first) now, as a user
// would, and returns their ids.
func (s *Server) Touch(n int) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*issue
	for _, p := range s.projects {
		for _, is := range p.Issues {
			if is.MovedTo == 0 {
				all = append(all, is)
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Updated.Before(all[j].Updated) })
	now := time.Now().UTC().Truncate(time.Millisecond)
	var out []int64
	for _, is := range all[:min(n, len(all))] {
		e := event{ID: s.nextEvent, At: now, User: s.users[0], Kind: "label", Label: "touched", Action: "add"}
		s.nextEvent++
		is.Events = append(is.Events, e)
		is.Labels = append(is.Labels, "touched")
		is.Updated = now
		out = append(out, is.ID)
	}
	return out
}

// Handler serves the REST API.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, body []byte) bool {
	f := s.cfg.Faults
	if f.Rate <= 0 || len(f.Kinds) == 0 {
		return false
	}
	s.mu.Lock()
	hit := s.faultRNG.Float64() < f.Rate
	kind := f.Kinds[s.faultRNG.IntN(len(f.Kinds))]
	s.mu.Unlock()
	if !hit {
		return false
	}
	switch kind {
	case Fault429:
		w.Header().Set("Retry-After", "0")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "429 Too Many Requests"})
	case Fault429Reset:
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(time.Now().Unix(), 10))
		w.Header().Set("RateLimit-Remaining", "0")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "429 Too Many Requests"})
	case Fault429Bare:
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("Retry later\n"))
	case Fault500:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
	case Fault502:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	case FaultTimeout:
		t := time.NewTimer(f.Timeout)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-s.closed:
		case <-t.C:
		}
	case FaultTruncate:
		if len(body) < 4 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
	default:
		return false
	}
	return true
}

func (s *Server) count(name string) {
	s.mu.Lock()
	s.requests[name]++
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/api/graphql" {
		s.graphQL(w, r)
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "405 Method Not Allowed"})
		return
	}
	if r.Header.Get("PRIVATE-TOKEN") != s.cfg.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	name, status, v, hdr := s.route(parts, r.URL.Query())
	s.count(name)
	body, _ := json.Marshal(v)
	if s.fault(w, r, body) {
		return
	}
	w.Header().Set("RateLimit-Limit", "2000")
	w.Header().Set("RateLimit-Remaining", "1999")
	w.Header().Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	for k, vs := range hdr {
		for _, x := range vs {
			w.Header().Add(k, x)
		}
	}
	if hdr.Get("Link") != "" {
		w.Header().Set("Link", strings.ReplaceAll(hdr.Get("Link"), "BASE", "http://"+r.Host))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type notFound struct {
	Message string `json:"message"`
}

func nf(what string) (string, int, any, http.Header) {
	return "notfound", http.StatusNotFound, notFound{Message: "404 " + what + " Not Found"}, http.Header{}
}

func (s *Server) route(parts []string, q url.Values) (string, int, any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(parts) == 3 && parts[0] == "groups" && parts[2] == "projects":
		if parts[1] != groupPath && parts[1] != strconv.Itoa(groupID) {
			return nf("Group")
		}
		var out []any
		for _, p := range s.projects {
			out = append(out, s.projectJSON(p))
		}
		return page("group_projects", out, q, s.cfg.MaxPerPage)
	case len(parts) >= 2 && parts[0] == "projects":
		p := s.findProject(parts[1])
		if p == nil {
			return nf("Project")
		}
		if len(parts) == 2 {
			return "project", http.StatusOK, s.projectJSON(p), http.Header{}
		}
		switch {
		case len(parts) == 3 && parts[2] == "milestones":
			var out []any
			for _, m := range s.milestones {
				if m.ProjectID == p.ID || (m.GroupID != 0 && q.Get("include_ancestors") == "true") {
					out = append(out, milestoneJSON(m))
				}
			}
			return page("milestones", out, q, s.cfg.MaxPerPage)
		case len(parts) == 3 && parts[2] == "iterations":
			if !s.cfg.Premium {
				return nf("")
			}
			var out []any
			for _, it := range s.iterations {
				out = append(out, iterationJSON(it))
			}
			return page("iterations", out, q, s.cfg.MaxPerPage)
		case len(parts) == 3 && parts[2] == "issues":
			return s.issues(p, q)
		case len(parts) == 5 && parts[2] == "issues":
			iid, _ := strconv.ParseInt(parts[3], 10, 64)
			var is *issue
			for _, x := range p.Issues {
				if x.IID == iid {
					is = x
				}
			}
			if is == nil {
				return nf("Issue")
			}
			if parts[4] == "links" {
				var out []any
				for _, l := range s.links {
					switch is {
					case l.From:
						out = append(out, s.linkJSON(l, l.To, l.Type))
					case l.To:
						out = append(out, s.linkJSON(l, l.From, map[string]string{"blocks": "is_blocked_by"}[l.Type]+map[string]string{"relates_to": "relates_to"}[l.Type]))
					}
				}
				return page("links", out, q, s.cfg.MaxPerPage)
			}
			kind, ok := map[string]string{"resource_state_events": "state", "resource_label_events": "label",
				"resource_milestone_events": "milestone", "resource_iteration_events": "iteration",
				"resource_weight_events": "weight"}[parts[4]]
			if !ok {
				return nf("")
			}
			if (kind == "iteration" || kind == "weight") && !s.cfg.Premium {
				return nf("")
			}
			var out []any
			for _, e := range is.Events {
				if e.Kind == kind {
					out = append(out, eventJSON(is, e))
				}
			}
			return page(parts[4], out, q, s.cfg.MaxPerPage)
		}
	}
	return nf("")
}

func (s *Server) findProject(ref string) *project {
	for _, p := range s.projects {
		if ref == p.Path || ref == strconv.FormatInt(p.ID, 10) {
			return p
		}
	}
	return nil
}

// page serves one offset page of items: X-Page, X-Per-Page, X-Next-Page,
// X-Prev-Page, and X-Total / X-Total-Pages unless there are more than
// 10,000 rows.
func page(name string, items []any, q url.Values, maxPer int) (string, int, any, http.Header) {
	per := atoiDefault(q.Get("per_page"), 20)
	per = max(1, min(per, maxPer))
	pg := max(1, atoiDefault(q.Get("page"), 1))
	from := min((pg-1)*per, len(items))
	to := min(from+per, len(items))
	h := http.Header{}
	h.Set("X-Page", strconv.Itoa(pg))
	h.Set("X-Per-Page", strconv.Itoa(per))
	if to < len(items) {
		h.Set("X-Next-Page", strconv.Itoa(pg+1))
	} else {
		h.Set("X-Next-Page", "")
	}
	if pg > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(pg-1))
	}
	if len(items) <= maxOffsetTotals {
		h.Set("X-Total", strconv.Itoa(len(items)))
		h.Set("X-Total-Pages", strconv.Itoa((len(items)+per-1)/per))
	}
	out := items[from:to]
	if out == nil {
		out = []any{}
	}
	return name, http.StatusOK, out, h
}

func atoiDefault(s string, d int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return d
}

// issues lists a project's issues: updated_after, order_by updated_at or
// created_at (asc/desc), offset or keyset pagination.
func (s *Server) issues(p *project, q url.Values) (string, int, any, http.Header) {
	var list []*issue
	var after time.Time
	if v := q.Get("updated_after"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return "issues", http.StatusBadRequest, map[string]string{"error": "updated_after is invalid"}, http.Header{}
		}
		after = t
	}
	for _, is := range p.Issues {
		if !after.IsZero() && is.Updated.Before(after) {
			continue
		}
		list = append(list, is)
	}
	orderBy := q.Get("order_by")
	if orderBy == "" {
		orderBy = "created_at"
	}
	desc := q.Get("sort") != "asc"
	key := func(is *issue) time.Time {
		if orderBy == "updated_at" {
			return is.Updated
		}
		return is.Created
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := key(list[i]), key(list[j])
		if !a.Equal(b) {
			return a.Before(b) != desc
		}
		return (list[i].ID < list[j].ID) != desc
	})
	if s.cfg.KeysetRefused && q.Get("pagination") == "keyset" {
		return "issues", http.StatusMethodNotAllowed, map[string]string{"error": "Keyset pagination is not yet available for this type of request"}, http.Header{}
	}
	if s.cfg.Keyset && q.Get("pagination") == "keyset" {
		if orderBy != "updated_at" && orderBy != "created_at" {
			return "issues", http.StatusMethodNotAllowed, map[string]string{"error": "Keyset pagination is not yet available for this type of request"}, http.Header{}
		}
		per := max(1, min(atoiDefault(q.Get("per_page"), 20), s.cfg.MaxPerPage))
		from := 0
		if c := q.Get("cursor"); c != "" {
			// The cursor is the (order key, id) of the last row served.
			ns, id, ok := strings.Cut(c, "_")
			n, err1 := strconv.ParseInt(ns, 10, 64)
			idn, err2 := strconv.ParseInt(id, 10, 64)
			if !ok || err1 != nil || err2 != nil {
				return "issues", http.StatusBadRequest, map[string]string{"error": "cursor is invalid"}, http.Header{}
			}
			from = len(list)
			for i, is := range list {
				k := key(is).UnixNano()
				if (!desc && (k > n || k == n && is.ID > idn)) || (desc && (k < n || k == n && is.ID < idn)) {
					from = i
					break
				}
			}
		}
		to := min(from+per, len(list))
		out := make([]any, 0, to-from)
		for _, is := range list[from:to] {
			out = append(out, s.issueJSON(p, is))
		}
		h := http.Header{}
		if to < len(list) {
			last := list[to-1]
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("cursor", strconv.FormatInt(key(last).UnixNano(), 10)+"_"+strconv.FormatInt(last.ID, 10))
			h.Set("Link", fmt.Sprintf(`<BASE/api/v4/projects/%d/issues?%s>; rel="next"`, p.ID, nq.Encode()))
		}
		return "issues", http.StatusOK, out, h
	}
	items := make([]any, 0, len(list))
	for _, is := range list {
		items = append(items, s.issueJSON(p, is))
	}
	return page("issues", items, q, s.cfg.MaxPerPage)
}

func (s *Server) projectJSON(p *project) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "path": strings.TrimPrefix(p.Path, groupPath+"/"),
		"path_with_namespace": p.Path, "web_url": "https://gitlab.example.com/" + p.Path, "archived": false,
		"namespace": map[string]any{"id": groupID, "name": "ACME", "path": groupPath, "kind": "group", "full_path": groupPath}}
}

func milestoneJSON(m *milestone) map[string]any {
	out := map[string]any{"id": m.ID, "iid": m.IID, "title": m.Title, "description": "", "state": m.State,
		"start_date": m.Start, "due_date": m.Due}
	if m.ProjectID != 0 {
		out["project_id"] = m.ProjectID
	} else {
		out["group_id"] = m.GroupID
	}
	return out
}

func iterationJSON(it *iteration) map[string]any {
	return map[string]any{"id": it.ID, "iid": it.IID, "sequence": it.IID, "group_id": it.GroupID, "title": it.Title,
		"state": it.State, "start_date": it.Start, "due_date": it.Due}
}

func userJSON(u user) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "state": "active"}
}

func (s *Server) issueJSON(p *project, is *issue) map[string]any {
	labels := append([]string{}, is.Labels...)
	sort.Strings(labels)
	out := map[string]any{"id": is.ID, "iid": is.IID, "project_id": p.ID, "title": is.Title, "state": is.State,
		"created_at": is.Created.Format(time.RFC3339Nano), "updated_at": is.Updated.Format(time.RFC3339Nano),
		"closed_at": nil, "labels": labels, "milestone": nil, "author": userJSON(is.Author),
		"assignees": []any{userJSON(is.Assignee)}, "assignee": userJSON(is.Assignee), "due_date": nil,
		"time_stats": map[string]any{"time_estimate": is.Estimate, "total_time_spent": is.Spent},
		"issue_type": "issue", "type": "ISSUE", "web_url": fmt.Sprintf("https://gitlab.example.com/%s/-/issues/%d", p.Path, is.IID),
		"references":  map[string]any{"short": fmt.Sprintf("#%d", is.IID), "full": fmt.Sprintf("%s#%d", p.Path, is.IID)},
		"moved_to_id": nil}
	if is.Closed != nil {
		out["closed_at"] = is.Closed.Format(time.RFC3339Nano)
	}
	if is.MS != nil {
		out["milestone"] = milestoneJSON(is.MS)
	}
	if is.Due != "" {
		out["due_date"] = is.Due
	}
	if is.MovedTo != 0 {
		out["moved_to_id"] = is.MovedTo
	}
	if s.cfg.Premium {
		out["weight"] = nil
		if is.Weight != nil {
			out["weight"] = *is.Weight
		}
		out["iteration"] = nil
		if is.It != nil {
			out["iteration"] = iterationJSON(is.It)
		}
	}
	return out
}

func eventJSON(is *issue, e event) map[string]any {
	out := map[string]any{"id": e.ID, "user": userJSON(e.User), "created_at": e.At.Format(time.RFC3339Nano),
		"resource_type": "Issue", "resource_id": is.ID}
	switch e.Kind {
	case "state":
		out["state"] = e.State
	case "label":
		out["label"] = map[string]any{"id": int64(len(e.Label)), "name": e.Label, "color": "#428BCA", "description": ""}
		out["action"] = e.Action
	case "milestone":
		out["milestone"] = milestoneJSON(e.MS)
		out["action"] = e.Action
	case "iteration":
		out["iteration"] = iterationJSON(e.It)
		out["action"] = e.Action
	case "weight":
		delete(out, "resource_type")
		delete(out, "resource_id")
		out["issue_id"] = is.ID
		out["weight"] = nil
		if e.Weight != nil {
			out["weight"] = *e.Weight
		}
	}
	return out
}

// graphQL answers the one GraphQL query pmo sends: a project's timelogs
// (first, after, startTime), paged by an opaque cursor.
func (s *Server) graphQL(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("PRIVATE-TOKEN") != s.cfg.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	var req struct {
		Query     string `json:"query"`
		Variables struct {
			FullPath  string `json:"fullPath"`
			After     string `json:"after"`
			StartTime string `json:"startTime"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.Contains(req.Query, "timelogs") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid GraphQL request"})
		return
	}
	s.count("graphql_timelogs")
	var answer any
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cfg.NoTimelogs {
			answer = map[string]any{"errors": []any{map[string]any{"message": "Field 'timelogs' doesn't exist on type 'Project'"}}}
			return
		}
		p := s.findProject(req.Variables.FullPath)
		if p == nil {
			answer = map[string]any{"data": map[string]any{"project": nil}}
			return
		}
		var since time.Time
		if req.Variables.StartTime != "" {
			since, _ = time.Parse(time.RFC3339, req.Variables.StartTime)
		}
		var nodes []any
		for _, is := range p.Issues {
			for _, tl := range is.Timelogs {
				if !since.IsZero() && tl.SpentAt.Before(since) {
					continue
				}
				nodes = append(nodes, map[string]any{"id": fmt.Sprintf("gid://gitlab/Timelog/%d", tl.ID),
					"spentAt": tl.SpentAt.Format(time.RFC3339), "timeSpent": tl.Seconds,
					"user":  map[string]any{"id": fmt.Sprintf("gid://gitlab/User/%d", tl.User.ID), "name": tl.User.Name, "username": tl.User.Username},
					"issue": map[string]any{"id": fmt.Sprintf("gid://gitlab/Issue/%d", is.ID)}})
			}
		}
		from := 0
		if c, ok := strings.CutPrefix(req.Variables.After, "tl:"); ok {
			from, _ = strconv.Atoi(c)
		}
		from = min(max(from, 0), len(nodes))
		to := min(from+100, len(nodes))
		out := nodes[from:to]
		if out == nil {
			out = []any{}
		}
		answer = map[string]any{"data": map[string]any{"project": map[string]any{"timelogs": map[string]any{"nodes": out,
			"pageInfo": map[string]any{"hasNextPage": to < len(nodes), "endCursor": "tl:" + strconv.Itoa(to)}}}}}
	}()
	body, _ := json.Marshal(answer)
	if s.fault(w, r, body) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// linkJSON is an entry of an issue's links: the other issue and the link.
func (s *Server) linkJSON(l *link, other *issue, linkType string) map[string]any {
	path := ""
	for _, p := range s.projects {
		if p.ID == other.ProjectID {
			path = p.Path
		}
	}
	return map[string]any{"id": other.ID, "iid": other.IID, "project_id": other.ProjectID, "title": other.Title,
		"state": other.State, "references": map[string]any{"full": fmt.Sprintf("%s#%d", path, other.IID)},
		"web_url":       fmt.Sprintf("https://gitlab.example.com/%s/-/issues/%d", path, other.IID),
		"issue_link_id": l.ID, "link_type": linkType, "link_created_at": l.At.Format(time.RFC3339Nano),
		"link_updated_at": l.At.Format(time.RFC3339Nano)}
}
