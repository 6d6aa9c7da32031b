// Package gitlab collects GitLab (gitlab.com and self-managed): projects,
// milestones, iterations, and issues with their history from the resource
// state, label, milestone, iteration and weight events. See README.md.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
	"github.com/pmo-oss/pmo/internal/model"
)

func init() {
	collectors.Register(collectors.Type{
		Name:        "gitlab",
		Description: "GitLab.com and self-managed GitLab (REST API v4)",
		NewConfig:   func() collectors.SourceConfig { return NewConfig() },
		New: func(source string, cfg collectors.SourceConfig) (collectors.Collector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("source %s: gitlab collector got a %T config", source, cfg)
			}
			return New(source, c)
		},
	})
}

// Collector reads one GitLab instance.
type Collector struct {
	source string
	cfg    Config
	now    func() time.Time
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

func cursorName(projectID string) string { return "issues_updated:" + projectID }

// run is the state of one collection.
type run struct {
	c     *Collector
	cl    *client
	sink  collectors.Sink
	opts  collectors.Options
	log   *slog.Logger
	m     *mapper
	start time.Time

	mu         sync.Mutex // guards the fields below
	stats      collectors.Stats
	issues     int64
	premium    map[string]bool // iteration/weight events: false once GitLab said 404/403
	noTimelogs bool            // GitLab's GraphQL has no timelogs (warned once)
	keyset     bool            // issue lists use keyset pagination
	// projectKeys are the collected projects' keys by id.
	projectKeys map[int64]string
	// seenLinks are the links put in this run (each is listed by both issues).
	seenLinks map[string]bool
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
	r := &run{c: c, cl: cl, sink: sink, opts: opts, log: log, m: newMapper(c.source, &c.cfg), start: c.now().UTC(),
		stats:   collectors.Stats{Source: c.source, Records: map[model.Kind]int64{}},
		premium: map[string]bool{"resource_iteration_events": true, "resource_weight_events": true, "iterations": true},
		keyset:  c.cfg.Pagination != PaginationOffset, projectKeys: map[int64]string{}, seenLinks: map[string]bool{}}
	err = r.collect(ctx)
	r.mu.Lock()
	st := r.stats
	r.mu.Unlock()
	st.Requests = cl.requests.Load()
	st.Retries = cl.retries.Load()
	st.Duration = c.now().Sub(r.start)
	if err != nil {
		return st, collectors.ForSource(c.source, err)
	}
	return st, nil
}

func (r *run) put(ctx context.Context, recs ...model.Record) error {
	if len(recs) == 0 {
		return nil
	}
	r.mu.Lock()
	kept := recs[:0:0]
	for _, rec := range recs {
		if l, ok := rec.(model.Link); ok {
			// Both issues of a link list it: put it once per run.
			if r.seenLinks[l.ID] {
				continue
			}
			r.seenLinks[l.ID] = true
		}
		r.stats.Records[rec.Kind()]++
		kept = append(kept, rec)
	}
	r.mu.Unlock()
	if len(kept) == 0 {
		return nil
	}
	return r.sink.Put(ctx, kept...)
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
	projects, err := r.projects(ctx)
	if err != nil {
		return err
	}
	recs := []model.Record{}
	for _, s := range r.m.statuses() {
		recs = append(recs, s)
	}
	for _, p := range projects {
		recs = append(recs, p.rec)
	}
	if err := r.put(ctx, recs...); err != nil {
		return err
	}
	if err := r.milestones(ctx, projects); err != nil {
		return err
	}
	if err := r.iterations(ctx, projects); err != nil {
		return err
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing projects, statuses, milestones and iterations: %w", err)
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
		if err := r.timelogs(ctx, p); err != nil {
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

const cursorReconciled = "reconciled_at"

// reconcileDue reports whether this run looks for deleted issues: every
// reconcile_every (0: never).
func (r *run) reconcileDue(ctx context.Context) (bool, error) {
	if r.c.cfg.ReconcileEvery <= 0 {
		return false, nil
	}
	val, had, err := r.sink.Cursor(ctx, r.c.source, cursorReconciled)
	if err != nil {
		return false, fmt.Errorf("reading cursor %s: %w", cursorReconciled, err)
	}
	last, perr := time.Parse(time.RFC3339, val)
	return !had || perr != nil || r.start.Sub(last) >= r.c.cfg.ReconcileEvery, nil
}

// reconcileProject marks deleted the stored issues of a project that GitLab
// no longer lists (GitLab keeps no trace of a deleted issue). The ids are
// listed oldest created first; with offset pagination a deletion during the
// listing could shift an issue past a page boundary, so the list is read
// twice and only an issue missing from both is marked.
func (r *run) reconcileProject(ctx context.Context, p project) error {
	live := map[string]bool{}
	for pass := 0; pass < 2; pass++ {
		offset, err := r.walkIssues(ctx, p, time.Time{}, "created_at", func(ws []wIssue) error {
			for _, w := range ws {
				live[strconv.FormatInt(w.ID, 10)] = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("listing the issue ids of project %s to find deleted issues: %w", p.rec.Key, err)
		}
		if !offset {
			break
		}
	}
	stored, err := r.sink.IssueIDs(ctx, r.c.source, p.rec.ID)
	if err != nil {
		return fmt.Errorf("reading the stored issue ids of project %s: %w", p.rec.Key, err)
	}
	var recs []model.Record
	for _, id := range stored {
		if !live[id] {
			recs = append(recs, model.IssueDeleted{Source: r.c.source, IssueID: id, ProjectID: p.rec.ID, At: r.start})
		}
	}
	if len(recs) > 0 {
		r.log.Info("issues deleted in GitLab", "project", p.rec.Key, "count", len(recs))
	}
	return r.put(ctx, recs...)
}

type project struct {
	rec  model.Project
	path string // the escaped id for URLs
}

// projectRef is a configured project or group (path or numeric id) escaped
// for a URL path segment.
func projectRef(s string) string { return url.PathEscape(strings.Trim(strings.TrimSpace(s), "/")) }

// listAll pages through a list with X-Next-Page and hands each page's raw
// items to each.
func listAll[T any](ctx context.Context, r *run, path string, q url.Values, each func([]T) error) error {
	q.Set("per_page", strconv.Itoa(r.c.cfg.PageSize))
	for pageNo := int64(1); ; {
		q.Set("page", strconv.FormatInt(pageNo, 10))
		var items []T
		pg, err := r.cl.get(ctx, path, q, &items)
		if err != nil {
			return err
		}
		if err := each(items); err != nil {
			return err
		}
		if pg.next <= pageNo || len(items) == 0 {
			return nil
		}
		pageNo = pg.next
	}
}

func (r *run) projects(ctx context.Context) ([]project, error) {
	var out []project
	seen := map[int64]bool{}
	addProject := func(w wProject) {
		if seen[w.ID] {
			return
		}
		seen[w.ID] = true
		out = append(out, project{rec: r.m.project(w), path: strconv.FormatInt(w.ID, 10)})
		r.projectKeys[w.ID] = w.PathWithNamespace
	}
	for i, ref := range r.c.cfg.Projects {
		var w wProject
		if _, err := r.cl.get(ctx, "projects/"+projectRef(ref), url.Values{}, &w); err != nil {
			return nil, fmt.Errorf("reading project %q (projects[%d]): %w", ref, i, err)
		}
		addProject(w)
	}
	for i, ref := range r.c.cfg.Groups {
		q := url.Values{"include_subgroups": {"true"}, "order_by": {"id"}, "sort": {"asc"}, "with_issues_enabled": {"true"}}
		if !r.c.cfg.IncludeArchived {
			q.Set("archived", "false")
		}
		err := listAll(ctx, r, "groups/"+projectRef(ref)+"/projects", q, func(ws []wProject) error {
			for _, w := range ws {
				addProject(w)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing the projects of group %q (groups[%d]): %w", ref, i, err)
		}
	}
	r.progress("projects", 0, int64(len(out)))
	return out, nil
}

// milestones reads each project's milestones, its groups' included; a group
// milestone is filed under the first project that lists it.
func (r *run) milestones(ctx context.Context, projects []project) error {
	seen := map[int64]bool{}
	for _, p := range projects {
		q := url.Values{"include_ancestors": {"true"}}
		err := listAll(ctx, r, "projects/"+p.path+"/milestones", q, func(ws []wMilestone) error {
			var recs []model.Record
			for _, w := range ws {
				if seen[w.ID] {
					continue
				}
				seen[w.ID] = true
				v, err := r.m.version(w, p.rec.ID, r.start)
				if err != nil {
					return fmt.Errorf("project %s: %w", p.rec.Key, err)
				}
				recs = append(recs, v)
			}
			return r.put(ctx, recs...)
		})
		if err != nil {
			return fmt.Errorf("reading the milestones of project %s: %w", p.rec.Key, err)
		}
	}
	return nil
}

// premiumAbsent reports whether err says a Premium endpoint is not there
// (404 on Free, 403 when the licence lacks the feature) and, if so, turns
// that endpoint off for the run with one warning.
func (r *run) premiumAbsent(endpoint string, err error) bool {
	var he *HTTPError
	if !errors.As(err, &he) || (he.Status != http.StatusNotFound && he.Status != http.StatusForbidden) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.premium[endpoint] {
		r.premium[endpoint] = false
		what := map[string]string{"iterations": "iterations (sprints)", "resource_iteration_events": "iteration history (sprint membership)",
			"resource_weight_events": "weight history (story points)"}[endpoint]
		r.log.Warn("GitLab has no "+endpoint+" endpoint here (a Premium feature): "+what+" not collected", "status", he.Status)
	}
	return true
}

func (r *run) premiumOn(endpoint string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.premium[endpoint]
}

// iterations reads the iterations (Premium) each project sees (its
// groups' cadences) and files them as the sprints of the project's board.
func (r *run) iterations(ctx context.Context, projects []project) error {
	for _, p := range projects {
		if !r.premiumOn("iterations") {
			return nil
		}
		boardPut := false
		q := url.Values{"include_ancestors": {"true"}}
		err := listAll(ctx, r, "projects/"+p.path+"/iterations", q, func(ws []wIteration) error {
			var recs []model.Record
			if !boardPut && len(ws) > 0 {
				boardPut = true
				recs = append(recs, r.m.board(p.rec))
			}
			for _, w := range ws {
				s, err := r.m.sprint(w, p.rec.ID)
				if err != nil {
					return fmt.Errorf("project %s: %w", p.rec.Key, err)
				}
				recs = append(recs, s)
			}
			return r.put(ctx, recs...)
		})
		if err != nil && !r.premiumAbsent("iterations", err) {
			return fmt.Errorf("reading the iterations of project %s: %w", p.rec.Key, err)
		}
	}
	return nil
}

// issuesOf collects the issues of one project updated since its cursor. It
// reports whether the project had a cursor (a previous run).
func (r *run) issuesOf(ctx context.Context, p project) (bool, error) {
	name := cursorName(p.rec.ID)
	val, had, err := r.sink.Cursor(ctx, r.c.source, name)
	if err != nil {
		return false, fmt.Errorf("reading cursor %s: %w", name, err)
	}
	var stored, since time.Time
	if had {
		t, err := time.Parse(time.RFC3339Nano, val)
		if err != nil {
			r.log.Warn("ignoring unreadable cursor; reading the project in full", "cursor", name, "value", val)
		} else {
			stored = t
			if !r.opts.Full {
				since = t.Add(-r.c.cfg.Overlap)
			}
		}
	}
	maxUpdated := stored
	var done int64
	pages := 0
	checkpoint := func() error {
		if maxUpdated.After(stored) {
			if err := r.sink.SetCursor(ctx, r.c.source, name, maxUpdated.UTC().Format(time.RFC3339Nano)); err != nil {
				return fmt.Errorf("storing cursor %s: %w", name, err)
			}
			stored = maxUpdated
		}
		return nil
	}
	// In offset pagination an issue updated while the list is read moves to
	// its end and shifts the rest back: one may be skipped. Such a walk is
	// repeated (keyset pagination has no such gap).
	for pass := 0; pass < 3; pass++ {
		walkStart := r.c.now()
		seenIDs := map[int64]bool{}
		touched := false
		offset, err := r.walkIssues(ctx, p, since, "updated_at", func(ws []wIssue) error {
			for i := range ws {
				if seenIDs[ws[i].ID] || !ws[i].UpdatedAt.Before(walkStart) {
					touched = true
				}
				seenIDs[ws[i].ID] = true
			}
			if err := r.issuePage(ctx, p, ws); err != nil {
				return err
			}
			for i := range ws {
				if ws[i].UpdatedAt.After(maxUpdated) {
					maxUpdated = ws[i].UpdatedAt
				}
			}
			done += int64(len(ws))
			r.mu.Lock()
			r.issues += int64(len(ws))
			r.mu.Unlock()
			r.progress("issues", done, 0)
			pages++
			if pages%10 == 0 {
				return checkpoint()
			}
			return nil
		})
		if err != nil {
			return had, fmt.Errorf("listing the issues of project %s: %w", p.rec.Key, err)
		}
		if !offset || !touched {
			break
		}
		r.log.Debug("issues changed while their list was read; reading it again", "project", p.rec.Key)
	}
	if !had && maxUpdated.IsZero() {
		maxUpdated = time.Unix(0, 0)
		stored = time.Time{}
	}
	return had, checkpoint()
}

// walkIssues lists a project's issues updated since (all when zero) in
// orderBy order (updated_at or created_at), oldest first, and reports
// whether offset pagination was used.
func (r *run) walkIssues(ctx context.Context, p project, since time.Time, orderBy string, each func([]wIssue) error) (bool, error) {
	path := "projects/" + p.path + "/issues"
	q := url.Values{"scope": {"all"}, "order_by": {orderBy}, "sort": {"asc"}, "per_page": {strconv.Itoa(r.c.cfg.PageSize)}}
	if !since.IsZero() {
		q.Set("updated_after", since.UTC().Format(time.RFC3339))
	}
	r.mu.Lock()
	keyset := r.keyset
	r.mu.Unlock()
	if keyset {
		q.Set("pagination", "keyset")
	}
	offset := !keyset
	for pageNo := int64(1); ; {
		if offset {
			q.Set("page", strconv.FormatInt(pageNo, 10))
		}
		var ws []wIssue
		pg, err := r.cl.get(ctx, path, q, &ws)
		var he *HTTPError
		if err != nil && keyset && pageNo == 1 && r.c.cfg.Pagination == PaginationAuto && errors.As(err, &he) &&
			(he.Status == http.StatusMethodNotAllowed || he.Status == http.StatusBadRequest) {
			// This GitLab has no keyset pagination for issues: use offsets.
			r.log.Info("keyset pagination of issues not available; using offset pagination", "status", he.Status)
			r.mu.Lock()
			r.keyset = false
			r.mu.Unlock()
			keyset, offset = false, true
			q.Del("pagination")
			continue
		}
		if err != nil {
			return offset, err
		}
		if err := each(ws); err != nil {
			return offset, err
		}
		switch {
		case len(ws) == 0:
			return offset, nil
		case keyset && pg.nextLink != "":
			// Continue from the next link's parameters (its cursor).
			u, err := url.Parse(pg.nextLink)
			if err != nil {
				return offset, httpapi.BadResponse(fmt.Errorf("unreadable next link %q: %w", pg.nextLink, err))
			}
			q = u.Query()
		case pg.next > pageNo:
			// Offset pagination (the server ignored pagination=keyset, or
			// pagination: offset): X-Next-Page, which GitLab sends even past
			// 10,000 rows, where it leaves out X-Total and X-Total-Pages.
			if keyset {
				keyset, offset = false, true
				q.Del("pagination")
			}
			pageNo = pg.next
		default:
			return offset, nil
		}
	}
}

// issuePage reads the events of a page of issues (concurrently) and puts
// the issues with their history in list order.
func (r *run) issuePage(ctx context.Context, p project, ws []wIssue) error {
	evs := make([]*events, len(ws))
	errs := make([]error, len(ws))
	sem := make(chan struct{}, r.c.cfg.Concurrency)
	var wg sync.WaitGroup
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range ws {
		if moved(&ws[i]) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx2.Done():
		}
		if ctx2.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			evs[i], errs[i] = r.events(ctx2, p, &ws[i])
			if errs[i] != nil {
				cancel()
			}
		}(i)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for i := range ws {
		if evs[i] == gone {
			// Deleted between the list and its events (404).
			if err := r.put(ctx, model.IssueDeleted{Source: r.c.source, IssueID: strconv.FormatInt(ws[i].ID, 10),
				IssueKey: p.rec.Key + "#" + strconv.FormatInt(ws[i].IID, 10), ProjectID: p.rec.ID, At: r.start}); err != nil {
				return err
			}
			continue
		}
		recs, err := r.m.recordsWith(&ws[i], p.rec, evs[i], r.projectKeys)
		if err != nil {
			return fmt.Errorf("project %s: %w", p.rec.Key, err)
		}
		if err := r.put(ctx, recs...); err != nil {
			return err
		}
	}
	return nil
}

// gone stands for the events of an issue deleted while the run read it.
var gone = &events{}

// events reads the resource events of one issue, or returns gone when the
// issue is no longer there.
func (r *run) events(ctx context.Context, p project, w *wIssue) (*events, error) {
	base := "projects/" + p.path + "/issues/" + strconv.FormatInt(w.IID, 10) + "/"
	ev := &events{}
	key := p.rec.Key + "#" + strconv.FormatInt(w.IID, 10)
	collect := func(endpoint string, into func(ctx context.Context) error) error {
		if err := into(ctx); err != nil {
			if (endpoint == "resource_iteration_events" || endpoint == "resource_weight_events") && r.premiumAbsent(endpoint, err) {
				return nil
			}
			return fmt.Errorf("reading %s of issue %s: %w", endpoint, key, err)
		}
		return nil
	}
	if err := collect("resource_state_events", func(ctx context.Context) error {
		return listAll(ctx, r, base+"resource_state_events", url.Values{}, func(es []wStateEvent) error { ev.State = append(ev.State, es...); return nil })
	}); err != nil {
		if collectors.ErrorKind(err) == collectors.KindNotFound {
			r.log.Warn("issue deleted while its events were read; marked deleted", "issue", key)
			return gone, nil
		}
		return nil, err
	}
	if err := collect("resource_label_events", func(ctx context.Context) error {
		return listAll(ctx, r, base+"resource_label_events", url.Values{}, func(es []wLabelEvent) error { ev.Label = append(ev.Label, es...); return nil })
	}); err != nil {
		return nil, err
	}
	if err := collect("resource_milestone_events", func(ctx context.Context) error {
		return listAll(ctx, r, base+"resource_milestone_events", url.Values{}, func(es []wMilestoneEvent) error { ev.Milestone = append(ev.Milestone, es...); return nil })
	}); err != nil {
		return nil, err
	}
	if err := collect("links", func(ctx context.Context) error {
		return listAll(ctx, r, base+"links", url.Values{}, func(ls []wLinkedIssue) error { ev.Links = append(ev.Links, ls...); return nil })
	}); err != nil {
		return nil, err
	}
	if r.premiumOn("resource_iteration_events") {
		if err := collect("resource_iteration_events", func(ctx context.Context) error {
			return listAll(ctx, r, base+"resource_iteration_events", url.Values{}, func(es []wIterationEvent) error { ev.Iteration = append(ev.Iteration, es...); return nil })
		}); err != nil {
			return nil, err
		}
	}
	if r.premiumOn("resource_weight_events") {
		if err := collect("resource_weight_events", func(ctx context.Context) error {
			return listAll(ctx, r, base+"resource_weight_events", url.Values{}, func(es []wWeightEvent) error { ev.Weight = append(ev.Weight, es...); return nil })
		}); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// timelogQuery pages through a project's timelogs spent since a time.
const timelogQuery = `query($fullPath: ID!, $after: String, $startTime: Time, $endTime: Time) {
  project(fullPath: $fullPath) {
    timelogs(first: 100, after: $after, startTime: $startTime, endTime: $endTime) {
      nodes { id spentAt timeSpent user { id name username } issue { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

// timelogs reads the time logged on a project's issues as worklogs. The
// REST API lists no timelogs, so this is GitLab's GraphQL API. Timelogs have
// no update time: an incremental run re-reads those spent within
// timelog_window.
func (r *run) timelogs(ctx context.Context, p project) error {
	if !r.c.cfg.Timelogs {
		return nil
	}
	r.mu.Lock()
	off := r.noTimelogs
	r.mu.Unlock()
	if off {
		return nil
	}
	vars := map[string]any{"fullPath": p.rec.Key}
	name := "timelogs_read:" + p.rec.ID
	val, had, err := r.sink.Cursor(ctx, r.c.source, name)
	if err != nil {
		return fmt.Errorf("reading cursor %s: %w", name, err)
	}
	if last, perr := time.Parse(time.RFC3339, val); had && perr == nil && !r.opts.Full && r.c.cfg.TimelogWindow > 0 {
		vars["startTime"] = last.Add(-r.c.cfg.TimelogWindow).Format(time.RFC3339)
		// Some GitLab versions want both ends of a time range.
		vars["endTime"] = r.start.Add(48 * time.Hour).Format(time.RFC3339)
	}
	for {
		var pg gTimelogPage
		if err := r.cl.graphQL(ctx, timelogQuery, vars, &pg); err != nil {
			return fmt.Errorf("reading the timelogs of project %s: %w", p.rec.Key, err)
		}
		if len(pg.Errors) > 0 || pg.Data == nil || pg.Data.Project == nil {
			msg := "no project in the answer"
			if len(pg.Errors) > 0 {
				msg = pg.Errors[0].Message
			}
			r.mu.Lock()
			r.noTimelogs = true
			r.mu.Unlock()
			r.log.Warn("GitLab's GraphQL API gave no timelogs: worklogs not collected", "project", p.rec.Key, "error", msg)
			return nil
		}
		tl := pg.Data.Project.Timelogs
		var recs []model.Record
		for _, g := range tl.Nodes {
			if w, ok := r.m.worklog(g); ok {
				recs = append(recs, w)
			}
		}
		if err := r.put(ctx, recs...); err != nil {
			return err
		}
		if !tl.PageInfo.HasNextPage || tl.PageInfo.EndCursor == "" || len(tl.Nodes) == 0 {
			// Read to the end: the next run may re-read from this run's
			// start less the window.
			if err := r.sink.SetCursor(ctx, r.c.source, name, r.start.Format(time.RFC3339)); err != nil {
				return fmt.Errorf("storing cursor %s: %w", name, err)
			}
			return nil
		}
		vars["after"] = tl.PageInfo.EndCursor
	}
}
