-- The issue lifecycle at as_of (kpis.md C4): the shared building block every
-- flow, quality, hygiene, WIP, age, backlog, planning and effort KPI selects
-- from. One row per issue created before as_of with its started and done
-- instants, skipped / discarded / restarted flags, reopen and done-entry
-- instants, active seconds (F7), the civil day numbers of its dates in the
-- scope's time zone, the priority in force when it was done, its linked
-- bugs, its logged time, and the scope keys it rolls up to.
--
-- Each "-- model NAME" below is one SELECT. {{name}} stands for the
-- relation of another model (its SELECT in parentheses, or the table the
-- engine materialized it into); {name} is a parameter bound as a literal.
--
-- Parameters:
--   {as_of} {as_of_s}        the as-of instant (DateTime 'UTC') and as Unix seconds
--   {tz_1} … {tz_8}          the time zones of the configuration (internal/kpi/zones.go): kpi.tz first, then every
--                            kpi.scopes[].tz; unused slots repeat the first. zi, a row's zone, indexes them
--   {zone_team_zi}           each team's zone index, parallel to {team_names}
--   {zone_project_keys} {zone_project_zi} {zone_program_names} {zone_program_zi} {zone_source_names} {zone_source_zi}
--                            the projects (source/KEY or KEY), programs and sources with a kpi.scopes tz and its index
--
-- The zone of an issue (kpis.md C1; zi, 1-based): its first team's when it has one, else its project's (the project's
-- kpi.scopes tz, else its program's, else its source's, else kpi.tz). Its day numbers are local dates there, and every
-- scope it rolls up to counts its days there: a roll-up sums its teams' and projects' daily values, each in its own
-- zone. Models that compare with a zone-dependent parameter (the window start, E, the WIP day ends) read it as
-- {param}[zi]: one entry per zone.
--   {start_first}            1 when kpi.start_policy is first (started = first exit from To Do), else last
--   {active_ids}             kpi.active_status_ids (empty: the In Progress category is active)
--   {cc_ids}                 kpi.cycle_time_status_ids (empty: the In Progress category)
--   {flow_types} {bug_types} {escaped_types} {escaped_labels} {escaped_envs}
--   {discard_resolutions} {defect_link_types}   the kpi.* type, label and link lists
--   {k_portfolio} {k_source} {k_program} {k_project} {k_team}   the scope kinds
--   {team_names}             kpi.teams names in config order
--   {sel_team} {sel_kind} {sel_value}   the teams' selectors as parallel arrays: the team's 1-based index in
--                            {team_names}, the kind (project, component, assignee, board) and the value
--   {has_boards}             1 when a team selects by board (else the board model reads nothing)
--   {multi_team}             1 when an issue belongs to every team that selects it (kpi.multi_team), else to the first

-- model issue_scope: v_issues created before as_of, with the issue's program (its project's category)
SELECT * FROM (
    SELECT source, id AS issue_id, key, project_id, project_key, type, type_class, status_id, status_category,
        resolution, priority, assignee_id, assignee, created, updated, due_date, story_points, original_estimate_seconds,
        labels, components, environment, parent_id, epic_key, fix_version_ids
    FROM v_issues WHERE created < {as_of}
) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)

-- model issue_boards: per issue, the boards (ids and names) that hold one of its sprints or whose project is the issue's project; nothing unless a team selects by board ({has_boards})
SELECT source, issue_id, groupUniqArray(b) AS boards FROM (
    SELECT source, issue_id, b FROM (
        SELECT source, issue_id, board_id, names FROM (
            SELECT source, issue_id, board_id FROM (
                SELECT source, id AS issue_id, sprint_id FROM v_issues ARRAY JOIN sprint_ids AS sprint_id WHERE {has_boards} = 1
            ) AS si ALL INNER JOIN (SELECT source, id AS sprint_id, board_id FROM v_sprints WHERE {has_boards} = 1) AS sp USING (source, sprint_id)
            UNION ALL
            SELECT source, issue_id, board_id FROM (
                SELECT source, id AS issue_id, project_id FROM v_issues WHERE {has_boards} = 1
            ) AS pi ALL INNER JOIN (SELECT source, project_id, id AS board_id FROM v_boards WHERE {has_boards} = 1 AND project_id != '') AS pb USING (source, project_id)
        ) AS ib ALL INNER JOIN (SELECT source, id AS board_id, [id, name] AS names FROM v_boards WHERE {has_boards} = 1) AS bn USING (source, board_id)
    ) ARRAY JOIN names AS b
) GROUP BY source, issue_id

