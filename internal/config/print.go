package config

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/secret"
)

// Print writes the effective configuration doc as YAML, defaults filled in
// by the caller, every secret shown as <secret> and the userinfo password of
// every URL value (any section, collectors included) redacted.
func Print(w io.Writer, doc any) error {
	var n yaml.Node
	if err := n.Encode(doc); err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	redactURLs(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	return enc.Close()
}

// redactURLs redacts every scalar of n that holds a URL.
func redactURLs(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "://") {
		n.Value = secret.RedactURL(n.Value)
	}
	for _, c := range n.Content {
		redactURLs(c)
	}
}
