-- The standards scorecard at an instant, over the warehouse views the KPI
-- engine reads, in its tracker-neutral vocabulary: history by change_kind
-- (model.ChangeKind), changes in history order (the instant, the change id
-- as a number, the item), status categories new / indeterminate / done
-- (anything else is unknown). Every field an item is judged by is the value
-- in force at the instant, replayed from the change history (issue_fields),
-- so that the scorecard as of a past date, and the previous report's trend,
-- see the past. Every model lists rows with their project (source,
-- project_key) and program (the project's category): Go decides pass/fail
-- per project (or per team, kpi.teams) and rolls projects up to the scope
-- asked for.
--
-- Each "-- model NAME" below is one SELECT; {{name}} stands for another
-- model's SELECT in parentheses; {name} is a parameter bound as a literal.
--
-- Parameters:
--   {as_of_s}            the instant, Unix seconds
--   {flow_types}         kpi.flow_item_types (the standards read flow items, no sub-tasks)
--   {fields}             kpi.standards.required_fields.fields
--   {ready_statuses}     kpi.standards.estimates.ready_statuses
--   {workflow_window_s}  kpi.standards.workflow.window_days in seconds
--   {sprint_window_s}    kpi.standards.sprint_length.window_days in seconds
--   {length_days} {tolerance_days}   kpi.standards.sprint_length.*
--   {stale_s}            kpi.standards.stale.days in seconds
--
-- Every offender model returns: source, project_key, program, id, key,
-- summary, url, info (a status name, the missing fields, a sprint's dates),
-- n (a number the reason shows: days, a day number); Go words the reason.
-- sprint_length adds the sprint's board (board_id, board) and its items
-- (keys).

-- model issue_changes: per issue, in history order, its status changes (instants, raw categories, status names) and the changes of the fields the standards read — assignee (as_), priority (pr_), story points (sp_), original estimate (oe_), due date (dd_), sprint membership (sr_): instants and from/to values (a change's from/to, else its from_string/to_string; "" = not set) — and its last change of any kind before as_of (0: none)
SELECT source, issue_id,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'status'), groupArrayIf(sk, kind = 'status')) AS st_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(from_category, kind = 'status'), groupArrayIf(sk, kind = 'status')) AS st_from_cat,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(to_category, kind = 'status'), groupArrayIf(sk, kind = 'status')) AS st_to_cat,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(from_string, kind = 'status'), groupArrayIf(sk, kind = 'status')) AS st_from_name,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(to_string, kind = 'status'), groupArrayIf(sk, kind = 'status')) AS st_to_name,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'assignee'), groupArrayIf(sk, kind = 'assignee')) AS as_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, kind = 'assignee'), groupArrayIf(sk, kind = 'assignee')) AS as_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, kind = 'assignee'), groupArrayIf(sk, kind = 'assignee')) AS as_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'priority'), groupArrayIf(sk, kind = 'priority')) AS pr_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, kind = 'priority'), groupArrayIf(sk, kind = 'priority')) AS pr_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, kind = 'priority'), groupArrayIf(sk, kind = 'priority')) AS pr_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'story_points'), groupArrayIf(sk, kind = 'story_points')) AS sp_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, kind = 'story_points'), groupArrayIf(sk, kind = 'story_points')) AS sp_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, kind = 'story_points'), groupArrayIf(sk, kind = 'story_points')) AS sp_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'original_estimate'), groupArrayIf(sk, kind = 'original_estimate')) AS oe_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, kind = 'original_estimate'), groupArrayIf(sk, kind = 'original_estimate')) AS oe_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, kind = 'original_estimate'), groupArrayIf(sk, kind = 'original_estimate')) AS oe_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'due_date'), groupArrayIf(sk, kind = 'due_date')) AS dd_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, kind = 'due_date'), groupArrayIf(sk, kind = 'due_date')) AS dd_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, kind = 'due_date'), groupArrayIf(sk, kind = 'due_date')) AS dd_to,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, kind = 'sprint'), groupArrayIf(sk, kind = 'sprint')) AS sr_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_from, kind = 'sprint'), groupArrayIf(sk, kind = 'sprint')) AS sr_from,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(v_to, kind = 'sprint'), groupArrayIf(sk, kind = 'sprint')) AS sr_to,
    maxIf(at_s, at_s < {as_of_s}) AS last_change_s
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
        from_category, to_category, from_string, to_string, change_kind AS kind,
        if(`from` != '', `from`, from_string) AS v_from, if(`to` != '', `to`, to_string) AS v_to
    FROM v_changes
) GROUP BY source, issue_id

