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
	nestSections(&n)
	redactURLs(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	return enc.Close()
}

// nestSections moves each top-level key "section.sub" (a field tagged
// `yaml:"section.sub"`, see nestedKeys) into the mapping of section.
func nestSections(n *yaml.Node) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		section, sub, ok := strings.Cut(k.Value, ".")
		if !ok {
			kept = append(kept, k, v)
			continue
		}
		placed := false
		for j := 0; j+1 < len(n.Content); j += 2 {
			if p := n.Content[j+1]; n.Content[j].Value == section && p.Kind == yaml.MappingNode {
				p.Content = append(p.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: sub}, v)
				placed = true
			}
		}
		if !placed {
			kept = append(kept, k, v)
		}
	}
	n.Content = kept
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
