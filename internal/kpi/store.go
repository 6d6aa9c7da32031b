package kpi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

var kpiValueColumns = []string{"scope_kind", "scope", "kpi", "window", "labels", "as_of", "value", "n", "computed_at", "_version", "rag"}

// Store writes the snapshot to kpi_values. Storing a snapshot with the same
// as_of again replaces the earlier values (readers see the latest
// computed_at through v_kpi_values), never duplicates them.
func Store(ctx context.Context, w *warehouse.Warehouse, s Snapshot) error {
	rows := make([][]any, 0, len(s.Values))
	for _, v := range s.Values {
		computed := v.ComputedAt
		if computed.IsZero() {
			computed = s.ComputedAt
		}
		asOf := v.AsOf
		if asOf.IsZero() {
			asOf = s.AsOf
		}
		// Instants go in as 'YYYY-MM-DD hh:mm:ss' UTC text, which both
		// engines parse into DateTime('UTC') columns.
		rows = append(rows, []any{v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String(), asOf.UTC().Format(time.DateTime), v.Value, v.N, computed.UTC().Format(time.DateTime), uint64(computed.UnixNano()), ragColumn(v.RAG)})
	}
	if err := w.Insert(ctx, "kpi_values", kpiValueColumns, rows); err != nil {
		return fmt.Errorf("kpi: storing %d values as of %s: %w", len(rows), s.AsOf.Format(time.RFC3339), err)
	}
	return nil
}

// ErrNoValues is returned by LatestComplete when no complete computation
// is stored.
var ErrNoValues = errors.New("kpi: no KPI values of a complete computation stored yet; run `pmo kpi` (without --scope) first")

// History returns the stored values with as_of in [from, to], deduplicated
// (latest computation of each value), ordered by scope, kpi, labels, as_of.
func History(ctx context.Context, w *warehouse.Warehouse, from, to time.Time) (Snapshot, error) {
	q := `SELECT scope_kind, scope, kpi, window, labels, as_of, value, n, computed_at, rag FROM v_kpi_values
WHERE as_of >= ? AND as_of <= ? ORDER BY scope_kind, scope, kpi, window, labels, as_of`
	rows, err := w.Query(ctx, q, from.UTC(), to.UTC())
	if err != nil {
		return Snapshot{}, fmt.Errorf("kpi: reading KPI values: %w", err)
	}
	defer rows.Close()
	s := Snapshot{AsOf: to.UTC()}
	for rows.Next() {
		var v Value
		var labels string
		var rag *int64
		if err := rows.Scan(&v.ScopeKind, &v.Scope, &v.KPI, &v.Window, &labels, &v.AsOf, &v.Value, &v.N, &v.ComputedAt, &rag); err != nil {
			return Snapshot{}, fmt.Errorf("kpi: reading KPI values: %w", err)
		}
		v.Labels = ParseLabels(labels)
		if rag != nil && *rag >= int64(Green) && *rag <= int64(Red) {
			v.RAG = ragPtr(RAG(*rag))
		}
		if v.ComputedAt.After(s.ComputedAt) {
			s.ComputedAt = v.ComputedAt
		}
		s.Values = append(s.Values, v)
	}
	return s, rows.Err()
}

// Backfill computes and stores a snapshot at every as_of from `from` to
// `to` (inclusive) in steps of step, for trend history. Past values are
// restated from the current changelog (kpis.md C2); snapshot KPIs that
// depend on current field values (stale_ratio's updated, hygiene fields)
// use today's values. Each as-of gets a refresh record of one new run.
func Backfill(ctx context.Context, w *warehouse.Warehouse, cfg Config, from, to time.Time, step time.Duration, f ScopeFilter) (int, error) {
	return BackfillRun(ctx, w, cfg, from, to, step, f, Run{ID: NewRunID()})
}

// Run identifies the run that stores computations in their refresh
// records: its id and the pmo version.
type Run struct{ ID, Version string }

// BackfillRun is Backfill with the refresh records naming run.
func BackfillRun(ctx context.Context, w *warehouse.Warehouse, cfg Config, from, to time.Time, step time.Duration, f ScopeFilter, run Run) (int, error) {
	if step <= 0 {
		return 0, fmt.Errorf("kpi: backfill step %s must be positive", step)
	}
	if to.Before(from) {
		return 0, fmt.Errorf("kpi: backfill range %s..%s is empty: --from must not be after --to", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	loc, err := time.LoadLocation(firstNonEmpty(cfg.TZ, "UTC"))
	if err != nil {
		return 0, fmt.Errorf("kpi.tz: unknown time zone %q", cfg.TZ)
	}
	next := func(t time.Time) time.Time { return t.Add(step) }
	if step%(24*time.Hour) == 0 {
		// Whole days step by local calendar days, so local midnights stay
		// local midnights across DST changes.
		days := int(step / (24 * time.Hour))
		next = func(t time.Time) time.Time { return t.In(loc).AddDate(0, 0, days).UTC() }
	}
	n := 0
	for t := from; !t.After(to); t = next(t) {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		s, err := Compute(ctx, w, cfg, t, f)
		if err != nil {
			return n, fmt.Errorf("kpi: backfill as of %s: %w", t.Format(time.RFC3339), err)
		}
		if err := StoreRefresh(ctx, w, s, RefreshOf(s, f, run.ID, run.Version)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// LocalMidnight returns the local midnight that starts day d in the
// configured org time zone — the as_of of the nightly job for the day
// before d (kpis.md notation: as_of is the midnight ending the last
// complete day).
func (c Config) LocalMidnight(d time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(firstNonEmpty(c.TZ, "UTC"))
	if err != nil {
		return time.Time{}, fmt.Errorf("kpi.tz: unknown time zone %q", c.TZ)
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc).UTC(), nil
}

// ragColumn is the kpi_values.rag cell: NULL when unrated. The column is
// Nullable(Int64) because the warehouse inserts take *int64 on both
// engines (0 green, 1 amber, 2 red).
func ragColumn(r *RAG) *int64 {
	if r == nil {
		return nil
	}
	x := int64(*r)
	return &x
}