-- model fix_version_changes: per issue with fix-version changes (one version added or removed each), the versions they name (fv_changed) and those of them in force at as_of (fv_present: by the replay rule, a version is in force when its last change before as_of added it, or, with none before, when its first change after as_of removed it)
SELECT source, issue_id, groupArray(version) AS fv_changed, groupArrayIf(version, present = 1) AS fv_present FROM (
    SELECT source, issue_id, version,
        arraySort((x_v, x_k) -> x_k, groupArray(at_s), groupArray(sk)) AS v_at,
        arraySort((x_v, x_k) -> x_k, groupArray(op), groupArray(sk)) AS v_op,
        arrayCount(x_h -> x_h < {as_of_s}, v_at) AS n_now,
        toUInt8(if(n_now > 0, v_op[n_now] = 1, v_op[1] = 0)) AS present
    FROM (
        SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
            if(`to` != '', `to`, to_string) AS v_to, if(`from` != '', `from`, from_string) AS v_from,
            if(v_to != '', v_to, v_from) AS version, toUInt8(v_to != '') AS op
        FROM v_changes WHERE change_kind = 'fix_version'
    ) GROUP BY source, issue_id, version
) GROUP BY source, issue_id

-- model issue_fields: the flow items created before as_of with their project and program, and what was in force at as_of (the replay rule of the KPI engine, kpi/models/history.sql: the value set by the last change before as_of; with none before but some after, the value the first change after as_of replaced; with no change, the current value): the status and its category (cat_now: new, indeterminate, done or unknown), the assignee, priority, story points, original estimate, due date, sprints and fix versions; whether a change put them in progress before as_of (started), when they were done (done_s: the last change into done before as_of, else the resolution) and their last update before as_of. Components have no change kind: they are the current ones.
SELECT source, issue_id, key, summary, url, project_key, program, status_now, cat_now, started, done_s,
    has_assignee, has_priority, components, fix_now AS fix_version_ids, has_estimate, has_due, sprints, last_update_s
FROM (
    SELECT *,
        arrayCount(x_a -> x_a < {as_of_s}, st_at) AS n_now,
        if(length(st_at) = 0, status_category, if(n_now > 0, st_to_cat[n_now], st_from_cat[1])) AS cat_raw,
        if(length(st_at) = 0, status, if(n_now > 0, st_to_name[n_now], st_from_name[1])) AS status_now,
        if(cat_raw IN ('new', 'indeterminate', 'done'), cat_raw, 'unknown') AS cat_now,
        toUInt8(arrayExists((x_a, x_c) -> x_a < {as_of_s} AND x_c = 'indeterminate', st_at, st_to_cat)) AS started,
        arrayReduce('max', arrayFilter((x_a, x_c) -> x_a < {as_of_s} AND x_c = 'done', st_at, st_to_cat)) AS done_change_s,
        if(done_change_s > 0, done_change_s, if(isNull(resolved), toInt64(0), toInt64(assumeNotNull(resolved)))) AS done_s,
        arrayCount(x_a -> x_a < {as_of_s}, as_at) AS n_as,
        toUInt8(if(length(as_at) = 0, assignee != '' OR assignee_id != '', if(n_as > 0, as_to[n_as], as_from[1]) != '')) AS has_assignee,
        arrayCount(x_a -> x_a < {as_of_s}, pr_at) AS n_pr,
        toUInt8(if(length(pr_at) = 0, priority != '', if(n_pr > 0, pr_to[n_pr], pr_from[1]) != '')) AS has_priority,
        arrayCount(x_a -> x_a < {as_of_s}, sp_at) AS n_sp,
        if(length(sp_at) = 0, ifNull(story_points, 0), toFloat64OrZero(if(n_sp > 0, sp_to[n_sp], sp_from[1]))) AS points_now,
        arrayCount(x_a -> x_a < {as_of_s}, oe_at) AS n_oe,
        if(length(oe_at) = 0, ifNull(original_estimate_seconds, 0), toInt64OrZero(if(n_oe > 0, oe_to[n_oe], oe_from[1]))) AS estimate_now,
        toUInt8(points_now > 0 OR estimate_now > 0) AS has_estimate,
        arrayCount(x_a -> x_a < {as_of_s}, dd_at) AS n_dd,
        toUInt8(if(length(dd_at) = 0, isNotNull(due_date), if(n_dd > 0, dd_to[n_dd], dd_from[1]) != '')) AS has_due,
        arrayCount(x_a -> x_a < {as_of_s}, sr_at) AS n_sr,
        if(length(sr_at) = 0, sprint_ids,
            arrayFilter(x_s -> x_s != '', splitByChar(',', replaceAll(if(n_sr > 0, sr_to[n_sr], sr_from[1]), ' ', '')))) AS sprints,
        -- fv_changed is named outside the lambda for ClickHouse 18.16 (see kpi/models/history.sql)
        if(length(fv_changed) = 0, fix_version_ids,
            arrayConcat(arrayFilter(x_v -> NOT has(fv_changed, x_v), fix_version_ids), fv_present)) AS fix_now,
        -- the tracker's updated stamp when it is before as_of, else the last change before as_of
        if(updated < toDateTime({as_of_s}, 'UTC'), toInt64(updated), greatest(toInt64(created), last_change_s)) AS last_update_s
    FROM (
        SELECT * FROM (
            SELECT * FROM (
                SELECT source, id AS issue_id, key, summary, url, project_id, project_key, status, status_category, priority, assignee_id, assignee,
                    components, fix_version_ids, story_points, original_estimate_seconds, due_date, sprint_ids, created, updated, resolved
                FROM v_issues WHERE created < toDateTime({as_of_s}, 'UTC') AND has({flow_types}, type) AND type_class != 'subtask'
            ) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)
        ) AS ip ANY LEFT JOIN {{issue_changes}} AS c USING (source, issue_id)
    ) AS ic ANY LEFT JOIN {{fix_version_changes}} AS f USING (source, issue_id)
)

