package collectors

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type kindErr string

func (k kindErr) Error() string     { return "failed" }
func (k kindErr) ErrorKind() string { return string(k) }

func TestForSource(t *testing.T) {
	base := errors.New("HTTP 500")
	tests := []struct {
		name, source string
		err          error
		want         string // "" for a nil error
	}{
		{"nil stays nil", "a", nil, ""},
		{"plain error gets the source", "a", base, "collecting source a: HTTP 500"},
		{"already of this source", "a", fmt.Errorf("x: %w", &SourceError{"a", base}), "x: collecting source a: HTTP 500"},
		{"of another source", "b", &SourceError{"a", base}, "collecting source b: collecting source a: HTTP 500"},
		{"inside a join", "a", errors.Join(&SourceError{"a", base}, errors.New("flush")), "collecting source a: HTTP 500\nflush"},
	}
	for _, tt := range tests {
		got := ForSource(tt.source, tt.err)
		if tt.want == "" {
			if got != nil {
				t.Errorf("%s: got %v, want nil", tt.name, got)
			}
			continue
		}
		if got == nil || got.Error() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
			continue
		}
		var se *SourceError
		if !errors.As(got, &se) {
			t.Errorf("%s: errors.As finds no *SourceError in %v", tt.name, got)
		}
		if tt.err != nil && !errors.Is(got, base) {
			t.Errorf("%s: errors.Is(%v, base) = false", tt.name, got)
		}
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ForSource("a", kindErr(KindAuth)), KindAuth},
		{fmt.Errorf("x: %w", context.Canceled), KindCanceled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), KindTimeout},
		{errors.New("rate limited by Jira"), KindOther}, // the text alone says nothing
	}
	for _, tt := range tests {
		if got := ErrorKind(tt.err); got != tt.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
