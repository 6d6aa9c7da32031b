package kpi

import "errors"

// Error kinds callers test with errors.Is (the messages around them name
// the KPI, scope or baseline and what to do).
var (
	// ErrUnknownKPI: the KPI id is not in the catalog.
	ErrUnknownKPI = errors.New("unknown KPI")
	// ErrNoScope: no project, program, source or portfolio of that name has
	// issues created before the as-of instant.
	ErrNoScope = errors.New("no scope")
	// ErrBaselineExists: a baseline of that name is stored already; baselines
	// are frozen.
	ErrBaselineExists = errors.New("exists and is frozen")
	// ErrNoWindow: the window asked for is not one of the scope's flow windows.
	ErrNoWindow = errors.New("no such window")
	// ErrNoExplanation: the KPI has no issue-level explanation yet.
	ErrNoExplanation = errors.New("no issue-level explanation")
)
