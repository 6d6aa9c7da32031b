package jirasim

import (
	"strconv"
	"strings"
	"time"
)

// rc carries what rendering one response needs.
type rc struct {
	s    *Server
	o    *org
	base string // scheme://host of the request
	api  string // "2" or "3"
	w    jw
	tmp  issue // scratch for linked issues, parents and sub-tasks
	// clock is the site's clock when the request came (release dates as
	// of then).
	clock int64
}

// Fields the simulator knows, for the "fields" request parameter.
var knownFields = []string{"summary", "status", "issuetype", "resolution", "priority", "assignee", "reporter",
	"created", "updated", "resolutiondate", "duedate", "labels", "components", "fixVersions", "versions", "parent",
	"issuelinks", "timeoriginalestimate", "timeestimate", "timespent", "environment", "project", "worklog",
	"subtasks", fieldSprint, fieldStoryPoints, fieldEpicLink, fieldFlagged, fieldOrigSP, fieldStoryPtsAlt}

var fieldBit = func() map[string]uint64 {
	m := map[string]uint64{}
	for i, f := range knownFields {
		m[f] = 1 << i
	}
	return m
}()

type fieldSel uint64

func (f fieldSel) has(name string) bool { return uint64(f)&fieldBit[name] != 0 }

const allFields = fieldSel(1<<63 - 1)

// fieldsGiven marks a selection that the request spelled out (even if it
// names no field the simulator knows, like "key" or "id").
const fieldsGiven = fieldSel(1 << 62)

// parseFields reads the fields parameter ("summary,status", "*all",
// "*navigable", "-worklog"); def is used when it is empty.
func parseFields(list []string, def fieldSel) fieldSel {
	var f fieldSel
	seen := false
	for _, l := range list {
		for _, name := range strings.Split(l, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			seen = true
			switch {
			case name == "*all" || name == "*navigable":
				f = allFields
			case strings.HasPrefix(name, "-"):
				f &^= fieldSel(fieldBit[name[1:]])
			default:
				f |= fieldSel(fieldBit[name])
			}
		}
	}
	if !seen {
		return def
	}
	return f | fieldsGiven
}

func (c *rc) self(path string) {
	c.w.key("self")
	c.w.pre()
	c.w.b = append(c.w.b, '"')
	c.w.b = append(c.w.b, c.base...)
	c.w.b = append(c.w.b, path...)
	c.w.b = append(c.w.b, '"')
}

func (c *rc) selfID(path string, id int64) {
	w := &c.w
	w.key("self")
	w.pre()
	w.b = append(w.b, '"')
	w.b = append(w.b, c.base...)
	w.b = append(w.b, path...)
	w.b = strconv.AppendInt(w.b, id, 10)
	w.b = append(w.b, '"')
}

func (c *rc) user(u int) {
	w := &c.w
	if u < 0 {
		w.null()
		return
	}
	us := &c.o.users[u]
	w.obj()
	if c.o.cloud {
		c.self("/rest/api/" + c.api + "/user?accountId=" + us.accountID)
		w.kstr("accountId", us.accountID)
		w.kstr("accountType", "atlassian")
	} else {
		c.self("/rest/api/2/user?username=" + us.name)
		w.kstr("name", us.name)
		w.kstr("key", us.key)
		w.kstr("emailAddress", us.email)
	}
	w.kstr("displayName", us.displayName)
	w.kbool("active", true)
	w.kstr("timeZone", us.loc.String())
	w.end()
}

func (c *rc) status(st int) {
	w := &c.w
	sd := &statuses[st]
	w.obj()
	c.selfID("/rest/api/"+c.api+"/status/", int64(sd.id))
	w.kstr("description", "")
	w.kstr("iconUrl", c.base+"/images/icons/statuses/generic.png")
	w.kstr("name", sd.name)
	if c.o.cloud {
		w.kstr("untranslatedName", sd.untrans)
	}
	w.kistr("id", int64(sd.id))
	w.key("statusCategory")
	w.obj()
	c.selfID("/rest/api/"+c.api+"/statuscategory/", int64(sd.catID))
	w.kint("id", int64(sd.catID))
	w.kstr("key", sd.category)
	w.kstr("colorName", sd.color)
	w.kstr("name", sd.catName)
	w.end()
	w.end()
}

