// Package jirasim is a Jira simulator: an HTTP server that answers the parts of
// Atlassian's REST API that the Jira collector uses, in the shape of Jira Cloud
// or of Jira Data Center, for a seeded, deterministic organisation of 100 to
// 1,000,000 issues. It knows its ground truth (Truth) so tests can check that a
// collection is complete, and it can inject faults (rate limits, 5xx, slow and
// truncated responses).
//
// Issues are a pure function of (seed, index) plus an overlay of Touch and
// Delete calls; only a compact index (updated time, a few counts) is kept per
// issue, and pages are rendered on demand.
package jirasim

import (
	"fmt"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Mode selects the flavour of Jira the simulator behaves like.
type Mode string

// The two deployment modes.
const (
	Cloud      Mode = "cloud"
	DataCenter Mode = "datacenter"
)

// FaultKind names an injected failure.
type FaultKind string

// Fault kinds.
const (
	Fault429      FaultKind = "429"      // 429 with Retry-After and X-RateLimit-Reset
	Fault503      FaultKind = "503"      // 503 with Retry-After
	Fault500      FaultKind = "500"      // 500 with a Jira error body
	Fault502      FaultKind = "502"      // 502 with an HTML proxy page
	FaultTimeout  FaultKind = "timeout"  // no answer for Faults.Timeout (longer than a client's timeout)
	FaultTruncate FaultKind = "truncate" // half of the body, then the connection is closed
	FaultSlow     FaultKind = "slow"     // the normal answer after Faults.Slow
)

// Faults configures fault injection. A share Rate of requests fails, each
// with one of Kinds (chosen deterministically from Seed and the request's
// sequence number).
type Faults struct {
	Rate       float64     // 0..1 share of requests that fail
	Kinds      []FaultKind // default: 429, 500, truncate
	RetryAfter time.Duration
	Slow       time.Duration // delay of "slow"; default 200ms
	Timeout    time.Duration // delay of "timeout"; default 30s (ends early when the client goes away)
	Seed       int64
}

// Config describes the simulated site and organisation.
type Config struct {
	Mode   Mode  // default Cloud
	Issues int   // 100..1_000_000; default 1000
	Seed   int64 // organisation seed
	// Projects is the number of projects, at most Issues/20; default
	// max(3, Issues/3000). Projects are dealt a health in turn (healthy, at
	// risk, in trouble, healthy, healthy, at risk, healthy, in trouble, …;
	// see Server.Health).
	Projects int
	// Now is the organisation's "now": every generated instant is before
	// it, and its history ends there. Default 2025-06-30T12:00:00Z; pmo
	// demo passes the start of today.
	Now time.Time
	// Days is how far the history reaches back before Now: issues are
	// created evenly over it. 30..3650; default 730 (two years).
	Days int
	// Credentials the simulator accepts. Cloud: Basic Email:APIToken. Data
	// Center: Bearer PAT, or Basic with user name (Email, or its part before
	// "@") and APIToken as password. Defaults "sim@example.com", "sim-token",
	// "sim-pat".
	Email, APIToken, PAT string
	// NoPermissionToken authenticates (as Basic password or Bearer token) but
	// has no permission: every endpoint answers 403. Default "sim-noperm".
	NoPermissionToken string
	// MaxResults caps every page (search, boards, sprints, changelog
	// pages...). Default 100.
	MaxResults int
	Faults     Faults
}

// Truth is the exact ground truth of what a complete collection produces.
// Counting rules: Issues = issues present (not deleted); Changes = changelog
// items of present issues; Worklogs = worklogs of present issues; Links =
// distinct links whose both ends are present; Sprints and Versions = distinct
// over all boards and projects.
type Truth struct {
	Projects, Statuses, Boards, Sprints, Versions, Issues, Changes, Worklogs, Links int
	// ChangesByIssue maps issue key to its number of changelog items. Filled
	// only for organisations of up to 20,000 issues (nil above).
	ChangesByIssue map[string]int
}

// Server is a running (or ready to run) simulator.
type Server struct {
	cfg Config
	org *org

	mu sync.RWMutex // guards the overlay, the index and the caches
	st *state

	cacheMu sync.Mutex

	faultMu sync.Mutex
	faults  Faults
	reqSeq  atomic.Uint64

	reqMu sync.Mutex
	reqs  map[string]int64

	closing chan struct{}
	closeMu sync.Mutex
	hs      *httptest.Server
	baseURL string
}

// New builds the organisation's index (fast: a few seconds at 1M issues).
func New(cfg Config) (*Server, error) {
	if cfg.Mode == "" {
		cfg.Mode = Cloud
	}
	if cfg.Mode != Cloud && cfg.Mode != DataCenter {
		return nil, fmt.Errorf("jirasim: mode %q: want %q or %q", cfg.Mode, Cloud, DataCenter)
	}
	if cfg.Issues == 0 {
		cfg.Issues = 1000
	}
	if cfg.Issues < 100 || cfg.Issues > 1_000_000 {
		return nil, fmt.Errorf("jirasim: issues %d: want 100..1000000", cfg.Issues)
	}
	if cfg.Projects < 0 || cfg.Projects > cfg.Issues/20 {
		return nil, fmt.Errorf("jirasim: projects %d: want 1..%d (at least 20 issues each) or 0 for the default", cfg.Projects, cfg.Issues/20)
	}
	if cfg.Days != 0 && (cfg.Days < 30 || cfg.Days > 3650) {
		return nil, fmt.Errorf("jirasim: days %d: want 30..3650 or 0 for the default (730)", cfg.Days)
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	}
	cfg.Now = cfg.Now.UTC().Truncate(time.Millisecond)
	if cfg.Email == "" {
		cfg.Email = "sim@example.com"
	}
	if cfg.APIToken == "" {
		cfg.APIToken = "sim-token"
	}
	if cfg.PAT == "" {
		cfg.PAT = "sim-pat"
	}
	if cfg.NoPermissionToken == "" {
		cfg.NoPermissionToken = "sim-noperm"
	}
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = 100
	}
	if err := validFaults(cfg.Faults); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, reqs: map[string]int64{}, closing: make(chan struct{})}
	s.org = newOrg(cfg)
	s.st = newState(s.org)
	s.faults = cfg.Faults
	return s, nil
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// Start serves the simulator on a free loopback port and returns its base
// URL (no trailing slash). Close stops it.
func (s *Server) Start() (string, error) {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.hs != nil {
		return s.baseURL, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("jirasim: listening on loopback: %w", err)
	}
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.Listener.Close()
	hs.Listener = l
	hs.Start()
	s.hs = hs
	s.baseURL = hs.URL
	return s.baseURL, nil
}

