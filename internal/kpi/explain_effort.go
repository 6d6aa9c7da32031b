package kpi

import (
	"context"
	"fmt"
	"math"
	"time"
)

// effortStat is what the effort KPIs' recomputation needs besides the
// worklogs: each author's capacity over the month window.
type effortStat struct {
	capacity map[string]float64 // author → capacity hours
}

// explainEffort lists the worklogs behind logged_hours (R1), utilization
// (R2) and work_distribution (R3) for one scope: the month window's
// worklogs attributed to the local day of their start (kpis.md C10), each
// with its issue, type, author and seconds, and the capacity of every
// author who logged time — the rows effort_hours sums (models/effort.sql).
func explainEffort(ctx context.Context, c *computation, e *Explanation, ref scopeRef) error {
	w, first, last := monthWindow(c.asOf, c.s.loc)
	e.Window = w.Name
	local := &computation{w: c.w, s: c.s, asOf: c.asOf, lc: c.lc, keep: []string{ref.key()}}
	q, err := local.model("effort_worklogs", withParams(local.keepParams(), map[string]any{"w_from": c.s.zoneFromTime(c.asOf, w), "w_to": w.To}))
	if err != nil {
		return err
	}
	rows, err := c.w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("kpi: explaining %s for %s: %w", e.KPI, ref.key(), err)
	}
	defer rows.Close()
	st := &effortStat{capacity: map[string]float64{}}
	for rows.Next() {
		var key, typ, author string
		var secs, started int64
		if err := rows.Scan(&key, &typ, &author, &secs, &started); err != nil {
			return fmt.Errorf("kpi: explaining %s for %s: %w", e.KPI, ref.key(), err)
		}
		at := time.Unix(started, 0).UTC()
		e.Items = append(e.Items, ExplainItem{Key: key, Role: "logged by " + author, Start: &at, Assignee: author, Type: typ,
			Values: map[string]float64{"seconds": float64(secs)}})
		if _, ok := st.capacity[author]; !ok {
			st.capacity[author] = c.s.Capacity.hours(author, first, last)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("kpi: explaining %s for %s: %w", e.KPI, ref.key(), err)
	}
	e.effort = st
	return nil
}

// recomputeEffort derives the effort KPIs from the listed worklogs, as
// effort() does from effort_hours: hours per author and type (the seconds
// of each author and type summed, then divided by 3,600), their total, the
// capacity of the authors who logged time, shares and concentration.
func (e Explanation) recomputeEffort(labels Labels) (*float64, uint64, bool) {
	type at struct{ author, typ string }
	secs := map[at]int64{}
	for _, it := range e.Items {
		secs[at{it.Assignee, it.Type}] += int64(it.Values["seconds"])
	}
	var total float64
	byAuthor, byType := map[string]float64{}, map[string]float64{}
	for k, s := range secs {
		h := float64(s) / 3600
		total += h
		byAuthor[k.author] += h
		byType[k.typ] += h
	}
	n := uint64(len(byAuthor))
	var capSum, top, hhi float64
	for _, a := range keysOf(byAuthor) {
		capSum += e.effort.capacity[a]
		if total > 0 {
			s := byAuthor[a] / total
			top = math.Max(top, s)
			hhi += s * s
		}
	}
	author, typ, measure := labels["author"], labels["type"], labels["measure"]
	switch e.KPI {
	case "logged_hours":
		switch {
		case measure == "total":
			return fptr(total), n, true
		case author != "":
			return fptr(byAuthor[author]), 1, true
		case typ != "":
			return fptr(byType[typ]), n, true
		}
	case "utilization":
		switch {
		case author != "":
			return ratio(fptr(byAuthor[author]), fptr(e.effort.capacity[author])), 1, true
		case measure == "team":
			return ratio(fptr(total), fptr(capSum)), n, true
		case measure == "capacity_hours":
			return fptr(capSum), n, true
		}
	case "work_distribution":
		switch {
		case typ != "":
			return ratio(fptr(byType[typ]), fptr(total)), n, true
		case measure == "top_person_share" && total > 0:
			return fptr(top), n, true
		case measure == "hhi" && total > 0:
			return fptr(hhi), n, true
		case measure == "top_person_share", measure == "hhi":
			return nil, n, true
		}
	}
	return nil, 0, false
}
