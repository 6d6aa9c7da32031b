package raid

import (
	"context"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// The reads of internal/deps (the cross-team dependency matrix, graph and
// critical chain): models/deps.sql over this package's relations, so that a
// blocking link, an issue's state at as_of and a link's age mean what they
// mean in the RAID log.

// LinkEnd is one issue of an open link, as of the log's instant.
type LinkEnd struct {
	Key     string `json:"key"`
	Summary string `json:"summary"`
	URL     string `json:"url,omitempty"`
	Project string `json:"project"` // source/KEY
	Program string `json:"program,omitempty"`
	// Teams are the issue's teams (kpi.teams; none without it).
	Teams  []string `json:"teams,omitempty"`
	Status string   `json:"status"` // open, in progress
	// Due is the due date in force at as_of (YYYY-MM-DD; "" none).
	Due string `json:"due,omitempty"`
}

// Link is a blocking link active at as_of between two open issues: From
// blocks To. DaysOpen counts from when the link was added (nil: not
// recorded).
type Link struct {
	From     LinkEnd `json:"from"`
	To       LinkEnd `json:"to"`
	DaysOpen *int64  `json:"days_open,omitempty"`
}

// ReleaseItem is an open issue planned into a fix version with a release
// date (the versions the tracker lists now).
type ReleaseItem struct {
	Version  string
	Release  string // YYYY-MM-DD
	Released bool
	Issue    LinkEnd
}

// DepData is what internal/deps reads from the warehouse.
type DepData struct {
	Links    []Link
	Releases []ReleaseItem
	// SprintEnd: the end of the sprint active at as_of of each open issue
	// in one.
	SprintEnd map[IssueRef]time.Time
	// CycleDays: per project (source/KEY), the sorted cycle times in days
	// of its flow items done in the window before as_of.
	CycleDays map[string][]float64
}

// IssueRef names an issue across sources.
type IssueRef struct{ Source, Key string }

// Ref is the IssueRef of an end.
func (e LinkEnd) Ref() IssueRef {
	src, _, _ := strings.Cut(e.Project, "/")
	return IssueRef{Source: src, Key: e.Key}
}

// ReadDeps reads the open links, the release plans, the active sprints and
// the cycle-time samples (window: the days before as_of) of the whole
// portfolio at opts.AsOf (opts.Scope is not applied: a chain crosses
// scopes), each issue with its teams (kpi.teams).
func ReadDeps(ctx context.Context, w *warehouse.Warehouse, opts Options, window int) (DepData, error) {
	r, err := open(ctx, w, opts, window)
	if err != nil {
		return DepData{}, err
	}
	defer r.close()
	return r.deps()
}

// deps reads the DepData.
func (r *reading) deps() (DepData, error) {
	ctx, w, rels, params := r.ctx, r.w, r.rels, r.params
	d := DepData{SprintEnd: map[IssueRef]time.Time{}, CycleDays: map[string][]float64{}}
	end := func(source, key, summary, url, pkey, program, cat string, due int64) LinkEnd {
		e := LinkEnd{Key: key, Summary: summary, URL: url, Project: project(source, pkey), Program: program, Teams: r.teams[key], Status: status(cat)}
		if due != 0 {
			e.Due = dayString(due)
		}
		return e
	}
	err := query(ctx, w, "open_links", "the open blocking links", rels, params, func(r *warehouse.Rows) error {
		var source, bk, bs, bu, bp, bg, bc, xk, xs, xu, xp, xg, xc string
		var bd, xd, days int64
		var known bool
		if err := r.Scan(&source, &bk, &bs, &bu, &bp, &bg, &bc, &bd, &xk, &xs, &xu, &xp, &xg, &xc, &xd, &known, &days); err != nil {
			return err
		}
		l := Link{From: end(source, bk, bs, bu, bp, bg, bc, bd), To: end(source, xk, xs, xu, xp, xg, xc, xd)}
		if known {
			l.DaysOpen = &days
		}
		d.Links = append(d.Links, l)
		return nil
	})
	if err != nil {
		return DepData{}, err
	}
	err = query(ctx, w, "issue_releases", "the issues' releases", rels, params, func(r *warehouse.Rows) error {
		var source, key, summary, url, pkey, program, cat, version, date string
		var released bool
		if err := r.Scan(&source, &key, &summary, &url, &pkey, &program, &cat, &version, &date, &released); err != nil {
			return err
		}
		d.Releases = append(d.Releases, ReleaseItem{Version: version, Release: date, Released: released,
			Issue: end(source, key, summary, url, pkey, program, cat, 0)})
		return nil
	})
	if err != nil {
		return DepData{}, err
	}
	err = query(ctx, w, "issue_sprints", "the active sprints", rels, params, func(r *warehouse.Rows) error {
		var source, key string
		var endS int64
		if err := r.Scan(&source, &key, &endS); err != nil {
			return err
		}
		d.SprintEnd[IssueRef{source, key}] = unix(endS)
		return nil
	})
	if err != nil {
		return DepData{}, err
	}
	err = query(ctx, w, "cycle_samples", "the cycle times", rels, params, func(r *warehouse.Rows) error {
		var source, pkey string
		var xs []float64
		if err := r.Scan(&source, &pkey, &xs); err != nil {
			return err
		}
		d.CycleDays[project(source, pkey)] = xs
		return nil
	})
	if err != nil {
		return DepData{}, err
	}
	return d, nil
}
