package kpi

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Field and link history replayed from the changelog, so that P1
// due_date_adherence, P3 estimation_accuracy and K3 blocked_ratio see the
// values in force at the relevant instant (kpis.md C9, C11, P1, P3, K3)
// rather than the issues' current fields: a `pmo kpi --as-of` in the past
// sees the past.
//
// The replay rule for a field's value at instant t (C9): the `to` of the
// last change at or before t; if there is none but there are changes after
// t, the `from` of the first change after t; if the field never changed,
// the current value.

// blockingTexts returns the inward ("is blocked by") and outward ("blocks")
// texts of the blocking link types, from the links in the warehouse and,
// when the default type Blocks is configured, its default texts. Link
// changes name the relation by these texts (model.ChangeLink).
func (c *computation) blockingTexts(ctx context.Context) (in, out []string, err error) {
	rows, err := c.w.Query(ctx, "SELECT DISTINCT inward, outward FROM v_issue_links WHERE has(?, type) OR has(?, type_id) ORDER BY inward, outward",
		c.s.BlockingLinkTypes, c.s.BlockingLinkTypes)
	if err != nil {
		return nil, nil, fmt.Errorf("kpi: listing the blocking link texts: %w", err)
	}
	defer rows.Close()
	add := func(ss []string, s string) []string {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(ss, s) {
			ss = append(ss, s)
		}
		return ss
	}
	for rows.Next() {
		var i, o string
		if err := rows.Scan(&i, &o); err != nil {
			return nil, nil, fmt.Errorf("kpi: listing the blocking link texts: %w", err)
		}
		in, out = add(in, i), add(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("kpi: listing the blocking link texts: %w", err)
	}
	if slices.Contains(c.s.BlockingLinkTypes, "Blocks") {
		in, out = add(in, "is blocked by"), add(out, "blocks")
	}
	return in, out, nil
}
