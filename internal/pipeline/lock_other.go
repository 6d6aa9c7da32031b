//go:build !unix

package pipeline

import "fmt"

// Lock is not available on this platform.
type Lock struct{}

// AcquireLock fails: file locks need a Unix system.
func AcquireLock(path string) (*Lock, error) {
	return nil, fmt.Errorf("serve.lock_file %s: file locks need a Unix system; remove serve.lock_file", path)
}

// Unlock does nothing.
func (l *Lock) Unlock() error { return nil }
