//go:build !race

package warehouse_test

const raceEnabled = false
