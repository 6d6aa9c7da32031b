//go:build !race

package redmine_test

const raceEnabled = false