-- model issue_team_match: the issue_scope rows with the teams each belongs to (kpi.teams): those with a selector matching its project (KEY or source/KEY), a component, its assignee (id or name) or a board of {{issue_boards}}; the first of them unless {multi_team} = 1
SELECT *,
    arrayFilter((x_t, x_k, x_v) -> multiIf(
        x_k = 'project', x_v = project_key OR x_v = concat(source, '/', project_key),
        x_k = 'component', has(components, x_v),
        x_k = 'assignee', x_v = assignee_id OR x_v = assignee,
        x_k = 'board', has(boards, x_v), 0), {sel_team}, {sel_kind}, {sel_value}) AS team_hits,
    -- "+ 0 * ...": ClickHouse 18.16 prunes subquery columns referenced only inside a lambda (see models/wip.sql)
    arrayMap(x_i -> {team_names}[x_i], if({multi_team} = 1,
        arrayFilter((x_t, x_n) -> indexOf(team_hits, x_t) = x_n, team_hits, arrayEnumerate(team_hits)),
        arraySlice(team_hits, 1, 1 + 0 * (length(source) + length(project_key) + length(components) + length(assignee_id)
            + length(assignee) + length(boards))))) AS teams
FROM {{issue_scope}} AS i ANY LEFT JOIN {{issue_boards}} AS b USING (source, issue_id)

-- model issue_team_match_none: the issue_scope rows with no team: what {{issue_team_match}} stands for without kpi.teams (modelSQL), sparing the board join and the selector matching
SELECT *, CAST([] AS Array(String)) AS teams FROM {{issue_scope}}

-- model issue_teams: the issue_scope rows with their teams (kpi.teams) and their zone zi (see the header): the first team's, else the project's
SELECT *,
    if(length(teams) > 0, {zone_team_zi}[indexOf({team_names}, teams[1])],
        transform(concat(source, '/', project_key), {zone_project_keys}, {zone_project_zi},
        transform(project_key, {zone_project_keys}, {zone_project_zi},
        transform(program, {zone_program_names}, {zone_program_zi},
        transform(source, {zone_source_names}, {zone_source_zi}, toUInt8(1)))))) AS zi
FROM {{issue_team_match}}

-- model linked_bugs: per issue, the distinct bugs linked to it by a defect link type (either direction) or parented by it (Q1)
SELECT source, issue_id, uniqExact(b) AS linked_bugs FROM (
    SELECT source, a AS issue_id, b FROM (
        SELECT source, from_issue_id AS a, to_issue_id AS b FROM v_issue_links
        WHERE has({defect_link_types}, type) OR has({defect_link_types}, outward) OR has({defect_link_types}, inward)
        UNION ALL
        SELECT source, to_issue_id AS a, from_issue_id AS b FROM v_issue_links
        WHERE has({defect_link_types}, type) OR has({defect_link_types}, outward) OR has({defect_link_types}, inward)
        UNION ALL
        SELECT source, parent_id AS a, id AS b FROM v_issues WHERE parent_id != '' AND has({bug_types}, type)
    ) AS l ALL INNER JOIN (SELECT source, id AS b FROM v_issues WHERE has({bug_types}, type)) AS r USING (source, b)
) GROUP BY source, issue_id

-- model worklog_totals: per issue, the start of its last worklog and the seconds logged before as_of
SELECT source, issue_id, max(toInt64(started)) AS last_worklog_s, sumIf(seconds, started < {as_of}) AS spent_s
FROM v_worklogs GROUP BY source, issue_id

-- model priority_history: per issue, its priority changes before as_of in history order (pr_at, pr_from, pr_to): names, as the issue's priority is (a change's from/to hold ids, model.ChangePriority)
SELECT source, issue_id,
    arraySort((x_v, x_k) -> x_k, groupArray(at_s), groupArray(sk)) AS pr_at,
    arraySort((x_v, x_k) -> x_k, groupArray(p_from), groupArray(sk)) AS pr_from,
    arraySort((x_v, x_k) -> x_k, groupArray(p_to), groupArray(sk)) AS pr_to
