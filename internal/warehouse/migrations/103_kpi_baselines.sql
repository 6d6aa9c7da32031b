-- internal/kpi: frozen earned-value baselines (kpis.md §3.4 mode H). One row
-- per baseline issue: its original estimate and due date when the baseline
-- was created. Baselines are frozen: kpi.CreateBaseline refuses an existing
-- (scope, name).
CREATE TABLE IF NOT EXISTS {{table "kpi_baselines"}}{{.OnCluster}}
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
ENGINE = {{replacing "kpi_baselines"}}
ORDER BY (scope, name, source, issue_id);
{{distributed "kpi_baselines"}}
