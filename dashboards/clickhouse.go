package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// ClickHouseType is the plugin id of the official ClickHouse data source
// (grafana-clickhouse-datasource, native protocol).
const ClickHouseType = "grafana-clickhouse-datasource"

// ClickHouseQuery is a raw-SQL query of the ClickHouse data source plugin
// (v4 query model: editorType "sql"). The foundation SDK has no type for this
// plugin, so pmo declares the fields it writes and registers the type with
// the SDK's runtime: a dashboard decoded strictly (Dashboard.
// UnmarshalJSONStrict) then rejects a ClickHouse target with a field this
// type does not know.
type ClickHouseQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	EditorType string                `json:"editorType"`
	// QueryType is the plugin's result shape: "table" for drill-downs.
	QueryType string `json:"queryType"`
	// Format is the plugin's data frame format: 1 = table.
	Format int    `json:"format"`
	RawSQL string `json:"rawSql"`
	Hide   *bool  `json:"hide,omitempty"`
}

// Format values of the plugin's query model.
const clickHouseFormatTable = 1

func (ClickHouseQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id the SDK runtime dispatches on.
func (ClickHouseQuery) DataqueryType() string { return ClickHouseType }

// Validate checks what the plugin needs to run the query.
func (q ClickHouseQuery) Validate() error {
	if q.RefID == "" || q.RawSQL == "" || q.EditorType != "sql" {
		return fmt.Errorf("clickhouse query %q: refId, rawSql and editorType \"sql\" are required", q.RefID)
	}
	return nil
}

// Equals compares two queries field by field.
func (q ClickHouseQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(ClickHouseQuery)
	if !ok {
		if p, isPtr := other.(*ClickHouseQuery); isPtr && p != nil {
			o, ok = *p, true
		}
	}
	if !ok {
		return false
	}
	a, _ := json.Marshal(q)
	b, _ := json.Marshal(o)
	return bytes.Equal(a, b)
}

// Build makes ClickHouseQuery its own cog builder, so panels take it with
// WithTarget like the SDK's query builders.
func (q ClickHouseQuery) Build() (variants.Dataquery, error) {
	return q, q.Validate()
}

// clickHouseFields are the JSON names of ClickHouseQuery's fields.
var clickHouseFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[ClickHouseQuery]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

// decodeClickHouse decodes a ClickHouse target. Strict decoding refuses a
// field ClickHouseQuery does not have, by exact name: encoding/json matches
// names case-insensitively, but the plugin reads "rawSql", not "rawSQL".
func decodeClickHouse(raw []byte, strict bool) (variants.Dataquery, error) {
	var q ClickHouseQuery
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, fmt.Errorf("decoding a %s query: %w", ClickHouseType, err)
	}
	if !strict {
		return q, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("decoding a %s query: %w", ClickHouseType, err)
	}
	var unknown []string
	for k := range fields {
		if !clickHouseFields[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("a %s query has unknown fields %q (names are case-sensitive)", ClickHouseType, unknown)
	}
	return q, q.Validate()
}

// register adds the SDK's own panels and queries and the ClickHouse query
// to the SDK runtime that Dashboard.UnmarshalJSON(Strict) consults.
func register() {
	plugins.RegisterDefaultPlugins()
	cog.NewRuntime().RegisterDataqueryVariant(variants.DataqueryConfig{
		Identifier:                 ClickHouseType,
		DataqueryUnmarshaler:       func(raw []byte) (variants.Dataquery, error) { return decodeClickHouse(raw, false) },
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) { return decodeClickHouse(raw, true) },
	})
}

func init() { register() }
