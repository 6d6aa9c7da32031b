package config

import (
	"reflect"
	"sort"
)

// KeyPaths lists every key the document doc accepts outside the
// collector-specific settings, as documented paths: "warehouse.dsn",
// "warehouse.password_file", "sources[].name", ... (*_file variants of
// secrets included). The reference in docs/configuration.md is tested
// against the paths of pmo.yaml.
func KeyPaths(doc any) []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == reflect.TypeOf(Source{}) {
			for k := range commonSourceKeys {
				out = append(out, prefix+"."+k)
			}
			return
		}
		keys, _ := structKeys(t)
		for name, f := range keys {
			p := joinPath(prefix, name)
			out = append(out, p)
			if f.secret {
				out = append(out, p+"_file")
			}
			ft := t.FieldByIndex(f.index).Type
			switch {
			case isLeaf(ft):
			case ft.Kind() == reflect.Struct:
				walk(ft, p)
			case ft.Kind() == reflect.Slice && !isLeaf(ft.Elem()):
				walk(ft.Elem(), p+"[]")
			}
		}
	}
	walk(reflect.TypeOf(doc), "")
	sort.Strings(out)
	return out
}
