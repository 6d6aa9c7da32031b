package jirasim

// Changelog item kinds; an item is rendered from these small numbers, so
// counting the organisation never builds strings.
const (
	kStatus     = iota + 1 // a → b: status indexes
	kResolution            // a → b: resolution indexes, -1 none
	kSprint                // spl[fa:fb] → spl[ta:tb]: sprint indexes
	kStoryPts              // a → b: tenths of a point, -1 none
	kAssignee              // a → b: user indexes, -1 none
	kPriority              // a → b: priority indexes
	kFlagged               // a → b: 0/1
	kLink                  // a: target issue index, b: link type
	kFixVersion            // b: version index
	kRank                  // "Ranked higher"
	kWorkflow              // a workflow migration item, without fieldId
	kDueDate               // a → b: due dates as days since 1970-01-01
)

// labelNames by bit of issue.labels; "assumption" and "decision" mark the
// tasks that record the RAID log's assumptions and decisions.
var labelNames = []string{"production", "customer", "tech-debt", "assumption", "decision"}

type item struct {
	kind           uint8
	a, b           int32
	fa, fb, ta, tb int32
}

type history struct {
	id     int64
	author int
	at     int64
	first  int // items[first:first+n]
	n      int
}

type worklog struct {
	id               int64
	author           int
	started, created int64
	secs             int64
}

// issue is one generated issue; it is reused between generations.
type issue struct {
	idx, proj, num             int
	typ, prio, status, res     int
	created, updated, resolved int64
	assignee, reporter         int
	due                        int64
	sp                         int32 // tenths; -1 none
	sprints                    []int32
	labels                     uint8
	comps                      uint8 // bit mask over componentNames (first 3 per project)
	fix, affects               int   // version index, -1 none
	orig, rem, spent           int64 // seconds, -1 none
	env                        int   // -1 none
	epic, parent               int
	flagged                    bool
	sw1, sw2                   int
	hist                       []history
	items                      []item
	spl                        []int32
	wl                         []worklog
	workStart, lastAt          int64
}

func (d *issue) reset() {
	hist, items, spl, wl, sprints := d.hist[:0], d.items[:0], d.spl[:0], d.wl[:0], d.sprints[:0]
	*d = issue{hist: hist, items: items, spl: spl, wl: wl, sprints: sprints}
}

// overlay holds what Touch added to an issue.
type overlay struct {
	hist []history // each with one kRank item
	wl   []worklog
}

type gen struct {
	o       *org
	h       *health
	d       *issue
	r       rng
	t       int64
	stop    bool
	carry   int
	team    [6]int
	cur     int // index of the open history in d.hist, -1 none
	planned int // sprint the issue was planned into at creation, -1 none
}

func isDone(st int) bool { return statuses[st].category == "done" }

