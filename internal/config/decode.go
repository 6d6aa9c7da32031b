package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// decoder decodes a YAML node tree into Go structs strictly: every key must
// be a field (by its yaml tag), duplicates are errors, ${ENV} references in
// values are expanded, and every secret.Secret field X also accepts X_file.
// Problems are collected, not returned at the first one, so a user sees all
// of them at once; each carries the key path and the position in the file.
type decoder struct {
	file      string
	dir       string // base for relative *_file paths
	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)
	types     SourceTypes
	problems  []Problem
	pos       map[string]position // key path -> where it is in the file
	nested    map[string][]string // section path -> its nested keys (see nestedKeys)
}

type position struct{ line, col int }

// nodeDecoder lets a type take over its own decoding (Source does, to decode
// its type-specific keys into the collector's config struct).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

var (
	secretType   = reflect.TypeOf(secret.Secret(""))
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
	unmarshaler  = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	nodeDecType  = reflect.TypeOf((*nodeDecoder)(nil)).Elem()
)

func (d *decoder) problem(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

func (d *decoder) remember(path string, n *yaml.Node) {
	if n != nil && n.Line > 0 {
		if _, ok := d.pos[path]; !ok {
			d.pos[path] = position{n.Line, n.Column}
		}
	}
}

// where finds the position of path or, failing that, of its nearest parent.
func (d *decoder) where(path string) position {
	for path != "" {
		if p, ok := d.pos[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return position{}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0
}

// decode decodes n into v (addressable). Problems are recorded under path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.remember(path, n)
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	if isNull(n) {
		return // keep the default
	}
	t := v.Type()
	if isLeaf(t) {
		d.decodeLeaf(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(n, path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.problem(n, path, "expected a mapping of keys to values, got %s", describe(n))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := joinPath(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				d.problem(k, kp, "key is set twice (first at line %d); keep one", first.Line)
				continue
			}
			seen[k.Value] = k
			d.remember(kp, k)
			key := reflect.New(t.Key()).Elem()
			d.decodeLeaf(k, key, kp)
			elem := reflect.New(t.Elem()).Elem()
			d.decode(val, elem, kp)
			v.SetMapIndex(key, elem)
		}
	default:
		d.decodeLeaf(n, v, path)
	}
}

// isLeaf reports whether values of t are decoded by yaml itself rather than
// walked key by key.
func isLeaf(t reflect.Type) bool {
	if t == timeType || t == durationType || t == secretType {
		return true
	}
	if reflect.PointerTo(t).Implements(unmarshaler) || t.Implements(unmarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Pointer:
		return false
	}
	return true
}

// expandScalars returns a copy of n with ${ENV} expanded in every scalar.
func (d *decoder) expandScalars(n *yaml.Node, path string) (*yaml.Node, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		val, err := expandEnv(n.Value, d.lookupEnv)
		if err != nil {
			d.problem(n, path, "%v", err)
			return nil, false
		}
		if val == n.Value {
			return n, true
		}
		c := *n
		c.Value = val
		if c.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			c.Tag = "" // let YAML resolve the expanded plain value (a number stays a number)
		}
		return &c, true
	case yaml.SequenceNode, yaml.MappingNode:
		c := *n
		c.Content = make([]*yaml.Node, len(n.Content))
		ok := true
		for i, sub := range n.Content {
			e, good := d.expandScalars(sub, path)
			if !good {
				ok = false
				e = sub
			}
			c.Content[i] = e
		}
		return &c, ok
	case yaml.AliasNode:
		if n.Alias != nil {
			return d.expandScalars(n.Alias, path)
		}
	}
	return n, true
}

var yamlLine = regexp.MustCompile(`^line \d+: `)

func (d *decoder) decodeLeaf(n *yaml.Node, v reflect.Value, path string) {
	n, ok := d.expandScalars(n, path)
	if !ok {
		return
	}
	t := v.Type()
	if t == durationType {
		if n.Kind != yaml.ScalarNode {
			d.problem(n, path, "expected a duration such as 30s, 5m or 1h30m, got %s", describe(n))
			return
		}
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			if _, numErr := strconv.ParseFloat(n.Value, 64); numErr == nil {
				d.problem(n, path, "%q has no unit; expected a duration such as %ss", n.Value, n.Value)
			} else {
				d.problem(n, path, "%q is not a duration; expected one such as 30s, 5m or 1h30m", n.Value)
			}
			return
		}
		v.SetInt(int64(dur))
		return
	}
	if t.Kind() == reflect.String && n.Kind == yaml.ScalarNode {
		// Any scalar is a fine string (port: 9000 into a string field).
		v.SetString(n.Value)
		return
	}
	tmp := reflect.New(t)
	if err := n.Decode(tmp.Interface()); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) || n.Kind != yaml.ScalarNode {
			d.problem(n, path, "cannot use %s; expected %s", shown(n, t), expected(t))
		} else {
			d.problem(n, path, "%s", yamlLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), ""))
		}
		return
	}
	v.Set(tmp.Elem())
}

