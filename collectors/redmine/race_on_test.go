//go:build race

package redmine_test

// raceEnabled: chDB cannot run in a race-enabled binary (ThreadSanitizer
// makes libchdb fail at random); the server engine runs either way.
const raceEnabled = true
