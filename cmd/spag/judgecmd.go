package main

import (
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboocmd"
)

// These names keep the commands not yet moved to command/ compiling: the
// SPAG file readers are package episodes', judging a SPAG episode is
// Taboo's (spag judge is taboo/taboocmd's).
var (
	openSPAGFile = episodes.OpenSPAGFile
	spagPasses   = episodes.SPAGPasses
	judgeHistory = taboocmd.SPAGHistory
	maxTurnsOf   = taboocmd.MaxTurns
	gameVerdict  = taboo.JudgeVerdict
)
