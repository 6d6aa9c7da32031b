package config

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Print writes the effective configuration doc as YAML, defaults filled in
// and every secret shown as <secret>.
func Print(w io.Writer, doc any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	return enc.Close()
}
