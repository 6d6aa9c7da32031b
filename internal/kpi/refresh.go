package kpi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Refresh is one stored KPI computation: a row of kpi_refreshes. Every
// computation pmo stores (pmo kpi, each refresh of pmo serve, every as-of
// of a backfill) records one. Complete refreshes covered the whole
// portfolio (no scope filter); readers of "the latest snapshot" (reports,
// the exporter, email) take the latest complete one, so a scoped run — even
// one at a stray future as-of — is stored and queryable but never becomes
// the latest portfolio.
type Refresh struct {
	RunID      string    `json:"run_id"`
	AsOf       time.Time `json:"as_of"`
	Complete   bool      `json:"complete"`
	Filter     string    `json:"scope_filter"` // "" when complete, else the --scope given
	Scopes     []string  `json:"scopes"`       // scope keys computed, "project:jira/ALPHA"
	Values     int       `json:"values"`
	ComputedAt time.Time `json:"computed_at"`
	Version    string    `json:"pmo_version"`
}

// NewRunID returns a random id for one run (one pmo kpi, one serve refresh,
// one backfill), written to each refresh it stores.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// RefreshOf describes the stored snapshot s computed for the scopes f
// selects: complete when f selects every scope.
func RefreshOf(s Snapshot, f ScopeFilter, runID, version string) Refresh {
	r := Refresh{RunID: runID, AsOf: s.AsOf.UTC(), Complete: f.Kind == "" && f.Name == "", Filter: f.String(),
		Values: len(s.Values), ComputedAt: s.ComputedAt.UTC(), Version: version}
	seen := map[string]bool{}
	for _, v := range s.Values {
		k := v.ScopeKind + ":" + v.Scope
		if !seen[k] {
			seen[k] = true
			r.Scopes = append(r.Scopes, k)
		}
	}
	slices.Sort(r.Scopes)
	if r.Scopes == nil {
		r.Scopes = []string{}
	}
	if r.ComputedAt.IsZero() {
		r.ComputedAt = time.Now().UTC()
	}
	return r
}

var refreshColumns = []string{"run_id", "as_of", "complete", "scope_filter", "scopes", "value_count", "computed_at", "pmo_version", "_version"}

// RecordRefresh writes the refresh record of a stored computation.
func RecordRefresh(ctx context.Context, w *warehouse.Warehouse, r Refresh) error {
	if r.RunID == "" {
		r.RunID = NewRunID()
	}
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	row := []any{r.RunID, r.AsOf.UTC().Format(time.DateTime), r.Complete, r.Filter, scopes, uint64(r.Values),
		r.ComputedAt.UTC().Format(time.DateTime), r.Version, uint64(r.ComputedAt.UnixNano())}
	if err := w.Insert(ctx, "kpi_refreshes", refreshColumns, [][]any{row}); err != nil {
		return fmt.Errorf("kpi: recording the refresh as of %s (run %s): %w", r.AsOf.Format(time.RFC3339), r.RunID, err)
	}
	return nil
}

// StoreRefresh stores the snapshot's values and its refresh record.
func StoreRefresh(ctx context.Context, w *warehouse.Warehouse, s Snapshot, r Refresh) error {
	if err := Store(ctx, w, s); err != nil {
		return err
	}
	return RecordRefresh(ctx, w, r)
}

