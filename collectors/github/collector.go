// Package github collects GitHub Issues (github.com and GitHub Enterprise
// Server) through the REST API: repositories as projects, milestones as
// versions, issues (pull requests left out) and their history from issue
// events, issue dependencies as links. See README.md.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/httpapi"
	"github.com/pmo-oss/pmo/internal/model"
)

func init() {
	collectors.Register(collectors.Type{
		Name:        "github",
		Description: "GitHub Issues (github.com and GitHub Enterprise Server, REST API " + APIVersion + ")",
		NewConfig:   func() collectors.SourceConfig { return NewConfig() },
		New: func(source string, cfg collectors.SourceConfig) (collectors.Collector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("source %s: github collector got a %T config", source, cfg)
			}
			return New(source, c)
		},
	})
}

// Collector reads the configured repositories of one GitHub instance.
type Collector struct {
	source string
	cfg    Config
	now    func() time.Time
	clock  httpapi.Clock // nil: the real one (tests record waits instead)
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

// Cursor names; REPO is owner/name in lower case.
const (
	cursorReconciled = "reconciled_at"
	cursorIssuesPfx  = "issues_updated:" // RFC 3339 updated_at of the last stored issue
	cursorETagsPfx   = "etags:"          // "<stored at> <json etagState>"
)

// etagState is what a repository's ETag cursor holds: the validator of a
// single-page issue listing and of the single-page event lists of the
// issues a next run will list again (the overlap window).
type etagState struct {
	ListURL  string            `json:"list_url,omitempty"`
	ListETag string            `json:"list_etag,omitempty"`
	Events   map[string]string `json:"events,omitempty"` // issue number → ETag
}

// etagStamp is a fixed-width UTC timestamp, so that ETag cursor values
// order by the time they were stored.
const etagStamp = "2006-01-02T15:04:05.000000000Z"

type run struct {
	c     *Collector
	cl    *client
	sink  collectors.Sink
	opts  collectors.Options
	log   *slog.Logger
	m     *mapper
	start time.Time
	mu    sync.Mutex
	stats collectors.Stats
	seen  int64
	proj  *projectRun // nil without a project
}

// Collect implements collectors.Collector.
func (c *Collector) Collect(ctx context.Context, sink collectors.Sink, opts collectors.Options) (collectors.Stats, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", c.source)
	start := c.now()
	cl, err := newClient(c.source, &c.cfg, log)
	if err != nil {
		return collectors.Stats{Source: c.source}, collectors.ForSource(c.source, err)
	}
	if c.clock != nil {
		cl.clock = c.clock
	}
	r := &run{c: c, cl: cl, sink: sink, opts: opts, log: log, m: newMapper(c.source, &c.cfg), start: start.UTC(),
		stats: collectors.Stats{Source: c.source, Records: map[model.Kind]int64{}}}
	err = r.collect(ctx)
	r.stats.Requests = cl.requests.Load()
	r.stats.Retries = cl.retries.Load()
	r.stats.Duration = max(c.now().Sub(start), time.Nanosecond)
	if err != nil {
		return r.stats, collectors.ForSource(c.source, err)
	}
	log.Debug("collected", "requests", r.stats.Requests, "not_modified", cl.notModified.Load(), "retries", r.stats.Retries)
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
	seen := r.seen
	r.mu.Unlock()
	r.opts.Progress(collectors.Progress{Source: r.c.source, Phase: phase, Done: done, Total: total, IssuesSeen: seen})
}

func (r *run) collect(ctx context.Context) error {
	if err := r.put(ctx, r.m.statuses()...); err != nil {
		return err
	}
	repos, err := r.repositories(ctx)
	if err != nil {
		return err
	}
	reconcile, err := r.reconcileDue(ctx)
	if err != nil {
		return err
	}
	if r.c.cfg.Project.IsSet() {
		if err := r.project(ctx, repos); err != nil {
			return err
		}
	}
	for i, rp := range repos {
		if err := r.repository(ctx, rp, reconcile); err != nil {
			return fmt.Errorf("repository %s: %w", rp.GetFullName(), err)
		}
		r.progress("repositories", int64(i+1), int64(len(repos)))
	}
	if r.proj != nil {
		if err := r.finishProject(ctx, repos); err != nil {
			return fmt.Errorf("project %s/%d: %w", r.c.cfg.Project.Owner(), r.c.cfg.Project.Number, err)
		}
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

// repositories reads the configured repositories and those of the
// organisation, each once.
func (r *run) repositories(ctx context.Context) ([]*gh.Repository, error) {
	var out []*gh.Repository
	seen := map[string]bool{}
	add := func(rp *gh.Repository) {
		k := strings.ToLower(rp.GetFullName())
		if !seen[k] {
			seen[k] = true
			out = append(out, rp)
		}
	}
	for _, full := range r.c.cfg.Repositories {
		owner, name, _ := strings.Cut(full, "/")
		var rp gh.Repository
		if _, err := r.cl.get(ctx, "repos/"+url.PathEscape(owner)+"/"+url.PathEscape(name), "", &rp); err != nil {
			var he *HTTPError
			if errors.As(err, &he) && he.Status == http.StatusNotFound {
				return nil, fmt.Errorf("repositories: %s not found (check the name and that the token may read it): %w", full, err)
			}
			return nil, fmt.Errorf("reading repository %s: %w", full, err)
		}
		add(&rp)
	}
	if org := r.c.cfg.Organization; org != "" {
		next := "orgs/" + url.PathEscape(org) + "/repos?type=all&per_page=" + strconv.Itoa(r.c.cfg.PageSize)
		for next != "" {
			var pg []*gh.Repository
			p, err := r.cl.get(ctx, next, "", &pg)
			if err != nil {
				return nil, fmt.Errorf("listing the repositories of organization %s: %w", org, err)
			}
			for _, rp := range pg {
				if rp.GetArchived() && !r.c.cfg.IncludeArchived {
					continue
				}
				add(rp)
			}
			next = p.next
		}
	}
	recs := make([]model.Record, 0, len(out))
	for _, rp := range out {
		recs = append(recs, r.m.project(rp))
	}
	r.progress("repositories", 0, int64(len(out)))
	return out, r.put(ctx, recs...)
}

func repoKey(rp *gh.Repository) string { return strings.ToLower(rp.GetFullName()) }

// repository collects one repository: milestones, then the issues updated
// since its cursor with their events; deletions when reconcile is due.
func (r *run) repository(ctx context.Context, rp *gh.Repository, reconcile bool) error {
	owner, name := rp.GetOwner().GetLogin(), rp.GetName()
	base := "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
	milestones, err := r.milestones(ctx, rp, base)
	if err != nil {
		return err
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing milestones: %w", err)
	}
	cname := cursorIssuesPfx + repoKey(rp)
	ename := cursorETagsPfx + repoKey(rp)
	val, had, err := r.sink.Cursor(ctx, r.c.source, cname)
	if err != nil {
		return fmt.Errorf("reading cursor %s: %w", cname, err)
	}
	var stored time.Time
	if had {
		if stored, err = time.Parse(time.RFC3339, val); err != nil {
			r.log.Warn("ignoring unreadable cursor; reading the repository in full", "cursor", cname, "value", val)
			had = false
		}
	}
	var old etagState
	if had && !r.opts.Full {
		if v, ok, err := r.sink.Cursor(ctx, r.c.source, ename); err != nil {
			return fmt.Errorf("reading cursor %s: %w", ename, err)
		} else if ok {
			if _, js, found := strings.Cut(v, " "); found {
				_ = json.Unmarshal([]byte(js), &old) // an unreadable one only costs full requests
			}
		}
	}
	// Keyset paging: each full page is followed by a new query from the
	// updated_at of the last issue read (since is inclusive, to the
	// second), dropping the issues already read at that second. An issue
	// updated during the walk moves to the end of the order; with page
	// offsets the issues behind it would shift back and one would be
	// skipped. Link's next page is followed only when a full page brought
	// nothing new (more than page_size issues updated in one second).
	listURL := func(since time.Time) string {
		q := url.Values{"state": {"all"}, "sort": {"updated"}, "direction": {"asc"}, "per_page": {strconv.Itoa(r.c.cfg.PageSize)}}
		if !since.IsZero() {
			q.Set("since", since.UTC().Format(time.RFC3339))
		}
		return base + "/issues?" + q.Encode()
	}
	var from time.Time
	if had && !r.opts.Full {
		from = stored.Add(-r.c.cfg.Overlap)
	}
	first := listURL(from)
	var markAt time.Time // the latest updated_at read, to the second
	type seen struct {
		id      int64
		updated time.Time
	}
	read := map[seen]bool{} // every entry read in this walk, in the state read
	next, etag := first, ""
	if old.ListURL == first {
		etag = old.ListETag
	}
	cur := stored
	state := etagState{Events: map[string]string{}}
	type kept struct {
		updated time.Time
		etag    string
	}
	events := map[string]kept{}
	pages := 0
	blocked := map[int64]bool{} // issues whose summary counts blockers
	deps, hadDeps, err := r.loadDeps(ctx, rp)
	if err != nil {
		return err
	}
	for next != "" {
		var wlist []*wIssue
		p, err := r.cl.get(ctx, next, etag, &wlist)
		if err != nil {
			return fmt.Errorf("listing issues: %w", err)
		}
		list := make([]*gh.Issue, len(wlist))
		for i, w := range wlist {
			list[i] = &w.Issue
			if w.Deps != nil && w.Deps.TotalBlockedBy > 0 {
				blocked[w.GetID()] = true
			}
		}
		if p.notModified {
			r.log.Debug("issues unchanged since the last run", "repository", rp.GetFullName())
			return r.reconcile(ctx, rp, base, reconcile && had)
		}
		pages++
		if pages == 1 && p.next == "" {
			state.ListURL, state.ListETag = first, p.etag
		}
		etag = ""
		var issues, fresh []*gh.Issue
		for _, is := range list {
			k := seen{is.GetID(), is.GetUpdatedAt().Time}
			if read[k] {
				continue // read on an earlier page
			}
			read[k] = true
			if u := is.GetUpdatedAt().Truncate(time.Second); u.After(markAt) {
				markAt = u
			}
			fresh = append(fresh, is)
			if !isPullRequest(is) {
				issues = append(issues, is)
			}
		}
		list = fresh
		results, err := r.eventsOf(ctx, base, issues, old.Events, blocked)
		if err != nil {
			return err
		}
		var recs0 []model.Record
		for i, is := range issues {
			res := results[i]
			if res.gone != nil {
				if res.gone.Status == http.StatusMovedPermanently {
					r.log.Info("issue transferred to another repository; marked deleted here", "issue", issueKey(rp, is.GetNumber()), "location", res.gone.Location)
				} else {
					r.log.Info("issue deleted", "issue", issueKey(rp, is.GetNumber()), "status", res.gone.Status)
				}
				if err := r.put(ctx, r.m.deleted(rp, is, r.start)); err != nil {
					return err
				}
				delete(deps, id64(is.GetID()))
				continue
			}
			// Dependencies: the current blockers as links; against the
			// blockers stored by earlier runs, additions and removals as
			// link changes (GitHub keeps no history of them that the REST
			// API shows), dated at the issue's update.
			now := r.m.blockers(res.blockers)
			for _, l := range r.m.links(is, now) {
				recs0 = append(recs0, l)
			}
			if hadDeps {
				for _, c := range r.m.linkChanges(is, deps[id64(is.GetID())], now) {
					recs0 = append(recs0, c)
				}
			}
			if len(now) > 0 {
				deps[id64(is.GetID())] = now
			} else {
				delete(deps, id64(is.GetID()))
			}
			rec := r.m.issue(rp, is)
			if rec.StatusCategory == model.CategoryDone && rec.Resolved == nil {
				rec.Resolved = closedAt(res.events)
			}
			recs := append([]model.Record{rec}, recs0...)
			recs0 = recs0[:0]
			if !res.notModified {
				for _, ch := range r.m.changes(is, res.events, milestones) {
					recs = append(recs, ch)
				}
			}
			if r.proj != nil {
				r.proj.listed[rec.ID] = listedIssue{rp: rp, is: is}
				r.proj.replayed[rec.ID] = r.proj.replayed[rec.ID] || !res.notModified
			}
			if err := r.put(ctx, recs...); err != nil {
				return err
			}
			num := strconv.Itoa(is.GetNumber())
			if res.etag != "" {
				events[num] = kept{is.GetUpdatedAt().Time, res.etag}
			}
		}
		for _, is := range list {
			if u := is.GetUpdatedAt().Time; u.After(cur) {
				cur = u
			}
		}
		r.mu.Lock()
		r.seen += int64(len(issues))
		r.mu.Unlock()
		if err := r.storeDeps(ctx, rp, deps, hadDeps); err != nil {
			return err
		}
		if !cur.IsZero() && (!had || cur.After(stored)) {
			// The page's records are flushed before the cursor moves past them.
			if err := r.sink.SetCursor(ctx, r.c.source, cname, cur.UTC().Format(time.RFC3339)); err != nil {
				return fmt.Errorf("storing cursor %s: %w", cname, err)
			}
		}
		r.progress("issues", r.seen, 0)
		switch {
		case p.next == "":
			next = "" // the last page
		case len(fresh) > 0:
			next = listURL(markAt)
		default:
			next = p.next
		}
	}
	if !hadDeps {
		if err := r.storeDeps(ctx, rp, deps, true); err != nil {
			return err
		}
	}
	// Keep the event validators of the issues the next run lists again.
	horizon := cur.Add(-r.c.cfg.Overlap)
	for num, k := range events {
		if !k.updated.Before(horizon) {
			state.Events[num] = k.etag
		}
	}
	if js, err := json.Marshal(state); err == nil {
		if err := r.sink.SetCursor(ctx, r.c.source, ename, r.c.now().UTC().Format(etagStamp)+" "+string(js)); err != nil {
			return fmt.Errorf("storing cursor %s: %w", ename, err)
		}
	}
	return r.reconcile(ctx, rp, base, reconcile && had)
}

func (r *run) milestones(ctx context.Context, rp *gh.Repository, base string) (map[string]string, error) {
	byTitle := map[string]string{}
	next := base + "/milestones?state=all&per_page=" + strconv.Itoa(r.c.cfg.PageSize)
	for next != "" {
		var ms []*gh.Milestone
		p, err := r.cl.get(ctx, next, "", &ms)
		if err != nil {
			return nil, fmt.Errorf("listing milestones: %w", err)
		}
		recs := make([]model.Record, 0, len(ms))
		for _, m := range ms {
			byTitle[m.GetTitle()] = strconv.FormatInt(m.GetID(), 10)
			recs = append(recs, r.m.version(rp, m, r.start))
		}
		if err := r.put(ctx, recs...); err != nil {
			return nil, err
		}
		next = p.next
	}
	return byTitle, nil
}

// eventResult is the event list of one issue.
type eventResult struct {
	events      []wEvent
	etag        string // validator of a single-page list, "" otherwise
	notModified bool
	gone        *HTTPError // the issue moved (301) or was deleted (404, 410) meanwhile
	blockers    []*gh.Issue
}

// blockedBy lists the issues an issue is blocked by.
func (r *run) blockedBy(ctx context.Context, base string, number int) ([]*gh.Issue, error) {
	var out []*gh.Issue
	next := base + "/issues/" + strconv.Itoa(number) + "/dependencies/blocked_by?per_page=" + strconv.Itoa(r.c.cfg.PageSize)
	for next != "" {
		var list []*gh.Issue
		p, err := r.cl.get(ctx, next, "", &list)
		if err != nil {
			var he *HTTPError
			if errors.As(err, &he) && he.Status == http.StatusNotFound {
				return nil, nil // a server without issue dependencies (older Enterprise Server)
			}
			return nil, err
		}
		out = append(out, list...)
		next = p.next
	}
	return out, nil
}

// cursorDepsPfx names the cursor holding, per repository, the blockers of
// its issues as last stored: "<stored at> <json issue id → blockers>".
const cursorDepsPfx = "dependencies:"

// depState is what the dependencies cursor holds. Complete says that a
// walk of the repository's issues ended since the cursor was first
// written: only then is a blocker missing from Issues a new one.
type depState struct {
	Complete bool             `json:"complete"`
	Issues   map[string][]dep `json:"issues"` // issue id → its blockers
}

// loadDeps returns the stored blockers and whether changes against them
// are known ones (a complete walk stored them).
func (r *run) loadDeps(ctx context.Context, rp *gh.Repository) (map[string][]dep, bool, error) {
	name := cursorDepsPfx + repoKey(rp)
	v, ok, err := r.sink.Cursor(ctx, r.c.source, name)
	if err != nil {
		return nil, false, fmt.Errorf("reading cursor %s: %w", name, err)
	}
	var st depState
	if ok {
		if _, js, found := strings.Cut(v, " "); found {
			if err := json.Unmarshal([]byte(js), &st); err != nil {
				r.log.Warn("ignoring unreadable cursor; dependency changes until now are not detected", "cursor", name)
				st = depState{}
			}
		}
	}
	if st.Issues == nil {
		st.Issues = map[string][]dep{}
	}
	return st.Issues, st.Complete, nil
}

func (r *run) storeDeps(ctx context.Context, rp *gh.Repository, deps map[string][]dep, complete bool) error {
	name := cursorDepsPfx + repoKey(rp)
	js, err := json.Marshal(depState{Complete: complete, Issues: deps})
	if err != nil {
		return err
	}
	if err := r.sink.SetCursor(ctx, r.c.source, name, r.c.now().UTC().Format(etagStamp)+" "+string(js)); err != nil {
		return fmt.Errorf("storing cursor %s: %w", name, err)
	}
	return nil
}

// eventsOf reads the events of the issues with bounded concurrency.
func (r *run) eventsOf(ctx context.Context, base string, issues []*gh.Issue, etags map[string]string, blocked map[int64]bool) ([]eventResult, error) {
	out := make([]eventResult, len(issues))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, r.c.cfg.Concurrency)
	for i, is := range issues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			res, err := r.events(ctx, base, is.GetNumber(), etags[strconv.Itoa(is.GetNumber())])
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("reading the events of issue #%d: %w", is.GetNumber(), err)
					cancel()
				}
				mu.Unlock()
				return
			}
			if res.gone == nil && blocked[is.GetID()] {
				if res.blockers, err = r.blockedBy(ctx, base, is.GetNumber()); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("reading the blockers of issue #%d: %w", is.GetNumber(), err)
						cancel()
					}
					mu.Unlock()
					return
				}
			}
			out[i] = res
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	return out, firstErr
}

