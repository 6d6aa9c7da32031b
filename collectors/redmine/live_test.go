package redmine_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/redmine"
	"github.com/pmo-oss/pmo/internal/model"
)

// The change kinds the seed exercises.
var seededKinds = []model.ChangeKind{model.ChangeStatus, model.ChangeAssignee, model.ChangeOriginalEstimate,
	model.ChangeFixVersion, model.ChangePriority, model.ChangeDueDate, model.ChangeStoryPoints, model.ChangeParent,
	model.ChangeType, model.ChangeLink}

var shared struct {
	once sync.Once
	w    *world
}

// sharedWorld seeds once per test binary; the tests that change data seed
// their own world.
func sharedWorld(t *testing.T) (string, *world) {
	url, key := redmineServer(t)
	shared.once.Do(func() {
		start := time.Now()
		shared.w = seed(t, url, key, "alpha", "beta")
		t.Logf("seeded %d issues in %s", shared.w.issues, time.Since(start).Round(time.Millisecond))
	})
	if shared.w == nil {
		t.Fatal("seeding failed in an earlier test")
	}
	return url, shared.w
}

func collect(t *testing.T, cfg *redmine.Config, sink collectors.Sink, source string) collectors.Stats {
	t.Helper()
	c, err := redmine.New(source, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Collect(context.Background(), sink, collectors.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func truth(w *world) map[model.Kind]int {
	return map[model.Kind]int{model.KindProject: len(w.projects), model.KindStatus: 6, model.KindVersion: w.versions,
		model.KindIssue: w.issues, model.KindWorklog: w.worklogs, model.KindLink: w.links, model.KindIssueDeleted: 0}
}

// TestLiveCollect collects the seeded projects and checks the records
// against what was seeded.
func TestLiveCollect(t *testing.T) {
	url, w := sharedWorld(t)
	sink := collectortest.NewMemorySink()
	collect(t, w.config(url), sink, "rm")
	collectortest.CheckRecords(t, "rm", sink)
	collectortest.CheckChangeKinds(t, sink, seededKinds)
	collectortest.CheckCounts(t, sink.Counts(), truth(w))

	for _, r := range sink.Records(model.KindProject) {
		p := r.(model.Project)
		if p.CategoryID != strconv.FormatInt(w.program, 10) || p.Category != "Program "+w.prefix {
			t.Errorf("project %s: program %s %q, want the parent project %d", p.Key, p.CategoryID, p.Category, w.program)
		}
	}
	issues := map[string]model.Issue{}
	for _, r := range sink.Records(model.KindIssue) {
		is := r.(model.Issue)
		issues[is.ID] = is
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	done := issues[id(w.closed)]
	if done.StatusCategory != model.CategoryDone || done.Resolved == nil || done.Resolution != "Closed" ||
		done.StoryPoints == nil || *done.StoryPoints != 5 || done.OriginalEstimateSeconds == nil || *done.OriginalEstimateSeconds != 6*3600 ||
		done.AssigneeID != id(w.dev2) || done.Priority != "High" || len(done.FixVersionIDs) != 1 || done.DueDate == nil ||
		done.Key != w.projects[0]+"-"+id(w.closed) || done.TimeSpentSeconds == nil || *done.TimeSpentSeconds != 4*3600 {
		t.Errorf("closed issue: %+v", done)
	}
	if rej := issues[id(w.rejected)]; rej.StatusCategory != model.CategoryDone || rej.Resolution != "Won't Do" || rej.Type != "Bug" {
		t.Errorf("rejected issue: category %s resolution %q type %s", rej.StatusCategory, rej.Resolution, rej.Type)
	}
	if sub := issues[id(w.sub)]; sub.ParentID == "" {
		t.Errorf("sub-task has no parent: %+v", sub)
	}

	// The closed issue's history, journal by journal (kinds sorted within one).
	type item struct {
		journal, item int
		text          string
	}
	var items []item
	for _, r := range sink.Records(model.KindChange) {
		c := r.(model.Change)
		if c.IssueID == id(w.closed) && c.ChangeKind != model.ChangeOther {
			j, _ := strconv.Atoi(c.ChangeID)
			text := string(c.ChangeKind)
			if c.ChangeKind == model.ChangeStatus || c.ChangeKind == model.ChangeOriginalEstimate || c.ChangeKind == model.ChangeStoryPoints {
				text += fmt.Sprintf(" %s>%s", c.From, c.To)
			}
			if c.ChangeKind == model.ChangeStatus {
				text += fmt.Sprintf(" %s>%s", c.FromCategory, c.ToCategory)
			}
			items = append(items, item{j, c.Item, text})
		}
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Or(cmp.Compare(a.journal, b.journal), cmp.Compare(a.item, b.item)) })
	var hist []string
	for i := 0; i < len(items); {
		var group []string
		j := i
		for ; j < len(items) && items[j].journal == items[i].journal; j++ {
			group = append(group, items[j].text)
		}
		slices.Sort(group)
		hist = append(hist, strings.Join(group, ", "))
		i = j
	}
	st := func(a, b int64) string { return id(a) + ">" + id(b) }
	want := []string{
		"assignee, status " + st(w.statusNew, w.statusInProgress) + " new>indeterminate",
		"original_estimate 14400>21600, priority, story_points 3>5",
		"assignee, due_date, fix_version, fix_version",
		"status " + st(w.statusInProgress, w.statusResolved) + " indeterminate>indeterminate",
		"status " + st(w.statusResolved, w.statusClosed) + " indeterminate>done",
		"link",
	}
	if !slices.Equal(hist, want) {
		t.Errorf("history of the closed issue, by journal:\n%s\nwant\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
	}
	// The blocking link, from both sides.
	var texts []string
	for _, r := range sink.Records(model.KindChange) {
		if c := r.(model.Change); c.ChangeKind == model.ChangeLink {
			texts = append(texts, c.ToString+c.FromString)
		}
	}
	blockerKey := w.projects[0] + "-" + id(w.blocker)
	if !slices.ContainsFunc(texts, func(s string) bool { return s == "is blocked by "+blockerKey }) {
		t.Errorf("no link change 'is blocked by %s' among %q", blockerKey, texts)
	}
	var blocks int
	for _, r := range sink.Records(model.KindLink) {
		if l := r.(model.Link); l.Type == "Blocks" && l.FromIssueID != "" && l.ToIssueID != "" {
			blocks++
		}
	}
	if blocks != 1 {
		t.Errorf("%d Blocks links, want 1", blocks)
	}
}

// TestLiveConformance runs the collectors' conformance suite on the seeded
// projects.
func TestLiveConformance(t *testing.T) {
	url, w := sharedWorld(t)
	collectortest.Run(t, collectortest.Suite{
		New: func(t *testing.T) collectors.Collector {
			c, err := redmine.New("rm-conf", w.config(url))
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Truth:       func(t *testing.T) map[model.Kind]int { return truth(w) },
		ChangeKinds: seededKinds,
		RerunRequests: func(t *testing.T, st collectors.Stats) {
			// Fixed: users/current, statuses, trackers, priorities, custom
			// fields, projects; per project versions, one issue page, one
			// time entry page. Then only issues updated within the overlap
			// (all of them here: they were just seeded).
			fixed := int64(6 + 3*len(w.projects))
			if st.Requests > fixed+int64(w.issues) {
				t.Errorf("re-run made %d requests, want at most %d + %d issues", st.Requests, fixed, w.issues)
			}
		},
	})
}

// proxy is a reverse proxy in front of the real Redmine that counts the
// issue detail requests and can inject faults: every n-th request gets, in
// turn, a 429, a 500, a 503, no answer (a timeout) or a cut connection.
type proxy struct {
	*httptest.Server
	mu      sync.Mutex
	details []string // issue ids read with issues/{id}.json
	every   int      // every n-th request is answered with a fault (0: none)
	n       int
	lists   int            // issue list requests of a project seen
	onList  func(list int) // called before the list-th one is answered
	faults  atomic.Int64
}

func newProxy(t *testing.T, target string, every int) *proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{every: every}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		fault := -1
		p.n++
		if p.every > 0 && p.n%p.every == 0 {
			fault = (p.n / p.every) % 5 // the five faults in turn
		}
		var hook func()
		if fault < 0 {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/issues/"); ok {
				p.details = append(p.details, strings.TrimSuffix(rest, ".json"))
			}
			if r.URL.Path == "/issues.json" && r.URL.Query().Get("project_id") != "" {
				p.lists++
				if on, n := p.onList, p.lists; on != nil {
					hook = func() { on(n) }
				}
			}
		}
		p.mu.Unlock()
		if hook != nil {
			hook()
		}
		if fault >= 0 {
			p.faults.Add(1)
		}
		switch fault {
		case 0:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case 1:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 2:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case 3: // a timeout: no answer until the client gives up
			<-r.Context().Done()
		case 4: // the connection drops mid-answer
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte(`{"issues":[`))
			w.(http.Flusher).Flush()
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0)
					}
					_ = c.Close()
				}
			}
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) readDetails() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.details)
	p.details = p.details[:0]
	slices.Sort(out)
	return slices.Compact(out)
}

