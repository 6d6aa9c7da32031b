package jirasim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The JQL subset the simulator speaks: clauses on project, key (issuekey),
// id, updated and created with = != > >= < <= IN and NOT IN, combined with
// AND, OR, NOT and parentheses, then ORDER BY updated|created|id|key
// [ASC|DESC] (a second key is accepted: after updated, only id/key/created
// orders ties, which is what the index does anyway). A bare number compared
// with updated/created is epoch milliseconds, as in Jira.

type jqlErr struct{ msg string }

func (e *jqlErr) Error() string { return e.msg }

type tok struct {
	kind byte // 'w' word, 's' string, 'o' operator, '(' ')' ',' and 0 for end
	text string
	pos  int
}

func lexJQL(q string) ([]tok, error) {
	var ts []tok
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			ts = append(ts, tok{kind: c, text: string(c), pos: i})
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(q) && q[j] != c {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
				j++
			}
			if j >= len(q) {
				return nil, &jqlErr{fmt.Sprintf("Error in the JQL Query: The quoted string '%s' has not been completed. (line 1, character %d)", q[i:], i+1)}
			}
			ts = append(ts, tok{kind: 's', text: b.String(), pos: i})
			i = j + 1
		case c == '=' || c == '!' || c == '<' || c == '>' || c == '~':
			j := i + 1
			if j < len(q) && q[j] == '=' {
				j++
			}
			ts = append(ts, tok{kind: 'o', text: q[i:j], pos: i})
			i = j
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" \t\r\n(),=!<>~\"'", rune(q[j])) {
				j++
			}
			ts = append(ts, tok{kind: 'w', text: q[i:j], pos: i})
			i = j
		}
	}
	return append(ts, tok{pos: len(q)}), nil
}

// node is a compiled JQL condition.
type node interface {
	eval(x *evalCtx) bool
}

type evalCtx struct {
	o       *org
	i       int
	updated int64
}

type andN struct{ a, b node }
type orN struct{ a, b node }
type notN struct{ a node }
type projN struct{ set []bool }
type idN struct {
	ids map[int]bool
	neg bool
}
type timeN struct {
	created bool
	op      string
	ms      int64
}

func (n andN) eval(x *evalCtx) bool  { return n.a.eval(x) && n.b.eval(x) }
func (n orN) eval(x *evalCtx) bool   { return n.a.eval(x) || n.b.eval(x) }
func (n notN) eval(x *evalCtx) bool  { return !n.a.eval(x) }
func (n projN) eval(x *evalCtx) bool { return n.set[x.o.projOf(x.i)] }
func (n idN) eval(x *evalCtx) bool   { return n.ids[x.i] != n.neg }
func (n timeN) eval(x *evalCtx) bool {
	v := x.updated
	if n.created {
		v = x.o.createdOf(x.i)
	}
	switch n.op {
	case ">=":
		return v >= n.ms
	case ">":
		return v > n.ms
	case "<=":
		return v <= n.ms
	case "<":
		return v < n.ms
	case "=":
		return v == n.ms
	case "!=":
		return v != n.ms
	}
	return false
}

// createdOf repeats the first draw of generate.
func (o *org) createdOf(i int) int64 {
	r := newRNG(o.cfg.Seed, i)
	return o.startMs + int64(i)*o.stepMs + r.intn(int(o.stepMs))
}

type query struct {
	where   node // nil: every issue
	orderBy string
	desc    bool
	minUpd  int64 // lower bound on updated implied by top-level AND clauses
	norm    string
}

type parser struct {
	ts []tok
	p  int
	o  *org
	q  string
}

func (p *parser) peek() tok { return p.ts[p.p] }
func (p *parser) next() tok { t := p.ts[p.p]; p.p++; return t }
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == 'w' && strings.EqualFold(t.text, w)
}

func (p *parser) fail(t tok, want string) error {
	got := t.text
	if t.kind == 0 {
		got = "<EOF>"
	}
	return &jqlErr{fmt.Sprintf("Error in the JQL Query: Expecting %s but got '%s'. (line 1, character %d)", want, got, t.pos+1)}
}

func parseJQL(o *org, q string) (*query, error) {
	ts, err := lexJQL(q)
	if err != nil {
		return nil, err
	}
	p := &parser{ts: ts, o: o, q: q}
	qu := &query{orderBy: "id", minUpd: math.MinInt64, norm: strings.Join(strings.Fields(q), " ")}
	if !p.isWord("order") && p.peek().kind != 0 {
		if qu.where, err = p.or(); err != nil {
			return nil, err
		}
	}
	if p.isWord("order") {
		p.next()
		if !p.isWord("by") {
			return nil, p.fail(p.peek(), "'BY'")
		}
		p.next()
		for k := 0; ; k++ {
			t := p.next()
			if t.kind != 'w' && t.kind != 's' {
				return nil, p.fail(t, "a field name")
			}
			f := strings.ToLower(t.text)
			switch f {
			case "updated", "created", "id", "key", "issuekey":
			default:
				return nil, &jqlErr{fmt.Sprintf("jirasim supports ORDER BY updated, created, id or key only, not '%s'.", t.text)}
			}
			desc := false
			if p.isWord("asc") {
				p.next()
			} else if p.isWord("desc") {
				p.next()
				desc = true
			}
			if k == 0 {
				qu.orderBy, qu.desc = f, desc
				if f != "updated" {
					qu.orderBy = "id" // created, id and key all follow the issue index
				}
			}
			if p.peek().kind != ',' {
				break
			}
			p.next()
		}
	}
	if t := p.peek(); t.kind != 0 {
		return nil, p.fail(t, "either 'OR' or 'AND' or 'ORDER BY'")
	}
	// Lower bound for seeking in the updated order.
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case andN:
			walk(n.a)
			walk(n.b)
		case timeN:
			if !n.created && (n.op == ">=" || n.op == ">" || n.op == "=") {
				qu.minUpd = max(qu.minUpd, n.ms)
			}
		}
	}
	walk(qu.where)
	return qu, nil
}

