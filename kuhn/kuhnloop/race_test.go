//go:build race

package kuhnloop

// raceEnabled: the race detector makes the learning test's training
// many minutes long.
const raceEnabled = true
