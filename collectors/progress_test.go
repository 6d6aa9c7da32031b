package collectors

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// LogProgress logs the first report and then at most one per interval.
func TestLogProgress(t *testing.T) {
	var buf bytes.Buffer
	p := LogProgress(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	for i := range 3 {
		p(Progress{Phase: "issues", Done: int64(i), Total: 3})
	}
	if n := strings.Count(buf.String(), "msg=progress"); n != 1 {
		t.Errorf("%d progress lines within the interval, want 1:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "phase=issues done=0 total=3") {
		t.Errorf("progress line lacks phase and counts:\n%s", buf.String())
	}
}
