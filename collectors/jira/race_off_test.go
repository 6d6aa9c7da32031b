//go:build !race

package jira_test

const raceEnabled = false
