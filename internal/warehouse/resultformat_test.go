package warehouse_test

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestChDBResultTypes reads one value of every column type the embedded
// engine's result reader decodes (RowBinary), and of types it leaves to the
// JSON reader (UUID, Map, Int128), and checks the normalised Go values.
func TestChDBResultTypes(t *testing.T) {
	w := whtest.Open(t, "chdb")
	base := time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC)
	cases := []struct {
		expr string
		want any
	}{
		{"toUInt8(250)", uint64(250)},
		{"toUInt16(65535)", uint64(65535)},
		{"toUInt32(4000000000)", uint64(4000000000)},
		{"toUInt64(18446744073709551615)", uint64(math.MaxUint64)},
		{"toInt8(-5)", int64(-5)},
		{"toInt16(-30000)", int64(-30000)},
		{"toInt32(-2000000000)", int64(-2000000000)},
		{"toInt64(-9223372036854775808)", int64(math.MinInt64)},
		{"toFloat32(1.5)", 1.5},
		{"toFloat64(-0.1)", -0.1},
		{"true", true},
		{"'O''Brien \\t ü 🚀'", "O'Brien \t ü 🚀"},
		{"toFixedString('ab', 3)", "ab"},
		{"toDate('2024-02-29')", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"toDate32('1960-01-01')", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"toDateTime('2024-10-27 03:30:00', 'Europe/Berlin')", base.Add(time.Hour)}, // 03:30 CET, after the switch at 03:00 CEST
		{"toDateTime64('2024-10-27 01:30:00.123', 3, 'UTC')", base.Add(123 * time.Millisecond)},
		{"CAST(NULL AS Nullable(Int64))", nil},
		{"CAST(7 AS Nullable(Int64))", int64(7)},
		{"NULL", nil},
		{"[toNullable('a'), NULL]", []any{"a", nil}},
		{"CAST([] AS Array(String))", []string{}},
		{"['a', 'b']", []string{"a", "b"}},
		{"[toInt64(-1), 2]", []int64{-1, 2}},
		{"[toFloat64(0.5), 2]", []float64{0.5, 2}},
		{"[toLowCardinality('x')]", []string{"x"}},
		{"[[1, 2], [3]]", []any{[]uint64{1, 2}, []uint64{3}}},
		{"toLowCardinality('lc')", "lc"},
		{"CAST('b' AS Enum8('a' = 1, 'b' = -2))", "b"},
		{"toDecimal32(12.34, 2)", 12.34},
		{"toDecimal64(-5.5, 3)", -5.5},
		{"tuple(toInt64(1), 'x')", []any{int64(1), "x"}},
		// Left to the JSON reader.
		{"toUUID('123e4567-e89b-12d3-a456-426614174000')", "123e4567-e89b-12d3-a456-426614174000"},
		{"toInt128(-3)", int64(-3)},
	}
	for _, tc := range cases {
		rows, err := w.Query(context.Background(), "SELECT "+tc.expr+" AS v")
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		var got any
		n := 0
		for rows.Next() {
			if err := rows.Scan(&got); err != nil {
				t.Errorf("%s: %v", tc.expr, err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", tc.expr, err)
		}
		rows.Close()
		if f, ok := got.(float64); ok {
			if w, ok := tc.want.(float64); ok && math.Abs(f-w) < 1e-6 {
				continue
			}
		}
		if n != 1 || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SELECT %s = %#v (%d rows), want %#v", tc.expr, got, n, tc.want)
		}
	}
}