// Refreshes returns the recorded refreshes, newest as-of first (then newest
// computation first).
func Refreshes(ctx context.Context, w *warehouse.Warehouse) ([]Refresh, error) {
	rows, err := w.Query(ctx, `SELECT run_id, as_of, toInt64(complete), scope_filter, scopes, toInt64(value_count), computed_at, pmo_version
FROM kpi_refreshes FINAL ORDER BY as_of DESC, computed_at DESC, run_id`)
	if err != nil {
		return nil, fmt.Errorf("kpi: reading the refresh records (kpi_refreshes; run pmo migrate if it is missing): %w", err)
	}
	defer rows.Close()
	var out []Refresh
	for rows.Next() {
		var r Refresh
		var complete, n int64
		if err := rows.Scan(&r.RunID, &r.AsOf, &complete, &r.Filter, &r.Scopes, &n, &r.ComputedAt, &r.Version); err != nil {
			return nil, fmt.Errorf("kpi: reading the refresh records: %w", err)
		}
		r.Complete, r.Values = complete == 1, int(n)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrFutureAsOf is returned by CheckFutureAsOf for an as-of after now.
var ErrFutureAsOf = errors.New("kpi: as-of is in the future")

// CheckFutureAsOf refuses an as-of after now: its values would cover days that
// have not happened, and a report reading it would freeze on that date.
// allowFuture (pmo kpi --allow-future-as-of) accepts it on purpose.
func CheckFutureAsOf(asOf, now time.Time, allowFuture bool) error {
	if allowFuture || !asOf.After(now) {
		return nil
	}
	return fmt.Errorf("%w: %s is after now (%s); compute up to today's as-of, or pass --allow-future-as-of to compute a future as-of on purpose",
		ErrFutureAsOf, asOf.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
}

// LatestRefresh says which as-of "the latest portfolio" is: the as-of of the
// latest complete refresh record (FromRecord true). A warehouse filled
// before refresh records existed (no complete record) falls back to the
// latest as-of whose stored values cover every scope that existed at that
// as-of (the portfolio, and each source, program and project with an issue
// created before it), the scopes a complete computation stores. ErrNoValues
// when there is neither.
func LatestRefresh(ctx context.Context, w *warehouse.Warehouse) (asOf time.Time, fromRecord bool, err error) {
	ts, fromRecord, err := completeAsOfs(ctx, w, 1)
	if err != nil {
		return time.Time{}, false, err
	}
	if len(ts) == 0 {
		return time.Time{}, false, ErrNoValues
	}
	return ts[0], fromRecord, nil
}

// CompleteAsOfs returns up to limit as-ofs of complete refreshes, newest
// first (limit ≤ 0: all): from the refresh records when any complete one
// is recorded, else by the fallback of LatestRefresh.
func CompleteAsOfs(ctx context.Context, w *warehouse.Warehouse, limit int) ([]time.Time, error) {
	ts, _, err := completeAsOfs(ctx, w, limit)
	return ts, err
}

func completeAsOfs(ctx context.Context, w *warehouse.Warehouse, limit int) ([]time.Time, bool, error) {
	refs, err := Refreshes(ctx, w)
	if err != nil {
		return nil, false, err
	}
	var out []time.Time
	for _, r := range refs {
		if !r.Complete || (len(out) > 0 && out[len(out)-1].Equal(r.AsOf)) {
			continue
		}
		out = append(out, r.AsOf)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	if len(out) > 0 {
		return out, true, nil
	}
	out, err = completeAsOfsWithoutRecords(ctx, w, limit, time.Time{})
	return out, false, err
}

// completeAsOfsWithoutRecords finds, newest first, the stored as-ofs (before
// before, unless it is zero) whose values cover every scope that existed
// at that as-of.
func completeAsOfsWithoutRecords(ctx context.Context, w *warehouse.Warehouse, limit int, before time.Time) ([]time.Time, error) {
	const what = "kpi: finding the latest complete snapshot (no refresh records: a warehouse filled before migration 107)"
	rows, err := w.Query(ctx, `SELECT as_of, groupUniqArray(concat(scope_kind, ':', scope)) FROM v_kpi_values
GROUP BY as_of HAVING has(groupUniqArray(scope_kind), 'portfolio') ORDER BY as_of DESC`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	type stored struct {
		asOf   time.Time
		scopes []string
	}
	var cands []stored
	for rows.Next() {
		var s stored
		if err := rows.Scan(&s.asOf, &s.scopes); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		cands = append(cands, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []time.Time
	for _, c := range cands {
		if !before.IsZero() && !c.asOf.Before(before) {
			continue
		}
		want, err := scopeKeysAt(ctx, w, c.asOf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if !slices.ContainsFunc(want, func(k string) bool { return !slices.Contains(c.scopes, k) }) {
			out = append(out, c.asOf)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// scopeKeysAt lists the scope keys a complete computation at asOf stores:
// the portfolio and every source, program and project of the issues
// created before asOf (as scopeGroups finds them).
func scopeKeysAt(ctx context.Context, w *warehouse.Warehouse, asOf time.Time) ([]string, error) {
	groups, err := scopeGroups(ctx, w, DefaultConfig(), asOf, ScopeFilter{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range groups {
		for _, r := range g.scopes {
			out = append(out, r.key())
		}
	}
	return out, nil
}

// LatestComplete returns the stored values of the latest complete refresh
// (LatestRefresh): what reports, the exporter and email show.
func LatestComplete(ctx context.Context, w *warehouse.Warehouse) (Snapshot, error) {
	asOf, _, err := LatestRefresh(ctx, w)
	if err != nil {
		return Snapshot{}, err
	}
	s, err := History(ctx, w, asOf, asOf)
	if err == nil && len(s.Values) == 0 {
		return Snapshot{}, ErrNoValues
	}
	return s, err
}
