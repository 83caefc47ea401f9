//go:build !race

package kuhnloop

const raceEnabled = false
