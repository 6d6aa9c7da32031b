package warehouse_test

import (
	"fmt"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestValuesOutliveRows: the embedded engine's rows are decoded where chDB
// wrote the result and free it on Close; every value they returned is a
// copy, so strings and arrays read before Close stay intact after it, and
// after other results have been written (and freed) in that memory since.
func TestValuesOutliveRows(t *testing.T) {
	w := whtest.Open(t, "chdb")
	ctx := t.Context()
	read := func(q string) (keys []string, arrs [][]string) {
		rows, err := w.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			var a []string
			if err := rows.Scan(&k, &a); err != nil {
				t.Fatal(err)
			}
			keys, arrs = append(keys, k), append(arrs, a)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		return keys, arrs
	}
	keys, arrs := read("SELECT concat('KEY-', toString(number)) AS k, [k, 'x'] AS a FROM system.numbers LIMIT 400000")
	for range 2 { // other results, of the same size (tens of megabytes: the
		// allocator returns such blocks to the system), written and freed since
		read("SELECT concat('ZZZ-', toString(number)) AS k, [k, 'y'] AS a FROM system.numbers LIMIT 400000")
	}
	for i := range keys {
		want := fmt.Sprintf("KEY-%d", i)
		if keys[i] != want || len(arrs[i]) != 2 || arrs[i][0] != want || arrs[i][1] != "x" {
			t.Fatalf("row %d after Close: %q %q, want %q [%q x]", i, keys[i], arrs[i], want, want)
		}
	}
	// Rows left unclosed: their result is freed by the garbage collector's
	// cleanup; reading on is safe meanwhile.
	rows, err := w.Query(ctx, "SELECT toString(number) FROM system.numbers LIMIT 10")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if n != 10 {
		t.Fatalf("%d rows, want 10", n)
	}
}
