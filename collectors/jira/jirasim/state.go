package jirasim

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// state is the mutable part of the simulator: the compact per-issue index,
// the Touch/Delete overlay and the paging caches. Guarded by Server.mu.
type state struct {
	updated []int64 // ms, per issue index
	changes []int32 // changelog items per issue
	wls     []int32 // worklogs per issue
	deleted []bool
	order   []int32 // issue indexes by (updated, index)
	ov      map[int32]*overlay
	clock   int64 // ms; the site's now, moved forward by Touch, set by SetClock
	touched int64 // ms; the clock of the last Touch (0: none)
	gen     uint64
	touches int64
	rounds  int64
	truth   Truth // counts without ChangesByIssue
	cache   map[cacheKey]int
}

type cacheKey struct {
	q     string
	gen   uint64
	start int // -1: total
}

func newState(o *org) *state {
	n := o.n
	st := &state{
		updated: make([]int64, n), changes: make([]int32, n), wls: make([]int32, n), deleted: make([]bool, n),
		ov: map[int32]*overlay{}, clock: o.nowMs, cache: map[cacheKey]int{},
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 8))
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		wg.Go(func() {
			var d issue
			for i := lo; i < hi; i++ {
				o.generate(i, &d, nil)
				st.updated[i] = d.updated
				st.changes[i] = int32(len(d.items))
				st.wls[i] = int32(len(d.wl))
			}
		})
	}
	wg.Wait()
	st.order = make([]int32, n)
	for i := range st.order {
		st.order[i] = int32(i)
	}
	slices.SortFunc(st.order, func(a, b int32) int {
		if c := st.cmp(a, b); c != 0 {
			return c
		}
		return 0
	})
	t := &st.truth
	t.Projects = len(o.projects)
	t.Statuses = len(statuses)
	t.Boards = len(o.boards)
	t.Sprints = len(o.sprints)
	t.Versions = len(o.versions)
	t.Issues = n
	for i := range n {
		t.Changes += int(st.changes[i])
		t.Worklogs += int(st.wls[i])
		for lt := range linkSlots {
			if o.outLink(i, lt) >= 0 {
				t.Links++
			}
		}
	}
	return st
}

