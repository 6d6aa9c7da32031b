package pipeline_test

import (
	"os"
	"syscall"
	"testing"
)

// TestMain ends the process with syscall.Exit: under -race, os.Exit runs
// chDB's C atexit handlers, which do not return once chDB has inserted
// data (the same workaround as internal/cli's tests).
func TestMain(m *testing.M) {
	code := m.Run()
	_ = os.Stdout.Sync()
	syscall.Exit(code)
}