// generate fills d with issue i (plus its overlay, if any).
func (o *org) generate(i int, d *issue, ov *overlay) {
	d.reset()
	P := len(o.projects)
	g := gen{o: o, h: o.projects[i%P].health, d: d, r: newRNG(o.cfg.Seed, i), cur: -1, planned: -1}
	r, h := &g.r, g.h
	d.idx, d.proj, d.num = i, i%P, i/P+1
	nU := len(o.users)
	for k := range g.team {
		g.team[k] = (d.proj*5 + k) % nU
	}
	d.created = o.startMs + int64(i)*o.stepMs + r.intn(int(o.stepMs))
	d.res, d.assignee, d.fix, d.affects, d.epic, d.parent, d.env = -1, -1, -1, -1, -1, -1, -1
	d.orig, d.rem, d.spent, d.sp = -1, -1, -1, -1
	switch {
	case d.num%50 == 1:
		d.typ = tyEpic
	case d.num%10 == 0:
		d.typ = tySubtask
		d.parent = o.index(d.proj, d.num-1)
	default:
		switch x := r.pct(); {
		case x < 45:
			d.typ = tyStory
		case x < 65:
			d.typ = tyTask
		case x < 90:
			d.typ = tyBug
		default:
			d.typ = tyRisk
		}
	}
	if d.typ != tyEpic && d.typ != tySubtask && r.pct() < 70 {
		d.epic = o.index(d.proj, (d.num-1)/50*50+1)
	}
	if d.typ == tyRisk {
		d.prio = 1 + int(r.intn(2)) // High or Medium
		if r.pct() < h.criticalRisks {
			d.prio = 0 // Highest
		}
	} else {
		d.prio = []int{0, 1, 1, 2, 2, 2, 2, 2, 3, 4}[r.intn(10)]
	}
	d.reporter = g.team[r.intn(len(g.team))]
	if d.typ == tyBug && r.pct() < h.prodBugs {
		d.labels |= 1 // found in production
	}
	if r.pct() < 8 {
		d.labels |= 2
	}
	if d.typ == tyTask && r.pct() < 20 {
		d.labels |= 4
	}
	// Assumptions and decisions, by number (no draw, so every other issue
	// keeps the story it had before there were such labels).
	if d.typ == tyTask {
		switch d.num % 11 {
		case 3:
			d.labels |= 8
		case 7:
			d.labels |= 16
		}
	}
	d.comps = uint8(r.intn(8))
	if r.pct() < h.due {
		d.due = dayStart(d.created + (h.dueDays[0]+r.intn(int(h.dueDays[1])))*dayMs)
	}
	if d.typ == tyBug && r.pct() < 50 {
		d.env = int(r.intn(4))
		d.affects = o.versionAt(d.proj, d.created, false)
	}
	if d.typ == tyStory && r.pct() < 30 {
		// Planned into a release at creation (no changelog item, as Jira
		// records none for fields set on create): the release under way
		// (its scope grows) or the next one, which has not started yet
		// (versions start eight weeks before their release).
		if r.pct() < h.growth {
			d.fix = o.versionAt(d.proj, d.created+7*dayMs, true)
		} else {
			d.fix = o.versionAt(d.proj, d.created+57*dayMs, true)
		}
	}
	d.sw1, d.sw2 = int(r.intn(len(summaryWords))), int(r.intn(len(summaryWords)))
	d.status = stToDo
	if r.pct() < 20 {
		d.status = stBacklog
	}
	g.t = d.created
	d.lastAt = d.created
	g.history(i)
	g.t = o.nowMs - minMs
	g.tick() // sprint completions lived through up to now
	if ov != nil {
		for _, h := range ov.hist {
			h.first = len(d.items)
			d.items = append(d.items, item{kind: kRank})
			d.hist = append(d.hist, h)
			d.lastAt = max(d.lastAt, h.at)
		}
	}
	if d.typ == tyTask && !isDone(d.status) {
		// Open assumptions and decisions: labelled after the story is
		// told, so it is the one the task had without the label.
		switch d.num % 3 {
		case 1:
			d.labels |= 8
		case 2:
			d.labels |= 16
		}
	}
	if i == o.chainEnd() && !isDone(d.status) && d.fix < 0 {
		// The end of the demo's critical chain (org.chainEnd): planned
		// into the coming release after its story is told (no draw), as
		// if set on create.
		d.fix = o.versionAt(d.proj, o.nowMs, true)
	}
	g.worklogs(i)
	if ov != nil {
		d.wl = append(d.wl, ov.wl...)
	}
	d.updated = d.lastAt
	if d.sp >= 0 {
		d.orig = int64(d.sp) * 4 * 3600 / 10
	} else if d.typ == tyTask && r.pct() < 30 {
		d.orig = 8 * 3600
	}
	if len(d.wl) > 0 {
		d.spent = 0
		for _, w := range d.wl {
			d.spent += w.secs
		}
	}
	if d.orig >= 0 {
		d.rem = max(d.orig-max(d.spent, 0), 0)
		if isDone(d.status) {
			d.rem = 0
		}
	}
	d.flagged = d.status == stBlocked
}

// versionAt returns the first version of project p released at or after t
// (after=true) or the last released before t (after=false); -1 if none.
func (o *org) versionAt(p int, t int64, after bool) int {
	pr := &o.projects[p]
	best := -1
	for v := pr.verFrom; v < pr.verFrom+pr.verN; v++ {
		rel := o.versions[v].release
		if rel == 0 {
			continue
		}
		if after && rel >= t {
			return v
		}
		if !after && rel < t {
			best = v
		}
	}
	return best
}

// adv moves the clock forward by a random duration around mean; it stops the
// story when the clock would pass the organisation's now.
func (g *gen) adv(mean int64) bool {
	if g.stop {
		return false
	}
	step := mean/2 + g.r.intn(int(mean)) + minMs
	if g.t+step >= g.o.nowMs-minMs || len(g.d.hist) >= 240 {
		g.stop = true
		return false
	}
	g.t += step
	return true
}

