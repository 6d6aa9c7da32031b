package deps

import (
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestMain exits past chDB's exit handlers, which hang (and then crash) a
// race-enabled test binary that has used the embedded engine.
func TestMain(m *testing.M) { whtest.Main(m) }
