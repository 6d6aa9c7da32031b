-- The record tables: one per model.Kind, columns = snake_case of the model
-- fields, plus _version (ingest time in ns) for ReplacingMergeTree. Readers
-- use the v_<table> views (002), never these tables.
-- Template: {{.DB}} database, {{.OnCluster}} " ON CLUSTER x" or "",
-- {{replacing "t"}} / {{mergeTree "t"}} the (Replicated) table engine.

CREATE TABLE IF NOT EXISTS {{table "projects"}}{{.OnCluster}}
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
ENGINE = {{replacing "projects"}}
ORDER BY (source, id);
{{distributed "projects"}}

CREATE TABLE IF NOT EXISTS {{table "statuses"}}{{.OnCluster}}
(
    `source`                     String,
    `id`                         String,
    `name`                       String,
    `category`                   String,
    `_version`                   UInt64
)
ENGINE = {{replacing "statuses"}}
ORDER BY (source, id);
{{distributed "statuses"}}

CREATE TABLE IF NOT EXISTS {{table "boards"}}{{.OnCluster}}
(
    `source`                     String,
    `id`                         String,
    `name`                       String,
    `type`                       String,
    `project_id`                 String,
    `_version`                   UInt64
)
ENGINE = {{replacing "boards"}}
ORDER BY (source, id);
{{distributed "boards"}}

CREATE TABLE IF NOT EXISTS {{table "sprints"}}{{.OnCluster}}
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
ENGINE = {{replacing "sprints"}}
ORDER BY (source, id);
{{distributed "sprints"}}

CREATE TABLE IF NOT EXISTS {{table "versions"}}{{.OnCluster}}
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
ENGINE = {{replacing "versions"}}
ORDER BY (source, id, toDate(observed_at));
{{distributed "versions"}}

CREATE TABLE IF NOT EXISTS {{table "issues"}}{{.OnCluster}}
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
ENGINE = {{replacing "issues"}}
ORDER BY (source, id);
{{distributed "issues"}}

CREATE TABLE IF NOT EXISTS {{table "changes"}}{{.OnCluster}}
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
ENGINE = {{replacing "changes"}}
ORDER BY (source, issue_id, change_id, item);
{{distributed "changes"}}

CREATE TABLE IF NOT EXISTS {{table "worklogs"}}{{.OnCluster}}
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
ENGINE = {{replacing "worklogs"}}
ORDER BY (source, id);
{{distributed "worklogs"}}

CREATE TABLE IF NOT EXISTS {{table "issue_links"}}{{.OnCluster}}
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
ENGINE = {{replacing "issue_links"}}
ORDER BY (source, id);
{{distributed "issue_links"}}

CREATE TABLE IF NOT EXISTS {{table "issue_deletions"}}{{.OnCluster}}
(
    `source`                     String,
    `issue_id`                   String,
    `issue_key`                  String,
    `project_id`                 String,
    `at`                         DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = {{replacing "issue_deletions"}}
ORDER BY (source, issue_id);
{{distributed "issue_deletions"}}

-- Per-source sync cursors; SetCursor writes a row, readers take the latest.
CREATE TABLE IF NOT EXISTS {{table "cursors"}}{{.OnCluster}}
(
    `source`                     String,
    `name`                       String,
    `value`                      String,
    `updated`                    DateTime('UTC'),
    `_version`                   UInt64
)
ENGINE = {{replacing "cursors"}}
ORDER BY (source, name);
{{distributed "cursors"}}
