// Package jira collects Jira Cloud and Jira Data Center: projects, statuses,
// boards, sprints, versions, issues with their complete changelogs,
// worklogs and links. See README.md.
package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
	"github.com/pmo-oss/pmo/internal/model"
)

func init() {
	collectors.Register(collectors.Type{
		Name:        "jira",
		Description: "Jira Cloud and Jira Data Center (REST API v2/v3 and Agile 1.0)",
		NewConfig:   func() collectors.SourceConfig { return NewConfig() },
		New: func(source string, cfg collectors.SourceConfig) (collectors.Collector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("source %s: jira collector got a %T config", source, cfg)
			}
			return New(source, c)
		},
	})
}

// Collector reads one Jira site.
type Collector struct {
	source string
	cfg    Config
	// now is the clock; tests may replace it.
	now func() time.Time
}

// New returns a collector for a validated config.
func New(source string, cfg *Config) (*Collector, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("source %s: %w", source, errors.Join(errs...))
	}
	return &Collector{source: source, cfg: *cfg, now: time.Now}, nil
}

// Source implements collectors.Collector.
func (c *Collector) Source() string { return c.source }

// Cursor names.
const (
	cursorReconciled = "reconciled_at"
)

func (c *Collector) cursorName(projectKey string) string {
	n := "issues_updated:" + projectKey
	if c.cfg.JQL != "" {
		h := fnv.New32a()
		h.Write([]byte(c.cfg.JQL))
		n += fmt.Sprintf(":jql%08x", h.Sum32())
	}
	return n
}

// run is the state of one collection.
type run struct {
	c      *Collector
	cl     *client
	sink   collectors.Sink
	opts   collectors.Options
	log    *slog.Logger
	cloud  bool
	m      *mapper
	start  time.Time
	stats  collectors.Stats
	mu     sync.Mutex // guards stats.Records, seenLinks
	links  map[string]struct{}
	issues int64
}

// Collect implements collectors.Collector.
func (c *Collector) Collect(ctx context.Context, sink collectors.Sink, opts collectors.Options) (collectors.Stats, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", c.source)
	cl, err := newClient(c.source, &c.cfg, log)
	if err != nil {
		return collectors.Stats{Source: c.source}, collectors.ForSource(c.source, err)
	}
	r := &run{c: c, cl: cl, sink: sink, opts: opts, log: log, start: c.now().UTC(),
		stats: collectors.Stats{Source: c.source, Records: map[model.Kind]int64{}}, links: map[string]struct{}{}}
	err = r.collect(ctx)
	r.stats.Requests = cl.requests.Load()
	r.stats.Retries = cl.retries.Load()
	r.stats.Duration = c.now().Sub(r.start)
	if err != nil {
		return r.stats, collectors.ForSource(c.source, err)
	}
	return r.stats, nil
}

func (r *run) put(ctx context.Context, recs ...model.Record) error {
	if len(recs) == 0 {
		return nil
	}
	r.mu.Lock()
	for _, rec := range recs {
		r.stats.Records[rec.Kind()]++
	}
	r.mu.Unlock()
	return r.sink.Put(ctx, recs...)
}

func (r *run) progress(phase string, done, total int64) {
	if r.opts.Progress == nil {
		return
	}
	r.mu.Lock()
	seen := r.issues
	r.mu.Unlock()
	r.opts.Progress(collectors.Progress{Source: r.c.source, Phase: phase, Done: done, Total: total, IssuesSeen: seen})
}

func (r *run) collect(ctx context.Context) error {
	if err := r.detect(ctx); err != nil {
		return err
	}
	if err := r.statuses(ctx); err != nil {
		return err
	}
	projects, err := r.projects(ctx)
	if err != nil {
		return err
	}
	if err := r.versions(ctx, projects); err != nil {
		return err
	}
	if err := r.boards(ctx, projects); err != nil {
		return err
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing projects, statuses, boards, sprints and versions: %w", err)
	}
	reconcile, err := r.reconcileDue(ctx)
	if err != nil {
		return err
	}
	for i, p := range projects {
		had, err := r.issuesOf(ctx, p)
		if err != nil {
			return err
		}
		if reconcile && had {
			if err := r.reconcileProject(ctx, p); err != nil {
				return err
			}
		}
		r.progress("projects", int64(i+1), int64(len(projects)))
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing issues: %w", err)
	}
	if reconcile {
		if err := r.sink.SetCursor(ctx, r.c.source, cursorReconciled, r.start.Format(time.RFC3339)); err != nil {
			return fmt.Errorf("storing cursor %s: %w", cursorReconciled, err)
		}
	}
	return nil
}

