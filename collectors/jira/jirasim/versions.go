package jirasim

// Release-date moves. Jira keeps only a version's current release date, so
// a move is seen only by collections before and after it. Some unreleased
// versions of the organisation were rescheduled in the days before Now: the
// versions endpoint (and an issue's fixVersions) serves the release date as
// of the site's clock (Server.SetClock), so collections at different clocks
// observe the move. At Now and later every version has its final date (the
// one versionDef.release holds), whatever the moves.

// dateMove: from instant at (ms) on, the version's release date is release
// (ms of the civil date); before the first move it is versionDef.first.
type dateMove struct {
	at, release int64
}

// planReleaseMoves gives the next dated, unreleased version of some projects
// a history of release-date moves in the week before Now, seeded per
// project: a project at risk slipped its release once (7 to 14 days later),
// one in trouble twice, and one healthy project in three pulled its release
// in by 2 to 4 days.
func (o *org) planReleaseMoves() {
	for p := range o.projects {
		pr := &o.projects[p]
		v := -1
		for k := pr.verFrom; k < pr.verFrom+pr.verN; k++ {
			if vd := &o.versions[k]; !vd.released && vd.release != 0 {
				v = k
				break
			}
		}
		if v < 0 {
			continue
		}
		r := newRNG(o.cfg.Seed, -3000-p)
		var deltas []int64 // days, in move order
		switch pr.health {
		case atRisk:
			deltas = []int64{7 + r.intn(8)}
		case inTrouble:
			deltas = []int64{7 + r.intn(8), 7 + r.intn(8)}
		default:
			if r.pct() >= 34 {
				continue
			}
			deltas = []int64{-(2 + r.intn(3))}
		}
		vd := &o.versions[v]
		// Moves land 2 to 6 days before Now, in working hours, the earlier
		// move first and at least two days before the later one (so daily
		// collections see each).
		first := vd.release
		for _, d := range deltas {
			first -= d * dayMs
		}
		vd.first = first
		date := first
		for i, d := range deltas {
			daysBefore := int64(len(deltas)-i)*3 - r.intn(2) // 2..3, 5..6
			at := dayStart(o.nowMs) - daysBefore*dayMs + (9+r.intn(8))*hourMs + r.intn(60)*minMs
			date += d * dayMs
			vd.moves = append(vd.moves, dateMove{at: at, release: date})
		}
	}
}

// releaseAt is version v's release date (ms of the civil date, 0 = none) as
// the site shows it at clock (ms).
func (o *org) releaseAt(v int, clock int64) int64 {
	vd := &o.versions[v]
	if len(vd.moves) == 0 || clock >= o.nowMs {
		return vd.release
	}
	rel := vd.first
	for _, m := range vd.moves {
		if m.at > clock {
			break
		}
		rel = m.release
	}
	return rel
}
