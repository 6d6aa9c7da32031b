package jirasim

import "time"

// health is how a simulated project is doing. Its knobs shape the project's
// issue histories so that the KPI catalog's default thresholds rate it the
// way a PMO would: a healthy team finishes what it plans, an at-risk team
// lets a release grow and its sprints slip, a team in trouble waits on a
// blocked dependency, misses its sprints and its due dates, lets bugs
// escape and leaves a critical risk open.
type health struct {
	name string
	// pace is the time between the steps of the work, in percent of the
	// healthy team's (a step of mean m takes m·pace/100 on average).
	pace int64
	// planned is the share (%) of sprint work planned into the next sprint
	// when it is created; the rest is added to the sprint running when
	// work starts. Planned work starts within spreadDays of the sprint's
	// start.
	planned    int
	spreadDays int64
	// estimated is the share (%) of stories, bugs and tasks given story
	// points; due the share given a due date, dueDays[0] + rand(dueDays[1])
	// days after creation.
	estimated int
	due       int
	dueDays   [2]int64
	// assigned is the share (%) of items closed straight from To Do that
	// get the person who closed them as assignee.
	assigned int
	// blockEvery: one issue in blockEvery blocks an earlier one of its
	// project (a Blocks link).
	blockEvery int
	// prodBugs is the share (%) of bugs found in production (label
	// "production": escaped defects).
	prodBugs int
	// Shares (%) of flow items that are reopened once after done, blocked
	// for blockedDays on average (waiting on another team), or stuck for
	// stuckDays before they move again.
	reopened, blocked, stuck int
	blockedDays, stuckDays   int64
	// criticalRisks is the share (%) of risks raised at Highest and left
	// without review for weeks; the others are handled at High or below.
	criticalRisks int
	// growth is the share (%) of stories created while a release is under
	// way that are added to it (scope growth); the others are planned into
	// the next release that has not started yet. fixOnDone is the share of
	// unplanned items given the coming release when they are done.
	growth    int
	fixOnDone int
}

// The three kinds of projects of the simulated organisation.
var (
	healthy = &health{name: "healthy", pace: 100, planned: 70, spreadDays: 7, estimated: 97, due: 95,
		dueDays: [2]int64{21, 35}, assigned: 100, blockEvery: 31, prodBugs: 0, reopened: 1, blocked: 3, stuck: 0, blockedDays: 2, stuckDays: 10,
		criticalRisks: 0, growth: 0, fixOnDone: 0}
	atRisk = &health{name: "at risk", pace: 130, planned: 85, spreadDays: 10, estimated: 88, due: 65,
		dueDays: [2]int64{14, 28}, assigned: 70, blockEvery: 11, prodBugs: 3, reopened: 4, blocked: 8, stuck: 2, blockedDays: 4, stuckDays: 18,
		criticalRisks: 0, growth: 25, fixOnDone: 3}
	inTrouble = &health{name: "in trouble", pace: 180, planned: 90, spreadDays: 10, estimated: 72, due: 50,
		dueDays: [2]int64{8, 20}, assigned: 40, blockEvery: 5, prodBugs: 20, reopened: 10, blocked: 22, stuck: 6, blockedDays: 9, stuckDays: 30,
		criticalRisks: 60, growth: 10, fixOnDone: 10}
)

// healthPattern deals the kinds to projects in order: with three projects
// one of each; with seven four healthy, two at risk and one in trouble.
var healthPattern = []*health{healthy, atRisk, inTrouble, healthy, healthy, atRisk, healthy, inTrouble}

func healthOf(p int) *health { return healthPattern[p%len(healthPattern)] }

// Health returns how each simulated project is doing ("healthy", "at risk"
// or "in trouble"), by project key: what its KPIs are built to show.
func (s *Server) Health() map[string]string {
	m := make(map[string]string, len(s.org.projects))
	for _, p := range s.org.projects {
		m[p.key] = p.health.name
	}
	return m
}

// Demo is the simulated organisation pmo demo collects: n issues over the
// year before now in projects of about 420 issues each (teams of six that
// finish five to seven items a week), from 3 up to 26 projects (the default
// count where that is more).
func Demo(mode Mode, n int, seed int64, now time.Time) Config {
	return Config{Mode: mode, Issues: n, Seed: seed, Now: now, Days: 365,
		Projects: max(min(max(n/420, 3), 26), n/3000)}
}
