package deps

import (
	"cmp"
	"slices"
	"strings"

	"github.com/pmo-oss/pmo/internal/raid"
)

// graph is the graph of open blocking links: a node per issue (id
// "source/KEY-n"), an edge per link, blocker → blocked.
type graph struct {
	by       string
	nodes    map[string]*Node
	order    []string // node ids by first appearance (links sorted by source, blocker, blocked)
	edges    []Edge
	edge     map[[2]string]Edge
	blockers map[string][]string // blocked → its blockers, sorted
	sprint   map[raid.IssueRef]string
	scc      map[string]int // node → its strongly connected component
	cycles   [][]string     // the components of more than one node (or a self-loop), nodes sorted
}

func nodeID(e raid.LinkEnd) string {
	r := e.Ref()
	return r.Source + "/" + r.Key
}

func (g *graph) add(e raid.LinkEnd) string {
	id := nodeID(e)
	if _, ok := g.nodes[id]; !ok {
		n := &Node{LinkEnd: e, Group: strings.Join(groups(g.by, e), ", "), SprintEnd: g.sprint[e.Ref()]}
		g.nodes[id] = n
		g.order = append(g.order, id)
	}
	return id
}

func newGraph(d raid.DepData, by string) *graph {
	g := &graph{by: by, nodes: map[string]*Node{}, edge: map[[2]string]Edge{}, blockers: map[string][]string{},
		sprint: map[raid.IssueRef]string{}, scc: map[string]int{}}
	for ref, t := range d.SprintEnd {
		g.sprint[ref] = t.Format("2006-01-02")
	}
	for _, l := range d.Links {
		f, t := g.add(l.From), g.add(l.To)
		k := [2]string{f, t}
		if _, dup := g.edge[k]; dup {
			continue
		}
		e := Edge{From: l.From.Key, To: l.To.Key, fromID: f, toID: t, FromGroup: g.nodes[f].Group, ToGroup: g.nodes[t].Group, DaysBlocked: l.DaysOpen}
		g.edge[k] = e
		g.blockers[t] = append(g.blockers[t], f)
		// Blocked by an open issue, with a date commitment: at risk.
		if n := g.nodes[t]; n.Due != "" || n.SprintEnd != "" {
			n.AtRisk = true
		}
	}
	for _, bs := range g.blockers {
		slices.Sort(bs)
	}
	g.components()
	// The edges, in link order, with the ones inside a cycle marked; keys
	// (not ids) for what is shown.
	seen := map[[2]string]bool{}
	for _, l := range d.Links {
		f, t := nodeID(l.From), nodeID(l.To)
		k := [2]string{f, t}
		e, ok := g.edge[k]
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		e.InCycle = g.inCycle(f, t)
		g.edge[k] = e
		g.edges = append(g.edges, e)
	}
	return g
}

// inCycle: the link f → t lies on a cycle (both in one component of more
// than one node, or a self-loop).
func (g *graph) inCycle(f, t string) bool {
	if f == t {
		return true
	}
	return g.scc[f] == g.scc[t]
}

// components finds the strongly connected components (Tarjan's algorithm,
// iterative so that a long chain cannot exhaust the stack) and records the
// cycles.
func (g *graph) components() {
	ids := slices.Clone(g.order)
	slices.Sort(ids)
	succ := map[string][]string{} // blocker → blocked
	for k := range g.edge {
		succ[k[0]] = append(succ[k[0]], k[1])
	}
	for _, s := range succ {
		slices.Sort(s)
	}
	index, low, on := map[string]int{}, map[string]int{}, map[string]bool{}
	var stack []string
	next, comp := 0, 0
	type frame struct {
		v string
		i int
	}
	for _, root := range ids {
		if _, seen := index[root]; seen {
			continue
		}
		call := []frame{{v: root}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		on[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.i < len(succ[f.v]) {
				w := succ[f.v][f.i]
				f.i++
				if _, seen := index[w]; !seen {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					on[w] = true
					call = append(call, frame{v: w})
				} else if on[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var members []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				g.scc[w] = comp
				members = append(members, w)
				if w == v {
					break
				}
			}
			comp++
			_, self := g.edge[[2]string{v, v}]
			if len(members) > 1 || self {
				slices.Sort(members)
				g.cycles = append(g.cycles, members)
			}
		}
	}
	slices.SortFunc(g.cycles, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
}

// critical returns the longest chain of open blockers ending at one of the
// targets, blockers first (nil: no target). Links inside a cycle are not
// followed. Ties: the chain whose links are known and longest blocked,
// then by keys.
func (g *graph) critical(targets []string) []string {
	if len(targets) == 0 {
		return nil
	}
	depth := map[string]int{} // blockers ahead of a node
	best := map[string]string{}
	// Iterative post-order over the blockers (the graph without cycle
	// links is acyclic, so this ends).
	visit := func(root string) {
		type frame struct {
			v string
			i int
		}
		call := []frame{{v: root}}
		for len(call) > 0 {
			f := &call[len(call)-1]
			bs := g.blockers[f.v]
			if f.i < len(bs) {
				b := bs[f.i]
				f.i++
				if _, done := depth[b]; !done && !g.inCycle(b, f.v) {
					call = append(call, frame{v: b})
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			d, pick := 0, ""
			for _, b := range bs {
				if g.inCycle(b, v) {
					continue
				}
				if depth[b]+1 > d || depth[b]+1 == d && g.days(b, v) > g.days(pick, v) {
					d, pick = depth[b]+1, b
				}
			}
			depth[v], best[v] = d, pick
		}
	}
	var end string
	for _, t := range slices.Sorted(slices.Values(targets)) {
		visit(t)
		if end == "" || depth[t] > depth[end] {
			end = t
		}
	}
	chain := []string{end}
	for v := end; best[v] != ""; v = best[v] {
		chain = append(chain, best[v])
	}
	slices.Reverse(chain)
	return chain
}

// days a link has been open (-1: unknown or no link).
func (g *graph) days(b, v string) int64 {
	if e, ok := g.edge[[2]string{b, v}]; ok && e.DaysBlocked != nil {
		return *e.DaysBlocked
	}
	return -1
}