-- model issue_sprints: per item of {{issue_fields}}, whether one of its sprints at as_of is active then (started, not completed) and whether one is still to start
SELECT source, issue_id, max(active) AS in_active, max(future) AS in_future FROM (
    SELECT source, issue_id,
        toUInt8(start_s > 0 AND start_s < {as_of_s} AND (complete_s = 0 OR complete_s >= {as_of_s})) AS active,
        toUInt8((start_s = 0 OR start_s >= {as_of_s}) AND (complete_s = 0 OR complete_s >= {as_of_s})) AS future
    FROM (
        SELECT source, issue_id, sprint_id FROM {{issue_fields}} ARRAY JOIN sprints AS sprint_id
    ) AS i ALL INNER JOIN (
        SELECT source, id AS sprint_id,
            if(isNull(activated), if(isNull(start), toInt64(0), toInt64(assumeNotNull(start))), toInt64(assumeNotNull(activated))) AS start_s,
            if(isNull(complete), toInt64(0), toInt64(assumeNotNull(complete))) AS complete_s
        FROM v_sprints
    ) AS s USING (source, sprint_id)
) GROUP BY source, issue_id

-- model issue_state: the items of {{issue_fields}} with whether one of their sprints at as_of is active (in_active) or to start (in_future)
SELECT * FROM {{issue_fields}} AS f ANY LEFT JOIN {{issue_sprints}} AS s USING (source, issue_id)

-- model projects: every project with flow items created before as_of, and how many of its items were done in the workflow window
SELECT source, project_key, any(program) AS program,
    toInt64(countIf(cat_now = 'done' AND done_s >= {as_of_s} - {workflow_window_s})) AS done_window
FROM {{issue_state}}
GROUP BY source, project_key
ORDER BY source, project_key

-- model required_fields: the items in progress at as_of or committed to an active sprint that miss a required field (info: the missing fields)
SELECT source, project_key, program, key AS id, key, summary, url, arrayStringConcat(missing, ', ') AS info, toInt64(0) AS n
FROM (
    SELECT *, arrayFilter(x_f -> x_f != '', [
        if(has({fields}, 'assignee') AND has_assignee = 0, 'assignee', ''),
        if(has({fields}, 'due_date') AND has_due = 0, 'due_date', ''),
        if(has({fields}, 'estimate') AND has_estimate = 0, 'estimate', ''),
        if(has({fields}, 'priority') AND has_priority = 0, 'priority', ''),
        if(has({fields}, 'components') AND empty(components), 'components', ''),
        if(has({fields}, 'fix_version') AND empty(fix_version_ids), 'fix_version', '')]) AS missing
    FROM {{issue_state}}
    WHERE cat_now = 'indeterminate' OR (cat_now IN ('new', 'unknown') AND in_active = 1)
)
WHERE length(missing) > 0
ORDER BY source, project_key, key