// TestLiveFaults collects through a proxy that answers about 20 % of the
// requests with 429, 500, 503, a timeout or a cut connection, and expects
// exactly the records of a clean collection.
func TestLiveFaults(t *testing.T) {
	url, w := sharedWorld(t)
	p := newProxy(t, url, 0)
	clean := collectortest.NewMemorySink()
	collect(t, w.config(p.URL), clean, "rm-faults")

	p.every = 5 // 20 %
	cfg := w.config(p.URL)
	cfg.Timeout = 2 * time.Second // what a timeout fault costs; a loaded machine's Redmine answers well within it
	cfg.Retry.MaxAttempts = 20
	faulty := collectortest.NewMemorySink()
	st := collect(t, cfg, faulty, "rm-faults")
	if p.faults.Load() == 0 || st.Retries < p.faults.Load() {
		t.Errorf("%d faults injected, %d retries: want faults, each retried", p.faults.Load(), st.Retries)
	}
	want, got := clean.DigestByKind(), faulty.DigestByKind()
	for _, k := range model.Kinds {
		if want[k] != got[k] {
			t.Errorf("%s differ from a clean collection (%d vs %d records)", k, len(faulty.Records(k)), len(clean.Records(k)))
		}
	}
	t.Logf("%d requests, %d faults injected, %d retries", st.Requests, p.faults.Load(), st.Retries)
}

