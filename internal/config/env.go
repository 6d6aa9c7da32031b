package config

import (
	"fmt"
	"regexp"
	"strings"
)

// envRef matches ${NAME} and ${NAME:-default}; $${ is an escaped, literal ${.
var envRef = regexp.MustCompile(`\$\$\{|\$\{([^}:]*)(:-([^}]*))?\}`)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${NAME} and ${NAME:-default} in s. An unset variable
// without a default is an error; so is a malformed reference. "$${" stands
// for a literal "${". A bare $NAME is left alone so that passwords with a
// dollar sign survive.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var firstErr error
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$${" {
			return "${"
		}
		sub := envRef.FindStringSubmatch(m)
		name, hasDefault, def := sub[1], sub[2] != "", sub[3]
		if !envName.MatchString(name) {
			if firstErr == nil {
				firstErr = fmt.Errorf("%q is not a valid environment variable reference; expected ${NAME} or ${NAME:-default} (write $${ for a literal ${)", m)
			}
			return m
		}
		v, ok := lookup(name)
		if hasDefault && (!ok || v == "") {
			return def
		}
		if !ok {
			if firstErr == nil {
				firstErr = fmt.Errorf("environment variable %s is not set; export it or give a default with ${%s:-value}", name, name)
			}
			return m
		}
		return v
	})
	if firstErr != nil {
		return "", firstErr
	}
	if strings.Contains(envRef.ReplaceAllString(s, ""), "${") {
		return "", fmt.Errorf("unterminated environment variable reference; expected ${NAME} or ${NAME:-default}")
	}
	return out, nil
}
