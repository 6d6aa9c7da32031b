package collectors

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// SourceConfig is the type-specific configuration of one source. Each
// collector type defines its own struct; the configuration loader decodes a
// source's YAML strictly into the struct returned by Type.NewConfig.
type SourceConfig interface {
	// Validate returns every problem with the settings, each naming the key
	// relative to the source (e.g. "url: must be an absolute http(s) URL").
	Validate() []error
}

// Type describes a collector type for the registry.
type Type struct {
	Name        string // type name used in the configuration: "jira", ...
	Description string
	// NewConfig returns a pointer to a zero config struct with defaults set.
	NewConfig func() SourceConfig
	// New builds a collector for the named source from its validated config.
	New func(source string, cfg SourceConfig) (Collector, error)
}

var (
	mu    sync.RWMutex
	types = map[string]Type{}
)

// Register adds a collector type. It is meant to be called from an init
// function of the collector's package; registering a name twice panics
// because it is a programming error, not bad input.
func Register(t Type) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := types[t.Name]; dup {
		panic("collectors: type registered twice: " + t.Name)
	}
	types[t.Name] = t
}

// Lookup returns the registered type with the given name.
func Lookup(name string) (Type, error) {
	mu.RLock()
	defer mu.RUnlock()
	t, ok := types[name]
	if !ok {
		return Type{}, fmt.Errorf("unknown source type %q (known: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return t, nil
}

// Names lists the registered type names in order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(types))
	for n := range types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