func (p *parser) or() (node, error) {
	a, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		b, err := p.and()
		if err != nil {
			return nil, err
		}
		a = orN{a, b}
	}
	return a, nil
}

func (p *parser) and() (node, error) {
	a, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		b, err := p.unary()
		if err != nil {
			return nil, err
		}
		a = andN{a, b}
	}
	return a, nil
}

func (p *parser) unary() (node, error) {
	if p.isWord("not") {
		p.next()
		a, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notN{a}, nil
	}
	if p.peek().kind == '(' {
		p.next()
		a, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != ')' {
			return nil, p.fail(t, "')'")
		}
		return a, nil
	}
	return p.clause()
}

func (p *parser) values() ([]tok, bool, error) {
	if p.peek().kind != '(' {
		t := p.next()
		if t.kind != 'w' && t.kind != 's' {
			return nil, false, p.fail(t, "either a value, list or function")
		}
		return []tok{t}, false, nil
	}
	p.next()
	var vs []tok
	for {
		t := p.next()
		if t.kind != 'w' && t.kind != 's' {
			return nil, false, p.fail(t, "a value")
		}
		vs = append(vs, t)
		t = p.next()
		if t.kind == ')' {
			return vs, true, nil
		}
		if t.kind != ',' {
			return nil, false, p.fail(t, "',' or ')'")
		}
	}
}

func (p *parser) clause() (node, error) {
	ft := p.next()
	if ft.kind != 'w' && ft.kind != 's' {
		return nil, p.fail(ft, "a field name")
	}
	field := strings.ToLower(ft.text)
	var op string
	switch t := p.next(); {
	case t.kind == 'o':
		op = t.text
	case t.kind == 'w' && strings.EqualFold(t.text, "in"):
		op = "in"
	case t.kind == 'w' && strings.EqualFold(t.text, "not") && p.isWord("in"):
		p.next()
		op = "not in"
	default:
		return nil, p.fail(t, "an operator")
	}
	vals, list, err := p.values()
	if err != nil {
		return nil, err
	}
	if list != (op == "in" || op == "not in") {
		return nil, &jqlErr{fmt.Sprintf("Error in the JQL Query: The operator '%s' does not support the value list given for field '%s'.", op, ft.text)}
	}
	switch field {
	case "project":
		if op != "=" && op != "!=" && op != "in" && op != "not in" {
			return nil, &jqlErr{fmt.Sprintf("The operator '%s' is not supported by the 'project' field.", op)}
		}
		set := make([]bool, len(p.o.projects))
		for _, v := range vals {
			pi := p.o.projectByKeyOrID(v.text)
			if pi < 0 {
				return nil, &jqlErr{fmt.Sprintf("The value '%s' does not exist for the field 'project'.", v.text)}
			}
			set[pi] = true
		}
		var n node = projN{set}
		if op == "!=" || op == "not in" {
			n = notN{n}
		}
		return n, nil
	case "key", "issuekey", "id":
		if op != "=" && op != "!=" && op != "in" && op != "not in" {
			return nil, &jqlErr{fmt.Sprintf("jirasim supports only =, !=, IN and NOT IN on '%s'.", ft.text)}
		}
		ids := map[int]bool{}
		for _, v := range vals {
			i := p.o.lookup(v.text)
			if i < 0 && field != "id" {
				return nil, &jqlErr{fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", v.text, ft.text)}
			}
			if i >= 0 {
				ids[i] = true
			}
		}
		return idN{ids: ids, neg: op == "!=" || op == "not in"}, nil
	case "updated", "updateddate", "created", "createddate":
		if op == "in" || op == "not in" || op == "~" || op == "!~" {
			return nil, &jqlErr{fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", op, ft.text)}
		}
		ms, err := jqlTime(vals[0].text)
		if err != nil {
			return nil, &jqlErr{fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", vals[0].text, ft.text)}
		}
		return timeN{created: strings.HasPrefix(field, "created"), op: op, ms: ms}, nil
	}
	return nil, &jqlErr{fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it. (jirasim supports project, key, id, updated and created.)", ft.text)}
}

// jqlTime parses an epoch-millisecond number or a date in the formats Jira
// accepts (interpreted in the server's time zone, UTC here).
func jqlTime(s string) (int64, error) {
	if s != "" && (unicode.IsDigit(rune(s[0])) || s[0] == '-') && !strings.ContainsAny(s, "/:") && strings.Count(s, "-") <= 1 {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v, nil
		}
	}
	for _, l := range []string{"2006/01/02 15:04", "2006-01-02 15:04", "2006/01/02", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("bad date %q", s)
}

func (o *org) projectByKeyOrID(v string) int {
	if p, ok := o.byKey[upper(v)]; ok {
		return p
	}
	if id, err := strconv.Atoi(v); err == nil && id >= 10200 && id < 10200+len(o.projects) {
		return id - 10200
	}
	for p := range o.projects {
		if strings.EqualFold(o.projects[p].name, v) {
			return p
		}
	}
	return -1
}
