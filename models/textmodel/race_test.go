//go:build race

package textmodel

// raceEnabled is true under -race, where sync.Pool drops a share of what it is
// given on purpose, so allocation counts say nothing there.
const raceEnabled = true
