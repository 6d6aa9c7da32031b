-- The standards scorecard at an instant, over the warehouse views the KPI
-- engine reads, in its tracker-neutral vocabulary: history by change_kind
-- (model.ChangeKind), changes in history order (the instant, the change id
-- as a number, the item), status categories new / indeterminate / done
-- (anything else is unknown). Every model lists rows with their project
-- (source, project_key) and program (the project's category): Go decides
-- pass/fail per project and rolls projects up to the scope asked for.
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

-- model status_changes: per issue, its status changes in history order (instants, raw categories, status names) and its last change of any kind before as_of (0: none)
SELECT source, issue_id,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(at_s, k_st = 1), groupArrayIf(sk, k_st = 1)) AS st_at,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(from_category, k_st = 1), groupArrayIf(sk, k_st = 1)) AS st_from_cat,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(to_category, k_st = 1), groupArrayIf(sk, k_st = 1)) AS st_to_cat,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(from_string, k_st = 1), groupArrayIf(sk, k_st = 1)) AS st_from_name,
    arraySort((x_v, x_k) -> x_k, groupArrayIf(to_string, k_st = 1), groupArrayIf(sk, k_st = 1)) AS st_to_name,
    maxIf(at_s, at_s < {as_of_s}) AS last_change_s
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
        from_category, to_category, from_string, to_string, toUInt8(change_kind = 'status') AS k_st
    FROM v_changes
) GROUP BY source, issue_id

-- model issue_sprints: per issue, whether one of its sprints is active at as_of (started, not completed) and whether one is still to start
SELECT source, issue_id, max(active) AS in_active, max(future) AS in_future FROM (
    SELECT source, issue_id,
        toUInt8(start_s > 0 AND start_s < {as_of_s} AND (complete_s = 0 OR complete_s >= {as_of_s})) AS active,
        toUInt8((start_s = 0 OR start_s >= {as_of_s}) AND (complete_s = 0 OR complete_s >= {as_of_s})) AS future
    FROM (
        SELECT source, issue_id, sprint_id FROM (
            SELECT source, id AS issue_id, arrayJoin(sprint_ids) AS sprint_id FROM v_issues WHERE notEmpty(sprint_ids)
        )
    ) AS i ALL INNER JOIN (
        SELECT source, id AS sprint_id,
            if(isNull(activated), if(isNull(start), toInt64(0), toInt64(assumeNotNull(start))), toInt64(assumeNotNull(activated))) AS start_s,
            if(isNull(complete), toInt64(0), toInt64(assumeNotNull(complete))) AS complete_s
        FROM v_sprints
    ) AS s USING (source, sprint_id)
) GROUP BY source, issue_id

-- model issue_state: the flow items created before as_of with their project and program, their status and its category at as_of (cat_now: new, indeterminate, done or unknown), whether a change put them in progress before as_of (started), when they were done (done_s: the last change into done before as_of, else the resolution), their fields, sprints and last update before as_of
SELECT source, issue_id, key, summary, url, project_key, program, status_now, cat_now, started, done_s,
    assignee, priority, components, fix_version_ids, has_estimate, has_due, in_active, in_future, last_update_s
FROM (
    SELECT *,
        arrayCount(x_a -> x_a < {as_of_s}, st_at) AS n_now,
        if(length(st_at) = 0, status_category, if(n_now > 0, st_to_cat[n_now], st_from_cat[1])) AS cat_raw,
        if(length(st_at) = 0, status, if(n_now > 0, st_to_name[n_now], st_from_name[1])) AS status_now,
        if(cat_raw IN ('new', 'indeterminate', 'done'), cat_raw, 'unknown') AS cat_now,
        toUInt8(arrayExists((x_a, x_c) -> x_a < {as_of_s} AND x_c = 'indeterminate', st_at, st_to_cat)) AS started,
        arrayReduce('max', arrayFilter((x_a, x_c) -> x_a < {as_of_s} AND x_c = 'done', st_at, st_to_cat)) AS done_change_s,
        if(done_change_s > 0, done_change_s, if(isNull(resolved), toInt64(0), toInt64(assumeNotNull(resolved)))) AS done_s,
        toUInt8(ifNull(story_points, 0) > 0 OR ifNull(original_estimate_seconds, 0) > 0) AS has_estimate,
        toUInt8(isNotNull(due_date)) AS has_due,
        -- the tracker's updated stamp when it is before as_of, else the last change before as_of
        if(updated < toDateTime({as_of_s}, 'UTC'), toInt64(updated), greatest(toInt64(created), last_change_s)) AS last_update_s
    FROM (
        SELECT * FROM (
            SELECT * FROM (
                SELECT source, id AS issue_id, key, summary, url, project_id, project_key, status, status_category, priority, assignee,
                    components, fix_version_ids, story_points, original_estimate_seconds, due_date, created, updated, resolved
                FROM v_issues WHERE created < toDateTime({as_of_s}, 'UTC') AND has({flow_types}, type) AND type_class != 'subtask'
            ) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)
        ) AS ip ANY LEFT JOIN {{status_changes}} AS c USING (source, issue_id)
    ) AS ic ANY LEFT JOIN {{issue_sprints}} AS s USING (source, issue_id)
)

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
        if(has({fields}, 'assignee') AND assignee = '', 'assignee', ''),
        if(has({fields}, 'due_date') AND has_due = 0, 'due_date', ''),
        if(has({fields}, 'estimate') AND has_estimate = 0, 'estimate', ''),
        if(has({fields}, 'priority') AND priority = '', 'priority', ''),
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

-- model sprint_length: the sprints started before as_of, active then or completed in the window, whose planned length (start to end, whole days) is off the agreed length by more than the tolerance; once per project with items in the sprint (info: the planned start and end days; n: the planned length)
SELECT source, project_key, program, sprint_id AS id, name AS key, name AS summary, '' AS url,
    concat(toString(toDate(toDateTime(plan_start_s, 'UTC'))), ' – ', toString(toDate(toDateTime(end_s, 'UTC')))) AS info, planned AS n
FROM (
    SELECT * FROM (
        SELECT source, id AS sprint_id, name,
            if(isNull(activated), if(isNull(start), toInt64(0), toInt64(assumeNotNull(start))), toInt64(assumeNotNull(activated))) AS start_s,
            if(isNull(start), start_s, toInt64(assumeNotNull(start))) AS plan_start_s,
            if(isNull(`end`), toInt64(0), toInt64(assumeNotNull(`end`))) AS end_s,
            if(isNull(complete), toInt64(0), toInt64(assumeNotNull(complete))) AS complete_s,
            intDiv(end_s - plan_start_s + 43200, 86400) AS planned
        FROM v_sprints
    ) AS s ALL INNER JOIN (
        SELECT DISTINCT source, sprint_id, project_key, program FROM (
            SELECT source, project_key, program, arrayJoin(sprint_ids) AS sprint_id FROM (
                SELECT * FROM (
                    SELECT source, project_id, project_key, sprint_ids FROM v_issues
                    WHERE notEmpty(sprint_ids) AND has({flow_types}, type) AND type_class != 'subtask'
                ) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)
            )
        )
    ) AS ip USING (source, sprint_id)
)
WHERE start_s > 0 AND start_s < {as_of_s} AND end_s > 0 AND (complete_s = 0 OR complete_s >= {as_of_s} - {sprint_window_s})
    AND abs(planned - {length_days}) > {tolerance_days}
ORDER BY source, project_key, plan_start_s, name
