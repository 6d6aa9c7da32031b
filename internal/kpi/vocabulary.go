package kpi

import "github.com/pmo-oss/pmo/internal/model"

// The change vocabulary (model.ChangeKind) as the KPI SQL reads it: history
// is selected by change_kind, never by a tracker's field names, and a
// change's value is read by one rule for every kind — from/to when set,
// else from_string/to_string (the model's contract).

// kindIs is the SQL predicate selecting changes of kind k.
func kindIs(k model.ChangeKind) string { return "change_kind = " + sqlStr(string(k)) }

// The value of a change before and after it.
const (
	changeFrom = "if(`from` != '', `from`, from_string)"
	changeTo   = "if(`to` != '', `to`, to_string)"
)
