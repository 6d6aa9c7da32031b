-- The reader views: the deduplicated current state (FINAL collapses the
-- ReplacingMergeTree rows to the one with the highest _version), without
-- deleted issues and their changes, worklogs and links.

CREATE VIEW IF NOT EXISTS {{.DB}}.v_issue_deletions{{.OnCluster}} AS
SELECT * FROM {{.DB}}.issue_deletions FINAL;

CREATE VIEW IF NOT EXISTS {{.DB}}.v_projects{{.OnCluster}} AS
SELECT * FROM {{.DB}}.projects FINAL;

CREATE VIEW IF NOT EXISTS {{.DB}}.v_statuses{{.OnCluster}} AS
SELECT * FROM {{.DB}}.statuses FINAL;

CREATE VIEW IF NOT EXISTS {{.DB}}.v_boards{{.OnCluster}} AS
SELECT * FROM {{.DB}}.boards FINAL;

CREATE VIEW IF NOT EXISTS {{.DB}}.v_sprints{{.OnCluster}} AS
SELECT * FROM {{.DB}}.sprints FINAL;

CREATE VIEW IF NOT EXISTS {{.DB}}.v_issues{{.OnCluster}} AS
SELECT * FROM {{.DB}}.issues FINAL
WHERE (source, id) {{.Global}}NOT IN (SELECT source, issue_id FROM {{.DB}}.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS {{.DB}}.v_changes{{.OnCluster}} AS
SELECT * FROM {{.DB}}.changes FINAL
WHERE (source, issue_id) {{.Global}}NOT IN (SELECT source, issue_id FROM {{.DB}}.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS {{.DB}}.v_worklogs{{.OnCluster}} AS
SELECT * FROM {{.DB}}.worklogs FINAL
WHERE (source, issue_id) {{.Global}}NOT IN (SELECT source, issue_id FROM {{.DB}}.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS {{.DB}}.v_issue_links{{.OnCluster}} AS
SELECT * FROM {{.DB}}.issue_links FINAL
WHERE (source, from_issue_id) {{.Global}}NOT IN (SELECT source, issue_id FROM {{.DB}}.issue_deletions FINAL)
  AND (source, to_issue_id) {{.Global}}NOT IN (SELECT source, issue_id FROM {{.DB}}.issue_deletions FINAL);

-- One row per version: its latest observation, the first release date ever
-- observed (the baseline, kpis.md C12) and the first day it was seen released.
CREATE VIEW IF NOT EXISTS {{.DB}}.v_versions{{.OnCluster}} AS
SELECT
    source,
    id,
    tupleElement(last, 1) AS project_id,
    tupleElement(last, 2) AS name,
    tupleElement(last, 3) AS description,
    tupleElement(last, 4) AS start_date,
    tupleElement(last, 5) AS release_date,
    tupleElement(last, 6) AS released,
    tupleElement(last, 7) AS archived,
    tupleElement(last, 8) AS observed_at,
    tupleElement(last, 9) AS _version,
    baseline_release_date,
    if(times_released = 0, NULL, first_released) AS released_on
FROM
(
    SELECT
        source,
        id,
        argMax(tuple(project_id, name, description, start_date, release_date, released, archived, observed_at, _version), observed_at) AS last,
        argMinIf(release_date, observed_at, isNotNull(release_date)) AS baseline_release_date,
        minIf(toDate(observed_at, 'UTC'), released = 1) AS first_released,
        countIf(released = 1) AS times_released
    FROM {{gather "versions FINAL"}}
    GROUP BY source, id
);
