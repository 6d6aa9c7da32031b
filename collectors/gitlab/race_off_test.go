//go:build !race

package gitlab_test

const raceEnabled = false
