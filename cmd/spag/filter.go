package main

import (
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
)

// The selection helpers live in cmdutil, shared by every command package;
// these names keep the commands not yet moved there compiling.
var (
	knownOutcomes = cmdutil.KnownOutcomes
	outcomesHelp  = cmdutil.OutcomesHelp
	subjectsHelp  = cmdutil.SubjectsHelp
	describeRun   = cmdutil.DescribeRun
	gameTitle     = cmdutil.GameTitle
	checkFilter   = cmdutil.CheckFilter
	matchPlayer   = cmdutil.MatchPlayer
)

// isTabooRun reports whether a run played Adversarial Taboo, for the
// commands that belong to that game (its judges, SPAG's file format).
func isTabooRun(run *episodes.Run) bool { return game.NameOf(run.Game) == taboo.Name }