// work is adv for a step of the work: its mean scaled by the project's pace.
func (g *gen) work(mean int64) bool { return g.adv(mean * g.h.pace / 100) }

// until moves the clock to t (if later); it stops the story when t is not
// before the organisation's now.
func (g *gen) until(t int64) bool {
	if g.stop {
		return false
	}
	if t <= g.t {
		return true
	}
	if t >= g.o.nowMs-minMs {
		g.stop = true
		return false
	}
	g.t = t
	return true
}

// open starts a history at the current time.
func (g *gen) open(author int) {
	g.tick()
	d := g.d
	d.hist = append(d.hist, history{id: historyIDBase + int64(d.idx)*256 + int64(len(d.hist)), author: author, at: g.t, first: len(d.items)})
	g.cur = len(d.hist) - 1
	d.lastAt = g.t
}

func (g *gen) add(it item) {
	g.d.items = append(g.d.items, it)
	g.d.hist[g.cur].n++
}

func (g *gen) actor() int {
	if g.d.assignee >= 0 && g.r.pct() < 80 {
		return g.d.assignee
	}
	return g.team[g.r.intn(len(g.team))]
}

// tick carries the issue over to the next sprint at each sprint completion
// it lived through without being done (at most three times).
func (g *gen) tick() {
	d, o := g.d, g.o
	for len(d.sprints) > 0 && g.carry < 3 {
		s := int(d.sprints[len(d.sprints)-1])
		sd := &o.sprints[s]
		if sd.state != "closed" || sd.complete >= g.t || sd.complete <= d.lastAt || isDone(d.status) {
			return
		}
		bd := &o.boards[sd.board]
		if s+1 >= bd.sprFrom+bd.sprN {
			return
		}
		g.carry++
		d.hist = append(d.hist, history{id: historyIDBase + int64(d.idx)*256 + int64(len(d.hist)),
			author: o.projects[d.proj].lead, at: sd.complete, first: len(d.items)})
		g.cur = len(d.hist) - 1
		d.lastAt = sd.complete
		g.setSprints(append(d.sprints, int32(s+1)))
	}
}

// setSprints records a Sprint item from the current list to next.
func (g *gen) setSprints(next []int32) {
	d := g.d
	fa := int32(len(d.spl))
	d.spl = append(d.spl, d.sprints...)
	fb := int32(len(d.spl))
	d.spl = append(d.spl, next...)
	tb := int32(len(d.spl))
	g.add(item{kind: kSprint, fa: fa, fb: fb, ta: fb, tb: tb})
	d.sprints = append(d.sprints[:0], d.spl[fb:tb]...)
}

func (g *gen) move(to int, res int) {
	if g.stop {
		return
	}
	d := g.d
	g.open(g.actor())
	from := d.status
	g.add(item{kind: kStatus, a: int32(from), b: int32(to)})
	if isDone(from) && !isDone(to) {
		g.add(item{kind: kResolution, a: int32(d.res), b: -1})
		d.res, d.resolved = -1, 0
	}
	if !isDone(from) && isDone(to) {
		g.add(item{kind: kResolution, a: -1, b: int32(res)})
		d.res, d.resolved = res, g.t
		if res == resDone && d.fix < 0 && g.r.pct() < g.h.fixOnDone {
			if v := g.o.versionAt(d.proj, g.t, true); v >= 0 {
				g.add(item{kind: kFixVersion, a: -1, b: int32(v)})
				d.fix = v
			}
		}
	}
	if to == stBlocked && from != stBlocked {
		g.add(item{kind: kFlagged, a: 0, b: 1})
	}
	if from == stBlocked && to != stBlocked {
		g.add(item{kind: kFlagged, a: 1, b: 0})
	}
	d.status = to
}

func (g *gen) scrum() int {
	d := g.d
	if d.typ == tyEpic || d.typ == tySubtask || d.typ == tyRisk {
		return -1 // sprints hold stories, tasks and bugs
	}
	return g.o.projects[d.proj].scrum
}

