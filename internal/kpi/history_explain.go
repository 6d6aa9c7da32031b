package kpi

import (
	"context"
	"fmt"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// explainHistory lists the issues behind due_date_adherence,
// estimation_accuracy, blocked_ratio and overdue_ratio with the values
// replayed from the changelog (the due date at completion and the baseline,
// the estimate at start with the sub-task roll-up, the blocked state and
// the due date at as_of).
func explainHistory(ctx context.Context, w *warehouse.Warehouse, s settings, e *Explanation, ref scopeRef, win window, src string) error {
	sc, err := scopedSQL(src, []string{ref.key()})
	if err != nil {
		return err
	}
	q, err := modelSQL("explain_history", map[string]string{"scoped": "(" + sc + ")"}, nil)
	if err != nil {
		return err
	}
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: explaining %s for %s: %w", e.KPI, ref.key(), err)
	}
	defer rows.Close()
	day := func(d int64) string { return time.Unix(d*86400, 0).UTC().Format(time.DateOnly) }
	eDays, froms := s.zoneEDay(e.AsOf), s.zoneFrom(e.AsOf, win)
	for rows.Next() {
		var key, cat string
		var flow, disc, done, started uint64
		var startS, doneS int64
		var doneDay int64
		var due, base, chg, est, subEst, spent, subSpent, blocked, cross, since, unknown, dueAsOf, zi int64
		if err := rows.Scan(&key, &flow, &disc, &done, &started, &cat, &startS, &doneS, &doneDay,
			&due, &base, &chg, &est, &subEst, &spent, &subSpent, &blocked, &cross, &since, &unknown, &dueAsOf, &zi); err != nil {
			return fmt.Errorf("kpi: explaining %s: %w", e.KPI, err)
		}
		eDay := zoneValue(eDays, zi)
		if flow == 0 || disc == 1 {
			continue
		}
		it := ExplainItem{Key: key}
		if started == 1 {
			it.Start = tptr(time.Unix(startS, 0).UTC())
		}
		doneIn := done == 1 && doneS >= zoneValue(froms, zi) && doneS < win.To.Unix()
		if done == 1 {
			it.Done = tptr(time.Unix(doneS, 0).UTC())
		}
		switch e.KPI {
		case "due_date_adherence":
			if !doneIn || (due == 0 && base == 0) {
				continue
			}
			verdict := func(d int64) string {
				switch {
				case d == 0:
					return "no due date"
				case doneDay <= d:
					return "on time (due " + day(d) + ")"
				}
				return fmt.Sprintf("late %d d (due %s)", doneDay-d, day(d))
			}
			it.Role = fmt.Sprintf("%s; baseline_due: %s, %d due-date change(s)", verdict(due), verdict(base), chg)
			if due != 0 && doneDay > due {
				l := doneDay - due
				it.DayCount = &l
			}
		case "estimation_accuracy":
			if !doneIn {
				continue
			}
			sp, es, from := spent+subSpent, est, "at start"
			if es <= 0 {
				es, from = subEst, "of the sub-tasks"
			}
			switch {
			case sp <= 0:
				it.Role = "excluded: no time spent"
			case es <= 0:
				it.Role = "excluded: no original estimate"
			default:
				it.Role = fmt.Sprintf("counted: spent %.2f h (sub-tasks %.2f h) / estimate %s %.2f h = %.3f",
					float64(sp)/3600, float64(subSpent)/3600, from, float64(es)/3600, float64(sp)/float64(es))
			}
		case "overdue_ratio":
			if done == 1 || dueAsOf == 0 {
				continue
			}
			if dueAsOf <= eDay {
				od := eDay - dueAsOf
				it.Role, it.DayCount = fmt.Sprintf("overdue (due %s at as-of)", day(dueAsOf)), &od
			} else {
				it.Role = fmt.Sprintf("not overdue (due %s at as-of)", day(dueAsOf))
			}
		case "blocked_ratio":
			if done == 1 {
				continue
			}
			it.Role = "open (" + cat + "), not blocked"
			if blocked == 1 {
				it.Role = "open (" + cat + "), blocked"
				if cross == 1 {
					it.Role += " (blocker in another project)"
				}
				if unknown == 0 && since > 0 {
					d := float64(e.AsOf.Unix()-since) / 86400
					it.Days = &d
				}
			}
		}
		e.Items = append(e.Items, it)
	}
	return rows.Err()
}

// planningSource is the lifecycle with the replayed planning values and the
// blocked state at as_of (what explainHistory reads), derived once per
// settings group of an Explainer.
func (x *Explainer) planningSource(ctx context.Context, g *flowGroup) (string, error) {
	if g.plan != "" {
		return g.plan, nil
	}
	in, out, err := g.c.blockingTexts(ctx)
	if err != nil {
		return "", err
	}
	src, err := g.c.model("planning_blocked", map[string]any{"in_texts": in, "out_texts": out})
	if err != nil {
		return "", err
	}
	plan, drop := g.c.materialize(ctx, "planning source", src)
	x.drops = append(x.drops, drop)
	g.plan = plan
	return plan, nil
}
