package github_test

import (
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestMain exits past chDB's exit handlers (see whtest.Main).
func TestMain(m *testing.M) { whtest.Main(m) }
