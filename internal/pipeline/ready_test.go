package pipeline_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/pipeline"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestReadyAfterMigration: serve answers /healthz at once, /readyz 503
// naming pmo migrate until the warehouse is migrated, then 200 once a
// snapshot is loaded (computed on the empty warehouse).
func TestReadyAfterMigration(t *testing.T) {
	dsn, err := whtest.ChDBDSN()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.Options{DSN: dsn, Database: fmt.Sprintf("t_ready_%d", time.Now().UnixNano())})
	if err != nil {
		whtest.Unavailable(t, "pipeline: "+err.Error())
	}
	defer w.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pipeline.NewServer(&pipeline.Pipeline{Warehouse: w, Logger: testLogger(t)}, pipeline.ServeConfig{})
	srv.Listener, srv.ReadyPoll = ln, 100*time.Millisecond
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(rctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + ln.Addr().String()
	waitFor(t, 30*time.Second, "/healthz", func() bool { c, _ := get(t, base+"/healthz"); return c == 200 })
	waitFor(t, 30*time.Second, "/readyz to name pmo migrate", func() bool {
		c, body := get(t, base+"/readyz")
		return c == 503 && strings.Contains(body, "run pmo migrate")
	})
	if _, err := w.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "/readyz 200 after the migration", func() bool { c, _ := get(t, base+"/readyz"); return c == 200 })
	if c, body := get(t, base+"/metrics"); c != 200 || !strings.Contains(body, "pmo_kpi_values{") {
		t.Errorf("/metrics %d:\n%s", c, body)
	}
}

func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "pmo.lock")
	l, err := pipeline.AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.AcquireLock(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(err.Error(), "another pmo is running") {
		t.Errorf("second lock: %v; want an error naming the file and the holder's pid", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := pipeline.AcquireLock(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	_ = l2.Unlock()
}
