package warehouse_test

import (
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

func TestMain(m *testing.M) { whtest.Main(m) }
