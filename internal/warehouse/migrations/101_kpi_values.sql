-- internal/kpi: KPI value history. Re-computing the same as_of replaces the
-- earlier row (ReplacingMergeTree on computed_at); readers use v_kpi_values.
-- labels are sorted key=value pairs joined by commas ("method=nr,quantile=0.85").
CREATE TABLE IF NOT EXISTS kpi_values
(
    scope_kind String,
    scope String,
    kpi String,
    window String,
    labels String,
    as_of DateTime('UTC'),
    value Nullable(Float64),
    n UInt64,
    computed_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(as_of)
ORDER BY (scope_kind, scope, kpi, window, labels, as_of)
