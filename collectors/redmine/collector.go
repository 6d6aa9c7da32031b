// Package redmine collects Redmine (REST API, tested against Redmine 5.0):
// projects with their parents as programs, statuses, versions, issues of
// every status with their journals as history, relations as links, and time
// entries as worklogs. See README.md.
package redmine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
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
		Name:        "redmine",
		Description: "Redmine (REST API with an API key; tested against Redmine 5.0)",
		NewConfig:   func() collectors.SourceConfig { return NewConfig() },
		New: func(source string, cfg collectors.SourceConfig) (collectors.Collector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("source %s: redmine collector got a %T config", source, cfg)
			}
			return New(source, c)
		},
	})
}

// Collector reads one Redmine site.
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

// Cursor names (per project identifier where they end with a colon).
const (
	cursorIssues      = "issues_updated:"    // RFC 3339, second precision
	cursorTimeFull    = "time_entries_full:" // when all time entries were last re-read
	cursorReconciled  = "reconciled_at"
	timeLayout        = time.RFC3339
	redmineDateLayout = time.DateOnly
)

type run struct {
	c     *Collector
	cl    *client
	sink  collectors.Sink
	opts  collectors.Options
	log   *slog.Logger
	m     *mapper
	start time.Time

	mu     sync.Mutex
	stats  collectors.Stats
	links  map[string]bool
	issues int64
	keys   map[string]string // issue id → key, for link targets
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
	r := &run{c: c, cl: cl, sink: sink, opts: opts, log: log, start: c.now().UTC().Truncate(time.Second),
		m:     newMapper(c.source, cl.base.String(), &c.cfg),
		stats: collectors.Stats{Source: c.source, Records: map[model.Kind]int64{}}, links: map[string]bool{}, keys: map[string]string{}}
	err = r.collect(ctx)
	r.stats.Requests = cl.requests.Load()
	r.stats.Retries = cl.retries.Load()
	r.stats.Duration = max(c.now().Sub(r.start), time.Nanosecond)
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
	var me struct {
		User struct {
			ID    int64  `json:"id"`
			Login string `json:"login"`
		} `json:"user"`
	}
	// A wrong key is anonymous on a site without "login required"; asking
	// who we are tells a bad key from an empty project.
	if err := r.cl.get(ctx, "users/current.json", &me); err != nil {
		return fmt.Errorf("checking the API key (auth.api_key) with users/current.json: %w", err)
	}
	if err := r.lookups(ctx); err != nil {
		return err
	}
	projects, err := r.projects(ctx)
	if err != nil {
		return err
	}
	if err := r.versions(ctx, projects); err != nil {
		return err
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing projects, statuses and versions: %w", err)
	}
	reconcile, err := r.due(ctx, cursorReconciled, r.c.cfg.ReconcileEvery)
	if err != nil {
		return err
	}
	for i, p := range projects {
		if err := r.issuesOf(ctx, p, reconcile); err != nil {
			return err
		}
		if !r.c.cfg.TimeEntries.Disabled {
			if err := r.timeEntries(ctx, p); err != nil {
				return err
			}
		}
		r.progress("projects", int64(i+1), int64(len(projects)))
	}
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing issues: %w", err)
	}
	if reconcile {
		if err := r.sink.SetCursor(ctx, r.c.source, cursorReconciled, r.start.Format(timeLayout)); err != nil {
			return fmt.Errorf("storing cursor %s: %w", cursorReconciled, err)
		}
	}
	return nil
}

