//go:build race

package github_test

// raceEnabled: under the race detector ThreadSanitizer also intercepts
// libchdb's threads, and chDB then fails or hangs at random (missing part
// files, DROP DATABASE and process exit that never end). The in-process chDB
// subtests run without -race; the server engine runs either way.
const raceEnabled = true
