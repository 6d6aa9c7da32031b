package jirasim

import "net/http"

type org struct{}
type state struct{}

func newOrg(Config) *org                { return &org{} }
func newState(*org) *state              { return &state{} }
func (s *Server) Handler() http.Handler { return http.NotFoundHandler() }

// Truth returns the ground truth of a complete collection now.
func (s *Server) Truth() Truth { return Truth{} }

// Touch advances the clock and updates n issues; it returns their keys.
func (s *Server) Touch(n int) []string { return nil }

// Delete deletes issues by key.
func (s *Server) Delete(keys ...string) {}