// TestLiveIncremental changes and deletes issues between runs: each re-run
// reads again only the changed issues and those in the cursor's tie
// (Redmine's updated_on >= filter matches from one second before the
// cursor), finds the deleted issue, and leaves no duplicate.
func TestLiveIncremental(t *testing.T) {
	url, key := redmineServer(t)
	w := seed(t, url, key, "gamma")
	p := newProxy(t, url, 0)
	cfg := w.config(p.URL)
	cfg.Overlap = 0                      // the tie only: the default 10m would re-read everything just seeded
	cfg.ReconcileEvery = time.Nanosecond // look for deletions on every run
	sink := collectortest.NewMemorySink()
	id := func(n int64) string { return strconv.FormatInt(n, 10) }

	// run collects once more and returns the issues read one by one and
	// the issues the next run may read again unchanged (the tie).
	run := func() (read []string, tie map[string]bool, st collectors.Stats) {
		st = collect(t, cfg, sink, "rm-inc")
		read = p.readDetails()
		cursors := map[string]time.Time{} // per project identifier
		for _, h := range sink.CursorHistory() {
			if ident, ok := strings.CutPrefix(h.Name, "issues_updated:"); ok {
				cursors[ident], _ = time.Parse(time.RFC3339, h.Value)
			}
		}
		tie = map[string]bool{}
		for _, r := range sink.Records(model.KindIssue) {
			if is := r.(model.Issue); !is.Updated.Before(cursors[is.ProjectKey].Add(-time.Second)) {
				tie[is.ID] = true
			}
		}
		return read, tie, st
	}
	check := func(name string, read []string, allowed map[string]bool, must ...int64) {
		t.Helper()
		for _, d := range read {
			if !allowed[d] {
				t.Errorf("%s read unchanged issue %s outside the cursor's tie (read %v, allowed %v)", name, d, read, allowed)
			}
		}
		for _, m := range must {
			if !slices.Contains(read, id(m)) {
				t.Errorf("%s did not read the changed issue %d (read %v)", name, m, read)
			}
		}
	}

	// Run 1 pages two issues at a time, and before its second page the
	// issue read first is updated: it moves to the end of the order. Paged
	// by offset, the walk would then skip an issue.
	cfg.PageSize = 2
	p.onList = func(n int) {
		if n == 2 {
			if err := touchOldest(url, key, w.projects[0]); err != nil {
				t.Errorf("updating an issue during the walk: %v", err)
			}
		}
	}
	first, tie, _ := run()
	p.onList, cfg.PageSize = nil, 100
	if len(first) != w.issues || sink.Counts()[model.KindIssue] != w.issues {
		t.Errorf("first run read %d issues and stored %d, want %d", len(first), sink.Counts()[model.KindIssue], w.issues)
	}
	// Run 2: a status change in each project, a deleted sub-task (which
	// also updates its parent).
	w.update(w.blocker, map[string]any{"status_id": w.statusInProgress})
	w.do(http.MethodDelete, fmt.Sprintf("issues/%d.json", w.sub), nil, nil)
	// Time: one entry spent yesterday (inside the re-read window), one
	// backdated 60 days (outside it: seen at the next full re-read).
	logTime := func(daysAgo int) {
		w.create("time_entries.json", "time_entry", map[string]any{"issue_id": w.closed, "hours": 0.5,
			"spent_on": time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly), "activity_id": w.activity})
	}
	logTime(1)
	logTime(60)
	before := sink.Counts()
	second, tie2, st2 := run()
	allowed := maps.Clone(tie)
	allowed[id(w.blocker)] = true
	allowed[id(w.blocked)] = true // the deleted sub-task's parent, updated by the deletion
	check("run 2", second, allowed, w.blocker)
	after := sink.Counts()
	if after[model.KindWorklog] != before[model.KindWorklog]+1 {
		t.Errorf("run 2 has %d worklogs, want %d: the entry spent yesterday, not the one 60 days back", after[model.KindWorklog], before[model.KindWorklog]+1)
	}
	if after[model.KindIssue] != before[model.KindIssue]-1 || after[model.KindIssueDeleted] != 1 {
		t.Errorf("after deleting one issue: issues %d → %d, deletions %d", before[model.KindIssue], after[model.KindIssue], after[model.KindIssueDeleted])
	}
	for _, r := range sink.Records(model.KindIssueDeleted) {
		if d := r.(model.IssueDeleted); d.IssueID != id(w.sub) {
			t.Errorf("deleted %s, want %d", d.IssueID, w.sub)
		}
	}
	for _, r := range sink.Records(model.KindIssue) {
		if is := r.(model.Issue); is.ID == id(w.blocker) && is.StatusID != id(w.statusInProgress) {
			t.Errorf("changed issue %s has status %s, want %d", is.ID, is.StatusID, w.statusInProgress)
		}
	}

	// Run 3: one more change; the tie is now the issues changed for run 2.
	w.update(w.rejected, map[string]any{"notes": "looked at it again", "priority_id": w.priorityHigh})
	cfg.TimeEntries.FullEvery = time.Nanosecond // a full time entry re-read is due
	third, _, st3 := run()
	if got := sink.Counts()[model.KindWorklog]; got != after[model.KindWorklog]+1 {
		t.Errorf("run 3 (full time entry re-read) has %d worklogs, want %d", got, after[model.KindWorklog]+1)
	}
	allowed = maps.Clone(tie2)
	allowed[id(w.rejected)] = true
	check("run 3", third, allowed, w.rejected)
	if dups := sink.Counts()[model.KindIssue]; dups != w.issues-1 {
		t.Errorf("%d issues after three runs, want %d", dups, w.issues-1)
	}
	t.Logf("run 2: %d requests, %d issues read again; run 3: %d requests, %d issues read again (%v)",
		st2.Requests, len(second), st3.Requests, len(third), third)
}

