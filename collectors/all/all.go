// Package all registers every collector type built into pmo. Import it for
// its side effect; adding a tracker adds one line here.
package all

import (
	_ "github.com/pmo-oss/pmo/collectors/github"  // type "github"
	_ "github.com/pmo-oss/pmo/collectors/gitlab"  // type "gitlab"
	_ "github.com/pmo-oss/pmo/collectors/jira"    // type "jira"
	_ "github.com/pmo-oss/pmo/collectors/redmine" // type "redmine"
)
