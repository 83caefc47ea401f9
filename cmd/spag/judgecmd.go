package main

import "github.com/spag-go/spag/episodes"

// spagPasses is package episodes', for the commands not yet moved to
// command/ (spag judge is taboo/taboocmd's).
var spagPasses = episodes.SPAGPasses