// detect reads serverInfo (deployment and base URL) and the field list.
func (r *run) detect(ctx context.Context) error {
	var si wServerInfo
	if err := r.cl.getJSON(ctx, "rest/api/2/serverInfo", &si); err != nil {
		return fmt.Errorf("reading server info (is url the Jira base URL?): %w", err)
	}
	switch r.c.cfg.Deployment {
	case DeploymentCloud:
		r.cloud = true
	case DeploymentDataCenter:
		r.cloud = false
	default:
		r.cloud = strings.EqualFold(si.DeploymentType, "Cloud")
	}
	r.log.Debug("Jira server", "deploymentType", si.DeploymentType, "version", si.Version, "cloud", r.cloud)
	var defs []gojira.Field
	if err := r.cl.getJSON(ctx, "rest/api/2/field", &defs); err != nil {
		return fmt.Errorf("reading the field list: %w", err)
	}
	r.m = &mapper{source: r.c.source, baseURL: r.cl.base.String(), fields: DetectFields(defs, r.c.cfg.Fields),
		categories: map[string]model.StatusCategory{}}
	if r.m.fields.Sprint == "" {
		r.log.Warn("no Sprint field found (schema com.pyxis.greenhopper.jira:gh-sprint); set fields.sprint to collect issue sprints")
	}
	if len(r.m.fields.StoryPoints) == 0 {
		r.log.Warn("no story points field found; set fields.story_points to collect story points")
	}
	return nil
}

func (r *run) statuses(ctx context.Context) error {
	var ws []wStatus
	if err := r.cl.getJSON(ctx, "rest/api/2/status", &ws); err != nil {
		return fmt.Errorf("reading statuses: %w", err)
	}
	recs := make([]model.Record, 0, len(ws))
	for _, w := range ws {
		s := r.m.status(w)
		r.m.categories[s.ID] = s.Category
		recs = append(recs, s)
	}
	r.progress("statuses", int64(len(recs)), int64(len(recs)))
	return r.put(ctx, recs...)
}

func (r *run) projects(ctx context.Context) ([]model.Project, error) {
	var all []wProject
	if r.cloud {
		for startAt := 0; ; {
			var pg wProjectPage
			q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"50"}, "expand": {"lead"}}
			if err := r.cl.getJSON(ctx, "rest/api/3/project/search?"+q.Encode(), &pg); err != nil {
				return nil, fmt.Errorf("listing projects: %w", err)
			}
			all = append(all, pg.Values...)
			startAt += len(pg.Values)
			if pg.IsLast || len(pg.Values) == 0 || (pg.Total > 0 && startAt >= pg.Total) {
				break
			}
		}
	} else {
		if err := r.cl.getJSON(ctx, "rest/api/2/project", &all); err != nil {
			return nil, fmt.Errorf("listing projects: %w", err)
		}
	}
	byKey := map[string]wProject{}
	for _, p := range all {
		byKey[strings.ToUpper(p.Key)] = p
	}
	var out []model.Project
	var recs []model.Record
	var missing []string
	for _, k := range r.c.cfg.Projects {
		w, ok := byKey[strings.ToUpper(k)]
		if !ok {
			missing = append(missing, k)
			continue
		}
		p := r.m.project(w)
		out = append(out, p)
		recs = append(recs, p)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("projects: %s not found on %s (check the keys and that the account may browse them)",
			strings.Join(missing, ", "), httpapi.Redact(r.cl.base))
	}
	r.m.collected = map[string]bool{}
	for _, p := range out {
		r.m.collected[strings.ToUpper(p.Key)] = true
	}
	r.progress("projects", 0, int64(len(out)))
	return out, r.put(ctx, recs...)
}

