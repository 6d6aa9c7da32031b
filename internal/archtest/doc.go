// Package archtest holds the tests that keep pmo's architecture as the
// README states it: the import rules between packages (rules.go, checked
// against the real import graph and listed in the README's Architecture
// section) and the conventions every collectors/<name> folder follows.
package archtest