func (g *gen) startWork() {
	if g.stop {
		return
	}
	d := g.d
	if d.assignee < 0 {
		g.open(d.reporter)
		u := g.team[g.r.intn(len(g.team))]
		g.add(item{kind: kAssignee, a: -1, b: int32(u)})
		d.assignee = u
		if !g.adv(30 * minMs) {
			return
		}
	}
	g.move(stInProgress, -1)
	if d.workStart == 0 {
		d.workStart = g.t
	}
	if b := g.scrum(); b >= 0 && g.r.pct() < 70 {
		if s := g.o.sprintAt(b, g.t); s >= 0 && (len(d.sprints) == 0 || int(d.sprints[len(d.sprints)-1]) != s) {
			g.setSprints(append(d.sprints, int32(s))) // mid-sprint add
		}
	}
}

func (g *gen) done(res int) {
	st := stDone
	if g.r.pct() < 25 {
		st = stClosed
	}
	if res != resDone && g.r.pct() < 60 {
		st = stCancelled
	}
	g.move(st, res)
}

var spValues = []int32{10, 20, 30, 50, 80, 130, 5}

// Flow shapes of a story, bug or task (see history).
const (
	flowNormal    = iota
	flowSkipped   // To Do → Done
	flowDiscarded // Won't Do, Duplicate, Cannot Reproduce
	flowBackToDo  // back to To Do (and out of the sprint), then again
	flowReopened  // done, reopened, done again
	flowBlocked   // blocked for a while
	flowStuck     // no move for weeks, then on
)

// flowShape picks the shape of an issue's flow from a percentage draw and
// the project's health.
func (h *health) flowShape(x int) int {
	for _, b := range []struct{ shape, pct int }{
		{flowSkipped, 7}, {flowDiscarded, 7}, {flowBackToDo, 6},
		{flowReopened, h.reopened}, {flowBlocked, h.blocked}, {flowStuck, h.stuck},
	} {
		if x < b.pct {
			return b.shape
		}
		x -= b.pct
	}
	return flowNormal
}

