-- Field and link history replayed from the changelog, so that P1
-- due_date_adherence, P3 estimation_accuracy and K2/K3 see the values in
-- force at the relevant instant (kpis.md C9, C11, P1, P3, K2, K3) rather than
-- the issues' current fields: a `pmo kpi --as-of` in the past sees the past.
--
-- The replay rule for a field's value at instant t (C9): the `to` of the last
-- change at or before t; if there is none but there are changes after t, the
-- `from` of the first change after t; if the field never changed, the
-- issue's current value. Written out below as
--   if(length(at) = 0 OR t < 0, current,
--      if(arrayCount(x_h -> x_h <= t, at) > 0, to[arrayCount(x_h -> x_h <= t, at)], from[1]))
-- (ClickHouse 18.16 prunes a subquery column used only inside a lambda,
-- hence the "t < 0" that names t outside it.)
--
-- Changes are read by kind (model.ChangeKind) in history order: the instant,
-- the change id as a number, the item; a change's value is `from`/`to` when
-- set, else from_string/to_string.
--
-- Parameters: {as_of} {as_of_s} (the as-of instant, and as Unix seconds),
-- {blocking_types} (kpi.blocking_link_types), {in_texts} {out_texts} (the
-- inward "is blocked by" and outward "blocks" texts of those link types).

-- model field_history: per issue, its due-date changes (dd_at, dd_from, dd_to: instants and civil day numbers, 0 = none) and original-estimate changes (oe_at, oe_from, oe_to: instants and seconds) in history order
SELECT source, issue_id,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, f_dd = 1), groupArrayIf(sk, f_dd = 1)) AS dd_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(toInt32(toDateOrZero(substring(v_from, 1, 10))), f_dd = 1), groupArrayIf(sk, f_dd = 1)) AS dd_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(toInt32(toDateOrZero(substring(v_to, 1, 10))), f_dd = 1), groupArrayIf(sk, f_dd = 1)) AS dd_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, f_oe = 1), groupArrayIf(sk, f_oe = 1)) AS oe_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(toInt64OrZero(v_from), f_oe = 1), groupArrayIf(sk, f_oe = 1)) AS oe_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(toInt64OrZero(v_to), f_oe = 1), groupArrayIf(sk, f_oe = 1)) AS oe_to
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
        if(`from` != '', `from`, from_string) AS v_from, if(`to` != '', `to`, to_string) AS v_to,
        toUInt8(change_kind = 'due_date') AS f_dd, toUInt8(change_kind = 'original_estimate') AS f_oe
    FROM v_changes WHERE change_kind IN ('due_date', 'original_estimate')
) GROUP BY source, issue_id

-- model subtask_effort: per parent, its sub-tasks' worklog seconds before as_of (sub_spent_s) and their original estimates in force when the parent started, or when the sub-task was created if later (sub_est)
SELECT source, parent_id AS issue_id, toInt64(sum(spent_s)) AS sub_spent_s, toInt64(sum(s_est)) AS sub_est FROM (
    SELECT source, parent_id, spent_s,
        if(length(oe_at) = 0 OR sub_t < 0, toInt64(ifNull(original_estimate_seconds, 0)),
            if(arrayCount(x_h -> x_h <= sub_t, oe_at) > 0, oe_to[arrayCount(x_h -> x_h <= sub_t, oe_at)], oe_from[1])) AS s_est
    FROM (
        SELECT source, parent_id, spent_s, original_estimate_seconds, oe_at, oe_from, oe_to, greatest(p_start, toInt64(created)) AS sub_t FROM (
            SELECT * FROM (
                SELECT source, issue_id, parent_id, created, original_estimate_seconds, toInt64(ifNull(spent_s, 0)) AS spent_s
                FROM {{lifecycle}} WHERE type_class = 'subtask' AND parent_id != ''
            ) AS st ANY LEFT JOIN {{field_history}} AS sh USING (source, issue_id)
        ) AS sth ANY LEFT JOIN (SELECT source, issue_id AS parent_id, start_s AS p_start FROM {{lifecycle}}) AS p USING (source, parent_id)
    )
) GROUP BY source, parent_id

-- model planning_source: the lifecycle with the due date in force at done_at (due_done) and at as_of (due_asof), the baseline due date (due_base: the first non-null due date in the changelog up to as_of, else the current one), the number of due-date changes up to as_of that altered a date already set (due_changes), the original estimate at started_at, or at done_at for an item never started (est_start), and the sub-task roll-up
SELECT *,
    if(length(dd_at) = 0 OR done_s < 0, if(due_date IS NULL, toInt32(0), toInt32(assumeNotNull(due_date))),
        if(arrayCount(x_h -> x_h <= done_s, dd_at) > 0, dd_to[arrayCount(x_h -> x_h <= done_s, dd_at)], dd_from[1])) AS due_done,
    if(length(dd_at) = 0, if(due_date IS NULL, toInt32(0), toInt32(assumeNotNull(due_date))),
        arrayFirst(x_d -> x_d != 0, arrayConcat([dd_from[1]], arrayFilter((x_d, x_a) -> x_a < {as_of_s}, dd_to, dd_at)))) AS due_base,
    toUInt32(arrayCount((x_f, x_a) -> x_f != 0 AND x_a < {as_of_s}, dd_from, dd_at)) AS due_changes,
    if(length(dd_at) = 0 OR {as_of_s} < 0, if(due_date IS NULL, toInt32(0), toInt32(assumeNotNull(due_date))),
        if(arrayCount(x_h -> x_h <= {as_of_s}, dd_at) > 0, dd_to[arrayCount(x_h -> x_h <= {as_of_s}, dd_at)], dd_from[1])) AS due_asof,
    if(length(oe_at) = 0 OR if(start_s > 0, start_s, done_s) < 0, toInt64(ifNull(original_estimate_seconds, 0)),
        if(arrayCount(x_h -> x_h <= if(start_s > 0, start_s, done_s), oe_at) > 0,
            oe_to[arrayCount(x_h -> x_h <= if(start_s > 0, start_s, done_s), oe_at)], oe_from[1])) AS est_start