func (c *rc) issueType(t int) {
	w := &c.w
	td := &issueTypes[t]
	w.obj()
	c.selfID("/rest/api/"+c.api+"/issuetype/", int64(td.id))
	w.kistr("id", int64(td.id))
	w.kstr("description", "")
	w.kstr("iconUrl", c.base+"/secure/viewavatar?size=xsmall&avatarType=issuetype")
	w.kstr("name", td.name)
	if c.o.cloud {
		w.kstr("untranslatedName", td.untrans)
	}
	w.kbool("subtask", td.subtask)
	w.kint("hierarchyLevel", int64(td.level))
	w.end()
}

func (c *rc) priority(p int) {
	w := &c.w
	w.obj()
	c.selfID("/rest/api/"+c.api+"/priority/", int64(priorities[p].id))
	w.kstr("iconUrl", c.base+"/images/icons/priorities/"+lower(priorities[p].name)+".svg")
	w.kstr("name", priorities[p].name)
	w.kistr("id", int64(priorities[p].id))
	w.end()
}

func (c *rc) resolution(r int) {
	w := &c.w
	if r < 0 {
		w.null()
		return
	}
	w.obj()
	c.selfID("/rest/api/"+c.api+"/resolution/", int64(resolutions[r].id))
	w.kistr("id", int64(resolutions[r].id))
	w.kstr("description", "")
	w.kstr("name", resolutions[r].name)
	w.end()
}

func (c *rc) version(v int) {
	w := &c.w
	vd := &c.o.versions[v]
	w.obj()
	c.selfID("/rest/api/"+c.api+"/version/", int64(vd.id))
	w.kistr("id", int64(vd.id))
	if vd.desc != "" {
		w.kstr("description", vd.desc)
	}
	w.kstr("name", vd.name)
	w.kbool("archived", vd.archived)
	w.kbool("released", vd.released)
	if vd.start != 0 {
		w.kdate("startDate", vd.start)
	}
	if rel := c.o.releaseAt(v, c.clock); rel != 0 {
		w.kdate("releaseDate", rel)
	}
	w.end()
}

func (c *rc) projectRef(p int, full bool) {
	w := &c.w
	pr := &c.o.projects[p]
	w.obj()
	c.selfID("/rest/api/"+c.api+"/project/", int64(pr.id))
	w.kistr("id", int64(pr.id))
	w.kstr("key", pr.key)
	w.kstr("name", pr.name)
	w.kstr("projectTypeKey", "software")
	if c.o.cloud {
		w.kbool("simplified", false)
		w.kstr("style", "classic")
	}
	if pr.cat >= 0 {
		w.key("projectCategory")
		w.obj()
		c.selfID("/rest/api/"+c.api+"/projectCategory/", int64(10300+pr.cat))
		w.kistr("id", int64(10300+pr.cat))
		w.kstr("description", "Program "+programNames[pr.cat])
		w.kstr("name", programNames[pr.cat])
		w.end()
	}
	if full {
		w.key("lead")
		c.user(pr.lead)
		w.kstr("description", "The "+pr.name+" project")
		w.kbool("archived", false)
	}
	w.end()
}

func (c *rc) summary(d *issue) string {
	s := summaryWords[d.sw1]
	return issueTypes[d.typ].untrans + ": " + strings.ToUpper(s[:1]) + s[1:] + " and " + summaryWords[d.sw2]
}

// issueRef is the short form of an issue used in links, parents and
// sub-tasks: id, key, self and a few fields. It generates the issue.
func (c *rc) issueRef(i int) {
	w := &c.w
	d := &c.tmp
	c.s.load(i, d)
	w.obj()
	w.kistr("id", int64(issueIDBase+i))
	w.key("key")
	w.pre()
	w.b = append(w.b, '"')
	w.b = c.o.appendKey(w.b, i)
	w.b = append(w.b, '"')
	c.selfID("/rest/api/"+c.api+"/issue/", int64(issueIDBase+i))
	w.key("fields")
	w.obj()
	w.kstr("summary", c.summary(d))
	w.key("status")
	c.status(d.status)
	w.key("priority")
	c.priority(d.prio)
	w.key("issuetype")
	c.issueType(d.typ)
	w.end()
	w.end()
}

