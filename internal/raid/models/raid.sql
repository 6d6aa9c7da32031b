-- The RAID log (Risks, Assumptions, Issues, Dependencies) at as_of, over the
-- same warehouse views the KPI engine reads, in its tracker-neutral
-- vocabulary: history by change_kind (model.ChangeKind), a change's value
-- from/to or from_string/to_string, changes in history order (the instant,
-- the change id as a number, the item), status categories new /
-- indeterminate / done. Every register lists issues with their project
-- (source, project_key) and program (the project's category): Go keeps the
-- rows of the scope asked for (kpi.ScopeFilter).
--
-- Each "-- model NAME" below is one SELECT; {{name}} stands for another
-- model's SELECT in parentheses; {name} is a parameter bound as a literal.
--
-- Parameters:
--   {as_of} {as_of_s}      the as-of instant (DateTime 'UTC') and as Unix seconds
--   {prev} {prev_s}        the previous report's instant (as_of − kpi.raid.period_days)
--   {tz}                   kpi.tz: civil days (due dates, days overdue)
--   {flow_types}           kpi.flow_item_types (the issues register lists flow items)
--   {risk_types}           kpi.risk_types
--   {severity_names} {severity_weights}   kpi.risk_severity_weights by priority name
--   {blocking_types}       kpi.blocking_link_types (From blocks To)
--   {assumption_types} {assumption_labels} {decision_types} {decision_labels}   kpi.raid.*
--   {stale_s}              kpi.raid.stale_days in seconds

-- model issue_changes: per issue, its priority changes (pr_at, pr_from, pr_to: instants and priority names) and due-date changes (dd_at, dd_from, dd_to: instants and civil day numbers, 0 = none) in history order, and its last change before as_of (0: none)
SELECT source, issue_id,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, k_pr = 1), groupArrayIf(sk, k_pr = 1)) AS pr_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, k_pr = 1), groupArrayIf(sk, k_pr = 1)) AS pr_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, k_pr = 1), groupArrayIf(sk, k_pr = 1)) AS pr_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, k_dd = 1), groupArrayIf(sk, k_dd = 1)) AS dd_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(toInt32(toDateOrZero(substring(v_from, 1, 10))), k_dd = 1), groupArrayIf(sk, k_dd = 1)) AS dd_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(toInt32(toDateOrZero(substring(v_to, 1, 10))), k_dd = 1), groupArrayIf(sk, k_dd = 1)) AS dd_to,
    maxIf(at_s, at_s < {as_of_s}) AS last_change_s
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
        -- priorities by name (model.ChangePriority: ids in from/to, names in from_string/to_string)
        multiIf(change_kind = 'priority', if(from_string != '', from_string, `from`), `from` != '', `from`, from_string) AS v_from,
        multiIf(change_kind = 'priority', if(to_string != '', to_string, `to`), `to` != '', `to`, to_string) AS v_to,
        toUInt8(change_kind = 'priority') AS k_pr, toUInt8(change_kind = 'due_date') AS k_dd
    FROM v_changes
) GROUP BY source, issue_id

-- model issue_state: every issue created before as_of with its project and program, its status category and priority in force at as_of (cat_now, prio_now) and at the previous report (cat_prev, prio_prev; cat_prev '' when it did not exist yet), its last update before as_of, its due date in force at as_of (due_day, 0 = none) and as_of's civil day
SELECT source, issue_id, key, summary, url, project_key, program, type, type_class, labels, assignee,
    toInt64(created) AS created_s, last_update_s, cat_now, cat_prev, prio_now, prio_prev, due_day, as_of_day
