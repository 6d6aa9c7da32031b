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

// changeOrder is the sort key of changes in history order: the instant
// (whole seconds: both engines store seconds), then the tracker's change id
// as a number — ids are sequence numbers (Jira, GitHub, GitLab, Redmine) —
// then the item within the change. Without the id, two changes of one issue
// in the same second would be taken in whatever order the rows come in (by
// id as text, "100000" before "99999"). A non-numeric id counts as 0.
const changeOrder = "(toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item))"

// noChangeOrder is a changeOrder value for rows that are not changes.
const noChangeOrder = "(toInt64(0), toInt64(0), toInt64(0))"
