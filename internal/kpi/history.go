package kpi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/model"
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

// replaySQL is the value at instant t (Unix seconds) of a field whose
// changes are the parallel arrays at (sorted), from and to, and whose
// current value is cur. (ClickHouse 18.16 prunes a subquery column that
// is used only inside a lambda, hence the "t < 0" that names t outside it.)
func replaySQL(at, from, to, t, cur string) string {
	n := "arrayCount(x_h -> x_h <= " + t + ", " + at + ")"
	return "if(length(" + at + ") = 0 OR " + t + " < 0, " + cur + ", if(" + n + " > 0, " + to + "[" + n + "], " + from + "[1]))"
}

// sortedBy sorts the values groupArrayIf(v, cond) by the changelog order.
func sortedBy(v, cond string) string {
	return "arraySort((x_v, x_k) -> x_k, groupArrayIf(" + v + ", " + cond + "), groupArrayIf(sk, " + cond + "))"
}

// Civil day number (days since 1970-01-01, 0 = none) of a due_date change
// value (YYYY-MM-DD, possibly followed by a time: model.ChangeDueDate), and
// the seconds of an original_estimate change ("" = none).
const (
	dueFromDay = "toInt32(toDateOrZero(substring(" + changeFrom + ", 1, 10)))"
	dueToDay   = "toInt32(toDateOrZero(substring(" + changeTo + ", 1, 10)))"
	estFrom    = "toInt64OrZero(" + changeFrom + ")"
	estTo      = "toInt64OrZero(" + changeTo + ")"
)

// fieldHistorySQL is one row per issue with due-date changes (dd_at,
// dd_from, dd_to: instants and civil day numbers) and original-estimate
// changes (oe_at, oe_from, oe_to: instants and seconds), sorted by the
// changelog order.
func fieldHistorySQL() string {
	dd, oe := "f_dd = 1", "f_oe = 1"
	return `SELECT source, issue_id,
    ` + sortedBy("at_s", dd) + ` AS dd_at,
    ` + sortedBy(dueFromDay, dd) + ` AS dd_from,
    ` + sortedBy(dueToDay, dd) + ` AS dd_to,
    ` + sortedBy("at_s", oe) + ` AS oe_at,
    ` + sortedBy(estFrom, oe) + ` AS oe_from,
    ` + sortedBy(estTo, oe) + ` AS oe_to
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, ` + changeOrder + ` AS sk, ` + "`from`, `to`" + `, from_string, to_string,
        toUInt8(` + kindIs(model.ChangeDueDate) + `) AS f_dd, toUInt8(` + kindIs(model.ChangeOriginalEstimate) + `) AS f_oe
    FROM v_changes WHERE ` + kindIs(model.ChangeDueDate) + ` OR ` + kindIs(model.ChangeOriginalEstimate) + `
) GROUP BY source, issue_id`
}

// priorityHistorySQL is one row per issue with priority changes before
// as_of: their instants (pr_at) and the priority names before and after
// (pr_from, pr_to), in changelog order. Names, because the current
// priority column is its name.
func priorityHistorySQL(asOf time.Time) string {
	all := "1"
	return `SELECT source, issue_id,
    ` + sortedBy("at_s", all) + ` AS pr_at,
    ` + sortedBy("p_from", all) + ` AS pr_from,
    ` + sortedBy("p_to", all) + ` AS pr_to
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, ` + changeOrder + ` AS sk,
        if(from_string != '', from_string, ` + "`from`" + `) AS p_from, if(to_string != '', to_string, ` + "`to`" + `) AS p_to
    FROM v_changes WHERE ` + kindIs(model.ChangePriority) + ` AND at < ` + sqlTime(asOf) + `
) GROUP BY source, issue_id`
}

// Per-issue expressions over the lifecycle joined with fieldHistorySQL.
const (
	curDue = "if(due_date IS NULL, toInt32(0), toInt32(assumeNotNull(due_date)))"
	curEst = "toInt64(ifNull(original_estimate_seconds, 0))"
	// estAt is the instant the original estimate is taken at: started_at,
	// or done_at for an item that was never started.
	estAt = "if(start_s > 0, start_s, done_s)"
)