-- model workflow: the items whose status at as_of has no known category (n 0; info: the status), and the items done in the window that never were in progress (n: the instant they were done)
SELECT source, project_key, program, key AS id, key, summary, url, status_now AS info,
    if(cat_now = 'unknown', toInt64(0), done_s) AS n
FROM {{issue_state}}
WHERE cat_now = 'unknown' OR (cat_now = 'done' AND done_s >= {as_of_s} - {workflow_window_s} AND started = 0)
ORDER BY source, project_key, key

-- model wip: the items in progress at as_of (info: the status)
SELECT source, project_key, program, key AS id, key, summary, url, status_now AS info, toInt64(0) AS n
FROM {{issue_state}}
WHERE cat_now = 'indeterminate'
ORDER BY source, project_key, key

-- model estimates: the ready items at as_of — not started, in an active or future sprint or in a ready status — with neither story points nor an original estimate (info: the status)
SELECT source, project_key, program, key AS id, key, summary, url, status_now AS info, toInt64(0) AS n
FROM {{issue_state}}
WHERE cat_now = 'new' AND (in_active = 1 OR in_future = 1 OR has({ready_statuses}, status_now)) AND has_estimate = 0
ORDER BY source, project_key, key

-- model due_dates: the open items committed to an active sprint at as_of without a due date (info: the status)
SELECT source, project_key, program, key AS id, key, summary, url, status_now AS info, toInt64(0) AS n
FROM {{issue_state}}
WHERE cat_now != 'done' AND in_active = 1 AND has_due = 0
ORDER BY source, project_key, key

-- model stale: the open items not updated for stale days or more at as_of (n: the days since the last update)
SELECT source, project_key, program, key AS id, key, summary, url, status_now AS info, intDiv({as_of_s} - last_update_s, 86400) AS n
FROM {{issue_state}}
WHERE cat_now != 'done' AND {as_of_s} - last_update_s >= {stale_s}
ORDER BY source, project_key, key

-- model sprint_length: the sprints started before as_of, active then or completed in the window, whose planned length (start to end, whole days) is off the agreed length by more than the tolerance; once per project with items in the sprint at as_of (info: the planned start and end days; n: the planned length), with the sprint's board (board_id, board: its id and name) and those items (keys), by which a team's scorecard picks its sprints
SELECT source, project_key, program, sprint_id AS id, name AS key, name AS summary, '' AS url,
    concat(toString(toDate(toDateTime(plan_start_s, 'UTC'))), ' – ', toString(toDate(toDateTime(end_s, 'UTC')))) AS info, planned AS n,
    board_id, board, keys
FROM (
    SELECT * FROM (
        SELECT * FROM (
            SELECT source, id AS sprint_id, name, board_id,
                if(isNull(activated), if(isNull(start), toInt64(0), toInt64(assumeNotNull(start))), toInt64(assumeNotNull(activated))) AS start_s,
                if(isNull(start), start_s, toInt64(assumeNotNull(start))) AS plan_start_s,
                if(isNull(`end`), toInt64(0), toInt64(assumeNotNull(`end`))) AS end_s,
                if(isNull(complete), toInt64(0), toInt64(assumeNotNull(complete))) AS complete_s,
                intDiv(end_s - plan_start_s + 43200, 86400) AS planned
            FROM v_sprints
        ) AS s0 ANY LEFT JOIN (SELECT source, id AS board_id, name AS board FROM v_boards) AS b USING (source, board_id)
    ) AS s ALL INNER JOIN (
        SELECT source, sprint_id, project_key, any(program) AS program, groupArray(key) AS keys
        FROM {{issue_state}} ARRAY JOIN sprints AS sprint_id
        GROUP BY source, sprint_id, project_key
    ) AS ip USING (source, sprint_id)
)
WHERE start_s > 0 AND start_s < {as_of_s} AND end_s > 0 AND (complete_s = 0 OR complete_s >= {as_of_s} - {sprint_window_s})
    AND abs(planned - {length_days}) > {tolerance_days}
ORDER BY source, project_key, plan_start_s, name

-- model done_window: the items done in the workflow window (their key): a team's share of them is its done_window (read only with kpi.teams)
SELECT key FROM {{issue_state}}
WHERE cat_now = 'done' AND done_s >= {as_of_s} - {workflow_window_s}
ORDER BY key
