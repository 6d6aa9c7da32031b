-- The tracker-neutral meaning of each change (model.ChangeKind): KPI SQL
-- filters on change_kind, never on a tracker's field names. Collectors set
-- it on every change they load from now on. Rows loaded before this
-- migration were all written by the Jira collector, so the column's DEFAULT
-- maps Jira's changelog fields for them (computed on read for old parts,
-- materialized by merges); it is never used for new rows, which name the
-- column. ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS; the migration
-- runs once (schema_migrations). v_changes is recreated so that it shows the
-- column, and v_kpi_status_history so that it reads the status kind and
-- orders the changes of one second by change id (as a number) and item,
-- not by the order rows happen to come in (changeOrder in
-- internal/kpi/vocabulary.go).
ALTER TABLE {{table "changes"}}{{.OnCluster}} ADD COLUMN `change_kind` String DEFAULT multiIf(
    field_id = 'status' OR (field_id = '' AND lower(field) = 'status'), 'status',
    lower(field) = 'sprint', 'sprint',
    field IN ('Story Points', 'Story point estimate'), 'story_points',
    field_id = 'timeoriginalestimate' OR (field_id = '' AND lower(field) = 'timeoriginalestimate'), 'original_estimate',
    field_id = 'duedate' OR (field_id = '' AND lower(field) = 'duedate'), 'due_date',
    field_id = 'fixVersions' OR field = 'Fix Version', 'fix_version',
    field_id = '' AND lower(field) = 'link', 'link',
    field_id = 'priority' OR (field_id = '' AND lower(field) = 'priority'), 'priority',
    field_id = 'assignee' OR (field_id = '' AND lower(field) = 'assignee'), 'assignee',
    field_id = 'resolution' OR (field_id = '' AND lower(field) = 'resolution'), 'resolution',
    field_id = 'issuetype' OR (field_id = '' AND lower(field) = 'issuetype'), 'type',
    lower(field) IN ('parent', 'epic link', 'parent link', 'ihierarchy'), 'parent',
    'other') AFTER author_id;
{{redistribute "changes"}}
DROP TABLE IF EXISTS {{.DB}}.v_changes{{.OnCluster}};
CREATE VIEW IF NOT EXISTS {{.DB}}.v_changes{{.OnCluster}} AS
SELECT * FROM {{.DB}}.changes FINAL
WHERE (source, issue_id) {{.Global}}NOT IN (SELECT source, issue_id FROM {{.DB}}.issue_deletions FINAL);
DROP TABLE IF EXISTS {{.DB}}.v_kpi_status_history{{.OnCluster}};
CREATE VIEW IF NOT EXISTS {{.DB}}.v_kpi_status_history{{.OnCluster}} AS
SELECT
    source,
    issue_id,
    arraySort((x, k) -> k, groupArray(at), groupArray(sort_key)) AS h_at,
    arraySort((x, k) -> k, groupArray(from_id), groupArray(sort_key)) AS h_from_id,
    arraySort((x, k) -> k, groupArray(to_id), groupArray(sort_key)) AS h_to_id,
    arraySort((x, k) -> k, groupArray(from_cat), groupArray(sort_key)) AS h_from_cat,
    arraySort((x, k) -> k, groupArray(to_cat), groupArray(sort_key)) AS h_to_cat,
    max(unknown_cat) AS has_unknown
FROM
(
    SELECT
        source,
        issue_id,
        at,
        (toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)) AS sort_key,
        `from` AS from_id,
        `to` AS to_id,
        if(from_category IN ('new', 'indeterminate', 'done'), from_category, 'indeterminate') AS from_cat,
        if(to_category IN ('new', 'indeterminate', 'done'), to_category, 'indeterminate') AS to_cat,
        toUInt8(NOT (from_category IN ('new', 'indeterminate', 'done') AND to_category IN ('new', 'indeterminate', 'done'))) AS unknown_cat
    FROM {{.DB}}.v_changes
    WHERE change_kind = 'status'
)
GROUP BY source, issue_id;