func (c *rc) adf(text string) {
	w := &c.w
	w.raw(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":`)
	w.b = appendJSONString(w.b, text)
	w.b = append(w.b, "}]}]}"...)
}

var environments = []string{"Production, Chrome 126", "Staging\nFirefox 127", "Android 14 app v3.2", "Windows 11 / Edge"}

func (c *rc) sprintValue(s int) {
	w := &c.w
	o := c.o
	sd := &o.sprints[s]
	if o.cloud {
		w.obj()
		w.kint("id", int64(sd.id))
		w.kstr("name", sd.name)
		w.kstr("state", sd.state)
		w.kint("boardId", int64(o.boards[sd.board].id))
		w.kstr("goal", sd.goal)
		if sd.start != 0 {
			w.kisotime("startDate", sd.start)
			w.kisotime("endDate", sd.end)
		}
		if sd.complete != 0 {
			w.kisotime("completeDate", sd.complete)
		}
		w.end()
		return
	}
	// Data Center: the legacy toString form.
	var b strings.Builder
	b.WriteString("com.atlassian.greenhopper.service.sprint.Sprint@")
	b.WriteString(strconv.FormatInt(int64(hash2(o.cfg.Seed, uint64(sd.id))&0xffffff), 16))
	b.WriteString("[id=" + strconv.Itoa(sd.id) + ",rapidViewId=" + strconv.Itoa(o.boards[sd.board].id) +
		",state=" + upper(sd.state) + ",name=" + sd.name)
	legacyTime := func(ms int64) string {
		if ms == 0 {
			return "<null>"
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	b.WriteString(",startDate=" + legacyTime(sd.start) + ",endDate=" + legacyTime(sd.end) +
		",completeDate=" + legacyTime(sd.complete) + ",activatedDate=" + legacyTime(sd.activated) +
		",sequence=" + strconv.Itoa(sd.id) + ",goal=")
	if sd.goal == "" {
		b.WriteString("<null>")
	} else {
		b.WriteString(sd.goal)
	}
	b.WriteString(",autoStartStop=false,synced=false]")
	w.str(b.String())
}

// issue renders issue i. changelogCap < 0 embeds every history.
func (c *rc) issue(i int, d *issue, fs fieldSel, withChangelog bool, changelogCap int) {
	w := &c.w
	o := c.o
	st := c.s.st
	id := int64(issueIDBase + i)
	w.obj()
	w.kstr("expand", "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations")
	w.kistr("id", id)
	c.selfID("/rest/api/"+c.api+"/issue/", id)
	w.key("key")
	w.pre()
	w.b = append(w.b, '"')
	w.b = o.appendKey(w.b, i)
	w.b = append(w.b, '"')
	w.key("fields")
	w.obj()
	if fs.has("summary") {
		w.kstr("summary", c.summary(d))
	}
	if fs.has("issuetype") {
		w.key("issuetype")
		c.issueType(d.typ)
	}
	if fs.has("project") {
		w.key("project")
		c.projectRef(d.proj, false)
	}
	if fs.has("status") {
		w.key("status")
		c.status(d.status)
	}
	if fs.has("resolution") {
		w.key("resolution")
		c.resolution(d.res)
	}
	if fs.has("priority") {
		w.key("priority")
		c.priority(d.prio)
	}
	if fs.has("assignee") {
		w.key("assignee")
		c.user(d.assignee)
	}
	if fs.has("reporter") {
		w.key("reporter")
		c.user(d.reporter)
	}
	if fs.has("created") {
		w.ktime("created", d.created, time.UTC)
	}
	if fs.has("updated") {
		w.ktime("updated", d.updated, time.UTC)
	}
	if fs.has("resolutiondate") {
		if d.resolved != 0 {
			w.ktime("resolutiondate", d.resolved, time.UTC)
		} else {
			w.key("resolutiondate")
			w.null()
		}
	}
	if fs.has("duedate") {
		if d.due != 0 {
			w.kdate("duedate", d.due)
		} else {
			w.key("duedate")
			w.null()
		}
	}
	if fs.has("labels") {
		w.key("labels")
		w.arr()
		for b, l := range labelNames {
			if d.labels&(1<<b) != 0 {
				w.str(l)
			}
		}
		w.aend()
	}
	if fs.has("components") {
		w.key("components")
		w.arr()
		for b := range 3 {
			if d.comps&(1<<b) != 0 {
				cid := int64(30000 + d.proj*3 + b)
				w.obj()
				c.selfID("/rest/api/"+c.api+"/component/", cid)
				w.kistr("id", cid)
				w.kstr("name", componentNames[(d.proj+b)%len(componentNames)])
				w.end()
			}
		}
		w.aend()
	}
	if fs.has("fixVersions") {
		w.key("fixVersions")
		w.arr()
		if d.fix >= 0 {
			c.version(d.fix)
		}
		w.aend()
	}
	if fs.has("versions") {
		w.key("versions")
		w.arr()
		if d.affects >= 0 {
			c.version(d.affects)
		}
		w.aend()
	}
	parent := d.parent
	if o.cloud && parent < 0 {
		parent = d.epic
	}
	if fs.has("parent") && parent >= 0 && !st.deleted[parent] {
		w.key("parent")
		c.issueRef(parent)
	}
	if fs.has("subtasks") {
		w.key("subtasks")
		w.arr()
		if sub := o.index(d.proj, d.num+1); sub >= 0 && (d.num+1)%10 == 0 && !st.deleted[sub] {
			c.issueRef(sub)
		}
		w.aend()
	}
	if fs.has("issuelinks") {
		w.key("issuelinks")
		w.arr()
		for slot := range linkSlots {
			lt := slotType(slot)
			for dir := range 2 {
				var j int
				if dir == 0 {
					j = o.outLink(i, slot)
				} else {
					j = o.inLink(i, slot)
				}
				if j < 0 || st.deleted[j] {
					continue
				}
				src := i
				if dir == 1 {
					src = j
				}
				lid := int64(linkID(src, slot))
				w.obj()
				w.kistr("id", lid)
				c.selfID("/rest/api/"+c.api+"/issueLink/", lid)
				w.key("type")
				w.obj()
				w.kistr("id", int64(linkTypes[lt].id))
				w.kstr("name", linkTypes[lt].name)
				w.kstr("inward", linkTypes[lt].inward)
				w.kstr("outward", linkTypes[lt].outward)
				c.selfID("/rest/api/"+c.api+"/issueLinkType/", int64(linkTypes[lt].id))
				w.end()
				if dir == 0 {
					w.key("outwardIssue")
				} else {
					w.key("inwardIssue")
				}
				c.issueRef(j)
				w.end()
			}
		}
		w.aend()
	}
	if fs.has("timeoriginalestimate") {
		c.optInt("timeoriginalestimate", d.orig)
	}
	if fs.has("timeestimate") {
		c.optInt("timeestimate", d.rem)
	}
	if fs.has("timespent") {
		c.optInt("timespent", d.spent)
	}
	if fs.has("environment") {
		w.key("environment")
		switch {
		case d.env < 0:
			w.null()
		case c.api == "3":
			c.adf(environments[d.env])
		default:
			w.str(environments[d.env])
		}
	}
	if fs.has(fieldSprint) {
		w.key(fieldSprint)
		if len(d.sprints) == 0 {
			w.null()
		} else {
			w.arr()
			for _, s := range d.sprints {
				c.sprintValue(int(s))
			}
			w.aend()
		}
	}
	if fs.has(fieldStoryPoints) {
		w.key(fieldStoryPoints)
		if d.sp < 0 {
			w.null()
		} else {
			w.float(float64(d.sp) / 10)
		}
	}
	if !o.cloud && fs.has(fieldEpicLink) {
		w.key(fieldEpicLink)
		if d.epic >= 0 && !st.deleted[d.epic] {
			w.str(o.key(d.epic))
		} else {
			w.null()
		}
	}
	if fs.has(fieldFlagged) {
		w.key(fieldFlagged)
		if d.flagged {
			w.raw(`[{"self":"` + c.base + `/rest/api/2/customFieldOption/10019","value":"Impediment","id":"10019"}]`)
		} else {
			w.null()
		}
	}
	if fs.has(fieldOrigSP) {
		w.key(fieldOrigSP)
		w.null()
	}
	if fs.has(fieldStoryPtsAlt) {
		w.key(fieldStoryPtsAlt)
		w.null()
	}
	if fs.has("worklog") {
		w.key("worklog")
		c.worklogPage(i, d, 0, 20)
	}
	w.end() // fields
	if withChangelog {
		n := len(d.hist)
		k := n
		if changelogCap >= 0 {
			k = min(n, changelogCap)
		}
		w.key("changelog")
		w.obj()
		w.kint("startAt", 0)
		w.kint("maxResults", int64(max(k, min(n, changelogCap))))
		w.kint("total", int64(n))
		w.key("histories")
		w.arr()
		for h := range k {
			c.history(d, h)
		}
		w.aend()
		w.end()
	}
	w.end()
}

func (c *rc) optInt(k string, v int64) {
	c.w.key(k)
	if v < 0 {
		c.w.null()
	} else {
		c.w.int(v)
	}
}

func (c *rc) worklogPage(i int, d *issue, start, max int) {
	w := &c.w
	w.obj()
	w.kint("startAt", int64(start))
	w.kint("maxResults", int64(max))
	w.kint("total", int64(len(d.wl)))
	w.key("worklogs")
	w.arr()
	for k := start; k < len(d.wl) && k < start+max; k++ {
		c.worklog(i, &d.wl[k])
	}
	w.aend()
	w.end()
}

func (c *rc) worklog(i int, wl *worklog) {
	w := &c.w
	w.obj()
	c.selfID("/rest/api/"+c.api+"/issue/"+strconv.Itoa(issueIDBase+i)+"/worklog/", wl.id)
	w.key("author")
	c.user(wl.author)
	w.key("updateAuthor")
	c.user(wl.author)
	w.ktime("created", wl.created, time.UTC)
	w.ktime("updated", wl.created, time.UTC)
	w.ktime("started", wl.started, c.o.users[wl.author].loc)
	w.kstr("timeSpent", durText(wl.secs))
	w.kint("timeSpentSeconds", wl.secs)
	w.kistr("id", wl.id)
	w.kistr("issueId", int64(issueIDBase+i))
	w.end()
}

func durText(secs int64) string {
	h, m := secs/3600, secs%3600/60
	switch {
	case h == 0:
		return strconv.FormatInt(m, 10) + "m"
	case m == 0:
		return strconv.FormatInt(h, 10) + "h"
	}
	return strconv.FormatInt(h, 10) + "h " + strconv.FormatInt(m, 10) + "m"
}

func (c *rc) history(d *issue, h int) {
	w := &c.w
	hs := &d.hist[h]
	w.obj()
	w.kistr("id", hs.id)
	w.key("author")
	c.user(hs.author)
	w.ktime("created", hs.at, time.UTC)
	w.key("items")
	w.arr()
	for k := hs.first; k < hs.first+hs.n; k++ {
		c.item(d, &d.items[k])
	}
	w.aend()
	w.end()
}

func (c *rc) item(d *issue, it *item) {
	w := &c.w
	o := c.o
	w.obj()
	nullable := func(k string, v string, ok bool) {
		w.key(k)
		if ok {
			w.str(v)
		} else {
			w.null()
		}
	}
	switch it.kind {
	case kStatus:
		w.kstr("field", "status")
		w.kstr("fieldtype", "jira")
		w.kstr("fieldId", "status")
		w.kistr("from", int64(statuses[it.a].id))
		w.kstr("fromString", statuses[it.a].name)
		w.kistr("to", int64(statuses[it.b].id))
		w.kstr("toString", statuses[it.b].name)
	case kResolution:
		w.kstr("field", "resolution")
		w.kstr("fieldtype", "jira")
		w.kstr("fieldId", "resolution")
		for _, side := range [2]struct {
			k, ks string
			v     int32
		}{{"from", "fromString", it.a}, {"to", "toString", it.b}} {
			if side.v < 0 {
				w.key(side.k)
				w.null()
				w.key(side.ks)
				w.null()
			} else {
				w.kistr(side.k, int64(resolutions[side.v].id))
				w.kstr(side.ks, resolutions[side.v].name)
			}
		}
	case kSprint:
		w.kstr("field", "Sprint")
		w.kstr("fieldtype", "custom")
		w.kstr("fieldId", fieldSprint)
		ids := func(l []int32) string {
			var b []byte
			for n, s := range l {
				if n > 0 {
					b = append(b, ", "...)
				}
				b = strconv.AppendInt(b, int64(o.sprints[s].id), 10)
			}
			return string(b)
		}
		names := func(l []int32) string {
			var b []byte
			for n, s := range l {
				if n > 0 {
					b = append(b, ", "...)
				}
				b = append(b, o.sprints[s].name...)
			}
			return string(b)
		}
		from, to := d.spl[it.fa:it.fb], d.spl[it.ta:it.tb]
		w.kstr("from", ids(from))
		w.kstr("fromString", names(from))
		w.kstr("to", ids(to))
		w.kstr("toString", names(to))
	case kStoryPts:
		if o.cloud {
			w.kstr("field", "Story point estimate")
		} else {
			w.kstr("field", "Story Points")
		}
		w.kstr("fieldtype", "custom")
		w.kstr("fieldId", fieldStoryPoints)
		w.key("from")
		w.null()
		nullable("fromString", spText(it.a), it.a >= 0)
		w.key("to")
		w.null()
		nullable("toString", spText(it.b), it.b >= 0)
	case kAssignee:
		w.kstr("field", "assignee")
		w.kstr("fieldtype", "jira")
		w.kstr("fieldId", "assignee")
		uid := func(u int32) string {
			if o.cloud {
				return o.users[u].accountID
			}
			return o.users[u].name
		}
		if it.a >= 0 {
			w.kstr("from", uid(it.a))
			w.kstr("fromString", o.users[it.a].displayName)
		} else {
			nullable("from", "", false)
			nullable("fromString", "", false)
		}
		if it.b >= 0 {
			w.kstr("to", uid(it.b))
			w.kstr("toString", o.users[it.b].displayName)
		} else {
			nullable("to", "", false)
			nullable("toString", "", false)
		}
	case kPriority:
		w.kstr("field", "priority")
		w.kstr("fieldtype", "jira")
		w.kstr("fieldId", "priority")
		w.kistr("from", int64(priorities[it.a].id))
		w.kstr("fromString", priorities[it.a].name)
		w.kistr("to", int64(priorities[it.b].id))
		w.kstr("toString", priorities[it.b].name)
	case kFlagged:
		w.kstr("field", "Flagged")
		w.kstr("fieldtype", "custom")
		w.kstr("fieldId", fieldFlagged)
		w.key("from")
		w.null()
		w.kstr("fromString", map[bool]string{true: "Impediment"}[it.a == 1])
		w.key("to")
		w.null()
		w.kstr("toString", map[bool]string{true: "Impediment"}[it.b == 1])
	case kLink:
		w.kstr("field", "Link")
		w.kstr("fieldtype", "jira")
		w.key("from")
		w.null()
		w.key("fromString")
		w.null()
		k := o.key(int(it.a))
		w.kstr("to", k)
		w.kstr("toString", "This issue "+linkTypes[it.b].outward+" "+k)
	case kFixVersion:
		w.kstr("field", "Fix Version")
		w.kstr("fieldtype", "jira")
		w.kstr("fieldId", "fixVersions")
		w.key("from")
		w.null()
		w.key("fromString")
		w.null()
		w.kistr("to", int64(o.versions[it.b].id))
		w.kstr("toString", o.versions[it.b].name)
	case kRank:
		w.kstr("field", "Rank")
		w.kstr("fieldtype", "custom")
		w.kstr("fieldId", fieldRank)
		w.kstr("from", "")
		w.kstr("fromString", "")
		w.kstr("to", "")
		w.kstr("toString", "Ranked higher")
	case kDueDate:
		w.kstr("field", "duedate")
		w.kstr("fieldtype", "jira")
		w.kstr("fieldId", "duedate")
		w.kdate("from", int64(it.a)*dayMs)
		w.kstr("fromString", time.UnixMilli(int64(it.a)*dayMs).UTC().Format(time.DateOnly)+" 00:00:00.0")
		w.kdate("to", int64(it.b)*dayMs)
		w.kstr("toString", time.UnixMilli(int64(it.b)*dayMs).UTC().Format(time.DateOnly)+" 00:00:00.0")
	case kWorkflow:
		w.kstr("field", "Workflow")
		w.kstr("fieldtype", "jira")
		w.kstr("from", "10010")
		w.kstr("fromString", "Software Simplified Workflow for Project "+o.projects[d.proj].key)
		w.kstr("to", "10110")
		w.kstr("toString", o.projects[d.proj].key+": Software Workflow")
	}
	w.end()
}

func spText(tenths int32) string {
	if tenths%10 == 0 {
		return strconv.Itoa(int(tenths / 10))
	}
	return strconv.FormatFloat(float64(tenths)/10, 'f', -1, 64)
}
