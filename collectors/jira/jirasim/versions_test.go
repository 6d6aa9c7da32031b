package jirasim

import (
	"encoding/json"
	"testing"
	"time"
)

// versionDates reads every project's versions as a collector does and
// returns their release dates by name ("" = none).
func versionDates(t *testing.T, s *Server, c *client) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range s.ProjectKeys() {
		st, _, b := c.do("GET", "/rest/api/2/project/"+k+"/versions", nil)
		if st != 200 {
			t.Fatalf("versions of %s: %d %s", k, st, b)
		}
		var vs []struct{ Name, ReleaseDate string }
		if err := json.Unmarshal(b, &vs); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			out[v.Name] = v.ReleaseDate
		}
	}
	return out
}

// TestReleaseDateMoves: collections at different clocks see the moved
// release dates, each the date of the moves made by then, and nothing else
// changes; from Now on the dates are the final ones.
func TestReleaseDateMoves(t *testing.T) {
	now := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	s := mustNew(t, Demo(Cloud, 3000, 1, now))
	c := newClient(t, s)
	moves := s.ReleaseMoves()
	health := s.Health()
	var later, earlier int
	for _, m := range moves {
		if !m.At.Before(now) || m.At.Before(now.AddDate(0, 0, -6)) {
			t.Errorf("%s moved at %s, want in the week before %s", m.Version, m.At, now)
		}
		if m.To.After(m.From) {
			later++
		} else if m.To.Before(m.From) {
			earlier++
		} else {
			t.Errorf("%s: a move from %s to the same date", m.Version, m.From)
		}
		if health[m.Project] == "in trouble" || health[m.Project] == "at risk" {
			if !m.To.After(m.From) {
				t.Errorf("%s (%s, %s) moved earlier", m.Version, m.Project, health[m.Project])
			}
		}
	}
	for p, h := range health {
		if h == "healthy" {
			continue
		}
		n := 0
		for _, m := range moves {
			if m.Project == p {
				n++
			}
		}
		if want := map[string]int{"at risk": 1, "in trouble": 2}[h]; n != want {
			t.Errorf("project %s (%s): %d moves, want %d", p, h, n, want)
		}
	}
	if later == 0 {
		t.Fatalf("no release date moved later: %+v", moves)
	}

	final := versionDates(t, s, c)
	// expect is the date of every moved version at clock at.
	expect := func(at time.Time) map[string]string {
		want := map[string]string{}
		for _, m := range moves {
			if _, ok := want[m.Version]; !ok {
				want[m.Version] = m.From.Format(time.DateOnly)
			}
			if !m.At.After(at) {
				want[m.Version] = m.To.Format(time.DateOnly)
			}
		}
		return want
	}
	clocks := []time.Time{now.AddDate(0, 0, -7), now.AddDate(0, 0, -1), now.Add(time.Hour)}
	for _, m := range moves {
		clocks = append(clocks, m.At.Add(-time.Millisecond), m.At)
	}
	// The clock may go back and forth while nothing was touched.
	for _, at := range append(clocks, now) {
		if err := s.SetClock(at); err != nil {
			t.Fatal(err)
		}
		got := versionDates(t, s, c)
		want := expect(at)
		for name, d := range got {
			w, moved := want[name]
			if !moved {
				w = final[name]
			}
			if d != w {
				t.Errorf("clock %s: %s has release date %q, want %q", at.Format(time.RFC3339), name, d, w)
			}
		}
	}
	// Two collections a week apart see the moves.
	if err := s.SetClock(now.AddDate(0, 0, -7)); err != nil {
		t.Fatal(err)
	}
	before := versionDates(t, s, c)
	if err := s.SetClock(now); err != nil {
		t.Fatal(err)
	}
	after := versionDates(t, s, c)
	changed := 0
	for name := range after {
		if before[name] != after[name] {
			changed++
		}
	}
	if changed == 0 || changed > len(moves) {
		t.Errorf("%d versions changed their date between the collections, want 1 to %d", changed, len(moves))
	}

	s.Touch(1)
	if err := s.SetClock(now.Add(-time.Hour)); err == nil {
		t.Error("SetClock before the last Touch was accepted")
	}
}