FROM (
    SELECT source, issue_id, toInt64(at) AS at_s, (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sk,
        if(from_string != '', from_string, `from`) AS p_from, if(to_string != '', to_string, `to`) AS p_to
    FROM v_changes WHERE change_kind = 'priority' AND at < {as_of}
) GROUP BY source, issue_id

-- model lifecycle: one row per issue at as_of (kpis.md C4), the columns the KPI models read
SELECT *,
    -- the priority in force at done_at (as_of for an issue not done): replayed from its changes
    -- (done_s is named outside the lambdas for 18.16: see models/history.sql)
    if(length(pr_at) = 0 OR if(done_s > 0, done_s, {as_of_s}) < 0, priority,
        if(arrayCount(x_h -> x_h <= if(done_s > 0, done_s, {as_of_s}), pr_at) > 0,
            pr_to[arrayCount(x_h -> x_h <= if(done_s > 0, done_s, {as_of_s}), pr_at)], pr_from[1])) AS priority_done
FROM (
SELECT * FROM (SELECT * FROM (SELECT
    source, issue_id, key, project_key, program, type, type_class, resolution, priority, assignee_id, labels,
    components, environment, created, updated, due_date, story_points, original_estimate_seconds, parent_id,
    epic_key, fix_version_ids, has_unknown, init_cat, ats, tcs, is_flow, is_bug, is_escaped_type, escaped, n_tr,
    cat_now, start_s, done_s, started, is_done, discarded, skipped, restarted, reopen_ats, done_entry_ats, active_s,
    cc_s, status_now, zi, created_day, start_day, done_day, teams, scope_kinds, scope_names
FROM (SELECT
    source, issue_id, key, project_key, program, type, type_class, resolution, priority, assignee_id, labels,
    components, environment, created, updated, due_date, story_points, original_estimate_seconds, parent_id,
    epic_key, fix_version_ids, has_unknown, init_cat, ats, tcs, teams, zi,
    toUInt8(has({flow_types}, type) AND type_class != 'subtask') AS is_flow,
    toUInt8(has({bug_types}, type)) AS is_bug,
    toUInt8(has({escaped_types}, type)) AS is_escaped_type,
    toUInt8(has({escaped_types}, type)
        OR arrayExists(x_l -> has({escaped_labels}, x_l), arrayConcat(labels, components))
        OR has({escaped_envs}, lower(replaceRegexpAll(environment, '^\\s+|\\s+$', '')))) AS escaped,
    length(ats) AS n_tr,
    if(n_tr = 0, init_cat, tcs[n_tr]) AS cat_now,
    -- exits from To Do; started = the last one (the first with start_policy: first)
    arrayFilter((x_a, x_f, x_t) -> x_f = 'new' AND x_t != 'new', ats, fcs, tcs) AS exits,
    if(length(exits) > 0, toInt64(exits[if({start_first} = 1, 1, length(exits))]),
        if(init_cat != 'new', toInt64(created), toInt64(0))) AS start_s,
    arrayFilter((x_a, x_t) -> x_t = 'done', ats, tcs) AS dones,
    if(cat_now = 'done', if(length(dones) > 0, toInt64(dones[length(dones)]), toInt64(created)), toInt64(0)) AS done_s,
    toUInt8(start_s > 0) AS started,
    toUInt8(done_s > 0) AS is_done,
    toUInt8(is_done AND has({discard_resolutions}, resolution)) AS discarded,
    toUInt8(is_done AND NOT arrayExists((x_a, x_t) -> x_t = 'indeterminate' AND toInt64(x_a) >= start_s AND toInt64(x_a) <= done_s, ats, tcs)) AS skipped,
    toUInt8(length(exits) >= 2) AS restarted,
    arrayFilter((x_a, x_f, x_t) -> x_f = 'done' AND x_t != 'done', ats, fcs, tcs) AS reopen_ats,
    arrayFilter((x_a, x_f, x_t) -> x_f != 'done' AND x_t = 'done', ats, fcs, tcs) AS done_entry_ats,
    -- the statuses the issue was in and when (F7)
    arrayConcat([init_status], tids) AS st_ids,
    arrayConcat([init_cat], tcs) AS st_cats,
    st_ids[length(st_ids)] AS status_now,
    arrayConcat([toInt64(created)], arrayMap(x_a -> toInt64(x_a), ats)) AS st_from,
    arrayPushBack(arrayMap(x_a -> toInt64(x_a), ats), toInt64({as_of})) AS st_to,
    -- active seconds between start and done (F7), and the control-chart time in the cycle-time statuses
    if(is_done AND started, arraySum((x_s, x_c, x_b, x_e) -> if(if(empty({active_ids}), x_c = 'indeterminate', has({active_ids}, x_s)),
        greatest(toInt64(0), least(x_e, done_s) - greatest(x_b, start_s)), toInt64(0)), st_ids, st_cats, st_from, st_to), toInt64(0)) AS active_s,
    if(is_done AND started, arraySum((x_s, x_c, x_b, x_e) -> if(if(empty({cc_ids}), x_c = 'indeterminate', has({cc_ids}, x_s)),
        greatest(toInt64(0), least(x_e, done_s) - x_b), toInt64(0)), st_ids, st_cats, st_from, st_to), toInt64(0)) AS cc_s,
    -- local dates in the issue's zone (18.16's toDate takes a constant zone: one branch per zone slot)
    toDateTime(start_s, 'UTC') AS start_t, toDateTime(done_s, 'UTC') AS done_t,
    toInt32(multiIf(zi = 1, toDate(created, {tz_1}), zi = 2, toDate(created, {tz_2}), zi = 3, toDate(created, {tz_3}), zi = 4, toDate(created, {tz_4}),
        zi = 5, toDate(created, {tz_5}), zi = 6, toDate(created, {tz_6}), zi = 7, toDate(created, {tz_7}), toDate(created, {tz_8}))) AS created_day,
    toInt32(multiIf(zi = 1, toDate(start_t, {tz_1}), zi = 2, toDate(start_t, {tz_2}), zi = 3, toDate(start_t, {tz_3}), zi = 4, toDate(start_t, {tz_4}),
        zi = 5, toDate(start_t, {tz_5}), zi = 6, toDate(start_t, {tz_6}), zi = 7, toDate(start_t, {tz_7}), toDate(start_t, {tz_8}))) AS start_day,
    toInt32(multiIf(zi = 1, toDate(done_t, {tz_1}), zi = 2, toDate(done_t, {tz_2}), zi = 3, toDate(done_t, {tz_3}), zi = 4, toDate(done_t, {tz_4}),
        zi = 5, toDate(done_t, {tz_5}), zi = 6, toDate(done_t, {tz_6}), zi = 7, toDate(done_t, {tz_7}), toDate(done_t, {tz_8}))) AS done_day,
    arrayConcat([{k_portfolio}, {k_source}, {k_program}, {k_project}], arrayMap(x_n -> {k_team}, teams)) AS scope_kinds,
    arrayConcat(['all', source, program, concat(source, '/', project_key)], teams) AS scope_names
FROM (
    SELECT *,
        if(length(h_at) > 0, h_from_cat[1], if(status_category IN ('new', 'indeterminate', 'done'), status_category, 'indeterminate')) AS init_cat,
        if(length(h_at) > 0, h_from_id[1], status_id) AS init_status,
        arrayFilter(x_a -> x_a < {as_of}, h_at) AS ats,
        arrayFilter((x_v, x_a) -> x_a < {as_of}, h_from_cat, h_at) AS fcs,
        arrayFilter((x_v, x_a) -> x_a < {as_of}, h_to_cat, h_at) AS tcs,
        arrayFilter((x_v, x_a) -> x_a < {as_of}, h_to_id, h_at) AS tids
    FROM {{issue_teams}} AS i ANY LEFT JOIN v_kpi_status_history AS h USING (source, issue_id)
))) AS lc ANY LEFT JOIN {{linked_bugs}} AS lb USING (source, issue_id)
) AS lcb ANY LEFT JOIN {{worklog_totals}} AS wl USING (source, issue_id)
) AS lcw ANY LEFT JOIN {{priority_history}} AS ph USING (source, issue_id)

