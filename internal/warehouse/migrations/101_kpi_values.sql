-- internal/kpi: KPI value history. Re-computing the same as_of replaces the
-- earlier row (ReplacingMergeTree on _version = computed_at in ns); readers
-- use v_kpi_values. labels are sorted key=value pairs joined by commas
-- ("method=nr,quantile=0.85").
CREATE TABLE IF NOT EXISTS {{table "kpi_values"}}{{.OnCluster}}
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
ENGINE = {{replacing "kpi_values"}}
PARTITION BY toYYYYMM(as_of)
ORDER BY (scope_kind, scope, kpi, window, labels, as_of);
{{distributed "kpi_values"}}