func shown(n *yaml.Node, t reflect.Type) string {
	if n.Kind != yaml.ScalarNode {
		return describe(n)
	}
	if t == secretType {
		return "this value"
	}
	return strconv.Quote(n.Value)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a text value"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(expected(t.Elem()), "a ")
	case reflect.Map:
		return "a mapping"
	}
	if t == timeType {
		return "a timestamp such as 2024-01-31T09:00:00Z"
	}
	return "a value of type " + t.String()
}

// field describes one yaml key of a struct.
type field struct {
	index  []int
	secret bool
}

// structKeys lists the yaml keys of struct type t, following ",inline"
// structs. inlineMap is the index of an ",inline" map that takes any other
// key, or nil.
func structKeys(t reflect.Type) (keys map[string]field, inlineMap []int) {
	keys = map[string]field{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), prefix...), i)
			if slicesContains(strings.Split(opts, ","), "inline") {
				switch f.Type.Kind() {
				case reflect.Struct:
					walk(f.Type, idx)
				case reflect.Map:
					inlineMap = idx
				}
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			keys[name] = field{index: idx, secret: f.Type == secretType}
		}
	}
	walk(t, nil)
	return keys, inlineMap
}

func slicesContains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// keyNames lists the accepted keys of struct type t, *_file variants
// included, sorted.
func keyNames(t reflect.Type) []string {
	keys, _ := structKeys(t)
	var names []string
	for k, f := range keys {
		if strings.Contains(k, ".") {
			continue // a key of a nested section (see nestedKeys)
		}
		names = append(names, k)
		if f.secret {
			names = append(names, k+"_file")
		}
	}
	sort.Strings(names)
	return names
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	d.decodeMapping(n, v, path, nil)
}

// decodeMapping decodes mapping n into struct v, skipping the keys in skip
// (already handled by the caller).
func (d *decoder) decodeMapping(n *yaml.Node, v reflect.Value, path string, skip map[string]bool) {
	if n.Kind != yaml.MappingNode {
		d.problem(n, path, "expected a mapping of keys (%s), got %s", strings.Join(keyNames(v.Type()), ", "), describe(n))
		return
	}
	n = expandMerge(n)
	keys, inlineMap := structKeys(v.Type())
	seen := map[string]*yaml.Node{}
	type fileRef struct{ key, val *yaml.Node }
	files := map[string]fileRef{}
	var extra []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		kp := joinPath(path, name)
		if k.Kind != yaml.ScalarNode {
			d.problem(k, path, "a key must be a plain name, got %s", describe(k))
			continue
		}
		if skip[name] || path == "" && strings.HasPrefix(name, "x-") {
			// x-* top-level keys hold YAML anchors to reuse (as in Compose files).
			seen[name] = k
			continue
		}
		if first, dup := seen[name]; dup {
			d.problem(k, kp, "key is set twice (first at line %d); keep one", first.Line)
			continue
		}
		seen[name] = k
		d.remember(kp, k)
		if f, ok := keys[name]; ok && !strings.Contains(name, ".") {
			if nested := nestedKeys(keys, name); len(nested) > 0 && val.Kind == yaml.MappingNode {
				val = d.decodeNested(val, v, kp, nested)
			}
			d.decode(val, v.FieldByIndex(f.index), kp)
			continue
		}
		if base, ok := strings.CutSuffix(name, "_file"); ok && keys[base].secret {
			files[base] = fileRef{k, val}
			continue
		}
		if inlineMap != nil {
			extra = append(extra, k, val)
			continue
		}
		if msg, ok := reservedKeys[kp]; ok {
			d.problem(k, kp, "%s", msg)
			continue
		}
		known := keyNames(v.Type())
		for k := range skip {
			known = append(known, k)
		}
		known = append(known, d.nested[path]...)
		sort.Strings(known)
		msg := "unknown key"
		if s := suggest(name, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		d.problem(k, kp, "%s; expected one of: %s", msg, strings.Join(known, ", "))
	}
	for base, ref := range files {
		kp := joinPath(path, base+"_file")
		if _, both := seen[base]; both {
			d.problem(ref.key, kp, "both %s and %s_file are set; set only one", base, base)
			continue
		}
		var file string
		d.decodeLeaf(ref.val, reflect.ValueOf(&file).Elem(), kp)
		if file == "" {
			if !isNull(ref.val) {
				continue // problem already recorded
			}
			d.problem(ref.val, kp, "is empty; expected the path of a file that holds the %s", base)
			continue
		}
		if !filepath.IsAbs(file) && d.dir != "" {
			file = filepath.Join(d.dir, file)
		}
		data, err := d.readFile(file)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			d.problem(ref.val, kp, "cannot read %s: %v; expected a readable file that holds the %s", file, err, base)
			continue
		}
		val := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		v.FieldByIndex(keys[base].index).SetString(val)
	}
	if len(extra) > 0 {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column, Content: extra}
		d.decode(m, v.FieldByIndex(inlineMap), path)
	}
}

