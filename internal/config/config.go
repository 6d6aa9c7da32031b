// Package config loads pmo's configuration file, pmo.yaml.
//
// Decoding is strict: an unknown key is an error that names the key path and
// line. Values may reference the environment as ${NAME} or ${NAME:-default}.
// Every secret (a field of type secret.Secret, key X) may instead be read
// from a file with X_file; secrets print as "<secret>". Validation reports
// every problem at once, each as "key.path: what is wrong; what is expected".
//
// The package is a leaf: it knows pmo's own sections (warehouse, sources,
// log) and nothing of the parts. The document it decodes is given by the
// caller (internal/pipeline puts Config and every part's section — serve,
// report, email, kpi — into one struct); each part keeps its section type
// and its Validate. The type-specific keys of a source are decoded strictly
// into the struct that Options.SourceTypes provides (the collectors'
// registry), so collectors get strictness, ${ENV} and *_file secrets
// without doing anything.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// Well-known names.
const (
	// EnvConfig is the environment variable that names the config file.
	EnvConfig = "PMO_CONFIG"
	// DefaultFile is the config file used when neither --config nor
	// PMO_CONFIG names one.
	DefaultFile = "pmo.yaml"
	// DefaultDSN is an embedded (chDB) warehouse under the working directory.
	DefaultDSN = "chdb://./.pmo/warehouse"
	// DefaultDatabase is the warehouse database name.
	DefaultDatabase = "pmo"
	// DefaultBatchSize is the sink's rows-per-kind flush threshold.
	DefaultBatchSize = 50_000
	// DefaultFlushInterval is the sink's flush age.
	DefaultFlushInterval = 5 * time.Second
)

// Config holds pmo's own sections of pmo.yaml: the warehouse, the sources
// and logging. Embed it (with `yaml:",inline"`) in the document that adds
// the parts' sections.
type Config struct {
	Warehouse Warehouse `yaml:"warehouse"`
	Sources   []Source  `yaml:"sources"`
	Log       Log       `yaml:"log"`

	// File is the path the configuration was read from ("" for defaults).
	File string `yaml:"-"`

	types SourceTypes // the source types the document was decoded with
}

// Document is what Parse decodes into: a pointer to a struct whose fields
// hold their defaults. Validate returns every problem of the meaning of the
// decoded values, each as "key.path: what is wrong; what is expected".
type Document interface {
	Validate() []error
}

// SourceSettings is the type-specific configuration of one source, decoded
// strictly into the struct its type provides. Validate names each key
// relative to the source ("url: ...").
type SourceSettings interface {
	Validate() []error
}

// SourceTypes resolves a source's type name to a fresh settings struct
// (defaults set); the collectors' registry provides it.
type SourceTypes interface {
	// NewSettings returns a pointer to the settings struct of the type, or
	// false when no such type is built in.
	NewSettings(typ string) (SourceSettings, bool)
	// Names lists the known type names, sorted.
	Names() []string
}

// Warehouse configures the ClickHouse warehouse.
type Warehouse struct {
	// DSN selects the engine: clickhouse://user:pass@host:9000/db?secure=true
	// for a ClickHouse server, chdb:///path/to/dir for the embedded engine.
	DSN DSN `yaml:"dsn"`
	// Password, when set, replaces the password of a clickhouse:// DSN (so
	// the DSN itself needs no secret; use password_file for a mounted file).
	Password secret.Secret `yaml:"password,omitempty"`
	// Database overrides the DSN's database.
	Database string `yaml:"database"`
	// Cluster makes DDL run ON CLUSTER with Replicated* engines.
	Cluster string `yaml:"cluster,omitempty"`
	// ChDBLibrary is the path to libchdb.so for the embedded engine.
	ChDBLibrary string `yaml:"chdb_library,omitempty"`
	// BatchSize is the number of rows per kind at which the sink flushes.
	BatchSize int `yaml:"batch_size"`
	// FlushInterval is the age at which the sink flushes buffered rows.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // auto (text on a terminal, JSON otherwise), json, text
}

// Source is one tracker instance to collect from.
type Source struct {
	// Name identifies the source in the warehouse (the "source" column) and
	// on the command line; lower-case letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// Type is a collector type name ("jira", ...).
	Type string `yaml:"type"`
	// Schedule is a cron expression for `pmo serve` (five fields, or
	// @hourly, @daily, @every 30m, ...).
	Schedule string `yaml:"schedule,omitempty"`
	// Program, when set, puts every project of the source into this one
	// program (the PMO's own grouping), instead of the tracker's: Jira's
	// project category, GitHub's repository owner, GitLab's group,
	// Redmine's parent project.
	Program string `yaml:"program,omitempty"`
	// Settings holds the type-specific keys, decoded into the collector
	// type's own config struct. Nil when the type is unknown.
	Settings SourceSettings `yaml:"-"`
}

