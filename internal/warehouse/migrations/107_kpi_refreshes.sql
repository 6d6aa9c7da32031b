-- internal/kpi: the refresh record. One row per KPI computation that was
-- stored (pmo kpi, each refresh of pmo serve, every as-of of a backfill):
-- the as-of, whether it covered the whole portfolio (complete = 1: no
-- --scope) or only the scopes listed, when it was computed, by which run and
-- which pmo version. Reports, the exporter and email read the values of the
-- latest complete refresh (kpi.LatestComplete), so a scoped or stray
-- computation stays queryable but never becomes "the latest portfolio".
-- Rows are only ever added.
CREATE TABLE IF NOT EXISTS {{table "kpi_refreshes"}}{{.OnCluster}}
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
ENGINE = {{replacing "kpi_refreshes"}}
ORDER BY (as_of, run_id);
{{distributed "kpi_refreshes"}}