// nestedKeys are the keys a document adds inside section name: a field
// tagged `yaml:"name.sub"` holds key sub of section name, so a part can add
// a subsection to another part's section (kpi.raid is the RAID log's, kpi
// the KPI engine's) without either type knowing the other. It maps sub to
// the field.
func nestedKeys(keys map[string]field, name string) map[string]field {
	var out map[string]field
	for k, f := range keys {
		if sub, ok := strings.CutPrefix(k, name+"."); ok && sub != "" && !strings.Contains(sub, ".") {
			if out == nil {
				out = map[string]field{}
			}
			out[sub] = f
		}
	}
	return out
}

// decodeNested decodes the nested keys of mapping n (section path) into
// their fields of v and returns n without them, for the section's own type.
func (d *decoder) decodeNested(n *yaml.Node, v reflect.Value, path string, nested map[string]field) *yaml.Node {
	n = expandMerge(n)
	rest := *n
	rest.Content = nil
	if d.nested == nil {
		d.nested = map[string][]string{}
	}
	for sub := range nested {
		d.nested[path] = append(d.nested[path], sub)
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if f, ok := nested[k.Value]; ok && k.Kind == yaml.ScalarNode {
			kp := joinPath(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				d.problem(k, kp, "key is set twice (first at line %d); keep one", first.Line)
				continue
			}
			seen[k.Value] = k
			d.remember(kp, k)
			d.decode(val, v.FieldByIndex(f.index), kp)
			continue
		}
		rest.Content = append(rest.Content, k, val)
	}
	return &rest
}

// expandMerge applies YAML merge keys ("<<: *defaults", "<<: [*a, *b]"):
// the merged mappings' keys are added unless the mapping sets them itself.
func expandMerge(n *yaml.Node) *yaml.Node {
	has := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "<<" && n.Content[i].Style == 0 {
			has = true
		}
	}
	if !has {
		return n
	}
	out := *n
	out.Content = nil
	own := map[string]bool{}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value != "<<" || k.Style != 0 {
			out.Content = append(out.Content, k, v)
			own[k.Value] = true
			continue
		}
		srcs := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, src := range srcs {
			if src.Kind == yaml.AliasNode && src.Alias != nil {
				src = src.Alias
			}
			if src.Kind != yaml.MappingNode {
				// Leave it for the caller to report as a bad key.
				out.Content = append(out.Content, k, v)
				continue
			}
			src = expandMerge(src)
			merged = append(merged, src.Content...)
		}
	}
	for i := 0; i+1 < len(merged); i += 2 {
		if !own[merged[i].Value] {
			own[merged[i].Value] = true
			out.Content = append(out.Content, merged[i], merged[i+1])
		}
	}
	return &out
}

// reservedKeys are sections planned but not accepted yet, with what to do.
var reservedKeys = map[string]string{}

// suggest returns the known key closest to name when it is close enough to
// be a typo.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dist := levenshtein.ComputeDistance(name, k); dist < bestD {
			best, bestD = k, dist
		}
	}
	return best
}