func (r *run) versions(ctx context.Context, projects []model.Project) error {
	for _, p := range projects {
		var ws []wVersion
		if err := r.cl.getJSON(ctx, "rest/api/2/project/"+url.PathEscape(p.Key)+"/versions", &ws); err != nil {
			return fmt.Errorf("reading versions of project %s: %w", p.Key, err)
		}
		recs := make([]model.Record, 0, len(ws))
		for _, w := range ws {
			v, err := r.m.version(w, p.ID, r.start)
			if err != nil {
				return fmt.Errorf("project %s: %w", p.Key, err)
			}
			recs = append(recs, v)
		}
		if err := r.put(ctx, recs...); err != nil {
			return err
		}
	}
	return nil
}

// boards reads the boards located in the collected projects and all their sprints.
func (r *run) boards(ctx context.Context, projects []model.Project) error {
	pids := map[string]bool{}
	for _, p := range projects {
		pids[p.ID] = true
	}
	var boards []wBoard
	for startAt := 0; ; {
		var pg wBoardPage
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"50"}}
		if err := r.cl.getJSON(ctx, "rest/agile/1.0/board?"+q.Encode(), &pg); err != nil {
			var he *HTTPError
			if errors.As(err, &he) && (he.Status == 404 || he.Status == 403) && startAt == 0 {
				r.log.Warn("Jira Software (agile) API not available: no boards or sprints collected", "error", err.Error())
				return nil
			}
			return fmt.Errorf("listing boards: %w", err)
		}
		boards = append(boards, pg.Values...)
		startAt += len(pg.Values)
		if pg.IsLast || len(pg.Values) == 0 || (pg.Total > 0 && startAt >= pg.Total) {
			break
		}
	}
	seenSprint := map[string]bool{}
	var done int64
	for _, w := range boards {
		b := r.m.board(w)
		if !pids[b.ProjectID] {
			continue
		}
		if err := r.put(ctx, b); err != nil {
			return err
		}
		for startAt := 0; ; {
			var pg wSprintPage
			q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"50"}}
			if err := r.cl.getJSON(ctx, "rest/agile/1.0/board/"+url.PathEscape(b.ID)+"/sprint?"+q.Encode(), &pg); err != nil {
				var he *HTTPError
				if errors.As(err, &he) && he.Status == 400 {
					break // kanban boards do not support sprints
				}
				return fmt.Errorf("listing sprints of board %s (%s): %w", b.ID, b.Name, err)
			}
			for _, ws := range pg.Values {
				if seenSprint[string(ws.ID)] {
					continue
				}
				seenSprint[string(ws.ID)] = true
				s, err := r.m.sprint(ws, b.ID)
				if err != nil {
					return fmt.Errorf("board %s: %w", b.ID, err)
				}
				if err := r.put(ctx, s); err != nil {
					return err
				}
			}
			startAt += len(pg.Values)
			if pg.IsLast || len(pg.Values) == 0 {
				break
			}
		}
		done++
		r.progress("boards", done, 0)
	}
	return nil
}

// searchFields are the issue fields requested (custom ones are added).
var searchFields = []string{"project", "summary", "issuetype", "status", "resolution", "priority", "assignee",
	"reporter", "created", "updated", "resolutiondate", "duedate", "labels", "components", "fixVersions", "versions",
	"parent", "issuelinks", "timeoriginalestimate", "timeestimate", "timespent", "environment", "worklog"}

func jqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// issuesOf collects the issues of one project updated since its cursor. It
// reports whether the project had a cursor (a previous run).
func (r *run) issuesOf(ctx context.Context, p model.Project) (bool, error) {
	name := r.c.cursorName(p.Key)
	var since int64 = -1
	val, had, err := r.sink.Cursor(ctx, r.c.source, name)
	if err != nil {
		return false, fmt.Errorf("reading cursor %s: %w", name, err)
	}
	if had && !r.opts.Full {
		ms, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			r.log.Warn("ignoring unreadable cursor; reading the project in full", "cursor", name, "value", val)
		} else {
			since = ms - r.c.cfg.Overlap.Milliseconds()
		}
	}
	var stored int64 = -1
	if had {
		stored, _ = strconv.ParseInt(val, 10, 64)
	}
	jql := "project = " + jqlQuote(p.Key)
	if r.c.cfg.JQL != "" {
		jql = "(" + r.c.cfg.JQL + ") AND " + jql
	}
	if since >= 0 {
		since = max(0, since)
	}
	fields := append(append([]string(nil), searchFields...), r.m.fields.ids()...)

	maxUpdated := stored
	var done int64
	pages := 0
	err = r.walkIssues(ctx, jql, since, fields, func(pg *wSearchPage, total int64) error {
		parts := make([]issueParts, len(pg.Issues))
		for i := range pg.Issues {
			ip, err := r.m.issue(&pg.Issues[i])
			if err != nil {
				return fmt.Errorf("project %s: %w", p.Key, err)
			}
			parts[i] = ip
		}
		if err := r.followUps(ctx, pg.Issues, parts); err != nil {
			return err
		}
		for i := range parts {
			if err := r.putIssue(ctx, &parts[i]); err != nil {
				return err
			}
			if ms := parts[i].Issue.Updated.UnixMilli(); ms > maxUpdated {
				maxUpdated = ms
			}
		}
		done += int64(len(parts))
		r.mu.Lock()
		r.issues += int64(len(parts))
		r.mu.Unlock()
		r.progress("issues", done, total)
		pages++
		// Checkpoint now and then so a killed run resumes near where it stopped.
		if pages%20 == 0 && maxUpdated > stored {
			if err := r.sink.SetCursor(ctx, r.c.source, name, strconv.FormatInt(maxUpdated, 10)); err != nil {
				return fmt.Errorf("storing cursor %s: %w", name, err)
			}
			stored = maxUpdated
		}
		return nil
	})
	if err != nil {
		return had, fmt.Errorf("searching issues of project %s: %w", p.Key, err)
	}
	if maxUpdated > stored || !had {
		v := maxUpdated
		if v < 0 {
			v = 0
		}
		if err := r.sink.SetCursor(ctx, r.c.source, name, strconv.FormatInt(v, 10)); err != nil {
			return had, fmt.Errorf("storing cursor %s: %w", name, err)
		}
	}
	return had, nil
}

func (r *run) putIssue(ctx context.Context, ip *issueParts) error {
	recs := make([]model.Record, 0, 1+len(ip.Changes)+len(ip.Worklogs)+len(ip.Links))
	recs = append(recs, ip.Issue)
	for _, c := range ip.Changes {
		recs = append(recs, c)
	}
	for _, w := range ip.Worklogs {
		recs = append(recs, w)
	}
	r.mu.Lock()
	for _, l := range ip.Links {
		if _, dup := r.links[l.ID]; dup {
			continue
		}
		r.links[l.ID] = struct{}{}
		recs = append(recs, l)
	}
	r.mu.Unlock()
	return r.put(ctx, recs...)
}

// searchPage fetches one page of a JQL search: on Cloud the enhanced
// search (continued by token), on Data Center /rest/api/2/search (continued
// by startAt).
func (r *run) searchPage(ctx context.Context, jql string, fields []string, changelog bool, startAt int, token string) (*wSearchPage, error) {
	pg := &wSearchPage{}
	if r.cloud {
		body := map[string]any{"jql": jql, "fields": fields, "maxResults": r.c.cfg.PageSize}
		if changelog {
			body["expand"] = "changelog"
		}
		if token != "" {
			body["nextPageToken"] = token
		}
		return pg, r.cl.postJSON(ctx, "rest/api/3/search/jql", body, pg)
	}
	q := url.Values{"jql": {jql}, "startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(r.c.cfg.PageSize)},
		"fields": {strings.Join(fields, ",")}}
	if changelog {
		q.Set("expand", "changelog")
	}
	return pg, r.cl.getJSON(ctx, "rest/api/2/search?"+q.Encode(), pg)
}

// lastPage reports whether pg, fetched at startAt (Data Center), ends its query.
func (r *run) lastPage(pg *wSearchPage, startAt int) bool {
	if len(pg.Issues) == 0 {
		return true
	}
	if r.cloud {
		return pg.NextPageToken == "" || (pg.IsLast != nil && *pg.IsLast)
	}
	return startAt+len(pg.Issues) >= pg.Total
}