FROM (
    SELECT *,
        arrayCount(x_a -> x_a < {as_of}, h_at) AS n_now,
        arrayCount(x_a -> x_a < {prev}, h_at) AS n_prev,
        if(status_category IN ('new', 'indeterminate', 'done'), status_category, 'indeterminate') AS cat_cur,
        if(length(h_at) = 0, cat_cur, if(n_now > 0, h_to_cat[n_now], h_from_cat[1])) AS cat_now,
        if(created >= {prev}, '', if(length(h_at) = 0, cat_cur, if(n_prev > 0, h_to_cat[n_prev], h_from_cat[1]))) AS cat_prev,
        arrayCount(x_h -> x_h < {as_of_s}, pr_at) AS np_now,
        arrayCount(x_h -> x_h < {prev_s}, pr_at) AS np_prev,
        if(length(pr_at) = 0, priority, if(np_now > 0, pr_to[np_now], pr_from[1])) AS prio_now,
        if(length(pr_at) = 0, priority, if(np_prev > 0, pr_to[np_prev], pr_from[1])) AS prio_prev,
        arrayCount(x_h -> x_h < {as_of_s}, dd_at) AS nd_now,
        if(length(dd_at) = 0, if(due_date IS NULL, toInt32(0), toInt32(assumeNotNull(due_date))),
            if(nd_now > 0, dd_to[nd_now], dd_from[1])) AS due_day,
        toInt32(toDate({as_of}, {tz})) AS as_of_day,
        -- the tracker's updated stamp when it is before as_of, else the last change before as_of
        if(updated < {as_of}, toInt64(updated), greatest(toInt64(created), last_change_s)) AS last_update_s
    FROM (
        SELECT * FROM (
            SELECT * FROM (
                SELECT source, id AS issue_id, key, summary, url, project_id, project_key, type, type_class, status_category,
                    priority, assignee, labels, created, updated, due_date
                FROM v_issues WHERE created < {as_of}
            ) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)
        ) AS ip ANY LEFT JOIN v_kpi_status_history AS h USING (source, issue_id)
    ) AS iph ANY LEFT JOIN {{issue_changes}} AS c USING (source, issue_id)
)

-- model active_links: the blocking links (From b blocks To x) that existed at as_of, with the instant the link was added (since_s: the last link change of either issue that added it before as_of; 0 = unknown, no link change recorded it). A current link whose recorded additions all come after as_of did not exist then.
SELECT source, b_id, x_id, since_s FROM (
    SELECT source, b_id, x_id, p1, p2 FROM (
        SELECT source, from_issue_id AS b_id, to_issue_id AS x_id,
            if(from_issue_id < to_issue_id, from_issue_id, to_issue_id) AS p1,
            if(from_issue_id < to_issue_id, to_issue_id, from_issue_id) AS p2
        FROM v_issue_links WHERE has({blocking_types}, type) OR has({blocking_types}, type_id)
    ) GROUP BY source, b_id, x_id, p1, p2
) AS l ANY LEFT JOIN (
    SELECT source, p1, p2, maxIf(at_s, at_s < {as_of_s}) AS since_s, countIf(at_s < {as_of_s}) AS n_before, count() AS n_all
    FROM (
        -- (least/greatest take no strings on 18.16)
        SELECT source, if(issue_id < other_id, issue_id, other_id) AS p1, if(issue_id < other_id, other_id, issue_id) AS p2, at_s FROM (
            SELECT source, issue_id, `to` AS other_key, toInt64(at) AS at_s FROM v_changes WHERE change_kind = 'link' AND `to` != ''
        ) AS e ALL INNER JOIN (SELECT source, key AS other_key, id AS other_id FROM v_issues) AS k USING (source, other_key)
    ) GROUP BY source, p1, p2
) AS ev USING (source, p1, p2)
WHERE n_all = 0 OR n_before > 0

-- model risks: the open risks at as_of and those closed since the previous report: severity (weight of the priority) now and then, owner, age, last update, staleness and the trend since the previous report (new, closed, up, down, unchanged)
SELECT source, project_key, program, key, summary, url, prio_now AS priority, assignee, cat_now AS status_category,
    intDiv({as_of_s} - created_s, 86400) AS age_days, last_update_s, intDiv({as_of_s} - last_update_s, 86400) AS idle_days,
    toUInt8(cat_now != 'done' AND {as_of_s} - last_update_s >= {stale_s}) AS stale,
    sev_now, sev_prev,
    multiIf(cat_now = 'done', 'closed', cat_prev = '' OR cat_prev = 'done', 'new', sev_now > sev_prev, 'up', sev_now < sev_prev, 'down', 'unchanged') AS trend