// touchOldest adds a note to the least recently updated issue of a project.
func touchOldest(base, key, project string) error {
	do := func(method, path string, body io.Reader, out any) error {
		req, err := http.NewRequestWithContext(context.Background(), method, base+"/"+path, body)
		if err != nil {
			return err
		}
		req.Header.Set("X-Redmine-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		if out != nil {
			return json.NewDecoder(resp.Body).Decode(out)
		}
		return nil
	}
	var pg struct {
		Issues []struct {
			ID int64 `json:"id"`
		} `json:"issues"`
	}
	if err := do(http.MethodGet, "issues.json?status_id=*&sort=updated_on,id&limit=1&project_id="+project, nil, &pg); err != nil {
		return err
	}
	if len(pg.Issues) == 0 {
		return errors.New("no issue")
	}
	return do(http.MethodPut, fmt.Sprintf("issues/%d.json", pg.Issues[0].ID), strings.NewReader(`{"issue":{"notes":"touched during the walk"}}`), nil)
}

// TestLiveBadKey: a wrong key is refused with an auth error naming the key
// setting, and the key never shows.
func TestLiveBadKey(t *testing.T) {
	url, w := sharedWorld(t)
	cfg := w.config(url)
	cfg.Auth.APIKey = "0123456789abcdef-not-a-key"
	c, err := redmine.New("rm-bad", cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Collect(context.Background(), collectortest.NewMemorySink(), collectors.Options{})
	if err == nil || collectors.ErrorKind(err) != collectors.KindAuth || !strings.Contains(err.Error(), "auth.api_key") ||
		strings.Contains(err.Error(), "not-a-key") {
		t.Errorf("bad key: %v (kind %s)", err, collectors.ErrorKind(err))
	}
}
