package jirasim

import (
	"strconv"
	"time"
	_ "time/tzdata" // worklog authors live in real time zones (DST included)
)

// Custom field ids of the simulated site; deliberately not Jira's defaults.
const (
	fieldSprint      = "customfield_10104"
	fieldStoryPoints = "customfield_10106"
	fieldEpicLink    = "customfield_10108" // Data Center only
	fieldFlagged     = "customfield_10109"
	fieldRank        = "customfield_10119"
	fieldOrigSP      = "customfield_10130" // decoy: "Original story points", always empty
	fieldStoryPtsAlt = "customfield_10142" // decoy: a text field named "Story Points (old)"
)

const (
	issueIDBase   = 100000
	historyIDBase = 5_000_000
	worklogIDBase = 7_000_000
	linkIDBase    = 400000
	// crossLinkIDBase: the links across projects (slot 2), after the
	// 2 per issue of the 1,000,000 issues at most.
	crossLinkIDBase = linkIDBase + 2_000_000
	dayMs           = int64(24 * time.Hour / time.Millisecond)
	hourMs          = int64(time.Hour / time.Millisecond)
	minMs           = int64(time.Minute / time.Millisecond)
	sprintLenMs     = 14 * dayMs
)

type statusDef struct {
	id       int
	name     string // possibly localised
	untrans  string // untranslated (English) name
	category string // new, indeterminate, done
	catID    int
	catName  string
	color    string
}

// Status indexes.
const (
	stBacklog = iota
	stToDo
	stInProgress
	stReview
	stBlocked
	stTesting
	stDone
	stClosed
	stCancelled
)

var statuses = []statusDef{
	{10100, "Backlog", "Backlog", "new", 2, "To Do", "blue-gray"},
	{10101, "To Do", "To Do", "new", 2, "To Do", "blue-gray"},
	{10102, "In Progress", "In Progress", "indeterminate", 4, "In Progress", "yellow"},
	{10103, "In Review", "In Review", "indeterminate", 4, "In Progress", "yellow"},
	{10104, "Blocked", "Blocked", "indeterminate", 4, "In Progress", "yellow"},
	{10105, "Testing", "Testing", "indeterminate", 4, "In Progress", "yellow"},
	{10106, "Done", "Done", "done", 3, "Done", "green"},
	{10107, "Geschlossen", "Closed", "done", 3, "Done", "green"},
	{10108, "Annulé", "Cancelled", "done", 3, "Done", "green"},
}

type typeDef struct {
	id      int
	name    string
	untrans string
	subtask bool
	level   int
}

const (
	tyEpic = iota
	tyStory
	tyTask
	tyBug
	tyRisk
	tySubtask
)

var issueTypes = []typeDef{
	{10200, "Epic", "Epic", false, 1},
	{10201, "Story", "Story", false, 0},
	{10202, "Aufgabe", "Task", false, 0},
	{10203, "Bug", "Bug", false, 0},
	{10204, "Risk", "Risk", false, 0},
	{10205, "Sub-task", "Sub-task", true, -1},
}

var priorities = []struct {
	id   int
	name string
}{{1, "Highest"}, {2, "High"}, {3, "Medium"}, {4, "Low"}, {5, "Lowest"}}

const (
	resDone = iota
	resWontDo
	resDuplicate
	resCannotReproduce
)

var resolutions = []struct {
	id   int
	name string
}{{10300, "Done"}, {10301, "Won't Do"}, {10302, "Duplicate"}, {10303, "Cannot Reproduce"}}

var linkTypes = []struct {
	id                    int
	name, inward, outward string
}{{10400, "Blocks", "is blocked by", "blocks"}, {10401, "Relates", "relates to", "relates to"}}

var programNames = []string{"Digital Platform", "Customer Experience", "Operations Excellence", "Data & Analytics",
	"Security & Compliance", "Mobile", "Finance Systems", "Partner Integrations"}

var projectWords = []string{"Apollo", "Borealis", "Cassini", "Dorado", "Everest", "Fjord", "Gemini", "Helios", "Io",
	"Juno", "Kepler", "Lyra", "Meridian", "Nimbus", "Orion", "Pulsar", "Quasar", "Rigel", "Sirius", "Titan",
	"Umbra", "Vega", "Wega", "Xenon", "Ymir", "Zephyr"}

var componentNames = []string{"Backend", "Frontend", "API", "Datenbank", "Infra"}

