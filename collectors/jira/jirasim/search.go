package jirasim

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
)

// Positions in a query's sequence: the issues in the query's order, deleted
// ones included (they are skipped while scanning). The caller holds s.mu.

func (s *Server) at(q *query, pos int) int {
	n := s.org.n
	if q.desc {
		pos = n - 1 - pos
	}
	if q.orderBy == "updated" {
		return int(s.st.order[pos])
	}
	return pos
}

// lowerPos is the first position that can match q (a seek on updated).
func (s *Server) lowerPos(q *query) int {
	if q.orderBy != "updated" || q.desc || q.minUpd == minInt64 {
		return 0
	}
	st := s.st
	return sort.Search(len(st.order), func(p int) bool { return st.updated[st.order[p]] >= q.minUpd })
}

const minInt64 = -1 << 63

func (s *Server) match(q *query, i int) bool {
	if s.st.deleted[i] {
		return false
	}
	if q.where == nil {
		return true
	}
	x := evalCtx{o: s.org, i: i, updated: s.st.updated[i]}
	return q.where.eval(&x)
}

// scan returns up to max matching issues from position from and the
// position after the last one returned (-1 when the sequence ended).
func (s *Server) scan(q *query, from, max int, dst []int) ([]int, int) {
	n := s.org.n
	from = maxInt(from, s.lowerPos(q))
	stopEarly := q.orderBy == "updated" && q.desc && q.minUpd != minInt64
	for p := from; p < n; p++ {
		if len(dst) >= max {
			return dst, p
		}
		i := s.at(q, p)
		if stopEarly && s.st.updated[i] < q.minUpd {
			return dst, -1
		}
		if s.match(q, i) {
			dst = append(dst, i)
		}
	}
	return dst, -1
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func (s *Server) hasMatch(q *query, from int) bool {
	got, _ := s.scan(q, from, 1, nil)
	return len(got) > 0
}

func (s *Server) cacheGet(k cacheKey) (int, bool) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	v, ok := s.st.cache[k]
	return v, ok
}

func (s *Server) cachePut(k cacheKey, v int) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if len(s.st.cache) > 100_000 {
		clear(s.st.cache)
	}
	s.st.cache[k] = v
}

// total counts the matches of q (cached per query and generation).
func (s *Server) total(q *query) int {
	k := cacheKey{q.norm, s.st.gen, -1}
	if v, ok := s.cacheGet(k); ok {
		return v
	}
	n := 0
	for p := s.lowerPos(q); p < s.org.n; p++ {
		i := s.at(q, p)
		if q.orderBy == "updated" && q.desc && q.minUpd != minInt64 && s.st.updated[i] < q.minUpd {
			break
		}
		if s.match(q, i) {
			n++
		}
	}
	s.cachePut(k, n)
	return n
}

// pageAt returns the matches number startAt.. startAt+max-1. Sequential
// paging is O(page) thanks to a cache of where each page ended.
func (s *Server) pageAt(q *query, startAt, max int) []int {
	if max <= 0 {
		return nil
	}
	pos, ok := s.cacheGet(cacheKey{q.norm, s.st.gen, startAt})
	if !ok {
		// Pages fetched out of order (a concurrent client): resume from the
		// nearest earlier page end we know, else from the start.
		from, skip := 0, startAt
		for k := 1; k <= 64 && startAt-k*max > 0; k++ {
			if p, ok := s.cacheGet(cacheKey{q.norm, s.st.gen, startAt - k*max}); ok {
				from, skip = p, k*max
				break
			}
		}
		var skipped []int
		skipped, pos = s.scan(q, from, skip, make([]int, 0, min(skip, 1024)))
		if len(skipped) < skip {
			return nil
		}
	}
	if pos < 0 {
		return nil
	}
	got, next := s.scan(q, pos, max, nil)
	if next >= 0 {
		s.cachePut(cacheKey{q.norm, s.st.gen, startAt + len(got)}, next)
	}
	return got
}

// token encodes the last issue of a page, so the next page resumes after it
// even if issues were updated in between.
func (s *Server) token(q *query, last int) string {
	t := "i." + strconv.Itoa(last)
	if q.orderBy == "updated" {
		t = "u." + strconv.FormatInt(s.st.updated[last], 10) + "." + strconv.Itoa(last)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(t))
}

func (s *Server) seekToken(q *query, tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), ".")
	n := s.org.n
	switch {
	case parts[0] == "i" && len(parts) == 2 && q.orderBy == "id":
		i, err := strconv.Atoi(parts[1])
		if err != nil || i < 0 || i >= n {
			return 0, false
		}
		if q.desc {
			return n - i, true
		}
		return i + 1, true
	case parts[0] == "u" && len(parts) == 3 && q.orderBy == "updated":
		u, err1 := strconv.ParseInt(parts[1], 10, 64)
		i, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || i < 0 || i >= n {
			return 0, false
		}
		st := s.st
		after := func(j int32) bool { // (updated, index) of j > (u, i)
			uj := st.updated[j]
			return uj > u || uj == u && int(j) > i
		}
		p := sort.Search(n, func(p int) bool { return after(st.order[p]) })
		if q.desc {
			// positions count from the end; the first element before (u, i)
			p0 := sort.Search(n, func(p int) bool {
				j := st.order[p]
				uj := st.updated[j]
				return uj > u || uj == u && int(j) >= i
			})
			return n - p0, true
		}
		return p, true
	}
	return 0, false
}
