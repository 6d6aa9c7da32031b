package kpi

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Sprint reconstruction (kpis.md C8).
//
// Why Go and not SQL: the sprint report replays three interleaved event
// streams per issue (Sprint field, estimate, status) against each sprint's
// start and close instants, with order-dependent rules (an item done when it
// joins counts as "completed outside"; estimate deltas count only while the
// item is a member). In the 18.16 dialect (no window functions, no
// arrayFold) that becomes an unreadable tower of nested array lambdas. So
// ClickHouse does the heavy part — it selects the sprint issues and folds
// each issue's relevant changelog into one compact row of sorted arrays —
// and Go replays those rows, which is linear in the number of sprint events.

// SprintReport is the C8 report of one sprint (points and distinct issues).
type SprintReport struct {
	Source, SprintID, Sprint, BoardID, Board, Project string
	State                                             string
	Start, Close                                      time.Time
	Commitment, Added, Removed, EstimateChange        float64
	Completed, NotCompleted                           float64
	CompletedInitial                                  float64 // Σ est(t_start) of committed ∩ completed (S4)
	FinalScope                                        float64 // completed + not completed (points)
	Committed, AddedKeys, RemovedKeys                 []string
	CompletedKeys, NotCompletedKeys, OutsideKeys      []string
	CommittedCompleted                                int
	// Points per role ("committed", "added", "removed", "completed", "not
	// completed") and issue key, for explanations.
	Points map[string]map[string]float64 `json:"-"`
}

func (r *SprintReport) note(role, key string, pts float64) {
	if r.Points == nil {
		r.Points = map[string]map[string]float64{}
	}
	if r.Points[role] == nil {
		r.Points[role] = map[string]float64{}
	}
	r.Points[role][key] += pts
}

// InvariantGap is commitment + added − removed + estimate change −
// (completed + not completed); 0 when the C8 invariant holds.
func (r SprintReport) InvariantGap() float64 {
	return r.Commitment + r.Added - r.Removed + r.EstimateChange - (r.Completed + r.NotCompleted)
}

type sprintRow struct {
	source, id, boardID, board, name, state string
	projectKey, program                     string
	start, activated, end, complete         *time.Time
}

type evt struct {
	at       int64
	kind     model.ChangeKind // status, sprint or story_points
	from, to string
	// fromCat, toCat: the status categories of a status change; the replay
	// only asks whether they are done (loadSprintIssues reads "done" or "").
	fromCat string
	toCat   string
}

type sprintIssue struct {
	source, id, key   string
	created           int64 // Unix seconds
	points            *float64
	sprintIDs         []string
	statusID, statCat string
	events            []evt // sorted by instant
}

// computeSprints adds the sprint KPIs of every active or closed sprint whose
// board's project is selected by f.
func computeSprints(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, f ScopeFilter, snap *Snapshot) error {
	if f.Kind == ScopeTeam {
		return computeTeamSprints(ctx, w, cfg, asOf, f, snap) // teams.go
	}
	t0 := time.Now()
	reports, err := SprintReports(ctx, w, cfg, asOf, f)
	slog.Debug("kpi: sprint reports", "sprints", len(reports), "took", time.Since(t0))
	if err != nil {
		return err
	}
	// Group by board, ordered by close instant, for the rolling KPIs.
	byBoard := map[string][]SprintReport{}
	var boards []string
	for _, r := range reports {
		k := r.Source + "/" + r.BoardID
		if _, ok := byBoard[k]; !ok {
			boards = append(boards, k)
		}
		byBoard[k] = append(byBoard[k], r)
	}
	for _, b := range boards {
		rs := byBoard[b]
		first := len(snap.Values) // the board's values, copied to its teams below
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Close.Before(rs[j].Close) })
		s, err := cfg.resolve(ScopeProject, rs[0].Source+"/"+rs[0].Project, "", rs[0].Source)
		if err != nil {
			return err
		}
		var closedVel []float64
		for _, r := range rs {
			emitSprint(snap, r)
			if r.State == "closed" {
				if g := r.InvariantGap(); math.Abs(g) > 1e-9 {
					snap.Checks = append(snap.Checks, fmt.Sprintf("sprint %s (%s): C8 invariant off by %g points", r.Sprint, r.SprintID, g))
				}
				// Predictability: velocity / mean of the previous 3 sprints.
				if len(closedVel) >= 3 {
					prev := closedVel[len(closedVel)-3:]
					sv(snap, r, "velocity_variability", Labels{"measure": "predictability", "sprint": r.Sprint}, ratio(&r.Completed, fptr(mean(prev))), 3)
				}
				closedVel = append(closedVel, r.Completed)
			}
		}
		last := rs[len(rs)-1]
		board := Labels{"board": last.Board}
		n := *s.VelocityWindowSprints
		vw := tail(closedVel, n)
		var mv *float64
		if len(vw) > 0 {
			mv = fptr(mean(vw))
		}
		sv(snap, last, "sprint_velocity", with(board, "variant", "points"), mv, len(vw)).Window = "last" + strconv.Itoa(n)
		m := *s.VariabilityWindow
		cw := tail(closedVel, m)
		var cv *float64
		if len(cw) >= 2 {
			if mu := mean(cw); mu != 0 {
				cv = fptr(stdevSample(cw) / mu)
			}
		}
		sv(snap, last, "velocity_variability", with(board, "measure", "cv"), cv, len(cw)).Window = "last" + strconv.Itoa(m)
		var sayDo []float64
		for _, r := range rs {
			if r.State == "closed" && r.Commitment > 0 {
				sayDo = append(sayDo, r.Completed/r.Commitment)
			}
		}
		sd := tail(sayDo, n)
		var msd *float64
		if len(sd) > 0 {
			msd = fptr(mean(sd))
		}
		sv(snap, last, "say_do_ratio", with(board, "variant", "points"), msd, len(sd)).Window = "last" + strconv.Itoa(n)
		teamSprintValues(snap, cfg, last, first) // teams.go
	}
	return nil
}

