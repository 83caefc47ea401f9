package main

import (
	// The player backends a spec may name; each registers itself with
	// players (a game's own backends, such as APO's reward models in
	// apo/likelihood, included). The games' packages of built-in players
	// register them with the "builtin" backend.
	_ "github.com/spag-go/spag/apo/apobuiltin"
	_ "github.com/spag-go/spag/apo/likelihood"
	_ "github.com/spag-go/spag/kuhn/kuhnbuiltin"
	_ "github.com/spag-go/spag/players/native"
	_ "github.com/spag-go/spag/players/ollama"
	_ "github.com/spag-go/spag/players/openai"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"

	// The games' own commands and play flags, registered with
	// cmdutil.GameCommands and playrun.Games.
	_ "github.com/spag-go/spag/apo/apocmd"
	_ "github.com/spag-go/spag/kuhn/kuhncmd"
	_ "github.com/spag-go/spag/taboo/judgecmd"
	_ "github.com/spag-go/spag/taboo/rewardscmd"
	_ "github.com/spag-go/spag/taboo/taboocmd"
	_ "github.com/spag-go/spag/taboo/wordscmd"

	// The games' loops, which spag iterate runs; each registers itself
	// with the command.
	_ "github.com/spag-go/spag/apo/apoloop/loopcmd"
	_ "github.com/spag-go/spag/kuhn/kuhnloop/loopcmd"
	_ "github.com/spag-go/spag/taboo/tabooloop/loopcmd"
)
