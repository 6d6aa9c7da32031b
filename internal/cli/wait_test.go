package cli

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

// notifier wakes the tests waiting on what it watches (a log written, a
// message delivered): they re-check their condition on each change, so no
// test waits on the clock, only on conditions (with a deadline for failing).
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// changed wakes every waiter.
func (n *notifier) changed() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// next is closed at the next change.
func (n *notifier) next() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

// waitFor returns once cond holds, re-checking it at every change of ns;
// it fails the test naming what it waited for after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, ns ...*notifier) {
	t.Helper()
	timeout := time.After(d)
	for {
		cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timeout)}}
		for _, n := range ns {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(n.next())})
		}
		if cond() { // after taking the channels: no change is missed
			return
		}
		if i, _, _ := reflect.Select(cases); i == 0 {
			if cond() {
				return
			}
			t.Fatalf("waited %s for %s", d, what)
		}
	}
}