var firstNames = []string{"Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kofi",
	"Lena", "Mateo", "Nora", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tala", "Uwe", "Vera", "Wei", "Yara", "Zoë"}
var lastNames = []string{"Schmidt", "Dubois", "García", "Rossi", "Nowak", "Jensen", "Tanaka", "Okafor", "Silva",
	"Müller", "Kowalski", "Chen", "Patel", "Ivanova", "Larsen", "O'Brien"}

var zoneNames = []string{"Europe/Berlin", "America/New_York", "Asia/Shanghai", "Asia/Kolkata", "UTC", "Europe/London"}

var summaryWords = []string{"login", "checkout", "report", "export", "search", "billing", "dashboard", "sync",
	"notification", "invoice", "onboarding", "audit log", "API rate limit", "cache", "profile page", "import"}

type project struct {
	id      int
	key     string
	name    string
	cat     int // index in programs, -1 for none
	health  *health
	lead    int
	scrum   int // board index of the scrum board, -1 for none
	boards  []int
	verFrom int // index range in org.versions
	verN    int
}

type board struct {
	id       int
	name     string
	typ      string
	proj     int
	sprFrom  int // index range in org.sprints
	sprN     int
	offsetMs int64
}

type sprintDef struct {
	id                              int
	board                           int
	seq                             int
	name, state, goal               string
	start, end, complete, activated int64 // ms; 0 = none
}

type versionDef struct {
	id                 int
	proj               int
	name, desc         string
	start, release     int64 // ms of the civil date (UTC midnight); 0 = none; release is the date at Now
	released, archived bool
	// first and moves: the release date's history before Now when it was
	// moved (versions.go); no moves: release all along.
	first int64
	moves []dateMove
}

type user struct {
	accountID   string
	name, key   string
	displayName string
	email       string
	loc         *time.Location
}

type org struct {
	cfg      Config
	cloud    bool
	n        int
	nowMs    int64
	startMs  int64
	stepMs   int64 // creation spacing between consecutive issues
	projects []project
	byKey    map[string]int
	boards   []board
	sprints  []sprintDef
	versions []versionDef
	users    []user
}

func newOrg(cfg Config) *org {
	o := &org{cfg: cfg, cloud: cfg.Mode == Cloud, n: cfg.Issues, byKey: map[string]int{}}
	o.nowMs = cfg.Now.UnixMilli()
	days := int64(cfg.Days)
	if days == 0 {
		days = 730
	}
	o.startMs = o.nowMs - days*dayMs
	o.stepMs = ((days - 2) * dayMs) / int64(o.n)
	r := newRNG(cfg.Seed, -1)

	nProj := cfg.Projects
	if nProj == 0 {
		nProj = max(3, o.n/3000)
	}
	// A team of six per project (neighbouring teams share a person), at
	// least one user per 200 issues.
	nUsers := min(max(o.n/200, 20, 5*nProj+1), 2000)
	for u := range nUsers {
		fn := firstNames[(u+int(r.intn(3)))%len(firstNames)]
		ln := lastNames[(u/len(firstNames)+u)%len(lastNames)]
		login := lower(fn[:1]) + lower(asciiOnly(ln)) + strconv.Itoa(u)
		loc, err := time.LoadLocation(zoneNames[u%len(zoneNames)])
		if err != nil {
			loc = time.FixedZone("+0100", 3600)
		}
		o.users = append(o.users, user{
			accountID:   "5b10ac8d82e05b22cc7d" + hex4(u),
			name:        login,
			key:         "JIRAUSER" + strconv.Itoa(10000+u),
			displayName: fn + " " + ln,
			email:       login + "@example.com",
			loc:         loc,
		})
	}

	nProg := min(max(2, nProj/2), len(programNames))
	for p := range nProj {
		w := projectWords[p%len(projectWords)]
		key := upper(w[:min(3, len(w))])
		name := w
		if p >= len(projectWords) {
			key += strconv.Itoa(p / len(projectWords))
			name += " " + strconv.Itoa(p/len(projectWords)+1)
		}
		cat := p % nProg
		if nProj > 3 && p == nProj-1 {
			cat = -1 // one project without a program
		}
		o.byKey[key] = p
		o.projects = append(o.projects, project{id: 10200 + p, key: key, name: name + " Platform", cat: cat,
			health: healthOf(p), lead: p % nUsers, scrum: -1})
	}
	// Boards and their sprints: scrum boards share a two-week cadence with a
	// per-board offset; the sprint containing now is active (3 to 11 days
	// in, so no board is caught between two sprints), two are future.
	for p := range o.projects {
		pr := &o.projects[p]
		if p%4 != 3 {
			b := len(o.boards)
			into := int64(3+2*(p%5)) * dayMs
			o.boards = append(o.boards, board{id: 300 + b, name: pr.key + " Scrum", typ: "scrum", proj: p,
				offsetMs: ((o.nowMs-o.startMs-into)%sprintLenMs + sprintLenMs) % sprintLenMs})
			pr.scrum = b
			pr.boards = append(pr.boards, b)
		}
		if p%3 == 1 || p%4 == 3 {
			b := len(o.boards)
			o.boards = append(o.boards, board{id: 300 + b, name: pr.key + " Kanban", typ: "kanban", proj: p})
			pr.boards = append(pr.boards, b)
		}
	}
	for b := range o.boards {
		bd := &o.boards[b]
		if bd.typ != "scrum" {
			continue
		}
		bd.sprFrom = len(o.sprints)
		key := o.projects[bd.proj].key
		for k := 0; ; k++ {
			st := o.startMs + bd.offsetMs + int64(k)*sprintLenMs
			en := st + sprintLenMs
			sp := sprintDef{id: 1000 + len(o.sprints), board: b, seq: k, start: st, end: en}
			sp.name = key + " Sprint " + strconv.Itoa(k+1)
			if k%7 == 3 {
				sp.name += " [hardening, Q" + strconv.Itoa(k%4+1) + "]"
			}
			if k%3 == 0 {
				sp.goal = "Ship " + summaryWords[k%len(summaryWords)] + ", fix bugs, and release"
			}
			switch {
			case en <= o.nowMs:
				sp.state = "closed"
				sp.complete = en - hourMs + int64(k%50)*minMs
				sp.activated = st + 30*minMs
			case st <= o.nowMs:
				sp.state = "active"
				sp.activated = st + 30*minMs
			default:
				sp.state = "future"
				if st > o.nowMs+sprintLenMs {
					sp.start, sp.end = 0, 0 // not planned yet
				}
			}
			o.sprints = append(o.sprints, sp)
			if st > o.nowMs+sprintLenMs {
				break
			}
		}
		bd.sprN = len(o.sprints) - bd.sprFrom
	}
	// Versions: one release every eight weeks, two still unreleased.
	for p := range o.projects {
		pr := &o.projects[p]
		pr.verFrom = len(o.versions)
		for k := 0; ; k++ {
			rel := dayStart(o.startMs + int64(k+1)*56*dayMs + int64(p%9)*dayMs)
			v := versionDef{id: 20000 + len(o.versions), proj: p, name: pr.key + " 1." + strconv.Itoa(k), release: rel}
			if k%2 == 1 {
				v.start = rel - 56*dayMs
			}
			if k%4 == 0 {
				v.desc = "Release 1." + strconv.Itoa(k) + ", with fixes"
			}
			v.released = rel < o.nowMs
			v.archived = v.released && rel < o.nowMs-(o.nowMs-o.startMs)/2 && k%2 == 0
			last := rel > o.nowMs+56*dayMs
			if last {
				v.release = 0 // not yet scheduled
			}
			o.versions = append(o.versions, v)
			if last {
				break
			}
		}
		pr.verN = len(o.versions) - pr.verFrom
	}
	o.planReleaseMoves()
	return o
}

func dayStart(ms int64) int64 { return ms - ms%dayMs }

// issue index arithmetic: issues are dealt round-robin to projects, so the
// issue number within a project grows with the index (and with creation time).
func (o *org) projOf(i int) int { return i % len(o.projects) }
func (o *org) numOf(i int) int  { return i/len(o.projects) + 1 }
func (o *org) index(p, num int) int {
	if num < 1 {
		return -1
	}
	i := (num-1)*len(o.projects) + p
	if i >= o.n {
		return -1
	}
	return i
}

func (o *org) key(i int) string {
	return o.projects[o.projOf(i)].key + "-" + strconv.Itoa(o.numOf(i))
}

func (o *org) appendKey(b []byte, i int) []byte {
	b = append(b, o.projects[o.projOf(i)].key...)
	b = append(b, '-')
	return strconv.AppendInt(b, int64(o.numOf(i)), 10)
}

// lookup finds an issue index by key or numeric id; -1 if none.
func (o *org) lookup(idOrKey string) int {
	if id, err := strconv.Atoi(idOrKey); err == nil {
		i := id - issueIDBase
		if i < 0 || i >= o.n {
			return -1
		}
		return i
	}
	for j := len(idOrKey) - 1; j > 0; j-- {
		if idOrKey[j] == '-' {
			p, ok := o.byKey[idOrKey[:j]]
			if !ok {
				return -1
			}
			num, err := strconv.Atoi(idOrKey[j+1:])
			if err != nil {
				return -1
			}
			return o.index(p, num)
		}
	}
	return -1
}

// sprintAt returns the sprint index of board b whose [start,end) holds t, or -1.
func (o *org) sprintAt(b int, t int64) int {
	bd := &o.boards[b]
	k := (t - o.startMs - bd.offsetMs) / sprintLenMs
	if t < o.startMs+bd.offsetMs || k >= int64(bd.sprN) {
		return -1
	}
	s := bd.sprFrom + int(k)
	if o.sprints[s].start == 0 {
		return -1
	}
	return s
}

// linkSlots are the links an issue may have outward, by slot t: 0 and 1
// as below, 2 a dependency across projects (a Blocks link).
const linkSlots = 3

// slotType is the link type (index of linkTypes) of slot t.
func slotType(t int) int {
	if t == 2 {
		return 0
	}
	return t
}

// links of issue i (closed form, so both ends know them): i blocks i-P
// (the previous issue of its project) when i%B==3, where B is its project's
// health's blockEvery (31 healthy, 11 at risk, 5 in trouble), i relates to
// i-2P when i%11==5 (P = number of projects), and i blocks i-1 (the last
// issue of another project: a dependency across projects, for the RAID
// log) as crossLink says.
func (o *org) outLink(i, t int) int {
	P := len(o.projects)
	switch t {
	case 0:
		if i%o.projects[i%P].health.blockEvery == 3 && i >= P {
			return i - P
		}
	case 1:
		if i%11 == 5 && i >= 2*P {
			return i - 2*P
		}
	case 2:
		if o.crossLink(i) {
			return i - 1
		}
	}
	return -1
}

// crossLink: issue i blocks i-1, an issue of another project, when
// i%37==19; and among the latest 5 % of issues (work still open at now),
// every other issue of a project in trouble waits on one of another project
// (the story of a team in trouble: a blocked dependency).
func (o *org) crossLink(i int) bool {
	P := len(o.projects)
	if P < 2 || i < 1 {
		return false
	}
	if c := o.chainEnd(); c >= 0 && i > c && i <= c+3 {
		return true
	}
	return o.crossDep(i)
}

// crossDep: crossLink without the demo's critical chain.
func (o *org) crossDep(i int) bool {
	P := len(o.projects)
	return i%37 == 19 || i >= o.n-o.n/20 && i%2 == 0 && o.projects[(i-1)%P].health == inTrouble
}

// chainEnd is the index of the release item at the end of the demo's
// critical chain (-1: none): among the last issues, created days before
// now and still open, c+3 blocks c+2 blocks c+1 blocks c, each of another
// project than the next, and c is planned into its project's coming
// release (generate). Picked by index (no epic, no sub-task, no project
// outside a program among the four; c blocks nothing, so its chain is the longest ending there), so no
// issue's random story changes.
func (o *org) chainEnd() int {
	P := len(o.projects)
	if P < 2 {
		return -1
	}
	for c := o.n - 5; c >= max(o.n-60, P); c-- {
		ok := !o.crossDep(c) && c%o.projects[c%P].health.blockEvery != 3
		for i := c; i <= c+3; i++ {
			if num := i/P + 1; num%50 == 1 || num%10 == 0 || o.projects[i%P].cat < 0 {
				ok = false
			}
		}
		if ok {
			return c
		}
	}
	return -1
}

func (o *org) inLink(j, t int) int {
	P := len(o.projects)
	switch t {
	case 0:
		if i := j + P; i < o.n && i%o.projects[i%P].health.blockEvery == 3 {
			return i
		}
	case 1:
		if i := j + 2*P; i < o.n && i%11 == 5 {
			return i
		}
	case 2:
		if i := j + 1; i < o.n && o.crossLink(i) {
			return i
		}
	}
	return -1
}

// linkID of the link of slot t outward from issue i.
func linkID(i, t int) int {
	if t == 2 {
		return crossLinkIDBase + i
	}
	return linkIDBase + 2*i + t
}

// rng is splitmix64: tiny, fast, and a pure function of its seed.
type rng struct{ s uint64 }

func newRNG(seed int64, i int) rng {
	r := rng{s: uint64(seed)*0x9E3779B97F4A7C15 ^ uint64(int64(i))*0xD1B54A32D192ED03 ^ 0x2545F4914F6CDD1D}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int64 {
	if n <= 0 {
		return 0
	}
	return int64(r.next() % uint64(n))
}

func (r *rng) pct() int { return int(r.next() % 100) }

func hash2(a int64, b uint64) uint64 {
	r := rng{s: uint64(a)*0x9E3779B97F4A7C15 ^ b*0xD1B54A32D192ED03}
	return r.next()
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func asciiOnly(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			b = append(b, c)
		}
	}
	return string(b)
}

func hex4(u int) string {
	const h = "0123456789abcdef"
	return string([]byte{h[u>>12&15], h[u>>8&15], h[u>>4&15], h[u&15]})
}