-- model scoped: the rows of {{rows}} (lifecycle rows), one per scope each rolls up to (scope_kind, scope), for the scopes computed: every scope with {keep_all} = 1, else those in {keep} ("kind:name")
SELECT *, scope_kind, scope FROM {{rows}} ARRAY JOIN scope_kinds AS scope_kind, scope_names AS scope
WHERE scope != '' AND ({keep_all} = 1 OR has({keep}, concat(scope_kind, ':', scope)))

-- model scope_projects: the projects with issues created before {as_of}, with their source and program: the scopes there are
SELECT DISTINCT source, project_key, program FROM {{issue_scope}} ORDER BY source, project_key

-- model scope_teams: the teams (kpi.teams) with issues created before {as_of}: the team scopes there are
SELECT DISTINCT team FROM {{issue_team_match}} ARRAY JOIN teams AS team

-- model issue_team_keys: the teams (kpi.teams) of each issue created before {as_of} that has one, by issue key
SELECT key, teams FROM {{issue_team_match}} WHERE length(teams) > 0 ORDER BY key

-- model issue_team_refs: the teams (kpi.teams) of each issue created before {as_of} that has one, by source and key (what the dashboards' RAID tables join)
SELECT source, key, teams FROM {{issue_team_match}} WHERE length(teams) > 0

-- model issue_zone_refs: the zone (zi, see the header) of each issue created before {as_of} whose days are not counted in kpi.tz, by source and key (the report's charts)
SELECT source, key, zi FROM {{issue_teams}} WHERE zi != 1 ORDER BY source, key

-- model issue_projects: the project scope ("source/KEY") of each issue whose key is in {keys}
SELECT key, concat(source, '/', project_key) AS project FROM v_issues WHERE has({keys}, key) ORDER BY key, project