FROM (
    SELECT *,
        transform(prio_now, {severity_names}, {severity_weights}, toFloat64(0)) AS sev_now,
        transform(prio_prev, {severity_names}, {severity_weights}, toFloat64(0)) AS sev_prev
    FROM {{issue_state}}
    WHERE has({risk_types}, type) AND (cat_now != 'done' OR (cat_prev != '' AND cat_prev != 'done'))
)
ORDER BY cat_now = 'done', sev_now DESC, age_days DESC, key

-- model assumptions: the assumptions and decisions (by issue type or label) created before as_of, open or closed at as_of, with owner, age and last update
SELECT source, project_key, program, key, summary, url,
    if(has({assumption_types}, type) OR hasAny({assumption_labels}, labels), 'assumption', 'decision') AS kind,
    cat_now AS status_category, assignee, intDiv({as_of_s} - created_s, 86400) AS age_days, last_update_s,
    intDiv({as_of_s} - last_update_s, 86400) AS idle_days,
    toUInt8(cat_now != 'done' AND {as_of_s} - last_update_s >= {stale_s}) AS stale
FROM {{issue_state}}
WHERE has({assumption_types}, type) OR hasAny({assumption_labels}, labels) OR has({decision_types}, type) OR hasAny({decision_labels}, labels)
ORDER BY kind, cat_now = 'done', age_days DESC, key

-- model issues: the open flow items at as_of that are blocked (an active blocking link whose blocker is not done: blocker keys, days blocked from the earliest link, unknown when a link's addition is unknown) or overdue (the due date in force before as_of's civil day: days overdue)
SELECT source, project_key, program, key, summary, url, priority, assignee, cat_now AS status_category,
    last_update_s, intDiv({as_of_s} - last_update_s, 86400) AS idle_days,
    toUInt8(length(blockers) > 0) AS blocked, blockers, toUInt8(length(blockers) > 0 AND bk_unknown = 0) AS blocked_known,
    if(length(blockers) > 0 AND bk_unknown = 0, intDiv({as_of_s} - bk_since, 86400), toInt64(0)) AS days_blocked,
    toUInt8(due_day != 0 AND due_day < as_of_day) AS overdue, due_day,
    if(due_day != 0 AND due_day < as_of_day, toInt64(as_of_day - due_day), toInt64(0)) AS days_overdue,
    toUInt8(cat_now != 'done' AND {as_of_s} - last_update_s >= {stale_s}) AS stale
FROM (
    SELECT * FROM (
        SELECT *, prio_now AS priority FROM {{issue_state}}
        WHERE has({flow_types}, type) AND type_class != 'subtask' AND cat_now != 'done'
    ) AS s ANY LEFT JOIN (
        SELECT source, x_id AS issue_id, arraySort(groupArray(b_key)) AS blockers,
            minIf(since_s, since_s > 0) AS bk_since, countIf(since_s = 0) AS bk_unknown
        FROM (
            SELECT * FROM {{active_links}} AS a
            ALL INNER JOIN (SELECT source, issue_id AS b_id, key AS b_key FROM {{issue_state}} WHERE cat_now != 'done') AS b USING (source, b_id)
        ) GROUP BY source, x_id
    ) AS bk USING (source, issue_id)
)
WHERE length(blockers) > 0 OR (due_day != 0 AND due_day < as_of_day)
ORDER BY days_overdue + days_blocked DESC, key

-- model dependencies: the open links (models/deps.sql) at as_of for the dependencies register, with the days since the link was added (unknown: 0 with known 0); the register keeps those between different projects or different teams (kpi.teams, in Go)
SELECT source, b_project, b_program, b_key, b_summary, b_url, x_project, x_program, x_key, x_summary, x_url, known, days_open
FROM {{open_links}}
ORDER BY days_open DESC, b_key, x_key
