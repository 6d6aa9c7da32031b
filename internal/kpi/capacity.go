package kpi

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) >= 3 {
		s = s[:3]
	}
	d, ok := weekdays[s]
	return d, ok
}

func (c *Capacity) validate(p string) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for i, d := range c.WorkingDays {
		if _, ok := parseWeekday(d); !ok {
			add("%s.working_days[%d]: %q is not a weekday; use Mon, Tue, Wed, Thu, Fri, Sat or Sun", p, i, d)
		}
	}
	if c.HoursPerDay <= 0 || c.HoursPerDay > 24 {
		add("%s.hours_per_day: %v is outside (0, 24]; use e.g. 8", p, c.HoursPerDay)
	}
	if c.FTE <= 0 || c.FTE > 1.5 {
		add("%s.fte: %v is outside (0, 1.5]; use e.g. 1 (full time) or 0.5", p, c.FTE)
	}
	checkDates := func(q string, ds []string) {
		for i, d := range ds {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				add("%s[%d]: %q is not a date; use YYYY-MM-DD", q, i, d)
			}
		}
	}
	checkDates(p+".holidays", c.Holidays)
	for who, pc := range c.People {
		q := p + ".people." + who
		if pc.FTE != nil && (*pc.FTE <= 0 || *pc.FTE > 1.5) {
			add("%s.fte: %v is outside (0, 1.5]", q, *pc.FTE)
		}
		if pc.HoursPerDay != nil && (*pc.HoursPerDay <= 0 || *pc.HoursPerDay > 24) {
			add("%s.hours_per_day: %v is outside (0, 24]", q, *pc.HoursPerDay)
		}
		checkDates(q+".holidays", pc.Holidays)
	}
	return errs
}

// hours is the capacity of a person (worklog author id) over the local
// civil days [from, to] (inclusive, dates at midnight UTC).
func (c *Capacity) hours(person string, from, to time.Time) float64 {
	if c == nil {
		return 0
	}
	work := map[time.Weekday]bool{}
	for _, d := range c.WorkingDays {
		if wd, ok := parseWeekday(d); ok {
			work[wd] = true
		}
	}
	off := map[string]bool{}
	for _, d := range c.Holidays {
		off[d] = true
	}
	fte, hpd := c.FTE, c.HoursPerDay
	if pc, ok := c.People[person]; ok {
		if pc.FTE != nil {
			fte = *pc.FTE
		}
		if pc.HoursPerDay != nil {
			hpd = *pc.HoursPerDay
		}
		for _, d := range pc.Holidays {
			off[d] = true
		}
	}
	days := 0
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if work[d.Weekday()] && !off[d.Format(time.DateOnly)] {
			days++
		}
	}
	return float64(days) * hpd * fte
}

func sortedWeights(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%v", k, v))
	}
	slices.Sort(out)
	return out
}

func capacityString(c *Capacity) string {
	if c == nil {
		return "nil"
	}
	people := make([]string, 0, len(c.People))
	for who, p := range c.People {
		people = append(people, fmt.Sprintf("%s=%v/%v/%q", who, deref(p.FTE), deref(p.HoursPerDay), p.Holidays))
	}
	slices.Sort(people)
	return fmt.Sprintf("%q/%v/%v/%q/%q", c.WorkingDays, c.HoursPerDay, c.FTE, c.Holidays, people)
}
