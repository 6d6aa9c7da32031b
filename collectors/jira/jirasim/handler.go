package jirasim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

type handlerFunc func(c *rc, w http.ResponseWriter, r *http.Request) int

var rcPool = sync.Pool{New: func() any { return &rc{} }}

// Handler returns the simulator's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern, name string, f handlerFunc) { mux.Handle(pattern, s.wrap(name, f)) }
	h("GET /rest/api/{v}/serverInfo", "serverInfo", s.serverInfo)
	h("GET /rest/api/{v}/myself", "myself", s.myself)
	h("GET /rest/api/{v}/field", "field", s.fields)
	h("GET /rest/api/{v}/status", "status", s.statusList)
	h("GET /rest/api/{v}/project", "project", s.projectList)
	h("GET /rest/api/{v}/project/search", "projectSearch", s.projectSearch)
	h("GET /rest/api/{v}/project/{key}/versions", "versions", s.versionList)
	// "search" counts the deployment's working search endpoint.
	legacy, jql := "search", "searchJQL"
	if s.org.cloud {
		legacy, jql = "searchLegacy", "search"
	}
	h("GET /rest/api/{v}/search", legacy, s.search)
	h("POST /rest/api/{v}/search", legacy, s.search)
	h("GET /rest/api/{v}/search/jql", jql, s.searchJQL)
	h("POST /rest/api/{v}/search/jql", jql, s.searchJQL)
	h("GET /rest/api/{v}/issue/{key}", "issue", s.issueGet)
	h("GET /rest/api/{v}/issue/{key}/changelog", "changelog", s.changelog)
	h("GET /rest/api/{v}/issue/{key}/worklog", "worklog", s.worklogs)
	h("GET /rest/agile/1.0/board", "board", s.boardList)
	h("GET /rest/agile/1.0/board/{id}/sprint", "sprint", s.sprintList)
	h("/", "other", func(c *rc, w http.ResponseWriter, r *http.Request) int {
		return c.errBody(http.StatusNotFound, "jirasim does not serve "+r.Method+" "+r.URL.Path+".")
	})
	return mux
}

func (c *rc) errBody(status int, msgs ...string) int {
	c.w.b = c.w.b[:0]
	c.w.first = true
	c.w.obj()
	c.w.key("errorMessages")
	c.w.arr()
	for _, m := range msgs {
		c.w.str(m)
	}
	c.w.aend()
	c.w.key("errors")
	c.w.raw("{}")
	c.w.end()
	return status
}

func (s *Server) wrap(name string, f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(name)
		c := rcPool.Get().(*rc)
		defer rcPool.Put(c)
		c.s, c.o = s, s.org
		s.mu.RLock()
		c.clock = s.st.clock
		s.mu.RUnlock()
		c.w = jw{b: c.w.b[:0], first: true}
		c.base = "http://" + r.Host
		c.api = r.PathValue("v")
		if c.api == "latest" {
			c.api = "2"
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("X-AREQUESTID", strconv.FormatUint(s.reqSeq.Load(), 10))

		kind, ok := s.fault()
		if ok {
			switch kind {
			case Fault429, Fault503:
				f := s.currentFaults()
				secs := int64(math.Ceil(f.RetryAfter.Seconds()))
				w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
				status := http.StatusServiceUnavailable
				msg := "Service Unavailable"
				if kind == Fault429 {
					status = http.StatusTooManyRequests
					msg = "The request has been rate-limited. Please try again later."
					w.Header().Set("X-RateLimit-Reset", time.Now().Add(f.RetryAfter).UTC().Format("2006-01-02T15:04Z"))
					w.Header().Set("RateLimit-Reason", "jira-burst-based")
					w.Header().Set("X-RateLimit-Limit", "100")
					w.Header().Set("X-RateLimit-Remaining", "0")
				}
				c.errBody(status, msg)
				w.WriteHeader(status)
				w.Write(c.w.b)
				return
			case Fault500:
				c.errBody(500, "Internal server error")
				w.WriteHeader(500)
				w.Write(c.w.b)
				return
			case Fault502:
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n")
				return
			case FaultTimeout:
				d := s.currentFaults().Timeout
				if d <= 0 {
					d = 30 * time.Second
				}
				if !s.sleep(r, d) {
					return
				}
			case FaultSlow:
				d := s.currentFaults().Slow
				if d <= 0 {
					d = 200 * time.Millisecond
				}
				if !s.sleep(r, d) {
					return
				}
			}
		}
		status := 0
		// serverInfo answers anonymous callers, as Jira does; wrong
		// credentials are refused everywhere.
		if name != "serverInfo" || r.Header.Get("Authorization") != "" {
			status = s.auth(c, w, r)
		}
		if status == 0 {
			status = f(c, w, r)
		}
		if status == 0 {
			status = 200
		}
		if kind == FaultTruncate && ok {
			w.Header().Set("Content-Length", strconv.Itoa(len(c.w.b)))
			w.WriteHeader(status)
			w.Write(c.w.b[:len(c.w.b)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(c.w.b)))
		w.WriteHeader(status)
		w.Write(c.w.b)
		if cap(c.w.b) > 16<<20 {
			c.w.b = nil // do not keep giant buffers in the pool
		}
	})
}

