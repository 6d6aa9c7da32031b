-- Releases (kpis.md P2 release_schedule_adherence, R2/R3 release
-- forecasts): the versions as observed, and per version the delivery of its
-- issues from the lifecycle. The adherence rule (released date observed, or
-- the C12 fallback: the last done day of the version's issues, when no
-- observation predates the release) is applied per version in
-- internal/kpi/release.go, which explain shows version by version.

-- model release_delivery: per version, the last done day (civil day number) of its non-discarded issues, and how many are done and open
SELECT source, fv, toInt64(maxIf(done_day, is_done = 1)) AS last_done_day, toInt64(countIf(is_done = 1)) AS done_n,
    toInt64(countIf(is_done = 0)) AS open_n
FROM (
    SELECT source, done_day, is_done, arrayJoin(fix_version_ids) AS fv FROM {{lifecycle}} WHERE discarded = 0
) GROUP BY source, fv

-- model release_versions: every version with its project and program, release state and dates, when pmo first saw it, and whether pmo saw it unreleased before it was released (seen_unreleased: the first observation precedes the first with released = true)
SELECT source, id, name, project_key, program, toInt64(released) AS released_n,
    ifNull(toString(baseline_release_date), '') AS baseline, ifNull(toString(released_on), '') AS released_day,
    ifNull(toString(start_date), '') AS start, toString(first_seen) AS first_seen_day, toInt64(seen_unreleased) AS seen_unreleased_n
FROM (
    SELECT * FROM (SELECT source, id, name, project_id, start_date, baseline_release_date, released, released_on FROM v_versions) AS v
    ANY LEFT JOIN (
        SELECT source, id, toDate(min(observed_at), 'UTC') AS first_seen,
            toUInt8(min(observed_at) < minIf(observed_at, released = 1)) AS seen_unreleased
        FROM versions GROUP BY source, id
    ) AS o USING (source, id)
) AS vo ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key, category AS program FROM v_projects) AS p USING (source, project_id)
ORDER BY source, project_key, name, id

-- model open_versions: the unreleased, unarchived versions of a project with their planned release date (release forecasts; ANY LEFT JOIN: an ANY INNER JOIN of newer ClickHouse matches a project row once only)
SELECT source, id, name, concat(source, '/', project_key) AS project, ifNull(toString(release_date), '') AS planned
FROM (SELECT source, id, name, project_id, release_date FROM v_versions WHERE released = 0 AND archived = 0) AS v
ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key FROM v_projects) AS p USING (source, project_id)
WHERE project_key != ''
ORDER BY source, project_key, name, id

-- model version_remaining: per version, its open flow items (not discarded)
SELECT source, fv, toInt64(count()) AS remaining FROM (
    SELECT source, arrayJoin(fix_version_ids) AS fv FROM {{lifecycle}} WHERE is_flow AND NOT discarded AND NOT is_done
) GROUP BY source, fv