// commonSourceKeys are the keys every source has; everything else belongs to
// the collector type.
var commonSourceKeys = map[string]bool{"name": true, "type": true, "schedule": true, "program": true}

// decodeNode decodes the common keys, then the rest strictly into the
// collector type's config struct.
func (s *Source) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n, path, "expected a mapping with name, type and the type's settings, got %s", describe(n))
		return
	}
	n = expandMerge(n)
	var typeNode *yaml.Node
	common := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if commonSourceKeys[n.Content[i].Value] {
			common.Content = append(common.Content, n.Content[i], n.Content[i+1])
			if n.Content[i].Value == "type" {
				typeNode = n.Content[i+1]
			}
		}
	}
	type plain struct {
		Name     string `yaml:"name"`
		Type     string `yaml:"type"`
		Schedule string `yaml:"schedule"`
		Program  string `yaml:"program"`
	}
	var p plain
	d.decodeStruct(common, reflect.ValueOf(&p).Elem(), path)
	s.Name, s.Type, s.Schedule, s.Program = p.Name, p.Type, p.Schedule, p.Program
	if s.Type == "" {
		return // reported by Validate
	}
	settings, ok := d.types.NewSettings(s.Type)
	if !ok {
		d.problem(typeNode, joinPath(path, "type"), "unknown source type %q; expected one of: %s", s.Type, typeList(d.types))
		return
	}
	s.Settings = settings
	rv := reflect.ValueOf(s.Settings)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		d.problem(n, path, "collector type %q has a config of type %T, which is not a pointer to a struct (a bug in the collector)", s.Type, s.Settings)
		return
	}
	d.decodeMapping(n, rv.Elem(), path, commonSourceKeys)
}

func typeList(types SourceTypes) string {
	names := types.Names()
	if len(names) == 0 {
		return "(no collector types are built into this binary)"
	}
	return strings.Join(names, ", ")
}

// MarshalYAML prints a source as one mapping: name, type, schedule and then
// the type's settings (secrets as <secret>).
func (s Source) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(k, v string) {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
	}
	add("name", s.Name)
	add("type", s.Type)
	if s.Schedule != "" {
		add("schedule", s.Schedule)
	}
	if s.Program != "" {
		add("program", s.Program)
	}
	if s.Settings != nil {
		var sub yaml.Node
		if err := sub.Encode(s.Settings); err != nil {
			return nil, fmt.Errorf("printing the settings of source %s: %w", s.Name, err)
		}
		if sub.Kind == yaml.MappingNode {
			n.Content = append(n.Content, sub.Content...)
		}
	}
	return n, nil
}

// Default returns pmo's own sections as used when there is no file: an
// embedded warehouse under the working directory, no sources, info logs.
func Default() *Config {
	return &Config{
		Warehouse: Warehouse{
			DSN:           DefaultDSN,
			Database:      DefaultDatabase,
			BatchSize:     DefaultBatchSize,
			FlushInterval: DefaultFlushInterval,
		},
		Log: Log{Level: "info", Format: "auto"},
	}
}

// Options tune loading; the zero value reads the real environment and files
// and knows no source types.
type Options struct {
	// LookupEnv resolves ${NAME}; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads *_file secrets; default os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// SourceTypes decodes the type-specific keys of sources; default none
	// (every source type is unknown).
	SourceTypes SourceTypes
}

// Load reads the file at path, decodes it into doc and validates it. A
// *Error lists every problem; other errors mean the file could not be read.
func Load(path string, doc Document, opts Options) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{File: path, Problems: []Problem{{File: path, Msg: "file not found; create it (see pmo.example.yaml) or point --config / " + EnvConfig + " at your config file"}}}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &Error{File: path, Problems: []Problem{{File: path, Msg: fmt.Sprintf("cannot read the config file: %v", err)}}}
	}
	return Parse(data, path, doc, opts)
}

