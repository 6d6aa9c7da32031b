package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pmo-oss/pmo/collectors/jira"
)

type kinded struct{}

func (kinded) Error() string     { return "quota" }
func (kinded) ErrorKind() string { return "quota" }

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("listing issues of PAY: %w", jira.ErrAuth), "auth"},
		{fmt.Errorf("giving up after 5 attempts: %w", jira.ErrRateLimited), "rate_limited"},
		{fmt.Errorf("x: %w", jira.ErrTransient), "transient"},
		{fmt.Errorf("x: %w", kinded{}), "quota"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("x: %w", context.Canceled), "canceled"},
		{errors.New("writing 10 issues records to the chdb warehouse: boom"), "warehouse"},
		{errors.New("boom"), "other"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