func (r *run) events(ctx context.Context, base string, number int, etag string) (eventResult, error) {
	if r.opts.Full {
		etag = ""
	}
	var res eventResult
	next := base + "/issues/" + strconv.Itoa(number) + "/events?per_page=" + strconv.Itoa(r.c.cfg.PageSize)
	for pages := 0; next != ""; pages++ {
		var evs []wEvent
		p, err := r.cl.get(ctx, next, etag, &evs)
		if err != nil {
			var he *HTTPError
			if errors.As(err, &he) && (he.Status == http.StatusMovedPermanently || he.Status == http.StatusGone || he.Status == http.StatusNotFound) {
				return eventResult{gone: he}, nil
			}
			return res, err
		}
		if p.notModified {
			return eventResult{notModified: true, etag: etag}, nil
		}
		if pages == 0 && p.next == "" {
			res.etag = p.etag
		}
		etag = ""
		res.events = append(res.events, evs...)
		next = p.next
	}
	return res, nil
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

// reconcile lists the repository's issue ids and marks those the
// warehouse holds but GitHub no longer lists (deleted, or transferred to
// another repository) as deleted. A listing is repeated before anything
// is marked, so that an issue skipped by paging while others were deleted
// is not taken for gone.
func (r *run) reconcile(ctx context.Context, rp *gh.Repository, base string, due bool) error {
	if !due {
		return nil
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing issues: %w", err)
	}
	pid := strconv.FormatInt(rp.GetID(), 10)
	held, err := r.sink.IssueIDs(ctx, r.c.source, pid)
	if err != nil {
		return fmt.Errorf("listing stored issues: %w", err)
	}
	if len(held) == 0 {
		return nil
	}
	missing := held
	for pass := 0; pass < 2 && len(missing) > 0; pass++ {
		listed, err := r.listIDs(ctx, base)
		if err != nil {
			return fmt.Errorf("listing issue ids for deletion detection: %w", err)
		}
		var still []string
		for _, id := range missing {
			if !listed[id] {
				still = append(still, id)
			}
		}
		missing = still
	}
	if len(missing) == 0 {
		return nil
	}
	r.log.Info("issues no longer in the repository (deleted or transferred)", "repository", rp.GetFullName(), "count", len(missing))
	recs := make([]model.Record, 0, len(missing))
	for _, id := range missing {
		recs = append(recs, model.IssueDeleted{Source: r.c.source, IssueID: id, ProjectID: pid, At: r.start})
	}
	return r.put(ctx, recs...)
}

func (r *run) listIDs(ctx context.Context, base string) (map[string]bool, error) {
	out := map[string]bool{}
	next := base + "/issues?state=all&sort=created&direction=asc&per_page=100"
	for next != "" {
		var list []*gh.Issue
		p, err := r.cl.get(ctx, next, "", &list)
		if err != nil {
			return nil, err
		}
		for _, is := range list {
			if !isPullRequest(is) {
				out[strconv.FormatInt(is.GetID(), 10)] = true
			}
		}
		next = p.next
	}
	return out, nil
}

// isPullRequest reports whether an entry of an issue list is a pull
// request. Answers of 2012 carry "pull_request" with every URL null on
// plain issues (PyGithub's recordings show it), so the object alone is not
// proof.
func isPullRequest(is *gh.Issue) bool {
	p := is.PullRequestLinks
	return p != nil && (p.GetURL() != "" || p.GetHTMLURL() != "" || p.GetDiffURL() != "" || p.GetPatchURL() != "")
}

// wIssue is an entry of an issue list with the dependency summary
// go-github's type lacks.
type wIssue struct {
	gh.Issue
	Deps *struct {
		TotalBlockedBy int `json:"total_blocked_by"`
	} `json:"issue_dependencies_summary,omitempty"`
}

// wEvent is an issue event as the REST API sends it; go-github's type
// lacks state_reason.
type wEvent struct {
	gh.IssueEvent
	StateReason *string `json:"state_reason,omitempty"`
}

func sortEvents(evs []wEvent) {
	slices.SortStableFunc(evs, func(a, b wEvent) int {
		if c := a.GetCreatedAt().Time.Compare(b.GetCreatedAt().Time); c != 0 {
			return c
		}
		switch x, y := a.GetID(), b.GetID(); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
}