// lookups reads statuses, trackers, priorities and the story points field.
func (r *run) lookups(ctx context.Context) error {
	var st struct {
		IssueStatuses []wStatus `json:"issue_statuses"`
	}
	if err := r.cl.get(ctx, "issue_statuses.json", &st); err != nil {
		return fmt.Errorf("reading statuses (issue_statuses.json): %w", err)
	}
	var tr struct {
		Trackers []wTracker `json:"trackers"`
	}
	if err := r.cl.get(ctx, "trackers.json", &tr); err != nil {
		return fmt.Errorf("reading trackers (trackers.json): %w", err)
	}
	var pr struct {
		IssuePriorities []wPriority `json:"issue_priorities"`
	}
	if err := r.cl.get(ctx, "enumerations/issue_priorities.json", &pr); err != nil {
		return fmt.Errorf("reading priorities (enumerations/issue_priorities.json): %w", err)
	}
	for _, p := range pr.IssuePriorities {
		r.m.priorities[id(p.ID)] = p.Name
	}
	statuses := r.m.statuses(st.IssueStatuses, tr.Trackers)
	r.checkMapping(st.IssueStatuses)
	recs := make([]model.Record, len(statuses))
	for i, s := range statuses {
		recs[i] = s
	}
	if err := r.put(ctx, recs...); err != nil {
		return err
	}
	return r.storyPointsField(ctx)
}

// checkMapping warns about configured status names Redmine does not have.
func (r *run) checkMapping(ws []wStatus) {
	sm := r.c.cfg.Statuses
	for key, names := range map[string][]string{"statuses.todo": sm.ToDo, "statuses.in_progress": sm.InProgress,
		"statuses.done": sm.Done, "statuses.discarded": sm.Discarded} {
		for _, n := range names {
			if !slices.ContainsFunc(ws, func(w wStatus) bool { return listed([]string{n}, w) }) {
				r.log.Warn("configured status not found in Redmine", "key", key, "status", n)
			}
		}
	}
}

// storyPointsField finds the story points custom field's id by name or id.
// custom_fields.json needs an administrator; without it a numeric
// story_points_field is used as it is.
func (r *run) storyPointsField(ctx context.Context) error {
	want := strings.TrimSpace(r.c.cfg.StoryPointsField)
	if want == "" {
		return nil
	}
	var cf struct {
		CustomFields []wCustomFieldDef `json:"custom_fields"`
	}
	err := r.cl.get(ctx, "custom_fields.json", &cf)
	var he *HTTPError
	if errors.As(err, &he) && (he.Status == 403 || he.Status == 401 || he.Status == 404) {
		if _, nerr := strconv.ParseInt(want, 10, 64); nerr == nil {
			r.m.spField = want
			return nil
		}
		r.log.Warn("cannot list custom fields (needs an administrator's API key); set story_points_field to the field's numeric id to collect story points",
			"story_points_field", want)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading custom fields (custom_fields.json): %w", err)
	}
	for _, f := range cf.CustomFields {
		if f.CustomizedTyp == "issue" && (strings.EqualFold(f.Name, want) || id(f.ID) == want) {
			r.m.spField = id(f.ID)
			return nil
		}
	}
	r.log.Warn("story points custom field not found; no story points collected", "story_points_field", want)
	return nil
}

