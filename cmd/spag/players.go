package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/taboo"

	// The player backends a spec may name; each registers itself with
	// players.
	_ "github.com/spag-go/spag/players/likelihood"
	_ "github.com/spag-go/spag/players/native"
	_ "github.com/spag-go/spag/players/ollama"
	_ "github.com/spag-go/spag/players/openai"
	_ "github.com/spag-go/spag/players/scripted"
)

// backendList describes the backends for the help of the player flags.
func backendList() string { return players.Help() }

// seat is one player a command opens: the flag its spec came from, the
// spec as stored in the run's configuration, and the role.
type seat struct{ flag, spec, role string }

// openPlayers opens the players of a run of gameName ("taboo" or "apo"):
// --option settings (options) go to the players whose backend takes them,
// and errors name the flag of the spec.
func openPlayers(ctx context.Context, gameName string, j judge.Judge, seats []seat, options []string) ([]game.Player, error) {
	ps := make([]players.Seat, len(seats))
	for i, s := range seats {
		spec, err := players.ParseFlag(s.flag, s.spec)
		if err != nil {
			return nil, cliError(err)
		}
		ps[i] = players.Seat{Spec: spec, Env: players.Env{Flag: s.flag, Game: gameName, Role: s.role, Judge: j}}
	}
	opened, err := players.OpenAll(ctx, ps, options)
	if err != nil {
		return nil, cliError(err)
	}
	out := make([]game.Player, len(opened))
	for i, o := range opened {
		out[i] = o.Player
	}
	return out, nil
}

// cliError makes the players package's usage errors usage errors of spag
// (exit status 2).
func cliError(err error) error {
	if errors.Is(err, players.ErrUsage) {
		return usageError{err}
	}
	return err
}

// resolveSpec is the spec given to flag as a new run stores it: checked,
// with files by absolute path so that the run resumes from any directory.
func resolveSpec(flag, raw string) (string, error) {
	spec, err := players.ParseFlag(flag, raw)
	if err != nil {
		return "", cliError(err)
	}
	resolved, _, err := players.Resolve(spec)
	if err != nil {
		return "", cliError(&players.SpecError{Flag: flag, Spec: raw, Err: err})
	}
	return resolved.Text(), nil
}

// loadNativeCheckpoint loads the checkpoint at path, or the shipped default
// model when path is empty.
func loadNativeCheckpoint(path string) (*checkpoint.Checkpoint, error) {
	if path == "" {
		return defaultmodel.Load()
	}
	return checkpoint.Load(path)
}

// checkpointLabel names a checkpoint in messages: its path, or the shipped
// model's name for an empty path.
func checkpointLabel(path string) string {
	if path == "" {
		return defaultmodel.Name
	}
	return path
}

// usesDefaultModel reports whether a player spec plays with the shipped
// model: "native" with no checkpoint, options allowed.
func usesDefaultModel(raw string) bool {
	spec, err := players.Parse(raw)
	return err == nil && spec.Backend == "native" && spec.Arg == ""
}

// playerName is how runs record a player: its spec, with the model's name
// and digest for the shipped model and the file's digest for a checkpoint,
// which the spec alone does not pin down.
func playerName(raw string) string {
	spec, err := players.Parse(raw)
	if err != nil {
		return raw
	}
	_, name, err := players.Resolve(spec)
	if err != nil {
		return raw
	}
	return name
}

// loadJudgeAndTemplates resolves the judge and template flags that several
// commands share; errors name the flag.
func loadJudgeAndTemplates(judgeFlag, judgeName, templatesDir string) (judge.Judge, *taboo.Templates, error) {
	j, err := judge.ByName(judgeName)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("--%s: %w", judgeFlag, err)}
	}
	if templatesDir == "" {
		return j, nil, nil
	}
	tmpl, err := taboo.LoadTemplates(templatesDir)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("--templates: %w", err)}
	}
	return j, tmpl, nil
}

// preflight checks every player that can check itself (models present,
// servers reachable) before anything is written; errors name the role.
func preflight(ctx context.Context, roles []string, ps []game.Player) error {
	return players.Preflight(ctx, roles, ps)
}