// pageResult is one page handed from a fetching goroutine to its consumer.
type pageResult struct {
	pg    *wSearchPage
	total int64
	err   error
}

// pipeline runs produce in a goroutine that fetches one page ahead of
// consume, so the network and the mapping overlap.
func pipeline(ctx context.Context, produce func(ctx context.Context, send func(pageResult) bool),
	consume func(pg *wSearchPage, total int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan pageResult, 1)
	go func() {
		defer close(ch)
		produce(ctx, func(res pageResult) bool {
			select {
			case ch <- res:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	for res := range ch {
		if res.err != nil {
			return res.err
		}
		if err := consume(res.pg, res.total); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// search pages through a JQL search in the server's own way (token or
// startAt), calling fn for each page. It suits queries whose result does
// not move while it is read (listing ids by id); walkIssues is the robust
// walk over issues that are being updated.
func (r *run) search(ctx context.Context, jql string, fields []string, changelog bool,
	fn func(pg *wSearchPage, total int64) error) error {
	return pipeline(ctx, func(ctx context.Context, send func(pageResult) bool) {
		startAt, token := 0, ""
		for {
			pg, err := r.searchPage(ctx, jql, fields, changelog, startAt, token)
			if err != nil {
				send(pageResult{err: err})
				return
			}
			if !send(pageResult{pg: pg, total: int64(pg.Total)}) || r.lastPage(pg, startAt) {
				return
			}
			startAt += len(pg.Issues)
			token = pg.NextPageToken
		}
	}, fn)
}

// maxExclude bounds the ids listed in "id not in (…)" by walkIssues.
const maxExclude = 100

// issueMark is an issue's place in the order "updated ASC, id ASC".
type issueMark struct {
	updated int64 // ms
	id      string
}

func (a issueMark) after(b issueMark) bool {
	if a.updated != b.updated {
		return a.updated > b.updated
	}
	if len(a.id) != len(b.id) { // numeric ids: shorter is smaller
		return len(a.id) > len(b.id)
	}
	return a.id > b.id
}

func markOf(w *wIssue) (issueMark, error) {
	var u flexString
	if raw, ok := w.Fields["updated"]; ok {
		if err := json.Unmarshal(raw, &u); err != nil {
			return issueMark{}, fmt.Errorf("issue %s: field updated: %w", w.Key, err)
		}
	}
	if u == "" {
		return issueMark{}, fmt.Errorf("issue %s: field updated missing from the search answer", w.Key)
	}
	t, err := parseTime(string(u))
	if err != nil {
		return issueMark{}, fmt.Errorf("issue %s: field updated: %w", w.Key, err)
	}
	return issueMark{updated: t.UnixMilli(), id: string(w.ID)}, nil
}

// walkIssues reads the issues matching base (a JQL condition without ORDER
// BY) updated at or after since (ms; <0: all), in the order updated ASC,
// id ASC, calling fn with each page of issues not handed out before.
//
// It pages by keyset rather than by offset or by the server's page token:
// each request asks again for "updated >= <updated of the last issue read>
// AND id not in (<the issues read at that instant>)". An issue updated while
// the walk runs moves to the end of the order; with offsets the issues
// behind it would shift back one place and one would be skipped, with
// keysets nothing moves under the walk and the updated issue is read again
// at its new place. Issues at or before the last one read are dropped, so a
// server that compares dates coarser than milliseconds only costs requests.
// When the issues of a single instant outnumber maxExclude, or a request
// brings nothing new, the walk continues the current query by startAt or
// token instead, so it always terminates.
func (r *run) walkIssues(ctx context.Context, base string, since int64, fields []string,
	fn func(pg *wSearchPage, total int64) error) error {
	return pipeline(ctx, func(ctx context.Context, send func(pageResult) bool) {
		lower := since
		var exclude []string // ids read at instant lower, in the query
		var last issueMark   // the last issue handed out
		var tie []string     // ids handed out at instant last.updated
		have := false
		startAt, token := 0, ""
		var total int64 = -1
		for {
			jql := base
			if lower >= 0 {
				jql += " AND updated >= " + strconv.FormatInt(lower, 10)
			}
			if len(exclude) > 0 {
				jql += " AND id not in (" + strings.Join(exclude, ", ") + ")"
			}
			jql += " ORDER BY updated ASC, id ASC"
			pg, err := r.searchPage(ctx, jql, fields, true, startAt, token)
			if err != nil {
				send(pageResult{err: err})
				return
			}
			if total < 0 && !r.cloud {
				total = int64(pg.Total) // the first query's total: an estimate for progress
			}
			kept := pg.Issues[:0:0]
			for i := range pg.Issues {
				m, err := markOf(&pg.Issues[i])
				if err != nil {
					send(pageResult{err: err})
					return
				}
				if have && !m.after(last) {
					continue
				}
				if !have || m.updated != last.updated {
					tie = tie[:0]
				}
				tie = append(tie, m.id)
				last, have = m, true
				kept = append(kept, pg.Issues[i])
			}
			end := r.lastPage(pg, startAt)
			n := len(pg.Issues)
			pg.Issues = kept
			if !send(pageResult{pg: pg, total: max(total, 0)}) || end {
				return
			}
			if len(kept) > 0 && len(tie) <= maxExclude {
				lower, exclude = last.updated, append(exclude[:0], tie...)
				startAt, token = 0, ""
				continue
			}
			startAt += n
			token = pg.NextPageToken
		}
	}, fn)
}

// followUps fetches, with bounded concurrency, the changelogs and worklogs
// that the search page embedded only in part.
func (r *run) followUps(ctx context.Context, issues []wIssue, parts []issueParts) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, r.c.cfg.Concurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for i := range parts {
		ip := &parts[i]
		key := issues[i].Key
		needCL := issues[i].Changelog == nil || ip.ChangelogTotal > len(issues[i].Changelog.Histories)
		needWL := ip.WorklogTotal > len(ip.Worklogs)
		if !needCL && !needWL {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if needCL {
				cs, err := r.fullChangelog(ctx, ip.Issue.ID, key)
				if err != nil {
					fail(fmt.Errorf("fetching changelog of %s: %w", key, err))
					return
				}
				ip.Changes = cs
			}
			if needWL {
				ws, err := r.allWorklogs(ctx, ip.Issue.ID, key)
				if err != nil {
					fail(fmt.Errorf("fetching worklogs of %s: %w", key, err))
					return
				}
				ip.Worklogs = ws
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (r *run) fullChangelog(ctx context.Context, issueID, key string) ([]model.Change, error) {
	if !r.cloud {
		var w wIssue
		q := url.Values{"expand": {"changelog"}, "fields": {"created"}}
		if err := r.cl.getJSON(ctx, "rest/api/2/issue/"+url.PathEscape(key)+"?"+q.Encode(), &w); err != nil {
			return nil, err
		}
		if w.Changelog == nil {
			return nil, nil
		}
		return r.m.changes(issueID, w.Changelog.Histories)
	}
	var out []model.Change
	for startAt := 0; ; {
		var pg wChangelogPage
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"100"}}
		if err := r.cl.getJSON(ctx, "rest/api/3/issue/"+url.PathEscape(key)+"/changelog?"+q.Encode(), &pg); err != nil {
			return nil, err
		}
		cs, err := r.m.changes(issueID, pg.Values)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
		startAt += len(pg.Values)
		last := len(pg.Values) == 0 || (pg.IsLast != nil && *pg.IsLast) || (pg.IsLast == nil && startAt >= pg.Total)
		if last {
			return out, nil
		}
	}
}

func (r *run) allWorklogs(ctx context.Context, issueID, key string) ([]model.Worklog, error) {
	api := "2"
	if r.cloud {
		api = "3"
	}
	var out []model.Worklog
	for startAt := 0; ; {
		var pg wWorklogPage
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"1000"}}
		if err := r.cl.getJSON(ctx, "rest/api/"+api+"/issue/"+url.PathEscape(key)+"/worklog?"+q.Encode(), &pg); err != nil {
			return nil, err
		}
		ws, err := r.m.worklogs(issueID, pg.Worklogs)
		if err != nil {
			return nil, err
		}
		out = append(out, ws...)
		startAt += len(pg.Worklogs)
		if len(pg.Worklogs) == 0 || startAt >= pg.Total {
			return out, nil
		}
	}
}

// reconcileDue reports whether deletion detection runs in this run.
func (r *run) reconcileDue(ctx context.Context) (bool, error) {
	if r.c.cfg.ReconcileEvery <= 0 {
		return false, nil
	}
	if r.opts.Full {
		return true, nil
	}
	v, ok, err := r.sink.Cursor(ctx, r.c.source, cursorReconciled)
	if err != nil {
		return false, fmt.Errorf("reading cursor %s: %w", cursorReconciled, err)
	}
	if !ok {
		return true, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return true, nil
	}
	return r.start.Sub(t) >= r.c.cfg.ReconcileEvery, nil
}

// reconcileProject lists the ids Jira has for the project (a cheap search)
// and marks the issues the warehouse holds but Jira no longer has.
func (r *run) reconcileProject(ctx context.Context, p model.Project) error {
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing issues of project %s: %w", p.Key, err)
	}
	held, err := r.sink.IssueIDs(ctx, r.c.source, p.ID)
	if err != nil {
		return fmt.Errorf("listing stored issues of project %s: %w", p.Key, err)
	}
	if len(held) == 0 {
		return nil
	}
	remote := make(map[string]struct{}, len(held))
	jql := "project = " + jqlQuote(p.Key) + " ORDER BY id ASC"
	err = r.search(ctx, jql, []string{"key"}, false, func(pg *wSearchPage, _ int64) error {
		for _, is := range pg.Issues {
			remote[string(is.ID)] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing issue ids of project %s: %w", p.Key, err)
	}
	var missing []string
	for _, id := range held {
		if _, ok := remote[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// A listing is not proof: paging can skip an issue when others are
	// deleted or moved meanwhile, and an issue moved to another project is
	// not deleted. Ask for each missing issue; only a 404 means deleted, and
	// an issue that still exists is stored again as it is now.
	gone, err := r.refetch(ctx, missing)
	if err != nil {
		return fmt.Errorf("checking issues missing from project %s: %w", p.Key, err)
	}
	recs := make([]model.Record, 0, len(gone))
	for _, id := range gone {
		recs = append(recs, model.IssueDeleted{Source: r.c.source, IssueID: id, ProjectID: p.ID, At: r.start})
	}
	if n := len(missing) - len(gone); n > 0 {
		r.log.Info("issues missing from the project listing still exist; stored again", "project", p.Key, "count", n)
	}
	if len(recs) > 0 {
		r.log.Info("issues deleted in Jira", "project", p.Key, "count", len(recs))
	}
	return r.put(ctx, recs...)
}

// refetch reads the issues ids one by one (with bounded concurrency) and
// stores those that exist, complete with changelog and worklogs. It returns
// the ids Jira answers 404 for: deleted, or no longer visible to the account.
func (r *run) refetch(ctx context.Context, ids []string) ([]string, error) {
	api := "2"
	if r.cloud {
		api = "3"
	}
	q := url.Values{"fields": {strings.Join(append(append([]string(nil), searchFields...), r.m.fields.ids()...), ",")},
		"expand": {"changelog"}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		gone     []string
		found    []wIssue
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, r.c.cfg.Concurrency)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			var w wIssue
			err := r.cl.getJSON(ctx, "rest/api/"+api+"/issue/"+url.PathEscape(id)+"?"+q.Encode(), &w)
			mu.Lock()
			defer mu.Unlock()
			var he *HTTPError
			switch {
			case err == nil:
				found = append(found, w)
			case errors.As(err, &he) && he.Status == 404:
				gone = append(gone, id)
			default:
				if firstErr == nil {
					firstErr = fmt.Errorf("fetching issue %s: %w", id, err)
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for len(found) > 0 {
		batch := found[:min(len(found), 100)]
		found = found[len(batch):]
		parts := make([]issueParts, len(batch))
		for i := range batch {
			ip, err := r.m.issue(&batch[i])
			if err != nil {
				return nil, err
			}
			parts[i] = ip
		}
		if err := r.followUps(ctx, batch, parts); err != nil {
			return nil, err
		}
		for i := range parts {
			if err := r.putIssue(ctx, &parts[i]); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(gone)
	return gone, nil
}
