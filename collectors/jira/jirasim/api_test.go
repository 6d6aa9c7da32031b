package jirasim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustNew(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Issues: 99}, {Issues: 1_000_001}, {Mode: "server"},
		{Faults: Faults{Rate: 1.5}}, {Faults: Faults{Rate: 0.1, Kinds: []FaultKind{"404"}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// searchKeys runs one DC search page and returns the keys, or the error body.
func searchKeys(c *client, jql string, max int) ([]string, int, string) {
	st, _, b := c.do("GET", "/rest/api/2/search?fields=updated&maxResults="+strconv.Itoa(max)+"&jql="+url.QueryEscape(jql), nil)
	if st != 200 {
		return nil, st, string(b)
	}
	var pg struct {
		Total  int
		Issues []wIssue
	}
	if err := json.Unmarshal(b, &pg); err != nil {
		c.t.Fatal(err)
	}
	var keys []string
	for _, is := range pg.Issues {
		keys = append(keys, is.Key)
	}
	return keys, st, ""
}

func TestJQL(t *testing.T) {
	s := mustNew(t, Config{Mode: DataCenter, Issues: 300, Seed: 3, MaxResults: 1000})
	c := newClient(t, s)
	o := s.org
	mid := s.st.updated[150]
	var upd []string
	for i := range o.n {
		if s.st.updated[i] >= mid {
			upd = append(upd, o.key(i))
		}
	}
	cases := []struct {
		jql     string
		want    func() []string // nil: only check the status
		status  int
		errPart string
	}{
		{jql: `project = "APO"`, want: func() []string { return keysWhere(o, func(i int) bool { return o.projOf(i) == 0 }) }},
		{jql: `project in ("APO","BOR") ORDER BY id ASC`, want: func() []string { return keysWhere(o, func(i int) bool { return o.projOf(i) < 2 }) }},
		{jql: `project = 10201`, want: func() []string { return keysWhere(o, func(i int) bool { return o.projOf(i) == 1 }) }},
		{jql: `key = APO-3`, want: func() []string { return []string{"APO-3"} }},
		{jql: `issuekey in (APO-3, BOR-2) ORDER BY key ASC`, want: func() []string { return []string{"BOR-2", "APO-3"} }},
		{jql: `updated >= ` + strconv.FormatInt(mid, 10) + ` ORDER BY id ASC`, want: func() []string { return upd }},
		{jql: `(project = APO OR project = CAS) AND NOT key = APO-1 AND updated >= 0 ORDER BY updated ASC, id ASC`,
			want: func() []string {
				return keysWhere(o, func(i int) bool { return (o.projOf(i) == 0 || o.projOf(i) == 2) && o.key(i) != "APO-1" })
			}},
		{jql: `updated >= "2024-01-01 00:00" AND updated < "2024/02/01"`, status: 200},
		{jql: `project = NOPE`, status: 400, errPart: "The value 'NOPE' does not exist for the field 'project'."},
		{jql: `status = Done`, status: 400, errPart: "Field 'status' does not exist"},
		{jql: `project = `, status: 400, errPart: "Error in the JQL Query"},
		{jql: `project = APO ORDER BY priority`, status: 400, errPart: "ORDER BY"},
		{jql: `updated >= "yesterday"`, status: 400, errPart: "Date value 'yesterday'"},
		{jql: `project = "APO`, status: 400, errPart: "has not been completed"},
		{jql: `project in APO`, status: 400, errPart: "does not support the value"},
	}
	for _, tc := range cases {
		t.Run(tc.jql, func(t *testing.T) {
			keys, st, body := searchKeys(c, tc.jql, 1000)
			want := tc.status
			if want == 0 {
				want = 200
			}
			if st != want {
				t.Fatalf("status %d, want %d: %s", st, want, body)
			}
			if tc.errPart != "" {
				var e struct {
					ErrorMessages []string `json:"errorMessages"`
					Errors        map[string]string
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.ErrorMessages) != 1 || !strings.Contains(e.ErrorMessages[0], tc.errPart) {
					t.Errorf("error body %s, want a message containing %q", body, tc.errPart)
				}
			}
			if tc.want != nil {
				w := tc.want()
				if strings.Contains(tc.jql, "ORDER BY updated") || !strings.Contains(tc.jql, "ORDER BY") {
					slices.Sort(w)
					keys = slices.Clone(keys)
					slices.Sort(keys)
				}
				if !slices.Equal(keys, w) {
					t.Errorf("got %d keys %.200v, want %d %.200v", len(keys), keys, len(w), w)
				}
			}
		})
	}
}

func keysWhere(o *org, f func(int) bool) []string {
	var ks []string
	for i := range o.n {
		if f(i) {
			ks = append(ks, o.key(i))
		}
	}
	return ks
}

func TestSearchOrderedByUpdated(t *testing.T) {
	s := mustNew(t, Config{Mode: DataCenter, Issues: 500, Seed: 9})
	c := newClient(t, s)
	var last time.Time
	st, _, b := c.do("GET", "/rest/api/2/search?maxResults=100&fields=updated&jql="+url.QueryEscape(`project = APO ORDER BY updated ASC, id ASC`), nil)
	if st != 200 {
		t.Fatal(st, string(b))
	}
	var pg struct{ Issues []wIssue }
	strictDecode(t, "search", b, &pg)
	for _, is := range pg.Issues {
		u, err := time.Parse("2006-01-02T15:04:05.000-0700", is.Fields.Updated)
		if err != nil {
			t.Fatal(err)
		}
		if u.Before(last) {
			t.Fatalf("%s updated %v before previous %v", is.Key, u, last)
		}
		last = u
	}
}

func TestAuth(t *testing.T) {
	basic := func(u, p string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	cases := []struct {
		mode   Mode
		auth   string
		status int
		body   string
	}{
		{Cloud, basic("sim@example.com", "sim-token"), 200, ""},
		{Cloud, "", 200, `"deploymentType":"Cloud"`}, // serverInfo is public
		{Cloud, basic("sim@example.com", "wrong"), 401, "Client must be authenticated"},
		{Cloud, "", 401, `"status-code":401`}, // on /status
		{Cloud, "Bearer sim-pat", 401, ""},
		{Cloud, basic("sim@example.com", "sim-noperm"), 403, "errorMessages"},
		{DataCenter, "Bearer sim-pat", 200, ""},
		{DataCenter, basic("sim", "sim-token"), 200, ""},
		{DataCenter, basic("sim@example.com", "sim-token"), 200, ""},
		{DataCenter, "Bearer nope", 401, "You are not authenticated"},
		{DataCenter, "Bearer sim-noperm", 403, "permission"},
	}
	srv := map[Mode]string{}
	for _, m := range []Mode{Cloud, DataCenter} {
		s := mustNew(t, Config{Mode: m, Issues: 100})
		srv[m] = newClient(t, s).base
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("GET", srv[tc.mode]+"/rest/api/2/serverInfo", nil)
		if tc.body == `"status-code":401` {
			req.URL.Path = "/rest/api/2/status"
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
			t.Errorf("%s %q: %d %s, want %d with %q", tc.mode, tc.auth, resp.StatusCode, b, tc.status, tc.body)
		}
		if strings.Contains(string(b), "sim-token") || strings.Contains(string(b), "sim-pat") {
			t.Errorf("a credential leaked into the body: %s", b)
		}
	}
}

func TestDeploymentDifferences(t *testing.T) {
	cl := newClient(t, mustNew(t, Config{Mode: Cloud, Issues: 100}))
	dc := newClient(t, mustNew(t, Config{Mode: DataCenter, Issues: 100}))
	cases := []struct {
		c            *client
		method, path string
		status       int
		part         string
	}{
		{cl, "GET", "/rest/api/3/search?jql=project%3DAPO", 410, "CHANGE-2046"},
		{cl, "POST", "/rest/api/3/search", 410, "/rest/api/3/search/jql"},
		{cl, "GET", "/rest/api/2/search?jql=project%3DAPO", 410, "CHANGE-2046"},
		{cl, "GET", "/rest/api/latest/search", 410, "CHANGE-2046"},
		{cl, "GET", "/rest/api/3/search/jql?jql=ORDER%20BY%20id", 400, "Unbounded JQL"},
		{cl, "GET", "/rest/api/3/search/jql?jql=project%3DAPO&fields=key", 200, `"isLast"`},
		{cl, "GET", "/rest/api/3/serverInfo", 200, `"deploymentType":"Cloud"`},
		{cl, "GET", "/rest/api/3/project/search", 200, `"isLast":true`},
		{cl, "GET", "/rest/api/3/issue/APO-999/changelog", 404, "Issue does not exist"},
		{dc, "GET", "/rest/api/2/serverInfo", 200, `"deploymentType":"Server"`},
		{dc, "POST", "/rest/api/3/search/jql", 404, ""},
		{dc, "GET", "/rest/api/3/project/search", 404, ""},
		{dc, "GET", "/rest/api/2/issue/APO-1/changelog", 404, ""},
		{dc, "GET", "/rest/api/2/search?jql=project%3DAPO&maxResults=1000", 200, `"maxResults":100`},
		{dc, "GET", "/rest/agile/1.0/board/302/sprint", 400, "does not support sprints"},
		{dc, "GET", "/rest/api/2/project/NOPE/versions", 404, "No project could be found with key 'NOPE'"},
	}
	for _, tc := range cases {
		st, _, b := tc.c.do(tc.method, tc.path, nil)
		if st != tc.status || !strings.Contains(string(b), tc.part) {
			t.Errorf("%s %s %s: %d %.300s; want %d with %q", tc.c.mode, tc.method, tc.path, st, b, tc.status, tc.part)
		}
	}
}

func TestPageCaps(t *testing.T) {
	for _, mode := range []Mode{Cloud, DataCenter} {
		s := mustNew(t, Config{Mode: mode, Issues: 1000, MaxResults: 37})
		c := newClient(t, s)
		res := c.walk(projectsJQL(s), 1000)
		if res.issues != 1000 || res.pages != (1000+36)/37 {
			t.Errorf("%s: %d issues in %d pages with a cap of 37", mode, res.issues, res.pages)
		}
	}
}

func TestChangelogPagingPerIssue(t *testing.T) {
	s := mustNew(t, Config{Mode: Cloud, Issues: 2000, Seed: 5})
	c := newClient(t, s)
	tr := s.Truth()
	long := 0
	for i := range s.org.n {
		key := s.org.key(i)
		if tr.ChangesByIssue[key] < 150 {
			continue
		}
		long++
		items, pages := 0, 0
		for start := 0; ; pages++ {
			var pg struct {
				StartAt, MaxResults, Total int
				IsLast                     bool
				Values                     []struct{ Items []json.RawMessage }
			}
			c.getJSON(fmt.Sprintf("/rest/api/3/issue/%s/changelog?startAt=%d&maxResults=500", key, start), &pg)
			if pg.MaxResults != 100 || len(pg.Values) > 100 {
				t.Fatalf("changelog page cap: maxResults %d, %d values", pg.MaxResults, len(pg.Values))
			}
			for _, v := range pg.Values {
				items += len(v.Items)
			}
			start += len(pg.Values)
			if pg.IsLast {
				break
			}
		}
		if items != tr.ChangesByIssue[key] || pages < 1 {
			t.Errorf("%s: %d items over %d pages, truth %d", key, items, pages+1, tr.ChangesByIssue[key])
		}
	}
	if long == 0 {
		t.Fatal("no issue with a long history")
	}
}

func TestTouchAndDelete(t *testing.T) {
	for _, mode := range []Mode{Cloud, DataCenter} {
		t.Run(string(mode), func(t *testing.T) {
			s := mustNew(t, Config{Mode: mode, Issues: 1500, Seed: 11})
			c := newClient(t, s)
			before := s.Truth()
			clock := s.st.clock
			keys := s.Touch(7)
			if len(keys) != 7 {
				t.Fatalf("Touch returned %v", keys)
			}
			after := s.Truth()
			if after.Changes != before.Changes+7 || after.Worklogs != before.Worklogs+7 || after.Issues != before.Issues {
				t.Errorf("truth after touch %+v, before %+v", after, before)
			}
			jql := "project in (APO, BOR, CAS) AND updated >= " + strconv.FormatInt(clock+1, 10) + " ORDER BY updated ASC, id ASC"
			got := c.walk(jql, 100)
			slices.Sort(got.keys)
			sorted := slices.Sorted(slices.Values(keys))
			if !slices.Equal(got.keys, sorted) {
				t.Errorf("updated >= clock found %v, touched %v", got.keys, keys)
			}
			// Delete two touched issues and one issue with links.
			s.Delete(keys[0], keys[1], s.org.key(3), "NOPE-1")
			del := s.Truth()
			if del.Issues != before.Issues-3 || del.Links >= before.Links {
				t.Errorf("truth after delete %+v", del)
			}
			res := c.walk(projectsJQL(s), 100)
			if res.issues != del.Issues || res.changes != del.Changes || res.worklogs != del.Worklogs || res.links != del.Links {
				t.Errorf("walk after delete: %+v; truth %+v", res, del)
			}
			if st, _, _ := c.do("GET", "/rest/api/2/issue/"+keys[0], nil); st != 404 {
				t.Errorf("deleted issue answers %d", st)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	s := mustNew(t, Config{Mode: DataCenter, Issues: 100, Faults: Faults{Rate: 0.2, Seed: 1,
		Kinds: []FaultKind{Fault429, Fault503, Fault500, Fault502, FaultTruncate, FaultSlow, FaultTimeout},
		Slow:  time.Millisecond, Timeout: 5 * time.Second}})
	c := newClient(t, s)
	// Long enough that an ordinary answer never times out on a loaded
	// machine under -race (which would make the sequence look random), short
	// enough that the ~12 injected timeouts per run stay cheap.
	c.hc.Timeout = 750 * time.Millisecond
	run := func() []string {
		var seq []string
		for range 400 {
			req, _ := http.NewRequest("GET", c.base+"/rest/api/2/search?jql=project%3DAPO&maxResults=5", nil)
			req.Header.Set("Authorization", "Bearer sim-pat")
			resp, err := c.hc.Do(req)
			if err != nil {
				var ue *url.Error
				if errors.As(err, &ue) && ue.Timeout() {
					seq = append(seq, "timeout")
				} else {
					seq = append(seq, "error")
				}
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case err != nil:
				seq = append(seq, "truncate")
			case resp.StatusCode == 429 || resp.StatusCode == 503:
				if resp.Header.Get("Retry-After") != "0" {
					t.Errorf("%d without Retry-After: 0: %v", resp.StatusCode, resp.Header)
				}
				if resp.StatusCode == 429 {
					if _, err := time.Parse("2006-01-02T15:04Z", resp.Header.Get("X-RateLimit-Reset")); err != nil {
						t.Errorf("X-RateLimit-Reset: %v", err)
					}
				}
				seq = append(seq, strconv.Itoa(resp.StatusCode))
			case resp.StatusCode != 200:
				seq = append(seq, strconv.Itoa(resp.StatusCode))
			case !json.Valid(b):
				seq = append(seq, "invalid")
			default:
				seq = append(seq, "ok")
			}
		}
		return seq
	}
	first := run()
	counts := map[string]int{}
	for _, x := range first {
		counts[x]++
	}
	failed := len(first) - counts["ok"]
	// 20% of requests get a fault; slow ones (1 kind in 7) still succeed,
	// so about 17% fail: 69 of 400.
	if failed < 45 || failed > 95 {
		t.Errorf("failures %d of %d: %v", failed, len(first), counts)
	}
	for _, k := range []string{"429", "503", "500", "502", "truncate", "timeout"} {
		if counts[k] == 0 {
			t.Errorf("no %s among %v", k, counts)
		}
	}
	if counts["invalid"] > 0 || counts["error"] > 0 {
		t.Errorf("unexpected outcomes %v", counts)
	}
	s.SetFaults(s.currentFaults()) // restarts the sequence
	if second := run(); !slices.Equal(first, second) {
		t.Errorf("fault sequence not deterministic")
	}
	t.Logf("outcomes: %v", counts)
}

// The organisation holds every edge case the KPIs care about.
func TestOrganisationContents(t *testing.T) {
	s := mustNew(t, Config{Issues: 5000, Seed: 2})
	o := s.org
	seen := map[string]int{}
	var d issue
	for i := range o.n {
		o.generate(i, &d, nil)
		seen["type "+issueTypes[d.typ].untrans]++
		seen["priority "+priorities[d.prio].name]++
		if len(d.hist) > 100 {
			seen[">100 histories"]++
		}
		if len(d.wl) > 20 {
			seen[">20 worklogs"]++
		}
		if d.due != 0 {
			seen["due date"]++
		}
		for b, l := range labelNames {
			if d.labels&(1<<b) != 0 {
				seen["label "+l]++
			}
		}
		if d.comps != 0 {
			seen["components"]++
		}
		if d.fix >= 0 {
			seen["fix version"]++
		}
		if d.epic >= 0 {
			seen["in epic"]++
		}
		if d.parent >= 0 {
			seen["sub-task parent"]++
		}
		for _, it := range d.items {
			switch it.kind {
			case kStatus:
				from, to := statuses[it.a], statuses[it.b]
				switch {
				case from.category == "done" && to.category != "done":
					seen["reopen"]++
				case from.category == "new" && to.category == "done":
					seen["skipped steps"]++
				case from.category == "indeterminate" && to.category == "new":
					seen["back to To Do"]++
				case to.name == "Blocked":
					seen["blocked"]++
				case to.untrans == "In Review":
					seen["review"]++
				}
			case kResolution:
				if it.b >= 0 {
					seen["resolution "+resolutions[it.b].name]++
				}
			case kSprint:
				nf, nt := it.fb-it.fa, it.tb-it.ta
				switch {
				case nt == nf+1 && nf > 0:
					seen["sprint carry-over or add"]++
				case nt == nf-1:
					seen["sprint removal"]++
				}
			case kStoryPts:
				if it.a >= 0 {
					seen["re-estimate"]++
				}
			case kLink:
				seen["link "+linkTypes[it.b].name]++
				if int(it.a)%len(o.projects) != d.proj {
					seen["link across projects"]++
				}
			case kFlagged:
				seen["flagged"]++
			case kWorkflow:
				seen["item without fieldId"]++
			case kDueDate:
				seen["due date moved"]++
			}
		}
	}
	for _, k := range []string{"type Epic", "type Story", "type Task", "type Bug", "type Risk", "type Sub-task",
		"priority Highest", "priority Lowest", ">100 histories", ">20 worklogs", "due date", "label production",
		"components", "fix version", "in epic", "sub-task parent", "reopen", "skipped steps", "back to To Do", "blocked",
		"review", "resolution Won't Do", "resolution Duplicate", "sprint carry-over or add", "sprint removal",
		"re-estimate", "link Blocks", "link Relates", "link across projects", "flagged", "item without fieldId",
		"label assumption", "label decision", "due date moved"} {
		if seen[k] == 0 {
			t.Errorf("no %q in the organisation", k)
		}
	}
	released, unreleased := 0, 0
	for _, v := range o.versions {
		if v.released {
			released++
		} else {
			unreleased++
		}
	}
	if released == 0 || unreleased == 0 {
		t.Errorf("versions: %d released, %d not", released, unreleased)
	}
	t.Logf("%v", seen)
}

func TestDeterministic(t *testing.T) {
	a, b := mustNew(t, Config{Issues: 2000, Seed: 77}), mustNew(t, Config{Issues: 2000, Seed: 77})
	if ta, tb := a.Truth(), b.Truth(); fmt.Sprint(ta) != fmt.Sprint(tb) {
		t.Fatal("same seed, different truth")
	}
	c := mustNew(t, Config{Issues: 2000, Seed: 78})
	if a.Truth().Changes == c.Truth().Changes {
		t.Error("different seeds, same number of changes")
	}
	ca, cb := newClient(t, a), newClient(t, b)
	for _, p := range []string{"/rest/api/3/search/jql?jql=project%3DBOR&fields=*all&expand=changelog&maxResults=100", "/rest/api/2/issue/APO-7?expand=changelog"} {
		_, _, x := ca.do("GET", p, nil)
		_, _, y := cb.do("GET", p, nil)
		x = []byte(strings.ReplaceAll(string(x), ca.base, ""))
		y = []byte(strings.ReplaceAll(string(y), cb.base, ""))
		if string(x) != string(y) {
			t.Errorf("%s: bytes differ between two servers with the same seed", p)
		}
	}
}

func TestLargeOrg(t *testing.T) {
	if testing.Short() {
		t.Skip("1M-issue index in -short mode")
	}
	s := mustNew(t, Config{Mode: DataCenter, Issues: 1_000_000, Seed: 1})
	tr := s.Truth()
	if tr.Issues != 1_000_000 || tr.Projects < 300 || tr.ChangesByIssue != nil {
		t.Fatalf("truth %+v", tr)
	}
	c := newClient(t, s)
	keys, st, body := searchKeys(c, "project = APO AND updated >= 1700000000000 ORDER BY updated ASC, id ASC", 100)
	if st != 200 || len(keys) != 100 {
		t.Fatalf("%d %d %s", st, len(keys), body)
	}
}

func TestRequestsAndFieldSelection(t *testing.T) {
	s := mustNew(t, Config{Mode: Cloud, Issues: 200})
	c := newClient(t, s)
	st, _, b := c.do("POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = APO", "fields": []string{"key"}, "maxResults": 2})
	if st != 200 || !strings.Contains(string(b), `"key":"APO-1"`) || !strings.Contains(string(b), `"fields":{}`) {
		t.Errorf("fields=key: %d %.300s", st, b)
	}
	st, _, b = c.do("POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = APO", "maxResults": 2})
	if st != 200 || !strings.HasPrefix(string(b), `{"issues":[{"id":"`) || strings.Contains(string(b), `"key"`) {
		t.Errorf("no fields: %d %.300s", st, b)
	}
	c.do("GET", "/rest/api/3/search?jql=project%3DAPO", nil)
	c.do("GET", "/rest/api/2/status", nil)
	got := s.Requests()
	if got["search"] != 2 || got["searchLegacy"] != 1 || got["status"] != 1 {
		t.Errorf("Requests() = %v", got)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Errorf("ResetRequests left %v", s.Requests())
	}
}

// Readers page while Touch and Delete change the organisation (run with -race).
func TestConcurrentChanges(t *testing.T) {
	s := mustNew(t, Config{Mode: Cloud, Issues: 1000, Seed: 4})
	c := newClient(t, s)
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 3 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				st, _, b := c.do("POST", "/rest/api/3/search/jql", map[string]any{"jql": "project in (APO, BOR) ORDER BY updated ASC, id ASC",
					"fields": []string{"*all"}, "expand": "changelog", "maxResults": 50})
				if st != 200 || !json.Valid(b) {
					errs <- fmt.Errorf("search during changes: %d", st)
					return
				}
			}
		}()
	}
	for k := range 20 {
		s.Touch(5)
		s.Delete(s.org.key(k * 7))
	}
	close(done)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	res := c.walk(projectsJQL(s), 100)
	if tr := s.Truth(); res.issues != tr.Issues || res.changes != tr.Changes || res.worklogs != tr.Worklogs || res.links != tr.Links {
		t.Errorf("walk %+v, truth %+v", res, tr)
	}
}

// Data Center clients may fetch startAt pages concurrently and out of order.
func TestDCPagesOutOfOrder(t *testing.T) {
	s := mustNew(t, Config{Mode: DataCenter, Issues: 2000, Seed: 6})
	c := newClient(t, s)
	jql := url.QueryEscape("project in (APO, BOR) ORDER BY updated ASC, id ASC")
	want := c.walk("project in (APO, BOR) ORDER BY updated ASC, id ASC", 100).keys
	var got []string
	for _, start := range []int{0, 300, 100, 200, 500, 400, 600, 1200, 700, 900, 800, 1100, 1000, 1300} {
		var pg struct{ Issues []wIssue }
		c.getJSON(fmt.Sprintf("/rest/api/2/search?fields=updated&maxResults=100&startAt=%d&jql=%s", start, jql), &pg)
		for k, is := range pg.Issues {
			if want[start+k] != is.Key {
				t.Fatalf("startAt %d item %d: %s, want %s", start, k, is.Key, want[start+k])
			}
			got = append(got, is.Key)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d issues, want %d", len(got), len(want))
	}
}