// Parse decodes data strictly into doc and validates it (doc.Validate). file
// names it in messages and is the base for relative *_file paths; an
// embedded Config gets it as File.
func Parse(data []byte, file string, doc Document, opts Options) error {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.SourceTypes == nil {
		opts.SourceTypes = noTypes{}
	}
	rv := reflect.ValueOf(doc)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: Parse needs a pointer to a struct, got %T (a bug in pmo)", doc)
	}
	d := &decoder{file: file, lookupEnv: opts.LookupEnv, readFile: opts.ReadFile, types: opts.SourceTypes, pos: map[string]position{}}
	if file != "" {
		d.dir = filepath.Dir(file)
	}
	if base := baseOf(rv.Elem()); base != nil {
		base.File = file
		base.types = opts.SourceTypes
	}

	root, perr := parseYAML(data, file)
	if perr != nil {
		return &Error{File: file, Problems: []Problem{*perr}}
	}
	if root != nil {
		d.decode(root, rv.Elem(), "")
	}
	problems := d.problems
	// Check the meaning of what decoded too, so the user sees every problem
	// at once, but say nothing more about a key that did not decode.
	reported := map[string]bool{}
	for _, p := range problems {
		reported[p.Path] = true
	}
	for _, err := range doc.Validate() {
		path, msg := splitPath(err.Error())
		if related(reported, path) {
			continue
		}
		pos := d.where(path)
		problems = append(problems, Problem{File: file, Line: pos.line, Column: pos.col, Path: path, Msg: msg})
	}
	if len(problems) > 0 {
		e := &Error{File: file, Problems: problems}
		e.sort()
		return e
	}
	return nil
}

// baseOf finds the Config that v is or embeds (at the top level), or nil.
func baseOf(v reflect.Value) *Config {
	if v.Type() == configType {
		return v.Addr().Interface().(*Config)
	}
	for i := 0; i < v.NumField(); i++ {
		if f := v.Type().Field(i); f.Anonymous && f.Type == configType {
			return v.Field(i).Addr().Interface().(*Config)
		}
	}
	return nil
}

var configType = reflect.TypeOf(Config{})

// noTypes knows no source type.
type noTypes struct{}

func (noTypes) NewSettings(string) (SourceSettings, bool) { return nil, false }
func (noTypes) Names() []string                           { return nil }

// related reports whether path or a key above or below it has a problem
// already: a key that did not decode makes checks of its parents and
// children meaningless.
func related(reported map[string]bool, path string) bool {
	for p := range reported {
		if p == path || p == "" || within(p, path) || within(path, p) {
			return true
		}
	}
	return false
}

// within reports whether path lies under parent ("a.b" under "a", "a[0]" under "a").
func within(path, parent string) bool {
	return parent != "" && strings.HasPrefix(path, parent) && len(path) > len(parent) &&
		(path[len(parent)] == '.' || path[len(parent)] == '[')
}

// parseYAML parses data into its document's root node. A syntax error is
// returned with the line (and column) where the file stops being YAML.
func parseYAML(data []byte, file string) (*yaml.Node, *Problem) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, nil // empty file: all defaults
	}
	if err == nil {
		var extra yaml.Node
		if err2 := dec.Decode(&extra); err2 == nil {
			return nil, &Problem{File: file, Line: extra.Line, Column: extra.Column, Msg: "a second YAML document (after ---); pmo.yaml holds one document"}
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
			root := doc.Content[0]
			if isNull(root) {
				return nil, nil
			}
			return root, nil
		}
		return nil, nil
	}
	line, col := syntaxPosition(data)
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = regexp.MustCompile(`^line \d+: `).ReplaceAllString(msg, "")
	return nil, &Problem{File: file, Line: line, Column: col, Msg: "malformed YAML: " + msg + "; check the indentation and quoting on this line"}
}

// syntaxPosition finds the first line at which data stops parsing as YAML:
// the shortest prefix of whole lines that fails to parse ends there. (The
// YAML library reports the line of the enclosing construct, or none on the
// first line.) The column is that of the line's first non-blank character.
func syntaxPosition(data []byte) (line, col int) {
	lines := strings.SplitAfter(string(data), "\n")
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		var n yaml.Node
		err := yaml.Unmarshal([]byte(prefix.String()), &n)
		if err != nil {
			trimmed := strings.TrimLeft(l, " ")
			return i + 1, len(l) - len(trimmed) + 1
		}
	}
	return 0, 0
}

// splitPath splits "sources[0].url: must be ..." into its key path and
// message. Messages without a key path come back with an empty path.
func splitPath(s string) (path, msg string) {
	p, m, ok := strings.Cut(s, ": ")
	if !ok || !keyPath.MatchString(p) {
		return "", s
	}
	return p, m
}

var keyPath = regexp.MustCompile(`^[A-Za-z0-9_-]+(\[\d+\])*(\.[A-Za-z0-9_-]+(\[\d+\])*)*$`)
