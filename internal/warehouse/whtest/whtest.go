// Package whtest gives tests a fresh, migrated warehouse on each real engine.
package whtest

import (
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
)

// ForEachEngine runs fn as subtests "chdb" and "server", each on a fresh,
// migrated database of its own. Without an engine the subtest skips with a
// message saying how to get it (make test does), or fails when CI=true.
func ForEachEngine(t *testing.T, fn func(t *testing.T, w *warehouse.Warehouse)) {
	t.Helper()
	for _, e := range []string{"chdb", "server"} {
		t.Run(e, func(t *testing.T) { fn(t, Open(t, e)) })
	}
}

// Open returns a fresh, migrated warehouse on engine "chdb" or "server",
// closed and dropped when the test ends.
func Open(t testing.TB, engine string) *warehouse.Warehouse {
	t.Helper()
	t.Skip("whtest: not implemented yet")
	return nil
}
