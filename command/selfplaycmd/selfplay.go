// Package selfplaycmd is `spag selfplay`: a batch of games of any game
// registered with playrun.Games under the command "selfplay" (--game
// chooses; Adversarial Taboo without it), judged and stored in a database,
// resumable after an interrupt.
package selfplaycmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/players/native/defaultmodel"
)

// SelfplaySpec is the help of spag selfplay; reg chooses its games (nil:
// playrun.Games).
func SelfplaySpec(reg *playrun.Registry) Spec {
	return Spec{
		Use:   "selfplay",
		Short: "Play a batch of Adversarial Taboo games and store them",
		Long: `selfplay plays Adversarial Taboo episodes concurrently, judges each one and
stores every turn in the SQLite database (--db). With no --attacker and
--defender both roles are played by the native model that spag ships
(` + defaultmodel.Name + `, in process, no model server needed).

The first Ctrl-C lets the games in flight finish, stores them, prints the
command that resumes the run and exits with code 130; a second Ctrl-C stops
at once (finished episodes are never lost).`,
		Example: `  spag selfplay                                  # 100 games of the shipped native model against itself
  spag selfplay --attacker builtin --defender builtin --games 100000   # the built-in players, fast
  spag selfplay --games 1000 --concurrency 16 --judge spag --db runs.db
  spag selfplay --words mywords.txt --max-turns 3
  spag selfplay --attacker builtin:skill=0.9 --defender builtin:skill=0.2
  spag selfplay --db runs.db --resume r20261126-151200-3fa9
  spag selfplay --games 10000 --shard 0/4 --db shard0.db   # one machine of four`,
		SeedHelp: "seed for word order and every player's randomness",
		GameFlag: true,
		Registry: reg,
	}
}

// NewCmdSelfplay returns the command; runF does the work (nil:
// playrun.Run), which lets tests check parsing alone.
func NewCmdSelfplay(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return NewCmd(f, SelfplaySpec(nil), runF)
}
