-- bootstrap
CREATE DATABASE IF NOT EXISTS `pmo` ON CLUSTER `prod`;

CREATE TABLE IF NOT EXISTS `pmo`.schema_migrations_local ON CLUSTER `prod` (`version` UInt32, `name` String, `applied` DateTime('UTC')) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/pmo/schema_migrations', '{replica}') ORDER BY version;

CREATE TABLE IF NOT EXISTS `pmo`.schema_migrations ON CLUSTER `prod` AS `pmo`.schema_migrations_local
ENGINE = Distributed(`prod`, `pmo`, schema_migrations_local, cityHash64(version));

-- 001_tables
CREATE TABLE IF NOT EXISTS `pmo`.projects_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `key`                        String,
    `name`                       String,
    `category_id`                String,
    `category`                   String,
    `lead`                       String,
    `url`                        String,
    `archived`                   UInt8,
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/projects', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.projects ON CLUSTER `prod` AS `pmo`.projects_local
ENGINE = Distributed(`prod`, `pmo`, projects_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.statuses_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `name`                       String,
    `category`                   String,
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/statuses', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.statuses ON CLUSTER `prod` AS `pmo`.statuses_local
ENGINE = Distributed(`prod`, `pmo`, statuses_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.boards_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `name`                       String,
    `type`                       String,
    `project_id`                 String,
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/boards', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.boards ON CLUSTER `prod` AS `pmo`.boards_local
ENGINE = Distributed(`prod`, `pmo`, boards_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.sprints_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `board_id`                   String,
    `name`                       String,
    `state`                      String,
    `goal`                       String,
    `start`                      Nullable(DateTime('UTC')),
    `activated`                  Nullable(DateTime('UTC')),
    `end`                        Nullable(DateTime('UTC')),
    `complete`                   Nullable(DateTime('UTC')),
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/sprints', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.sprints ON CLUSTER `prod` AS `pmo`.sprints_local
ENGINE = Distributed(`prod`, `pmo`, sprints_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.versions_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `project_id`                 String,
    `name`                       String,
    `description`                String,
    `start_date`                 Nullable(Date),
    `release_date`               Nullable(Date),
    `released`                   UInt8,
    `archived`                   UInt8,
    `observed_at`                DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/versions', '{replica}', _version)
ORDER BY (source, id, toDate(observed_at));

CREATE TABLE IF NOT EXISTS `pmo`.versions ON CLUSTER `prod` AS `pmo`.versions_local
ENGINE = Distributed(`prod`, `pmo`, versions_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.issues_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `key`                        String,
    `project_id`                 String,
    `project_key`                String,
    `summary`                    String,
    `type_id`                    String,
    `type`                       String,
    `type_class`                 String,
    `status_id`                  String,
    `status`                     String,
    `status_category`            String,
    `resolution_id`              String,
    `resolution`                 String,
    `priority_id`                String,
    `priority`                   String,
    `assignee_id`                String,
    `assignee`                   String,
    `reporter_id`                String,
    `reporter`                   String,
    `created`                    DateTime('UTC'),
    `updated`                    DateTime('UTC'),
    `resolved`                   Nullable(DateTime('UTC')),
    `due_date`                   Nullable(Date),
    `story_points`               Nullable(Float64),
    `original_estimate_seconds`  Nullable(Int64),
    `remaining_estimate_seconds` Nullable(Int64),
    `time_spent_seconds`         Nullable(Int64),
    `labels`                     Array(String),
    `components`                 Array(String),
    `environment`                String,
    `parent_id`                  String,
    `parent_key`                 String,
    `epic_key`                   String,
    `fix_version_ids`            Array(String),
    `affects_version_ids`        Array(String),
    `sprint_ids`                 Array(String),
    `flagged`                    UInt8,
    `url`                        String,
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/issues', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.issues ON CLUSTER `prod` AS `pmo`.issues_local
ENGINE = Distributed(`prod`, `pmo`, issues_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.changes_local ON CLUSTER `prod`
(
    `source`                     String,
    `issue_id`                   String,
    `change_id`                  String,
    `item`                       Int64,
    `at`                         DateTime('UTC'),
    `author_id`                  String,
    `field`                      String,
    `field_id`                   String,
    `field_type`                 String,
    `from`                       String,
    `from_string`                String,
    `to`                         String,
    `to_string`                  String,
    `from_category`              String,
    `to_category`                String,
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/changes', '{replica}', _version)
ORDER BY (source, issue_id, change_id, item);

CREATE TABLE IF NOT EXISTS `pmo`.changes ON CLUSTER `prod` AS `pmo`.changes_local
ENGINE = Distributed(`prod`, `pmo`, changes_local, cityHash64(source, issue_id));

CREATE TABLE IF NOT EXISTS `pmo`.worklogs_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `issue_id`                   String,
    `author_id`                  String,
    `author`                     String,
    `started`                    DateTime('UTC'),
    `started_offset`             String,
    `seconds`                    Int64,
    `created`                    DateTime('UTC'),
    `updated`                    DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/worklogs', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.worklogs ON CLUSTER `prod` AS `pmo`.worklogs_local
ENGINE = Distributed(`prod`, `pmo`, worklogs_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.issue_links_local ON CLUSTER `prod`
(
    `source`                     String,
    `id`                         String,
    `type_id`                    String,
    `type`                       String,
    `outward`                    String,
    `inward`                     String,
    `from_issue_id`              String,
    `to_issue_id`                String,
    `observed_at`                DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/issue_links', '{replica}', _version)
ORDER BY (source, id);

CREATE TABLE IF NOT EXISTS `pmo`.issue_links ON CLUSTER `prod` AS `pmo`.issue_links_local
ENGINE = Distributed(`prod`, `pmo`, issue_links_local, cityHash64(source, id));

CREATE TABLE IF NOT EXISTS `pmo`.issue_deletions_local ON CLUSTER `prod`
(
    `source`                     String,
    `issue_id`                   String,
    `issue_key`                  String,
    `project_id`                 String,
    `at`                         DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/issue_deletions', '{replica}', _version)
ORDER BY (source, issue_id);

CREATE TABLE IF NOT EXISTS `pmo`.issue_deletions ON CLUSTER `prod` AS `pmo`.issue_deletions_local
ENGINE = Distributed(`prod`, `pmo`, issue_deletions_local, cityHash64(source, issue_id));

CREATE TABLE IF NOT EXISTS `pmo`.cursors_local ON CLUSTER `prod`
(
    `source`                     String,
    `name`                       String,
    `value`                      String,
    `updated`                    DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/cursors', '{replica}', _version)
ORDER BY (source, name);

CREATE TABLE IF NOT EXISTS `pmo`.cursors ON CLUSTER `prod` AS `pmo`.cursors_local
ENGINE = Distributed(`prod`, `pmo`, cursors_local, cityHash64(source, name));

-- 002_views
CREATE VIEW IF NOT EXISTS `pmo`.v_issue_deletions ON CLUSTER `prod` AS
SELECT * FROM `pmo`.issue_deletions FINAL;

CREATE VIEW IF NOT EXISTS `pmo`.v_projects ON CLUSTER `prod` AS
SELECT * FROM `pmo`.projects FINAL;

CREATE VIEW IF NOT EXISTS `pmo`.v_statuses ON CLUSTER `prod` AS
SELECT * FROM `pmo`.statuses FINAL;

CREATE VIEW IF NOT EXISTS `pmo`.v_boards ON CLUSTER `prod` AS
SELECT * FROM `pmo`.boards FINAL;

CREATE VIEW IF NOT EXISTS `pmo`.v_sprints ON CLUSTER `prod` AS
SELECT * FROM `pmo`.sprints FINAL;

CREATE VIEW IF NOT EXISTS `pmo`.v_issues ON CLUSTER `prod` AS
SELECT * FROM `pmo`.issues FINAL
WHERE (source, id) GLOBAL NOT IN (SELECT source, issue_id FROM `pmo`.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS `pmo`.v_changes ON CLUSTER `prod` AS
SELECT * FROM `pmo`.changes FINAL
WHERE (source, issue_id) GLOBAL NOT IN (SELECT source, issue_id FROM `pmo`.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS `pmo`.v_worklogs ON CLUSTER `prod` AS
SELECT * FROM `pmo`.worklogs FINAL
WHERE (source, issue_id) GLOBAL NOT IN (SELECT source, issue_id FROM `pmo`.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS `pmo`.v_issue_links ON CLUSTER `prod` AS
SELECT * FROM `pmo`.issue_links FINAL
WHERE (source, from_issue_id) GLOBAL NOT IN (SELECT source, issue_id FROM `pmo`.issue_deletions FINAL)
  AND (source, to_issue_id) GLOBAL NOT IN (SELECT source, issue_id FROM `pmo`.issue_deletions FINAL);

CREATE VIEW IF NOT EXISTS `pmo`.v_versions ON CLUSTER `prod` AS
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
    FROM (SELECT * FROM `pmo`.versions FINAL)
    GROUP BY source, id
);

-- 100_kpi_status_history
CREATE VIEW IF NOT EXISTS `pmo`.v_kpi_status_history ON CLUSTER `prod` AS
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
        toInt64(at) * 100000 + toInt64(item) AS sort_key,
        `from` AS from_id,
        `to` AS to_id,
        if(from_category IN ('new', 'indeterminate', 'done'), from_category, 'indeterminate') AS from_cat,
        if(to_category IN ('new', 'indeterminate', 'done'), to_category, 'indeterminate') AS to_cat,
        toUInt8(NOT (from_category IN ('new', 'indeterminate', 'done') AND to_category IN ('new', 'indeterminate', 'done'))) AS unknown_cat
    FROM `pmo`.v_changes
    WHERE field_id = 'status' OR (field_id = '' AND lower(field) = 'status')
)
GROUP BY source, issue_id;

-- 101_kpi_values
CREATE TABLE IF NOT EXISTS `pmo`.kpi_values_local ON CLUSTER `prod`
(
    `scope_kind`  String,
    `scope`       String,
    `kpi`         String,
    `window`      String,
    `labels`      String,
    `as_of`       DateTime('UTC'),
    `value`       Nullable(Float64),
    `n`           UInt64,
    `computed_at` DateTime('UTC'),
    `_version`    UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/kpi_values', '{replica}', _version)
PARTITION BY toYYYYMM(as_of)
ORDER BY (scope_kind, scope, kpi, window, labels, as_of);

CREATE TABLE IF NOT EXISTS `pmo`.kpi_values ON CLUSTER `prod` AS `pmo`.kpi_values_local
ENGINE = Distributed(`prod`, `pmo`, kpi_values_local, cityHash64(scope_kind, scope, kpi));

-- 102_kpi_values_view
CREATE VIEW IF NOT EXISTS `pmo`.v_kpi_values ON CLUSTER `prod` AS
SELECT
    scope_kind,
    scope,
    kpi,
    window,
    labels,
    as_of,
    argMax(value, v) AS value,
    argMax(n, v) AS n,
    argMax(c_at, v) AS computed_at
FROM (SELECT scope_kind, scope, kpi, window, labels, as_of, value, n, computed_at AS c_at, _version AS v FROM `pmo`.kpi_values)
GROUP BY scope_kind, scope, kpi, window, labels, as_of;

-- 103_kpi_baselines
CREATE TABLE IF NOT EXISTS `pmo`.kpi_baselines_local ON CLUSTER `prod`
(
    `scope`            String,
    `name`             String,
    `baseline_at`      DateTime('UTC'),
    `source`           String,
    `issue_id`         String,
    `key`              String,
    `estimate_seconds` Int64,
    `due_date`         Nullable(Date),
    `created_at`       DateTime('UTC'),
    `_version`         UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/kpi_baselines', '{replica}', _version)
ORDER BY (scope, name, source, issue_id);

CREATE TABLE IF NOT EXISTS `pmo`.kpi_baselines ON CLUSTER `prod` AS `pmo`.kpi_baselines_local
ENGINE = Distributed(`prod`, `pmo`, kpi_baselines_local, cityHash64(scope, name));

-- 104_kpi_values_rag
ALTER TABLE `pmo`.kpi_values_local ON CLUSTER `prod` ADD COLUMN `rag` Nullable(Int64);

DROP TABLE IF EXISTS `pmo`.kpi_values ON CLUSTER `prod`;

CREATE TABLE IF NOT EXISTS `pmo`.kpi_values ON CLUSTER `prod` AS `pmo`.kpi_values_local
ENGINE = Distributed(`prod`, `pmo`, kpi_values_local, cityHash64(scope_kind, scope, kpi));

DROP TABLE IF EXISTS `pmo`.v_kpi_values ON CLUSTER `prod`;

CREATE VIEW IF NOT EXISTS `pmo`.v_kpi_values ON CLUSTER `prod` AS
SELECT
    scope_kind,
    scope,
    kpi,
    window,
    labels,
    as_of,
    argMax(value, v) AS value,
    argMax(n, v) AS n,
    argMax(c_at, v) AS computed_at,
    argMax(rag, v) AS rag
FROM (SELECT scope_kind, scope, kpi, window, labels, as_of, value, n, computed_at AS c_at, rag, _version AS v FROM `pmo`.kpi_values)
GROUP BY scope_kind, scope, kpi, window, labels, as_of;

-- 105_kpi_values_view_nulls
DROP TABLE IF EXISTS `pmo`.v_kpi_values ON CLUSTER `prod`;

CREATE VIEW IF NOT EXISTS `pmo`.v_kpi_values ON CLUSTER `prod` AS
SELECT
    scope_kind,
    scope,
    kpi,
    window,
    labels,
    as_of,
    tupleElement(last, 1) AS value,
    tupleElement(last, 2) AS n,
    tupleElement(last, 3) AS computed_at,
    tupleElement(last, 4) AS rag
FROM
(
    SELECT scope_kind, scope, kpi, window, labels, as_of, argMax(tuple(value, n, computed_at, rag), _version) AS last
    FROM (SELECT * FROM `pmo`.kpi_values)
    GROUP BY scope_kind, scope, kpi, window, labels, as_of
);

-- 106_change_kind
ALTER TABLE `pmo`.changes_local ON CLUSTER `prod` ADD COLUMN `change_kind` String DEFAULT multiIf(
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

DROP TABLE IF EXISTS `pmo`.changes ON CLUSTER `prod`;

CREATE TABLE IF NOT EXISTS `pmo`.changes ON CLUSTER `prod` AS `pmo`.changes_local
ENGINE = Distributed(`prod`, `pmo`, changes_local, cityHash64(source, issue_id));

DROP TABLE IF EXISTS `pmo`.v_changes ON CLUSTER `prod`;

CREATE VIEW IF NOT EXISTS `pmo`.v_changes ON CLUSTER `prod` AS
SELECT * FROM `pmo`.changes FINAL
WHERE (source, issue_id) GLOBAL NOT IN (SELECT source, issue_id FROM `pmo`.issue_deletions FINAL);

DROP TABLE IF EXISTS `pmo`.v_kpi_status_history ON CLUSTER `prod`;

CREATE VIEW IF NOT EXISTS `pmo`.v_kpi_status_history ON CLUSTER `prod` AS
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
    FROM `pmo`.v_changes
    WHERE change_kind = 'status'
)
GROUP BY source, issue_id;

-- 107_kpi_refreshes
CREATE TABLE IF NOT EXISTS `pmo`.kpi_refreshes_local ON CLUSTER `prod`
(
    `run_id`       String,
    `as_of`        DateTime('UTC'),
    `complete`     UInt8,
    `scope_filter` String,
    `scopes`       Array(String),
    `value_count`  UInt64,
    `computed_at`  DateTime('UTC'),
    `pmo_version`  String,
    `_version`     UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/pmo/kpi_refreshes', '{replica}', _version)
ORDER BY (as_of, run_id);

CREATE TABLE IF NOT EXISTS `pmo`.kpi_refreshes ON CLUSTER `prod` AS `pmo`.kpi_refreshes_local
ENGINE = Distributed(`prod`, `pmo`, kpi_refreshes_local, cityHash64(run_id));

-- 108_status_history_sort
DROP TABLE IF EXISTS `pmo`.v_kpi_status_history ON CLUSTER `prod`;

CREATE VIEW IF NOT EXISTS `pmo`.v_kpi_status_history ON CLUSTER `prod` AS
SELECT
    source,
    issue_id,
    arraySort(groupArray((toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item), at, `from`, `to`, from_cat, to_cat))) AS h_sorted,
    arrayMap(x -> tupleElement(x, 4), h_sorted) AS h_at,
    arrayMap(x -> tupleElement(x, 5), h_sorted) AS h_from_id,
    arrayMap(x -> tupleElement(x, 6), h_sorted) AS h_to_id,
    arrayMap(x -> tupleElement(x, 7), h_sorted) AS h_from_cat,
    arrayMap(x -> tupleElement(x, 8), h_sorted) AS h_to_cat,
    max(unknown_cat) AS has_unknown
FROM
(
    SELECT
        source,
        issue_id,
        at,
        change_id,
        item,
        `from`,
        `to`,
        if(from_category IN ('new', 'indeterminate', 'done'), from_category, 'indeterminate') AS from_cat,
        if(to_category IN ('new', 'indeterminate', 'done'), to_category, 'indeterminate') AS to_cat,
        toUInt8(NOT (from_category IN ('new', 'indeterminate', 'done') AND to_category IN ('new', 'indeterminate', 'done'))) AS unknown_cat
    FROM `pmo`.v_changes
    WHERE change_kind = 'status'
)
GROUP BY source, issue_id;