func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

func (s *Server) currentFaults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}

// fault decides, deterministically from the fault seed and the request's
// sequence number, whether this request fails and how.
func (s *Server) fault() (FaultKind, bool) {
	f := s.currentFaults()
	seq := s.reqSeq.Add(1)
	if f.Rate <= 0 {
		return "", false
	}
	h := hash2(f.Seed, seq)
	if float64(h>>11)/(1<<53) >= f.Rate {
		return "", false
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = []FaultKind{Fault429, Fault500, FaultTruncate}
	}
	return kinds[hash2(f.Seed^0x5bd1e995, seq)%uint64(len(kinds))], true
}

// auth checks credentials; it returns 0 when the request may proceed.
func (s *Server) auth(c *rc, w http.ResponseWriter, r *http.Request) int {
	cfg := &s.cfg
	h := r.Header.Get("Authorization")
	ok, noPerm := false, false
	switch {
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err == nil {
			user, pass, _ := strings.Cut(string(raw), ":")
			userOK := user == cfg.Email
			if !s.org.cloud {
				local, _, _ := strings.Cut(cfg.Email, "@")
				userOK = userOK || user == local
			}
			ok = userOK && pass == cfg.APIToken
			noPerm = userOK && pass == cfg.NoPermissionToken
		}
	case strings.HasPrefix(h, "Bearer ") && !s.org.cloud:
		tokn := strings.TrimPrefix(h, "Bearer ")
		ok = tokn == cfg.PAT
		noPerm = tokn == cfg.NoPermissionToken
	}
	switch {
	case ok:
		return 0
	case noPerm:
		return c.errBody(http.StatusForbidden, "You do not have the permission to see the specified resource.")
	}
	w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
	if s.org.cloud {
		c.w.b = append(c.w.b[:0], `{"message":"Client must be authenticated to access this resource.","status-code":401}`...)
		return http.StatusUnauthorized
	}
	return c.errBody(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
}

// dcOnly / cloudOnly answer 404 for endpoints the other deployment lacks.
func (c *rc) v3Missing(r *http.Request) bool {
	return !c.o.cloud && r.PathValue("v") == "3"
}

func intParam(r *http.Request, name string, def int) int {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return n
}

func (s *Server) serverInfo(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	s.mu.RLock()
	clock := s.st.clock
	s.mu.RUnlock()
	jw := &c.w
	jw.obj()
	jw.kstr("baseUrl", c.base)
	if c.o.cloud {
		jw.kstr("displayUrl", c.base)
		jw.kstr("version", "1001.0.0-SNAPSHOT")
		jw.key("versionNumbers")
		jw.raw("[1001,0,0]")
		jw.kstr("deploymentType", "Cloud")
		jw.kint("buildNumber", 100283)
	} else {
		jw.kstr("version", "9.12.2")
		jw.key("versionNumbers")
		jw.raw("[9,12,2]")
		jw.kstr("deploymentType", "Server")
		jw.kint("buildNumber", 9120002)
	}
	jw.ktime("buildDate", clock-400*dayMs, time.UTC)
	jw.ktime("serverTime", clock, time.UTC)
	jw.kstr("scmInfo", "9f1b2c3d4e5f60718293a4b5c6d7e8f901234567")
	jw.kstr("serverTitle", "jirasim")
	jw.end()
	return 200
}

func (c *rc) notFound(r *http.Request) int {
	return c.errBody(http.StatusNotFound, "jirasim ("+string(c.s.cfg.Mode)+") does not serve "+r.URL.Path+".")
}

func (s *Server) myself(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	c.user(0)
	return 200
}

func (s *Server) fields(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	jw := &c.w
	jw.arr()
	for _, f := range []struct{ id, name, typ string }{
		{"summary", "Summary", "string"}, {"status", "Status", "status"}, {"issuetype", "Issue Type", "issuetype"},
		{"resolution", "Resolution", "resolution"}, {"priority", "Priority", "priority"}, {"assignee", "Assignee", "user"},
		{"reporter", "Reporter", "user"}, {"created", "Created", "datetime"}, {"updated", "Updated", "datetime"},
		{"resolutiondate", "Resolved", "datetime"}, {"duedate", "Due date", "date"}, {"labels", "Labels", "array"},
		{"components", "Component/s", "array"}, {"fixVersions", "Fix Version/s", "array"},
		{"versions", "Affects Version/s", "array"}, {"issuelinks", "Linked Issues", "array"},
		{"parent", "Parent", "issuelink"}, {"subtasks", "Sub-tasks", "array"}, {"project", "Project", "project"},
		{"timeoriginalestimate", "Original Estimate", "number"}, {"timeestimate", "Remaining Estimate", "number"},
		{"timespent", "Time Spent", "number"}, {"environment", "Environment", "string"}, {"worklog", "Log Work", "array"},
	} {
		jw.obj()
		jw.kstr("id", f.id)
		jw.kstr("key", f.id)
		jw.kstr("name", f.name)
		jw.kbool("custom", false)
		jw.kbool("orderable", true)
		jw.kbool("navigable", f.id != "worklog")
		jw.kbool("searchable", true)
		jw.key("clauseNames")
		jw.arr()
		jw.str(f.id)
		jw.aend()
		jw.key("schema")
		jw.obj()
		jw.kstr("type", f.typ)
		jw.kstr("system", f.id)
		jw.end()
		jw.end()
	}
	type cf struct{ id, name, typ, items, custom string }
	spName := "Story Points"
	spCustom := "com.atlassian.jira.plugin.system.customfieldtypes:float"
	if c.o.cloud {
		spName, spCustom = "Story point estimate", "com.pyxis.greenhopper.jira:jsw-story-points"
	}
	cfs := []cf{
		{fieldSprint, "Sprint", "array", "json", "com.pyxis.greenhopper.jira:gh-sprint"},
		{fieldStoryPoints, spName, "number", "", spCustom},
		{fieldFlagged, "Flagged", "array", "option", "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"},
		{fieldRank, "Rank", "any", "", "com.pyxis.greenhopper.jira:gh-lexo-rank"},
		{fieldOrigSP, "Original story points", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"},
		{fieldStoryPtsAlt, "Story Points (old)", "string", "", "com.atlassian.jira.plugin.system.customfieldtypes:textfield"},
		{"customfield_10150", "Team", "team", "", "com.atlassian.teams:rm-teams-custom-field-team"},
	}
	if !c.o.cloud {
		cfs = append(cfs, cf{fieldEpicLink, "Epic Link", "any", "", "com.pyxis.greenhopper.jira:gh-epic-link"})
	}
	for _, f := range cfs {
		jw.obj()
		jw.kstr("id", f.id)
		jw.kstr("key", f.id)
		jw.kstr("name", f.name)
		jw.kbool("custom", true)
		jw.kbool("orderable", true)
		jw.kbool("navigable", true)
		jw.kbool("searchable", true)
		num := strings.TrimPrefix(f.id, "customfield_")
		jw.key("clauseNames")
		jw.arr()
		jw.str("cf[" + num + "]")
		jw.str(f.name)
		jw.aend()
		jw.key("schema")
		jw.obj()
		jw.kstr("type", f.typ)
		if f.items != "" {
			jw.kstr("items", f.items)
		}
		jw.kstr("custom", f.custom)
		n, _ := strconv.Atoi(num)
		jw.kint("customId", int64(n))
		jw.end()
		jw.end()
	}
	jw.aend()
	return 200
}

func (s *Server) statusList(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	c.w.arr()
	for st := range statuses {
		c.status(st)
	}
	c.w.aend()
	return 200
}

func (s *Server) projectList(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	c.w.arr()
	for p := range c.o.projects {
		c.projectRef(p, false)
	}
	c.w.aend()
	return 200
}

func (s *Server) projectSearch(c *rc, w http.ResponseWriter, r *http.Request) int {
	if !c.o.cloud {
		return c.notFound(r)
	}
	start := intParam(r, "startAt", 0)
	max := min(intParam(r, "maxResults", 50), s.cfg.MaxResults)
	n := len(c.o.projects)
	jw := &c.w
	jw.obj()
	jw.kstr("self", c.base+r.URL.RequestURI())
	end := min(n, start+max)
	if end < n {
		jw.kstr("nextPage", fmt.Sprintf("%s/rest/api/%s/project/search?startAt=%d&maxResults=%d", c.base, c.api, end, max))
	}
	jw.kint("maxResults", int64(max))
	jw.kint("startAt", int64(start))
	jw.kint("total", int64(n))
	jw.kbool("isLast", end >= n)
	jw.key("values")
	jw.arr()
	for p := start; p < end; p++ {
		c.projectRef(p, true)
	}
	jw.aend()
	jw.end()
	return 200
}

func (s *Server) versionList(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	k := r.PathValue("key")
	p := c.o.projectByKeyOrID(k)
	if p < 0 {
		return c.errBody(http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", k))
	}
	pr := &c.o.projects[p]
	c.w.arr()
	for v := pr.verFrom; v < pr.verFrom+pr.verN; v++ {
		c.version(v)
		// projectId sits inside the version object in Jira; add it.
		c.w.b = c.w.b[:len(c.w.b)-1]
		c.w.first = false
		c.w.kint("projectId", int64(pr.id))
		c.w.end()
	}
	c.w.aend()
	return 200
}

func (s *Server) boardList(c *rc, w http.ResponseWriter, r *http.Request) int {
	o := c.o
	var sel []int
	pk := r.URL.Query().Get("projectKeyOrId")
	typ := r.URL.Query().Get("type")
	pf := -1
	if pk != "" {
		if pf = o.projectByKeyOrID(pk); pf < 0 {
			return c.errBody(http.StatusBadRequest, fmt.Sprintf("No project could be found with key or id '%s'.", pk))
		}
	}
	for b := range o.boards {
		if (pf < 0 || o.boards[b].proj == pf) && (typ == "" || typ == o.boards[b].typ) {
			sel = append(sel, b)
		}
	}
	start := intParam(r, "startAt", 0)
	max := min(intParam(r, "maxResults", 50), s.cfg.MaxResults)
	end := min(len(sel), start+max)
	jw := &c.w
	jw.obj()
	jw.kint("maxResults", int64(max))
	jw.kint("startAt", int64(start))
	jw.kint("total", int64(len(sel)))
	jw.kbool("isLast", end >= len(sel))
	jw.key("values")
	jw.arr()
	for k := start; k < end; k++ {
		bd := &o.boards[sel[k]]
		pr := &o.projects[bd.proj]
		jw.obj()
		jw.kint("id", int64(bd.id))
		c.selfID("/rest/agile/1.0/board/", int64(bd.id))
		jw.kstr("name", bd.name)
		jw.kstr("type", bd.typ)
		jw.key("location")
		jw.obj()
		jw.kint("projectId", int64(pr.id))
		jw.kstr("displayName", pr.name+" ("+pr.key+")")
		jw.kstr("projectName", pr.name)
		jw.kstr("projectKey", pr.key)
		jw.kstr("projectTypeKey", "software")
		jw.kstr("name", pr.name+" ("+pr.key+")")
		jw.end()
		jw.end()
	}
	jw.aend()
	jw.end()
	return 200
}

func (s *Server) sprintList(c *rc, w http.ResponseWriter, r *http.Request) int {
	o := c.o
	id, err := strconv.Atoi(r.PathValue("id"))
	b := id - 300
	if err != nil || b < 0 || b >= len(o.boards) {
		return c.errBody(http.StatusNotFound, fmt.Sprintf("Board %s does not exist or you do not have permission to see it.", r.PathValue("id")))
	}
	bd := &o.boards[b]
	if bd.typ != "scrum" {
		return c.errBody(http.StatusBadRequest, "The board does not support sprints")
	}
	var sel []int
	states := r.URL.Query().Get("state")
	for k := bd.sprFrom; k < bd.sprFrom+bd.sprN; k++ {
		if states == "" || strings.Contains(states, o.sprints[k].state) {
			sel = append(sel, k)
		}
	}
	start := intParam(r, "startAt", 0)
	max := min(intParam(r, "maxResults", 50), s.cfg.MaxResults)
	end := min(len(sel), start+max)
	jw := &c.w
	jw.obj()
	jw.kint("maxResults", int64(max))
	jw.kint("startAt", int64(start))
	jw.kbool("isLast", end >= len(sel))
	jw.key("values")
	jw.arr()
	for k := start; k < end; k++ {
		sd := &o.sprints[sel[k]]
		jw.obj()
		jw.kint("id", int64(sd.id))
		c.selfID("/rest/agile/1.0/sprint/", int64(sd.id))
		jw.kstr("state", sd.state)
		jw.kstr("name", sd.name)
		if sd.start != 0 {
			jw.kisotime("startDate", sd.start)
			jw.kisotime("endDate", sd.end)
		}
		if sd.complete != 0 {
			jw.kisotime("completeDate", sd.complete)
		}
		if o.cloud && sd.activated != 0 {
			jw.kisotime("activatedDate", sd.activated)
		}
		jw.kint("originBoardId", int64(bd.id))
		if sd.goal != "" {
			jw.kstr("goal", sd.goal)
		}
		jw.end()
	}
	jw.aend()
	jw.end()
	return 200
}

// searchParams is the union of the GET parameters and POST bodies of both
// search APIs.
type searchParams struct {
	JQL           string          `json:"jql"`
	StartAt       int             `json:"startAt"`
	MaxResults    *int            `json:"maxResults"`
	Fields        []string        `json:"fields"`
	Expand        json.RawMessage `json:"expand"` // "changelog" (Cloud) or ["changelog"] (DC)
	NextPageToken string          `json:"nextPageToken"`
	expand        string
}

func (c *rc) readSearch(r *http.Request) (*searchParams, int) {
	p := &searchParams{}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(body, p)
		}
		if err != nil {
			return nil, c.errBody(http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		}
		var one string
		var many []string
		if json.Unmarshal(p.Expand, &one) == nil {
			p.expand = one
		} else if json.Unmarshal(p.Expand, &many) == nil {
			p.expand = strings.Join(many, ",")
		}
		return p, 0
	}
	q := r.URL.Query()
	p.JQL = q.Get("jql")
	p.StartAt = intParam(r, "startAt", 0)
	if v := q.Get("maxResults"); v != "" {
		n := intParam(r, "maxResults", 50)
		p.MaxResults = &n
	}
	p.Fields = q["fields"]
	p.expand = strings.Join(q["expand"], ",")
	p.NextPageToken = q.Get("nextPageToken")
	return p, 0
}

func hasExpand(list, what string) bool {
	for _, e := range strings.Split(list, ",") {
		if strings.TrimSpace(e) == what {
			return true
		}
	}
	return false
}

// search is Data Center's /rest/api/2/search; Jira Cloud removed it (410).
func (s *Server) search(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.o.cloud {
		return c.errBody(http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
	}
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	p, st := c.readSearch(r)
	if st != 0 {
		return st
	}
	q, err := parseJQL(c.o, p.JQL)
	if err != nil {
		return c.errBody(http.StatusBadRequest, err.Error())
	}
	max := 50
	if p.MaxResults != nil {
		max = *p.MaxResults
	}
	max = min(max, s.cfg.MaxResults)
	fs := parseFields(p.Fields, allFields)
	withCL := hasExpand(p.expand, "changelog")

	s.mu.RLock()
	defer s.mu.RUnlock()
	total := s.total(q)
	idx := s.pageAt(q, p.StartAt, max)
	jw := &c.w
	jw.obj()
	jw.kstr("expand", "schema,names")
	jw.kint("startAt", int64(p.StartAt))
	jw.kint("maxResults", int64(max))
	jw.kint("total", int64(total))
	jw.key("issues")
	jw.arr()
	var d issue
	for _, i := range idx {
		s.load(i, &d)
		c.issue(i, &d, fs, withCL, -1)
	}
	jw.aend()
	jw.end()
	return 200
}

// searchJQL is Jira Cloud's enhanced search with nextPageToken.
func (s *Server) searchJQL(c *rc, w http.ResponseWriter, r *http.Request) int {
	if !c.o.cloud {
		return c.notFound(r)
	}
	p, st := c.readSearch(r)
	if st != 0 {
		return st
	}
	q, err := parseJQL(c.o, p.JQL)
	if err != nil {
		return c.errBody(http.StatusBadRequest, err.Error())
	}
	if q.where == nil {
		return c.errBody(http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	max := 50
	if p.MaxResults != nil {
		max = *p.MaxResults
	}
	max = max1(min(max, s.cfg.MaxResults))
	fs := parseFields(p.Fields, 0)
	withCL := hasExpand(p.expand, "changelog")

	s.mu.RLock()
	defer s.mu.RUnlock()
	from := 0
	if p.NextPageToken != "" {
		var ok bool
		if from, ok = s.seekToken(q, p.NextPageToken); !ok {
			return c.errBody(http.StatusBadRequest, "The provided next page token is invalid or expired.")
		}
	}
	idx, next := s.scan(q, from, max, nil)
	jw := &c.w
	jw.obj()
	jw.key("issues")
	jw.arr()
	var d issue
	for _, i := range idx {
		s.load(i, &d)
		if fs == 0 { // only the id when no field was asked for (Cloud's default)
			jw.obj()
			jw.kistr("id", int64(issueIDBase+i))
			jw.end()
			continue
		}
		c.issue(i, &d, fs, withCL, 100)
	}
	jw.aend()
	last := len(idx) < max || next < 0 || !s.hasMatch(q, next)
	if !last {
		jw.kstr("nextPageToken", s.token(q, idx[len(idx)-1]))
	}
	jw.kbool("isLast", last)
	jw.end()
	return 200
}

func max1(n int) int { return max(n, 1) }

func (s *Server) issueGet(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := s.findIssue(r.PathValue("key"))
	if i < 0 {
		return c.errBody(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
	}
	fs := parseFields(r.URL.Query()["fields"], allFields)
	capCL := -1
	if c.o.cloud {
		capCL = 100
	}
	var d issue
	s.load(i, &d)
	c.issue(i, &d, fs, hasExpand(strings.Join(r.URL.Query()["expand"], ","), "changelog"), capCL)
	return 200
}

func (s *Server) findIssue(idOrKey string) int {
	i := s.org.lookup(idOrKey)
	if i < 0 || s.st.deleted[i] {
		return -1
	}
	return i
}

// changelog is Cloud's paged /issue/{key}/changelog (absent on Data Center).
func (s *Server) changelog(c *rc, w http.ResponseWriter, r *http.Request) int {
	if !c.o.cloud {
		return c.notFound(r)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	key := r.PathValue("key")
	i := s.findIssue(key)
	if i < 0 {
		return c.errBody(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
	}
	start := intParam(r, "startAt", 0)
	max := min(intParam(r, "maxResults", 100), 100, s.cfg.MaxResults)
	var d issue
	s.load(i, &d)
	n := len(d.hist)
	end := min(n, start+max)
	jw := &c.w
	jw.obj()
	jw.kstr("self", fmt.Sprintf("%s/rest/api/%s/issue/%s/changelog?startAt=%d&maxResults=%d", c.base, c.api, key, start, max))
	if end < n {
		jw.kstr("nextPage", fmt.Sprintf("%s/rest/api/%s/issue/%s/changelog?startAt=%d&maxResults=%d", c.base, c.api, key, end, max))
	}
	jw.kint("maxResults", int64(max))
	jw.kint("startAt", int64(start))
	jw.kint("total", int64(n))
	jw.kbool("isLast", end >= n)
	jw.key("values")
	jw.arr()
	for h := start; h < end; h++ {
		c.history(&d, h)
	}
	jw.aend()
	jw.end()
	return 200
}

func (s *Server) worklogs(c *rc, w http.ResponseWriter, r *http.Request) int {
	if c.v3Missing(r) {
		return c.notFound(r)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := s.findIssue(r.PathValue("key"))
	if i < 0 {
		return c.errBody(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
	}
	start := intParam(r, "startAt", 0)
	max := min(intParam(r, "maxResults", 5000), 5000)
	var d issue
	s.load(i, &d)
	c.worklogPage(i, &d, start, max)
	return 200
}
