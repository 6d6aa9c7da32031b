package config

import (
	"reflect"
	"strings"

	"github.com/pmo-oss/pmo/internal/secret"
)

// Secrets returns every secret value in doc (a configuration document or
// any part of one): secret.Secret fields, collector settings included, and
// the password inside a DSN, so a caller can scrub them from any text that
// might reach a user or a log.
func Secrets(doc any) []string {
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k))
			}
		case reflect.String:
			switch {
			case v.Type() == secretType && v.Len() > 0:
				out = append(out, v.String())
			case v.Type() == dsnType || strings.Contains(v.String(), "://"):
				// A DSN, and any URL (a Pushgateway, a tracker): the
				// password of its userinfo and credential parameters.
				out = append(out, dsnSecrets(v.String())...)
			}
		}
	}
	walk(reflect.ValueOf(doc))
	return out
}

var dsnType = reflect.TypeOf(DSN(""))

// dsnSecrets returns the password of a DSN and its password-like query
// parameters.
func dsnSecrets(dsn string) []string { return secret.URLSecrets(dsn) }

// Scrub replaces every secret of doc in s with <secret>.
func Scrub(doc any, s string) string {
	for _, sec := range Secrets(doc) {
		if len(sec) >= 3 { // a one- or two-letter "secret" would mangle ordinary text
			s = strings.ReplaceAll(s, sec, "<secret>")
		}
	}
	return s
}