func (g *gen) history(i int) {
	d, r, h := g.d, &g.r, g.h
	// A dependency across projects, recorded on the outward issue at its
	// creation (without moving the clock, so the rest of its story is the
	// one it had before there were such links).
	if j := g.o.outLink(i, 2); j >= 0 {
		g.open(d.reporter)
		g.add(item{kind: kLink, a: int32(j), b: int32(slotType(2))})
	}
	// Link items at creation (only on the outward issue).
	for t := range 2 {
		if j := g.o.outLink(i, t); j >= 0 && g.adv(2*minMs) {
			g.open(d.reporter)
			g.add(item{kind: kLink, a: int32(j), b: int32(t)})
		}
	}
	if i%997 == 13 && g.adv(5*minMs) { // a workflow migration (item without fieldId)
		g.open(d.reporter)
		g.add(item{kind: kWorkflow})
	}
	if b := g.scrum(); b >= 0 && r.pct() < h.planned && g.adv(10*minMs) {
		// planned into the next sprint
		if s := g.o.sprintAt(b, g.t); s >= 0 && s+1 < g.o.boards[b].sprFrom+g.o.boards[b].sprN {
			g.open(d.reporter)
			g.setSprints(append(d.sprints, int32(s+1)))
			g.planned = s + 1
		}
	}
	if (d.typ == tyStory || d.typ == tyBug || d.typ == tyTask) && r.pct() < h.estimated && g.adv(20*minMs) {
		g.open(d.reporter)
		v := spValues[r.intn(len(spValues))]
		g.add(item{kind: kStoryPts, a: -1, b: v})
		d.sp = v
	}
	if d.status == stBacklog && g.adv(2*dayMs) {
		g.move(stToDo, -1)
	}
	if d.typ == tyEpic {
		if g.adv(20 * dayMs) {
			g.startWork()
			if g.adv(60 * dayMs) {
				g.done(resDone)
			}
		}
		return
	}
	if d.typ == tyRisk && d.prio == 0 {
		// A critical risk (a dependency another team has not delivered):
		// taken on, then left without review for weeks.
		if g.adv(3 * dayMs) {
			g.startWork()
			if g.adv(90 * dayMs) {
				g.done(resDone)
			}
		}
		return
	}
	long := i == 7 || i%293 == 7
	shape := h.flowShape(r.pct())
	if long {
		shape = flowNormal
	}
	switch shape {
	case flowSkipped:
		if g.adv(3 * dayMs) {
			if d.assignee < 0 && r.pct() < h.assigned {
				g.open(d.reporter)
				u := g.team[r.intn(len(g.team))]
				g.add(item{kind: kAssignee, a: -1, b: int32(u)})
				d.assignee = u
				if !g.adv(30 * minMs) {
					return
				}
			}
			g.done(resDone)
		}
		return
	case flowDiscarded:
		if g.adv(4 * dayMs) {
			res := resWontDo
			if r.pct() < 40 {
				res = resDuplicate
			} else if d.typ == tyBug && r.pct() < 50 {
				res = resCannotReproduce
			}
			g.done(res)
		}
		return
	}
	// Work starts early in the sprint it was planned into, else a few
	// days after creation.
	if g.planned >= 0 {
		st := g.o.sprints[g.planned].start
		if st == 0 {
			g.stop = true // a future sprint without dates
			return
		}
		if !g.until(st + r.intn(int(h.spreadDays*dayMs)) + hourMs) {
			return
		}
	} else if !g.work(3 * dayMs) {
		return
	}
	g.startWork()
	if d.due != 0 && d.num%6 == 5 && !g.stop && g.cur >= 0 {
		// The due date moved a week later as work started (no draw and no
		// history of its own, so the rest of the story is unchanged).
		g.add(item{kind: kDueDate, a: int32((d.due - 7*dayMs) / dayMs), b: int32(d.due / dayMs)})
	}
	if d.sp >= 0 && r.pct() < 20 && g.work(dayMs) { // re-estimate
		g.open(g.actor())
		v := spValues[r.intn(len(spValues))]
		if v == d.sp {
			v += 10
		}
		g.add(item{kind: kStoryPts, a: d.sp, b: v})
		d.sp = v
	}
	if d.typ == tyRisk && r.pct() < 50 && g.work(dayMs) {
		// reassessed: Medium raised to High, High lowered to Medium
		g.open(g.actor())
		to := 1
		if d.prio == 1 {
			to = 2
		}
		g.add(item{kind: kPriority, a: int32(d.prio), b: int32(to)})
		d.prio = to
	}
	switch {
	case long:
		cycles := 55 + int(r.intn(45))
		for range cycles {
			if !g.adv(90 * minMs) {
				return
			}
			g.move(stBlocked, -1)
			if !g.adv(90 * minMs) {
				return
			}
			g.move(stInProgress, -1)
		}
	case shape == flowBackToDo:
		if g.work(2 * dayMs) {
			g.move(stToDo, -1)
			if len(d.sprints) > 0 && r.pct() < 50 {
				s := d.sprints[len(d.sprints)-1]
				if g.o.sprints[s].start <= g.t && g.t < g.o.sprints[s].end {
					g.setSprints(d.sprints[:len(d.sprints)-1]) // mid-sprint removal
				}
			}
		}
		if g.work(2 * dayMs) {
			g.startWork()
		}
	case shape == flowBlocked:
		if g.work(dayMs) {
			g.move(stBlocked, -1)
		}
		if g.adv(h.blockedDays * dayMs) {
			g.move(stInProgress, -1)
		}
	case shape == flowStuck:
		if !g.adv(h.stuckDays * dayMs) {
			return
		}
	}
	if g.work(3 * dayMs) {
		g.move(stReview, -1)
	}
	if r.pct() < 40 && g.work(dayMs) {
		g.move(stTesting, -1)
	}
	if g.work(2 * dayMs) {
		g.done(resDone)
	}
	if shape == flowReopened {
		if g.work(5 * dayMs) {
			g.move(stInProgress, -1)
		}
		if g.work(2 * dayMs) {
			g.move(stReview, -1)
		}
		if g.work(dayMs) {
			g.done(resDone)
		}
	}
}

func (g *gen) worklogs(i int) {
	d, r := g.d, &g.r
	if d.workStart == 0 {
		return
	}
	n := 0
	switch {
	case i == 11 || i%97 == 11:
		n = 21 + int(r.intn(25))
	case r.pct() < 60:
		n = 1 + int(r.intn(4))
	}
	span := d.lastAt - d.workStart
	for k := range n {
		st := d.workStart + r.intn(int(span)+1)
		secs := (1 + r.intn(32)) * 15 * 60
		cr := min(st+secs*1000, d.lastAt)
		au := d.assignee
		if au < 0 || r.pct() < 30 {
			au = g.team[r.intn(len(g.team))]
		}
		d.wl = append(d.wl, worklog{id: worklogIDBase + int64(i)*64 + int64(k), author: au, started: st, created: cr, secs: secs})
	}
}