// URL returns the base URL after Start ("" before).
func (s *Server) URL() string {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	return s.baseURL
}

// Close stops the server started by Start; pending slow and timeout
// answers end at once.
func (s *Server) Close() {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	select {
	case <-s.closing:
	default:
		close(s.closing)
	}
	if s.hs != nil {
		s.hs.CloseClientConnections()
		s.hs.Close()
	}
}

// Requests returns the number of requests served per endpoint, faulted and
// refused ones included. "search" is the deployment's search endpoint (Cloud:
// /rest/api/3/search/jql; Data Center: /rest/api/2/search); "searchLegacy" is
// Cloud's removed /search (410) and "searchJQL" Data Center's missing
// /search/jql (404). The others: "issue", "changelog", "worklog", "project",
// "projectSearch", "status", "field", "serverInfo", "myself", "versions",
// "board", "sprint", "other".
func (s *Server) Requests() map[string]int64 {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	m := make(map[string]int64, len(s.reqs))
	for k, v := range s.reqs {
		m[k] = v
	}
	return m
}

// ResetRequests zeroes the request counters.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	s.reqs = map[string]int64{}
	s.reqMu.Unlock()
}

func (s *Server) count(endpoint string) {
	s.reqMu.Lock()
	s.reqs[endpoint]++
	s.reqMu.Unlock()
}

// SetFaults replaces the fault configuration (an invalid one is ignored
// with a panic-free no-op; use validFaults first in tests).
func (s *Server) SetFaults(f Faults) {
	if validFaults(f) != nil {
		return
	}
	s.faultMu.Lock()
	s.faults = f
	s.faultMu.Unlock()
	s.reqSeq.Store(0)
}

func validFaults(f Faults) error {
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("jirasim: faults.rate %v: want 0..1", f.Rate)
	}
	for _, k := range f.Kinds {
		switch k {
		case Fault429, Fault503, Fault500, Fault502, FaultTimeout, FaultTruncate, FaultSlow:
		default:
			return fmt.Errorf("jirasim: fault kind %q: want one of 429, 503, 500, 502, timeout, truncate, slow", k)
		}
	}
	return nil
}

// ProjectKeys returns the keys of the simulated projects in the order
// GET /rest/api/2/project lists them.
func (s *Server) ProjectKeys() []string {
	keys := make([]string, len(s.org.projects))
	for i, p := range s.org.projects {
		keys[i] = p.key
	}
	return keys
}
