package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildPmo builds the real binary with version information.
func buildPmo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pmo")
	cmd := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X main.version=v9.9.9-test -X main.commit=0123abc -X main.date=2026-01-02T03:04:05Z", ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestVersionLdflags(t *testing.T) {
	bin := buildPmo(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("pmo version: %v\n%s", err, out)
	}
	for _, w := range []string{"pmo v9.9.9-test", "0123abc", "2026-01-02T03:04:05Z", "go1."} {
		if !strings.Contains(string(out), w) {
			t.Errorf("pmo version lacks %q:\n%s", w, out)
		}
	}
}

// chdbLibrary finds .deps/chdb/libchdb.so upward from here (or
// $CHDB_LIB_PATH); without it the test skips, or fails when CI=true.
func chdbLibrary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p
	}
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, ".deps", "chdb", "libchdb.so")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	msg := "the embedded engine needs libchdb.so: run scripts/setup.sh (make test does)"
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true and " + msg)
	}
	t.Skip(msg)
	return ""
}

// TestSignals starts a long `pmo demo` and interrupts it: one SIGINT or
// SIGTERM cancels the run, which ends with exit code 130 and a one-line
// message; a second SIGINT exits at once.
func TestSignals(t *testing.T) {
	bin := buildPmo(t)
	lib := chdbLibrary(t)
	for _, tc := range []struct {
		name string
		sigs []syscall.Signal
	}{
		{"SIGINT", []syscall.Signal{syscall.SIGINT}},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}},
		{"twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "pmo.yaml")
			body := fmt.Sprintf("warehouse:\n  dsn: chdb://%s\n  chdb_library: %s\n", filepath.Join(dir, "wh"), lib)
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// The demo's default 3,000 issues: it reaches its collection
			// within seconds (it first observes the versions of 8 past
			// days; a larger organisation takes longer there) and then
			// collects for longer than the signals take.
			cmd := exec.CommandContext(ctx, bin, "demo", "--issues", "3000", "--no-serve", "-c", cfg, "--log-format", "text")
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt the collection once it runs; a second signal is sent
			// once pmo has taken the first (it says so), so the two are not
			// merged into one delivery.
			stderr.waitFor(t, time.Minute, "collecting")
			start := time.Now()
			for i, s := range tc.sigs {
				if err := cmd.Process.Signal(s); err != nil {
					t.Fatal(err)
				}
				if i+1 < len(tc.sigs) {
					stderr.waitFor(t, time.Minute, "received; stopping")
				}
			}
			err := cmd.Wait()
			took := time.Since(start)
			code := cmd.ProcessState.ExitCode()
			t.Logf("exit %d after %s (%v); stderr tail:\n%s", code, took, err, lastLines(stderr.String(), 4))
			if code != 130 {
				t.Errorf("exit code %d, want 130", code)
			}
			if took > 30*time.Second {
				t.Errorf("took %s to stop", took)
			}
			if strings.Contains(stderr.String(), "goroutine ") {
				t.Errorf("stack trace on stderr")
			}
			if !strings.Contains(stderr.String(), "pmo: interrupted") && !strings.Contains(stderr.String(), "pmo: exiting at once") {
				t.Errorf("no interruption message on stderr:\n%s", lastLines(stderr.String(), 6))
			}
		})
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next write (waitFor)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

// waitFor returns once the buffer holds want, woken by each write (never
// by the clock); it fails the test after d.
func (s *syncBuffer) waitFor(t *testing.T, d time.Duration, want string) {
	t.Helper()
	timeout := time.After(d)
	for {
		s.mu.Lock()
		if strings.Contains(s.b.String(), want) {
			s.mu.Unlock()
			return
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		next := s.changed
		s.mu.Unlock()
		select {
		case <-next:
		case <-timeout:
			t.Fatalf("waited %s for %q on stderr:\n%s", d, want, lastLines(s.String(), 10))
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeSignals: pmo serve is a daemon, and a signal is how it ends:
// SIGTERM (systemd, Kubernetes) or SIGINT stops it cleanly with exit code
// 0, as the README's exit codes say.
func TestServeSignals(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| 130 |") {
			row = l
		}
	}
	if !strings.Contains(row, "`pmo serve`") || !strings.Contains(row, "exits 0") {
		t.Errorf("README's exit code table does not say that pmo serve exits 0 after a signal: %q", row)
	}
	bin := buildPmo(t)
	lib := chdbLibrary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			cfg := filepath.Join(dir, "pmo.yaml")
			body := fmt.Sprintf("warehouse:\n  dsn: chdb://%s\n  chdb_library: %s\nserve:\n  listen: %q\n  shutdown_grace: 1s\nreport:\n  out: %s\n",
				filepath.Join(dir, "wh"), lib, addr, filepath.Join(dir, "reports"))
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "-c", cfg, "--log-format", "text")
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The listener is bound before pmo logs "serving".
			stderr.waitFor(t, time.Minute, "msg=serving")
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatalf("/healthz after serving: %v\n%s", err, lastLines(stderr.String(), 10))
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/healthz: %d", resp.StatusCode)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			t.Logf("exit %d (%v); stderr tail:\n%s", code, err, lastLines(stderr.String(), 4))
			if code != 0 {
				t.Errorf("exit code %d after %s, want 0 (README: a clean shutdown of pmo serve exits 0)", code, sig)
			}
			if !strings.Contains(stderr.String(), "stopped") {
				t.Errorf("no clean shutdown in the log:\n%s", lastLines(stderr.String(), 6))
			}
		})
	}
}