// planningSourceSQL is the lifecycle with, per issue, the due date in force
// at done_at (due_done) and at as_of (due_asof, for K2), the baseline due date (due_base: the first
// non-null due date in the changelog up to as_of, else the current one),
// the number of due-date changes up to as_of that altered a date already
// set (due_changes), the original estimate at started_at (est_start) and
// the sub-task roll-up (sub_spent_s: worklog seconds of its sub-tasks
// started before as_of; sub_est: their original estimates in force when the
// parent started, or when the sub-task was created if later). Day values
// are civil day numbers, 0 = none.
func planningSourceSQL(lc string, asOf time.Time) string {
	as := sqlSecs(asOf)
	due := replaySQL("dd_at", "dd_from", "dd_to", "done_s", curDue)
	base := "if(length(dd_at) = 0, " + curDue + ", arrayFirst(x_d -> x_d != 0, arrayConcat([dd_from[1]], arrayFilter((x_d, x_a) -> x_a < " + as + ", dd_to, dd_at))))"
	chg := "toUInt32(arrayCount((x_f, x_a) -> x_f != 0 AND x_a < " + as + ", dd_from, dd_at))"
	est := replaySQL("oe_at", "oe_from", "oe_to", estAt, curEst)
	subEst := replaySQL("oe_at", "oe_from", "oe_to", "sub_t", curEst)
	sub := `SELECT source, parent_id AS issue_id, toInt64(sum(spent_s)) AS sub_spent_s, toInt64(sum(s_est)) AS sub_est FROM (
    SELECT source, parent_id, spent_s, ` + subEst + ` AS s_est FROM (
        SELECT source, parent_id, spent_s, original_estimate_seconds, oe_at, oe_from, oe_to, greatest(p_start, toInt64(created)) AS sub_t FROM (
            SELECT * FROM (
                SELECT source, issue_id, parent_id, created, original_estimate_seconds, toInt64(ifNull(spent_s, 0)) AS spent_s
                FROM (` + lc + `) WHERE type_class = 'subtask' AND parent_id != ''
            ) AS st ANY LEFT JOIN (` + fieldHistorySQL() + `) AS sh USING (source, issue_id)
        ) AS sth ANY LEFT JOIN (SELECT source, issue_id AS parent_id, start_s AS p_start FROM (` + lc + `)) AS p USING (source, parent_id)
    )
) GROUP BY source, parent_id`
	dueAsOf := replaySQL("dd_at", "dd_from", "dd_to", as, curDue)
	return `SELECT *, ` + due + ` AS due_done, ` + base + ` AS due_base, ` + chg + ` AS due_changes, ` + dueAsOf + ` AS due_asof, ` + est + ` AS est_start FROM (
    SELECT * FROM (` + lc + `) AS l ANY LEFT JOIN (` + fieldHistorySQL() + `) AS fh USING (source, issue_id)
) AS lf ANY LEFT JOIN (` + sub + `) AS su USING (source, issue_id)`
}

// Effort of a flow item for P3: its own worklogs plus its sub-tasks'; its
// original estimate at started_at, else (none on the parent) the sum of
// its sub-tasks' estimates.
const (
	p3Spent = "(toInt64(ifNull(spent_s, 0)) + sub_spent_s)"
	p3Est   = "toFloat64(if(est_start > 0, est_start, sub_est))"
)