func (st *state) cmp(a, b int32) int {
	ua, ub := st.updated[a], st.updated[b]
	switch {
	case ua < ub:
		return -1
	case ua > ub:
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Truth returns the exact ground truth of a complete collection now.
func (s *Server) Truth() Truth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.st.truth
	if s.org.n <= 20000 {
		t.ChangesByIssue = make(map[string]int, t.Issues)
		for i := range s.org.n {
			if !s.st.deleted[i] {
				t.ChangesByIssue[s.org.key(i)] = int(s.st.changes[i])
			}
		}
	}
	return t
}

// Touch advances the site's clock by a minute and updates n present issues
// (chosen deterministically): each gets a new changelog history (one "Rank"
// item) and a new worklog, and its updated time becomes the new clock. It
// returns the keys of the touched issues, in index order.
func (s *Server) Touch(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, st := s.org, s.st
	st.clock += minMs
	st.touched = st.clock
	st.rounds++
	present := st.truth.Issues
	n = min(n, present)
	if n <= 0 {
		return nil
	}
	chosen := make(map[int32]bool, n)
	r := newRNG(o.cfg.Seed, -1000-int(st.rounds))
	for len(chosen) < n {
		var i int32
		if n*2 > present { // dense: walk from a random start
			i = int32(r.intn(o.n))
			for st.deleted[i] || chosen[i] {
				i = (i + 1) % int32(o.n)
			}
		} else {
			i = int32(r.intn(o.n))
			if st.deleted[i] || chosen[i] {
				continue
			}
		}
		chosen[i] = true
	}
	idx := make([]int32, 0, n)
	for i := range chosen {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	keys := make([]string, 0, n)
	for _, i := range idx {
		st.touches++
		ov := st.ov[i]
		if ov == nil {
			ov = &overlay{}
			st.ov[i] = ov
		}
		id := int64(9_000_000_000) + st.touches
		u := (o.projOf(int(i))*5 + int(st.touches)) % len(o.users)
		ov.hist = append(ov.hist, history{id: id, author: u, at: st.clock, n: 1})
		ov.wl = append(ov.wl, worklog{id: id, author: u, started: st.clock - hourMs, created: st.clock, secs: 3600})
		st.updated[i] = st.clock
		st.changes[i]++
		st.wls[i]++
		st.truth.Changes++
		st.truth.Worklogs++
		keys = append(keys, o.key(int(i)))
	}
	// The touched issues now sort last, by index.
	kept := st.order[:0]
	for _, i := range st.order {
		if !chosen[i] {
			kept = append(kept, i)
		}
	}
	st.order = append(kept, idx...)
	st.invalidate()
	return keys
}

// SetClock sets the site's clock: serverInfo's serverTime, the instant the
// next Touch advances from, and the release dates the site shows (some
// unreleased versions were rescheduled in the days before Config.Now; at an
// earlier clock they show the date they had then, from Now on their final
// one). The clock starts at Config.Now. A clock before the last Touch is
// refused: the touched issues' histories would lie in its future.
func (s *Server) SetClock(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := t.UnixMilli()
	if s.st.touched != 0 && ms < s.st.touched {
		return fmt.Errorf("jirasim: clock %s is before the last Touch at %s", t.UTC().Format(time.RFC3339),
			time.UnixMilli(s.st.touched).UTC().Format(time.RFC3339))
	}
	s.st.clock = ms
	return nil
}

// Clock returns the site's clock.
func (s *Server) Clock() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return time.UnixMilli(s.st.clock).UTC()
}

// ReleaseMove is a move of a version's release date in the simulated
// organisation's history.
type ReleaseMove struct {
	Version  string    // the version's name
	Project  string    // its project's key
	At       time.Time // when it was moved
	From, To time.Time // the release date before and after (UTC midnight)
}

// ReleaseMoves lists every release-date move, in the order of their
// instants (then by version): what collections before and after At see.
func (s *Server) ReleaseMoves() []ReleaseMove {
	o := s.org
	var out []ReleaseMove
	for v := range o.versions {
		vd := &o.versions[v]
		prev := vd.first
		for _, m := range vd.moves {
			out = append(out, ReleaseMove{Version: vd.name, Project: o.projects[vd.proj].key, At: time.UnixMilli(m.at).UTC(),
				From: time.UnixMilli(prev).UTC(), To: time.UnixMilli(m.release).UTC()})
			prev = m.release
		}
	}
	slices.SortStableFunc(out, func(a, b ReleaseMove) int { return a.At.Compare(b.At) })
	return out
}

// Delete deletes issues by key (unknown or already deleted keys are
// ignored): they vanish from search and from Truth, with their changes,
// worklogs and links.
func (s *Server) Delete(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, st := s.org, s.st
	for _, k := range keys {
		i := o.lookup(k)
		if i < 0 || st.deleted[i] {
			continue
		}
		for lt := range linkSlots {
			if j := o.outLink(i, lt); j >= 0 && !st.deleted[j] {
				st.truth.Links--
			}
			if j := o.inLink(i, lt); j >= 0 && !st.deleted[j] {
				st.truth.Links--
			}
		}
		st.deleted[i] = true
		delete(st.ov, int32(i))
		st.truth.Issues--
		st.truth.Changes -= int(st.changes[i])
		st.truth.Worklogs -= int(st.wls[i])
	}
	st.invalidate()
}

func (st *state) invalidate() {
	st.gen++
	clear(st.cache)
}

// load generates issue i with its overlay; the caller holds s.mu (read).
func (s *Server) load(i int, d *issue) {
	s.org.generate(i, d, s.st.ov[int32(i)])
}