FROM (
    SELECT * FROM {{lifecycle}} AS l ANY LEFT JOIN {{field_history}} AS fh USING (source, issue_id)
) AS lf ANY LEFT JOIN {{subtask_effort}} AS su USING (source, issue_id)

-- model link_events: the blocking-link additions (op 1) and removals (op -1) recorded in either issue's link changes, as (source, b_id, x_id, at_s, op, sk): b_id blocks x_id. A link change's text ends with the relation as seen from the issue and the other issue's key (model.ChangeLink): on the blocked issue "… is blocked by B-1" (an inward text), on the blocker "… blocks X-1" (an outward text). Items whose other issue was not created before as_of are dropped — such a link did not exist at as_of, and blocked_items reads only pairs of issues of the lifecycle (ALL INNER JOIN on the lifecycle's keys, not v_issues: the lifecycle is materialized, v_issues is a FINAL read: newer ClickHouse matches each key once on both sides of an ANY INNER JOIN).
SELECT source, if(side = 1, other_id, issue_id) AS b_id, if(side = 1, issue_id, other_id) AS x_id, at_s, op, sk FROM (
    SELECT source, issue_id, at_s, sk, op, side, other_key FROM (
        SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
            if(`to` != '', `to`, `from`) AS other_key,
            if(`to` != '', to_string, from_string) AS txt,
            toInt8(if(`to` != '', 1, -1)) AS op,
            -- txt and other_key are named outside the lambdas for 18.16 (see the header)
            multiIf(length(txt) > 0 AND length(other_key) > 0
                    AND arrayExists(x_t -> txt = concat(x_t, ' ', other_key) OR endsWith(txt, concat(' ', x_t, ' ', other_key)), {in_texts}), 1,
                length(txt) > 0 AND length(other_key) > 0
                    AND arrayExists(x_t -> txt = concat(x_t, ' ', other_key) OR endsWith(txt, concat(' ', x_t, ' ', other_key)), {out_texts}), 2,
                0) AS side
        FROM v_changes WHERE change_kind = 'link'
    ) WHERE side != 0
) AS e ALL INNER JOIN (SELECT source, key AS other_key, issue_id AS other_id FROM {{lifecycle}}) AS k USING (source, other_key)

-- model active_blocking: the blocking links that existed at as_of, as (source, b_id, x_id, since_s). A link with link change events is replayed like a field (the last event before as_of; none before but some after: the first after tells, a removal meaning it existed); since_s is its last addition before as_of. A link without events (the changelog was not collected or was truncated) is taken as existing iff it is a current link, since an unknown instant (since_s 0).
SELECT source, b_id, x_id, since_s FROM (
    SELECT source, b_id, x_id, arrayCount(x_a -> x_a < {as_of_s}, e_at) AS nb,
        multiIf(length(e_at) = 0, has_row = 1, nb > 0, e_op[nb] = 1, e_op[1] = -1) AS active,
        if(nb > 0, e_at[nb], toInt64(0)) AS since_s
    FROM (
        SELECT source, b_id, x_id, max(has_row) AS has_row,
            arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, op != 0), groupArrayIf(sk, op != 0)) AS e_at,
            arraySort((x_v, x_k) -> x_k, groupArrayIf(op, op != 0), groupArrayIf(sk, op != 0)) AS e_op
        FROM (
            SELECT source, from_issue_id AS b_id, to_issue_id AS x_id, toUInt8(1) AS has_row, toInt64(0) AS at_s, toInt8(0) AS op,
                (toInt64(0), toInt64(0), toInt64(0)) AS sk
            FROM v_issue_links WHERE has({blocking_types}, type) OR has({blocking_types}, type_id)
            UNION ALL
            SELECT source, b_id, x_id, toUInt8(0) AS has_row, at_s, op, sk FROM {{link_events}}
        ) GROUP BY source, b_id, x_id
    )
) WHERE active

-- model blocked_items: one row per issue blocked at as_of (kpis.md C11): it has a blocking link that existed at as_of whose blocker was not done at as_of. bk_projs are the projects of those blockers (cross-project share), bk_since the earliest addition of those links, bk_unknown the number of them whose addition is unknown (then the blocked duration is unknown).
SELECT source, x_id AS issue_id, toUInt8(1) AS bk_blocked, groupUniqArray(b_proj) AS bk_projs,
    minIf(since_s, since_s > 0) AS bk_since, countIf(since_s = 0) AS bk_unknown
FROM (
    SELECT * FROM {{active_blocking}} AS a
    ALL INNER JOIN (SELECT source, issue_id AS b_id, project_key AS b_proj FROM {{lifecycle}} WHERE cat_now != 'done') AS bb USING (source, b_id)
) GROUP BY source, x_id

-- model planning_blocked: the planning source with each issue's blocked state at as_of (bk_blocked, bk_projs, bk_since, bk_unknown; K2, K3, B4)
SELECT * FROM {{planning_source}} AS p ANY LEFT JOIN {{blocked_items}} AS bk USING (source, issue_id)
