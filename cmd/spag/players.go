package main

import (
	"fmt"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/taboo"

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
	_ "github.com/spag-go/spag/taboo/rewardscmd"
	_ "github.com/spag-go/spag/taboo/taboocmd"
	_ "github.com/spag-go/spag/taboo/wordscmd"

	// The games' loops, which spag iterate runs; each registers itself
	// with the command.
	_ "github.com/spag-go/spag/apo/apoloop/loopcmd"
	_ "github.com/spag-go/spag/taboo/tabooloop/loopcmd"
)

// backendList describes the backends for the help of the player flags.
func backendList() string { return players.Help() }

// cliError makes the library's errors about what the user wrote usage
// errors of spag (exit status 2): the players package's, and the settings
// of a run, named by their flags.
func cliError(err error) error { return cmdutil.CLIError(err) }

// loadJudgeAndTemplates resolves the judge and template flags that several
// commands share; errors name the flag.
func loadJudgeAndTemplates(judgeFlag, judgeName, templatesDir string) (judge.Judge, *taboo.Templates, error) {
	j, err := judge.ByName(judgeName)
	if err != nil {
		return nil, nil, usageError{Err: fmt.Errorf("--%s: %w", judgeFlag, err)}
	}
	if templatesDir == "" {
		return j, nil, nil
	}
	tmpl, err := taboo.LoadTemplates(templatesDir)
	if err != nil {
		return nil, nil, usageError{Err: fmt.Errorf("--templates: %w", err)}
	}
	return j, tmpl, nil
}