func with(l Labels, k, v string) Labels {
	out := Labels{k: v}
	for a, b := range l {
		out[a] = b
	}
	return out
}

func tail(xs []float64, n int) []float64 {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func stdevSample(xs []float64) float64 {
	mu := mean(xs)
	s := 0.0
	for _, x := range xs {
		s += (x - mu) * (x - mu)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// sv appends a sprint value for the sprint's project scope and returns it
// so the caller can adjust the window.
func sv(snap *Snapshot, r SprintReport, kpi string, labels Labels, v *float64, n int) *Value {
	snap.Values = append(snap.Values, Value{ScopeKind: ScopeProject, Scope: r.Source + "/" + r.Project, KPI: kpi, Window: "sprint", Labels: labels, Value: v, N: uint64(n)})
	return &snap.Values[len(snap.Values)-1]
}

func emitSprint(snap *Snapshot, r SprintReport) {
	l := func(kv ...string) Labels {
		out := Labels{"sprint": r.Sprint}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	nc := len(r.Committed)
	f := func(x float64) *float64 { return &x }
	cnt := func(x []string) *float64 { return f(float64(len(x))) }
	sv(snap, r, "sprint_velocity", l("variant", "points"), f(r.Completed), len(r.CompletedKeys))
	sv(snap, r, "sprint_velocity", l("variant", "count"), cnt(r.CompletedKeys), len(r.CompletedKeys))
	sv(snap, r, "say_do_ratio", l("variant", "points"), ratio(f(r.Completed), f(r.Commitment)), nc)
	sv(snap, r, "say_do_ratio", l("variant", "count"), ratio(cnt(r.CompletedKeys), cnt(r.Committed)), nc)
	sv(snap, r, "commitment_completion_rate", l("variant", "points"), ratio(f(r.CompletedInitial), f(r.Commitment)), nc)
	sv(snap, r, "commitment_completion_rate", l("variant", "count"), ratio(f(float64(r.CommittedCompleted)), cnt(r.Committed)), nc)
	sv(snap, r, "sprint_scope_change", l("variant", "count"), ratio(f(float64(len(r.AddedKeys)+len(r.RemovedKeys))), cnt(r.Committed)), nc)
	sv(snap, r, "sprint_scope_change", l("variant", "points"), ratio(f(r.Added+r.Removed), f(r.Commitment)), nc)
	sv(snap, r, "sprint_scope_change", l("measure", "estimate_change"), f(r.EstimateChange), nc)
	final := len(r.CompletedKeys) + len(r.NotCompletedKeys)
	sv(snap, r, "sprint_carryover", l("variant", "points"), ratio(f(r.NotCompleted), f(r.FinalScope)), final)
	sv(snap, r, "sprint_carryover", l("variant", "count"), ratio(cnt(r.NotCompletedKeys), f(float64(final))), final)
	for _, m := range []struct {
		name   string
		points float64
		keys   []string
	}{
		{"committed", r.Commitment, r.Committed}, {"added", r.Added, r.AddedKeys}, {"removed", r.Removed, r.RemovedKeys},
		{"completed", r.Completed, r.CompletedKeys}, {"not_completed", r.NotCompleted, r.NotCompletedKeys},
	} {
		sv(snap, r, "sprint_carryover", l("measure", m.name, "variant", "points"), f(m.points), len(m.keys))
		sv(snap, r, "sprint_carryover", l("measure", m.name, "variant", "count"), cnt(m.keys), len(m.keys))
	}
	sv(snap, r, "sprint_carryover", l("measure", "completed_outside", "variant", "count"), cnt(r.OutsideKeys), len(r.OutsideKeys))
	sv(snap, r, "sprint_carryover", l("measure", "estimate_change", "variant", "points"), f(r.EstimateChange), nc)
	sv(snap, r, "sprint_carryover", l("measure", "invariant_gap", "variant", "points"), f(r.InvariantGap()), nc)
}

// SprintReports reconstructs the C8 report of every active or closed sprint
// (started before as_of) whose board's project is selected by f.
func SprintReports(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time, f ScopeFilter) ([]SprintReport, error) {
	sprints, err := loadSprints(ctx, w, asOf, cfg, f)
	if err != nil || len(sprints) == 0 {
		return nil, err
	}
	t0 := time.Now()
	issues, err := loadSprintIssues(ctx, w, asOf, cfg.usesDoneStatusIDs())
	if err != nil {
		return nil, err
	}
	slog.Debug("kpi: sprint issues loaded", "issues", len(issues), "took", time.Since(t0))
	bySprint := map[string][]*sprintIssue{}
	for _, is := range issues {
		ids := map[string]bool{}
		for _, s := range is.sprintIDs {
			ids[s] = true
		}
		for _, e := range is.events {
			if e.kind == model.ChangeSprint {
				for _, s := range splitIDs(e.from) {
					ids[s] = true
				}
				for _, s := range splitIDs(e.to) {
					ids[s] = true
				}
			}
		}
		for s := range ids {
			bySprint[is.source+"/"+s] = append(bySprint[is.source+"/"+s], is)
		}
	}
	var out []SprintReport
	settingsOf := map[string]settings{}
	for _, sp := range sprints {
		key := sp.source + "/" + sp.projectKey
		set, ok := settingsOf[key]
		if !ok {
			set, err = cfg.resolve(ScopeProject, key, sp.program, sp.source)
			if err != nil {
				return nil, err
			}
			settingsOf[key] = set
		}
		r, ok := replaySprint(sp, bySprint[sp.source+"/"+sp.id], set, asOf)
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func loadSprints(ctx context.Context, w *warehouse.Warehouse, asOf time.Time, cfg Config, f ScopeFilter) ([]sprintRow, error) {
	q, err := modelSQL("sprints", nil, nil)
	if err != nil {
		return nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: loading sprints: %w", err)
	}
	defer rows.Close()
	var out []sprintRow
	for rows.Next() {
		var r sprintRow
		if err := rows.Scan(&r.source, &r.id, &r.boardID, &r.board, &r.name, &r.state, &r.start, &r.activated, &r.end, &r.complete, &r.projectKey, &r.program); err != nil {
			return nil, fmt.Errorf("kpi: loading sprints: %w", err)
		}
		ref := scopeRef{Kind: ScopeProject, Name: r.source + "/" + r.projectKey, Program: r.program, Source: r.source}
		if r.projectKey == "" || !f.match(ref) {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// loadSprintIssues reads every issue that was ever in a sprint before as_of
// — it has sprint changes, or its current sprint field is set (an issue
// created straight into a sprint has no sprint change) — and its status,
// sprint and story-point changes in history order (the status changes that
// change done-ness only, unless statusIDs: a board's Done column is
// configured by status ids somewhere). The issues are
// materialized once; both queries come ordered by (source, issue_id) and are
// merged here.
func loadSprintIssues(ctx context.Context, w *warehouse.Warehouse, asOf time.Time, statusIDs bool) ([]*sprintIssue, error) {
	const what = "kpi: loading sprint issues"
	params := map[string]any{"as_of": asOf.UTC(), "status_ids": 0}
	if statusIDs {
		params["status_ids"] = 1
	}
	q, err := modelSQL("sprint_issues", nil, params)
	if err != nil {
		return nil, err
	}
	set, drop := materialize(ctx, w, "sprint issues", q)
	defer drop()
	rels := map[string]string{"sprint_issues": "(" + set + ")"}
	q, err = modelSQL("sprint_issues_ordered", rels, params)
	if err != nil {
		return nil, err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []*sprintIssue
	for rows.Next() {
		var is sprintIssue
		if err := rows.Scan(&is.source, &is.id, &is.key, &is.created, &is.points, &is.sprintIDs, &is.statusID, &is.statCat); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, &is)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	q, err = modelSQL("sprint_issue_events", rels, params)
	if err != nil {
		return nil, err
	}
	rows, err = w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: reading their history: %w", what, err)
	}
	defer rows.Close()
	// Each issue's changes, sorted below into history order (models.go:
	// instant, change id, item).
	type ordered struct {
		e         evt
		cid, item int64
	}
	kinds := [...]model.ChangeKind{1: model.ChangeStatus, 2: model.ChangeSprint, 3: model.ChangeStoryPoints}
	cats := [...]string{0: "", 1: "done"}
	var evs []ordered
	next := 0 // out[next] is the first issue not yet given its changes
	flush := func() {
		slices.SortStableFunc(evs, func(a, b ordered) int {
			return cmp.Or(cmp.Compare(a.e.at, b.e.at), cmp.Compare(a.cid, b.cid), cmp.Compare(a.item, b.item))
		})
		is := out[next-1]
		is.events = make([]evt, len(evs))
		for i, o := range evs {
			is.events[i] = o.e
		}
		evs = evs[:0]
	}
	var src, id string
	for rows.Next() {
		var o ordered
		var kind, fromDone, toDone int64
		if err := rows.Scan(&src, &id, &o.e.at, &o.cid, &o.item, &kind, &o.e.from, &o.e.to, &fromDone, &toDone); err != nil {
			return nil, fmt.Errorf("%s: reading their history: %w", what, err)
		}
		if kind < 1 || kind >= int64(len(kinds)) || fromDone < 0 || fromDone > 1 || toDone < 0 || toDone > 1 {
			return nil, fmt.Errorf("%s: reading their history: unexpected change code %d (%d, %d) of issue %s in %s", what, kind, fromDone, toDone, id, src)
		}
		o.e.kind, o.e.fromCat, o.e.toCat = kinds[kind], cats[fromDone], cats[toDone]
		// Advance to this change's issue (both lists are in the same order).
		if next == 0 || out[next-1].source != src || out[next-1].id != id {
			if next > 0 {
				flush()
			}
			for next < len(out) && cmp.Or(strings.Compare(out[next].source, src), strings.Compare(out[next].id, id)) < 0 {
				next++
			}
			if next == len(out) || out[next].source != src || out[next].id != id {
				return nil, fmt.Errorf("%s: reading their history: a change of issue %s in %s, which is not among them or out of order", what, id, src)
			}
			next++
		}
		evs = append(evs, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading their history: %w", what, err)
	}
	if next > 0 {
		flush()
	}
	for _, is := range out {
		is.addCreation()
	}
	return out, nil
}

// addCreation puts the issue's creation first among its events, as a change
// of its sprint membership and estimate from nothing to their initial
// values (kpis.md C9: the `from` of the first change, else the current
// value). Before it the issue is in no sprint; an issue created into a
// sprint after the sprint started is added to it at creation.
func (is *sprintIssue) addCreation() {
	initial := func(k model.ChangeKind, cur string) string {
		for _, e := range is.events {
			if e.kind == k {
				return e.from
			}
		}
		return cur
	}
	pts := ""
	if is.points != nil {
		pts = strconv.FormatFloat(*is.points, 'g', -1, 64)
	}
	created := []evt{
		{at: is.created, kind: model.ChangeStoryPoints, to: initial(model.ChangeStoryPoints, pts)},
		{at: is.created, kind: model.ChangeSprint, to: initial(model.ChangeSprint, strings.Join(is.sprintIDs, ","))},
	}
	is.events = append(created, is.events...)
}

func splitIDs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// issueState answers membership, estimate and done-ness of one issue at an
// instant by replaying its events.
type issueState struct {
	is     *sprintIssue
	doneID map[string]bool // board Done column status ids; nil = category done
}

func (s issueState) members(t int64) []string {
	var last *evt
	var first *evt
	for i := range s.is.events {
		e := &s.is.events[i]
		if e.kind != model.ChangeSprint {
			continue
		}
		if first == nil {
			first = e
		}
		if e.at <= t {
			last = e
		}
	}
	switch {
	case last != nil:
		return splitIDs(last.to)
	case first != nil:
		return splitIDs(first.from)
	}
	return s.is.sprintIDs
}

func (s issueState) member(sprint string, t int64) bool { return slices.Contains(s.members(t), sprint) }

func parsePoints(v string) *float64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil
	}
	return &f
}

// est returns the estimate at t (0 when unestimated, C9).
func (s issueState) est(t int64) float64 {
	var last, first *evt
	for i := range s.is.events {
		e := &s.is.events[i]
		if e.kind != model.ChangeStoryPoints {
			continue
		}
		if first == nil {
			first = e
		}
		if e.at <= t {
			last = e
		}
	}
	var p *float64
	switch {
	case last != nil:
		p = parsePoints(last.to)
	case first != nil:
		p = parsePoints(first.from)
	default:
		p = s.is.points
	}
	if p == nil {
		return 0
	}
	return *p
}

func (s issueState) done(t int64) bool {
	var last, first *evt
	for i := range s.is.events {
		e := &s.is.events[i]
		if e.kind != model.ChangeStatus {
			continue
		}
		if first == nil {
			first = e
		}
		if e.at <= t {
			last = e
		}
	}
	id, cat := s.is.statusID, s.is.statCat
	switch {
	case last != nil:
		id, cat = last.to, last.toCat
	case first != nil:
		id, cat = first.from, first.fromCat
	}
	if s.doneID != nil {
		return s.doneID[id]
	}
	return cat == "done"
}

func replaySprint(sp sprintRow, issues []*sprintIssue, set settings, asOf time.Time) (SprintReport, bool) {
	start := sp.activated
	if start == nil {
		start = sp.start
	}
	if start == nil || !start.Before(asOf) {
		return SprintReport{}, false
	}
	closeT := asOf
	if sp.state == "closed" && sp.complete != nil {
		closeT = *sp.complete
	}
	r := SprintReport{Source: sp.source, SprintID: sp.id, Sprint: sp.name, BoardID: sp.boardID, Board: sp.board, Project: sp.projectKey,
		State: sp.state, Start: start.UTC(), Close: closeT.UTC()}
	if r.Sprint == "" {
		r.Sprint = sp.id
	}
	var doneID map[string]bool
	if ids, ok := set.DoneStatusIDs[sp.boardID]; ok {
		doneID = map[string]bool{}
		for _, id := range ids {
			doneID[id] = true
		}
	}
	t0 := start.Unix() + int64(*set.CommitmentGraceSeconds)
	t1 := closeT.Unix()
	slices.SortFunc(issues, func(a, b *sprintIssue) int { return strings.Compare(a.key, b.key) })
	added, removed := map[string]bool{}, map[string]bool{}
	for _, is := range issues {
		st := issueState{is: is, doneID: doneID}
		outside := false
		committed := false
		if st.member(sp.id, t0) {
			if st.done(t0) {
				outside = true
				r.OutsideKeys = append(r.OutsideKeys, is.key)
			} else {
				committed = true
				r.Committed = append(r.Committed, is.key)
				r.Commitment += st.est(t0)
				r.note("committed", is.key, st.est(t0))
			}
		}
		// Events in (t_start, t_close], in changelog order: membership and
		// estimate are carried along, so same-instant changes keep their order.
		member, est := st.member(sp.id, t0), st.est(t0)
		for _, e := range is.events {
			if e.at <= t0 || e.at > t1 || outside {
				continue
			}
			switch e.kind {
			case model.ChangeSprint:
				now := slices.Contains(splitIDs(e.to), sp.id)
				switch {
				case !member && now:
					if st.done(e.at) {
						outside = true
						r.OutsideKeys = append(r.OutsideKeys, is.key)
						continue
					}
					r.Added += est
					r.note("added", is.key, est)
					added[is.key] = true
				case member && !now:
					r.Removed += est
					r.note("removed", is.key, est)
					removed[is.key] = true
				}
				member = now
			case model.ChangeStoryPoints:
				next := 0.0
				if p := parsePoints(e.to); p != nil {
					next = *p
				}
				if member {
					r.EstimateChange += next - est
				}
				est = next
			}
		}
		if outside || !member {
			continue
		}
		e := est
		if st.done(t1) {
			r.Completed += e
			r.note("completed", is.key, e)
			r.CompletedKeys = append(r.CompletedKeys, is.key)
			if committed {
				r.CompletedInitial += st.est(t0)
				r.CommittedCompleted++
			}
		} else {
			r.NotCompleted += e
			r.note("not completed", is.key, e)
			r.NotCompletedKeys = append(r.NotCompletedKeys, is.key)
		}
	}
	r.AddedKeys, r.RemovedKeys = sortedKeys(added), sortedKeys(removed)
	r.FinalScope = r.Completed + r.NotCompleted
	return r, true
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