// projects lists every visible project (for parents and issue keys) and
// returns the configured ones (with their subprojects when asked).
func (r *run) projects(ctx context.Context) ([]wProject, error) {
	var all []wProject
	for offset := 0; ; {
		var pg wProjectPage
		q := url.Values{"limit": {"100"}, "offset": {strconv.Itoa(offset)}}
		if err := r.cl.get(ctx, "projects.json?"+q.Encode(), &pg); err != nil {
			return nil, fmt.Errorf("listing projects (projects.json): %w", err)
		}
		all = append(all, pg.Projects...)
		offset += len(pg.Projects)
		if len(pg.Projects) == 0 || offset >= pg.TotalCount {
			break
		}
	}
	byKey := map[string]wProject{}
	children := map[int64][]wProject{}
	for _, p := range all {
		r.m.projects[id(p.ID)] = p
		byKey[p.Identifier], byKey[id(p.ID)] = p, p
		if p.Parent != nil {
			children[p.Parent.ID] = append(children[p.Parent.ID], p)
		}
	}
	var out []wProject
	seen := map[int64]bool{}
	var add func(p wProject)
	add = func(p wProject) {
		if seen[p.ID] {
			return
		}
		seen[p.ID] = true
		out = append(out, p)
		if r.c.cfg.IncludeSubprojects {
			for _, ch := range children[p.ID] {
				add(ch)
			}
		}
	}
	var missing []string
	for _, k := range r.c.cfg.Projects {
		p, ok := byKey[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		add(p)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("projects: %s not found on %s (check the identifiers in projects and that the account is a member or the project is public)",
			strings.Join(missing, ", "), httpapi.Redact(r.cl.base))
	}
	recs := make([]model.Record, 0, len(out))
	for _, p := range out {
		recs = append(recs, r.m.project(p))
	}
	r.progress("projects", 0, int64(len(out)))
	return out, r.put(ctx, recs...)
}

// versions reads each project's versions (shared ones included, stored once).
func (r *run) versions(ctx context.Context, projects []wProject) error {
	seen := map[int64]bool{}
	for _, p := range projects {
		var vs struct {
			Versions []wVersion `json:"versions"`
		}
		if err := r.cl.get(ctx, "projects/"+id(p.ID)+"/versions.json", &vs); err != nil {
			return fmt.Errorf("reading versions of project %s (projects/%d/versions.json): %w", p.Identifier, p.ID, err)
		}
		var recs []model.Record
		for _, w := range vs.Versions {
			if seen[w.ID] {
				continue
			}
			seen[w.ID] = true
			v, err := r.m.version(w, r.start)
			if err != nil {
				return fmt.Errorf("project %s: %w", p.Identifier, err)
			}
			recs = append(recs, v)
		}
		if err := r.put(ctx, recs...); err != nil {
			return err
		}
	}
	return nil
}

// due reports whether a periodic task whose last run is in cursor name is
// due (always on a full run or without a cursor; never when every is 0).
func (r *run) due(ctx context.Context, name string, every time.Duration) (bool, error) {
	if every <= 0 {
		return false, nil
	}
	if r.opts.Full {
		return true, nil
	}
	v, ok, err := r.sink.Cursor(ctx, r.c.source, name)
	if err != nil {
		return false, fmt.Errorf("reading cursor %s: %w", name, err)
	}
	if !ok {
		return true, nil
	}
	t, err := time.Parse(timeLayout, v)
	if err != nil {
		return true, nil
	}
	// The cursor holds whole seconds, as the run's start does: an interval
	// below a second (the tests' "every run") is due on every run, also on
	// one that starts in the second the last one did.
	return every < time.Second || r.start.Sub(t) >= every, nil
}

// issueQuery is the listing of one project's own issues of every status.
func issueQuery(p wProject) url.Values {
	return url.Values{"project_id": {id(p.ID)}, "subproject_id": {"!*"}, "status_id": {"*"}}
}

// issuesOf reads the issues of project p updated since its cursor (minus
// the overlap), each with its journals and relations, then looks for
// deleted issues when reconcile is set.
func (r *run) issuesOf(ctx context.Context, p wProject, reconcile bool) error {
	name := cursorIssues + p.Identifier
	val, had, err := r.sink.Cursor(ctx, r.c.source, name)
	if err != nil {
		return fmt.Errorf("reading cursor %s: %w", name, err)
	}
	var stored time.Time
	if had {
		if stored, err = time.Parse(timeLayout, val); err != nil {
			r.log.Warn("ignoring unreadable cursor; reading the project in full", "cursor", name, "value", val)
			had = false
		}
	}
	incremental := had && !r.opts.Full
	var lower time.Time // the updated_on filter; zero: none
	if incremental {
		lower = stored.Add(-r.c.cfg.Overlap)
	}
	listed := map[string]time.Time{} // id → updated_on when read
	maxUpdated := stored
	pages := 0
	var done, total int64
	// The walk pages by keyset, not by offset: each page asks again for
	// updated_on >= the last instant read, so an issue updated during the
	// walk (which moves to the end of the order) cannot shift an unread one
	// behind the offset. Redmine compares at second precision and matches
	// from one second before the value: the issues read again are skipped.
	// When a page brings nothing new (more issues in one second than a
	// page), the walk goes on by offset within the same query.
	offset := 0
	for {
		q := issueQuery(p)
		q.Set("sort", "updated_on,id")
		if !lower.IsZero() {
			// ">=" is percent-encoded by url.Values.
			q.Set("updated_on", ">="+lower.UTC().Format(timeLayout))
		}
		q.Set("limit", strconv.Itoa(r.c.cfg.PageSize))
		q.Set("offset", strconv.Itoa(offset))
		var pg wIssuePage
		if err := r.cl.get(ctx, "issues.json?"+q.Encode(), &pg); err != nil {
			return fmt.Errorf("listing issues of project %s (issues.json): %w", p.Identifier, err)
		}
		if total == 0 {
			total = int64(pg.TotalCount) // the first query's: an estimate for progress
		}
		var ids []int64
		var last time.Time // the latest updated_on on this page
		for _, w := range pg.Issues {
			t, err := parseTime(w.UpdatedOn)
			if err != nil {
				return fmt.Errorf("listing issues of project %s: issue #%d: updated_on: %w", p.Identifier, w.ID, err)
			}
			if t.After(last) {
				last = t
			}
			if at, ok := listed[id(w.ID)]; ok && !t.After(at) {
				continue // read already, and not updated since
			}
			listed[id(w.ID)] = t
			ids = append(ids, w.ID)
			if t.After(maxUpdated) {
				maxUpdated = t
			}
			r.mu.Lock()
			r.keys[id(w.ID)] = r.m.issueKey(id(w.ID), w.Project.idString())
			r.mu.Unlock()
		}
		if err := r.details(ctx, ids); err != nil {
			return fmt.Errorf("project %s: %w", p.Identifier, err)
		}
		done += int64(len(ids))
		r.progress("issues", done, max(total, done))
		pages++
		// Checkpoint now and then: the issues are read oldest update first,
		// so every issue updated before maxUpdated is stored. Never past the
		// run's start, so that issues updated during the run are read again.
		if pages%10 == 0 {
			if err := r.setIssueCursor(ctx, name, maxUpdated); err != nil {
				return err
			}
		}
		if len(pg.Issues) == 0 || offset+len(pg.Issues) >= pg.TotalCount {
			break
		}
		if len(ids) > 0 && last.After(lower) {
			lower, offset = last, 0
		} else {
			offset += len(pg.Issues)
		}
	}
	if !maxUpdated.IsZero() || !had {
		if err := r.setIssueCursor(ctx, name, maxUpdated); err != nil {
			return err
		}
	}
	if reconcile && had {
		var all map[string]bool
		if !incremental { // a full listing just ran
			all = make(map[string]bool, len(listed))
			for k := range listed {
				all[k] = true
			}
		}
		if err := r.reconcile(ctx, p, all); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) setIssueCursor(ctx context.Context, name string, t time.Time) error {
	if t.After(r.start) {
		t = r.start
	}
	if err := r.sink.SetCursor(ctx, r.c.source, name, t.UTC().Format(timeLayout)); err != nil {
		return fmt.Errorf("storing cursor %s: %w", name, err)
	}
	return nil
}

// details reads the issues one request each (include=journals,relations:
// the list ignores include=journals), with bounded concurrency, and stores
// them in the order given. It returns the ids Redmine answered 404 for.
func (r *run) details(ctx context.Context, ids []int64) error {
	_, err := r.detailsGone(ctx, ids)
	return err
}

func (r *run) detailsGone(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make([]*wIssue, len(ids))
	gone := make([]bool, len(ids))
	sem := make(chan struct{}, r.c.cfg.Concurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for i, n := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			var one wIssueOne
			err := r.cl.get(ctx, "issues/"+id(n)+".json?include=journals,relations", &one)
			var he *HTTPError
			switch {
			case err == nil:
				got[i] = &one.Issue
			case errors.As(err, &he) && he.Status == 404:
				gone[i] = true
			case errors.As(err, &he) && he.Status == 403:
				// Made private or moved out of the account's sight since it
				// was listed: neither readable nor deleted; left as stored.
				r.log.Warn("issue no longer visible to the account; left as stored", "issue", n)
			default:
				once.Do(func() { firstErr = fmt.Errorf("reading issue #%d (issues/%d.json): %w", n, n, err); cancel() })
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
	var out []int64
	var found []*wIssue
	for i := range ids {
		if gone[i] {
			out = append(out, ids[i])
		} else if got[i] != nil {
			found = append(found, got[i])
		}
	}
	if err := r.resolveKeys(ctx, found); err != nil {
		return nil, err
	}
	for _, w := range found {
		ip, err := r.m.issue(w, r.keyOf)
		if err != nil {
			return nil, err
		}
		if err := r.putIssue(ctx, &ip); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *run) keyOf(issueID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k, ok := r.keys[issueID]; ok {
		return k
	}
	return "#" + issueID
}

// resolveKeys finds the projects (hence keys) of the other issues named by
// relation details, one listing request per 100 unknown ids.
func (r *run) resolveKeys(ctx context.Context, issues []*wIssue) error {
	var unknown []string
	seen := map[string]bool{}
	r.mu.Lock()
	for _, w := range issues {
		r.keys[id(w.ID)] = r.m.issueKey(id(w.ID), w.Project.idString())
	}
	for _, w := range issues {
		for _, j := range w.Journals {
			for _, d := range j.Details {
				if d.Property != "relation" {
					continue
				}
				for _, v := range []string{str(d.OldValue), str(d.NewValue)} {
					if v != "" && r.keys[v] == "" && !seen[v] {
						seen[v] = true
						unknown = append(unknown, v)
					}
				}
			}
		}
	}
	r.mu.Unlock()
	for len(unknown) > 0 {
		batch := unknown[:min(len(unknown), 100)]
		unknown = unknown[len(batch):]
		q := url.Values{"issue_id": {strings.Join(batch, ",")}, "status_id": {"*"}, "limit": {"100"}}
		var pg wIssuePage
		if err := r.cl.get(ctx, "issues.json?"+q.Encode(), &pg); err != nil {
			return fmt.Errorf("looking up the projects of related issues (issues.json?issue_id=…): %w", err)
		}
		r.mu.Lock()
		for _, w := range pg.Issues {
			r.keys[id(w.ID)] = r.m.issueKey(id(w.ID), w.Project.idString())
		}
		for _, v := range batch {
			if r.keys[v] == "" {
				r.keys[v] = "#" + v // deleted or not visible: not in the warehouse either
			}
		}
		r.mu.Unlock()
	}
	return nil
}

func (r *run) putIssue(ctx context.Context, ip *issueParts) error {
	recs := make([]model.Record, 0, 1+len(ip.Changes)+len(ip.Links))
	recs = append(recs, ip.Issue)
	for _, c := range ip.Changes {
		recs = append(recs, c)
	}
	r.mu.Lock()
	for _, l := range ip.Links {
		if r.links[l.ID] {
			continue
		}
		r.links[l.ID] = true
		recs = append(recs, l)
	}
	r.issues++
	r.mu.Unlock()
	return r.put(ctx, recs...)
}

// reconcile marks the issues the warehouse holds for p but Redmine no longer
// has (Redmine keeps no trace of a deleted issue). all is the full id
// listing when the run just made one; else it is listed here.
func (r *run) reconcile(ctx context.Context, p wProject, all map[string]bool) error {
	if err := r.sink.Flush(ctx); err != nil {
		return fmt.Errorf("storing issues of project %s: %w", p.Identifier, err)
	}
	held, err := r.sink.IssueIDs(ctx, r.c.source, id(p.ID))
	if err != nil {
		return fmt.Errorf("listing stored issues of project %s: %w", p.Identifier, err)
	}
	if len(held) == 0 {
		return nil
	}
	if all == nil {
		all = map[string]bool{}
		q := issueQuery(p)
		q.Set("sort", "id")
		for offset := 0; ; {
			q.Set("limit", "100")
			q.Set("offset", strconv.Itoa(offset))
			var pg wIssuePage
			if err := r.cl.get(ctx, "issues.json?"+q.Encode(), &pg); err != nil {
				return fmt.Errorf("listing issue ids of project %s (issues.json): %w", p.Identifier, err)
			}
			for _, w := range pg.Issues {
				all[id(w.ID)] = true
			}
			offset += len(pg.Issues)
			if len(pg.Issues) == 0 || offset >= pg.TotalCount {
				break
			}
		}
	}
	var missing []int64
	for _, h := range held {
		if !all[h] {
			if n, err := strconv.ParseInt(h, 10, 64); err == nil {
				missing = append(missing, n)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// A listing is not proof (an issue may have moved to another project or
	// become private): ask for each; only a 404 means deleted, and one that
	// still exists is stored again as it is now.
	gone, err := r.detailsGone(ctx, missing)
	if err != nil {
		return fmt.Errorf("checking issues missing from project %s: %w", p.Identifier, err)
	}
	recs := make([]model.Record, 0, len(gone))
	for _, n := range gone {
		recs = append(recs, model.IssueDeleted{Source: r.c.source, IssueID: id(n), IssueKey: r.m.issueKey(id(n), id(p.ID)),
			ProjectID: id(p.ID), At: r.start})
	}
	if len(recs) > 0 {
		r.log.Info("issues deleted in Redmine", "project", p.Identifier, "count", len(recs))
	}
	return r.put(ctx, recs...)
}

// timeEntries reads the time entries of project p: those spent within the
// trailing window on most runs, all of them on a full run or when
// time_entries.full_every has passed (Redmine has no updated_on filter for
// time entries, so a change to an older entry is seen at the next full
// re-read). Entries logged on the project rather than an issue are skipped.
func (r *run) timeEntries(ctx context.Context, p wProject) error {
	name := cursorTimeFull + p.Identifier
	full, err := r.due(ctx, name, r.c.cfg.TimeEntries.FullEvery)
	if err != nil {
		return err
	}
	full = full || r.c.cfg.TimeEntries.Window <= 0
	q := url.Values{"project_id": {id(p.ID)}}
	if !full {
		q.Set("from", r.start.Add(-r.c.cfg.TimeEntries.Window).Format(redmineDateLayout))
	}
	skipped := 0
	for offset := 0; ; {
		q.Set("limit", strconv.Itoa(r.c.cfg.PageSize))
		q.Set("offset", strconv.Itoa(offset))
		var pg wTimeEntryPage
		if err := r.cl.get(ctx, "time_entries.json?"+q.Encode(), &pg); err != nil {
			return fmt.Errorf("listing time entries of project %s (time_entries.json): %w", p.Identifier, err)
		}
		var recs []model.Record
		for _, w := range pg.TimeEntries {
			if w.Project != nil && w.Project.ID != p.ID {
				continue // a subproject's entry: collected with that project, if at all
			}
			wl, ok, err := r.m.worklog(w)
			if err != nil {
				return fmt.Errorf("project %s: %w", p.Identifier, err)
			}
			if !ok {
				skipped++
				continue
			}
			recs = append(recs, wl)
		}
		if err := r.put(ctx, recs...); err != nil {
			return err
		}
		offset += len(pg.TimeEntries)
		if len(pg.TimeEntries) == 0 || offset >= pg.TotalCount {
			break
		}
	}
	if skipped > 0 {
		r.log.Debug("time entries on the project rather than an issue skipped", "project", p.Identifier, "count", skipped)
	}
	if full {
		if err := r.sink.SetCursor(ctx, r.c.source, name, r.start.Format(timeLayout)); err != nil {
			return fmt.Errorf("storing cursor %s: %w", name, err)
		}
	}
	return nil
}