// blockingTexts returns the inward ("is blocked by") and outward ("blocks")
// texts of the blocking link types, from the links in the warehouse and,
// when the default type Blocks is configured, its default texts. Link
// changes name the relation by these texts (model.ChangeLink).
func (c *computation) blockingTexts(ctx context.Context) (in, out []string, err error) {
	types := sqlStrs(c.s.BlockingLinkTypes)
	rows, err := c.w.Query(ctx, "SELECT DISTINCT inward, outward FROM v_issue_links WHERE has("+types+", type) OR has("+types+", type_id) ORDER BY inward, outward")
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

// linkEventsSQL lists the blocking-link additions (op 1) and removals (op
// −1) recorded in the link changes of either issue, as (source, b_id, x_id,
// at_s, op, sk): b_id blocks x_id. A link change's text ends with the
// relation as seen from the issue and the other issue's key
// (model.ChangeLink): on the blocked issue "… is blocked by B-1" (inward
// text), on the blocker "… blocks X-1" (outward text). Items
// whose other issue is not in the warehouse are dropped. (ALL INNER JOIN:
// newer ClickHouse matches each key once on both sides of an ANY INNER JOIN.)
func linkEventsSQL(in, out []string) string {
	// No lambda: 18.16 would not see txt and other_key inside one.
	match := func(texts []string) string {
		ors := []string{"0"}
		for _, t := range texts {
			rel := "concat(" + sqlStr(t) + ", ' ', other_key)"
			ors = append(ors, "txt = "+rel, "endsWith(txt, concat(' ', "+rel+"))")
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}
	return `SELECT source, if(side = 1, other_id, issue_id) AS b_id, if(side = 1, issue_id, other_id) AS x_id, at_s, op, sk FROM (
    SELECT source, issue_id, at_s, sk, op, side, other_key FROM (
        SELECT source, issue_id, toInt64(at) AS at_s, ` + changeOrder + ` AS sk,
            if(` + "`to`" + ` != '', ` + "`to`" + `, ` + "`from`" + `) AS other_key,
            if(` + "`to`" + ` != '', to_string, from_string) AS txt,
            toInt8(if(` + "`to`" + ` != '', 1, -1)) AS op,
            multiIf(` + match(in) + `, 1, ` + match(out) + `, 2, 0) AS side
        FROM v_changes WHERE ` + kindIs(model.ChangeLink) + `
    ) WHERE side != 0
) AS e ALL INNER JOIN (SELECT source, key AS other_key, id AS other_id FROM v_issues) AS k USING (source, other_key)`
}

// activeBlockingSQL lists the blocking links that existed at as_of, as
// (source, b_id, x_id, since_s). A link with Link changelog events is
// replayed like a field (the last event before as_of; none before but
// some after: the first after tells, a removal meaning it existed); since_s
// is its last addition before as_of. A link without events (the changelog
// was not collected or was truncated) is taken as existing iff it is a
// current link, since an unknown instant (since_s 0).
func activeBlockingSQL(types []string, in, out []string, asOf time.Time) string {
	t := sqlStrs(types)
	as := sqlSecs(asOf)
	return `SELECT source, b_id, x_id, since_s FROM (
    SELECT source, b_id, x_id, arrayCount(x_a -> x_a < ` + as + `, e_at) AS nb,
        multiIf(length(e_at) = 0, has_row = 1, nb > 0, e_op[nb] = 1, e_op[1] = -1) AS active,
        if(nb > 0, e_at[nb], toInt64(0)) AS since_s
    FROM (
        SELECT source, b_id, x_id, max(has_row) AS has_row,
            arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, op != 0), groupArrayIf(sk, op != 0)) AS e_at,
            arraySort((x_v, x_k) -> x_k, groupArrayIf(op, op != 0), groupArrayIf(sk, op != 0)) AS e_op
        FROM (
            SELECT source, from_issue_id AS b_id, to_issue_id AS x_id, toUInt8(1) AS has_row, toInt64(0) AS at_s, toInt8(0) AS op, ` + noChangeOrder + ` AS sk
            FROM v_issue_links WHERE has(` + t + `, type) OR has(` + t + `, type_id)
            UNION ALL
            SELECT source, b_id, x_id, toUInt8(0) AS has_row, at_s, op, sk FROM (` + linkEventsSQL(in, out) + `)
        ) GROUP BY source, b_id, x_id
    )
) WHERE active`
}

// blockedItemsSQL is one row per issue blocked at as_of (kpis.md C11): it
// has a blocking link that existed at as_of whose blocker was not done at
// as_of. bk_projs are the projects of those blockers (cross-project share),
// bk_since the earliest addition of those links, bk_unknown the number of
// them whose addition is unknown (then the blocked duration is unknown).
func (c *computation) blockedItemsSQL(in, out []string) string {
	return `SELECT source, x_id AS issue_id, toUInt8(1) AS bk_blocked, groupUniqArray(b_proj) AS bk_projs,
    minIf(since_s, since_s > 0) AS bk_since, countIf(since_s = 0) AS bk_unknown
FROM (
    SELECT * FROM (` + activeBlockingSQL(c.s.BlockingLinkTypes, in, out, c.asOf) + `) AS a
    ALL INNER JOIN (SELECT source, issue_id AS b_id, project_key AS b_proj FROM (` + c.lc + `) WHERE cat_now != 'done') AS bb USING (source, b_id)
) GROUP BY source, x_id`
}
