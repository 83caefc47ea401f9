package main

import (
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/taboo"
)

// runConfig is everything needed to reproduce (or resume) a self-play run;
// it is stored with the run.
type runConfig struct {
	Game        string `json:"game"`
	MaxTurns    int    `json:"max_turns"`
	Judge       string `json:"judge"`
	Style       string `json:"style"`
	Templates   string `json:"templates,omitempty"`
	TemplateSum string `json:"templates_sha256"`
	Attacker    string `json:"attacker"`
	Defender    string `json:"defender"`
	Seed        uint64 `json:"seed"`
	Words       string `json:"words"`
	// SubjectsDigest names the words, seed and sizes the run's subjects
	// were drawn from (see selfplay.Shuffled.Digest).
	SubjectsDigest string `json:"subjects_sha256,omitempty"`
	Games          int    `json:"games"`
	Shard          string `json:"shard,omitempty"`
	// Options are the --option settings of the model players.
	Options     []string `json:"options,omitempty"`
	CodeVersion string   `json:"code_version"`
	GoVersion   string   `json:"go_version"`
}

type selfplayFlags struct {
	runFlags
	games     int
	words     string
	maxTurns  int
	attacker  string
	defender  string
	judge     string
	style     string
	templates string
	shard     string
}

// runFlags are the flags every play command (selfplay, apo) has.
type runFlags struct {
	concurrency int
	seed        uint64
	db          string
	resume      string
	jsonOut     bool
	tui         bool
	turnTimeout time.Duration
	options     []string
}

func (r *runFlags) register(fl *pflag.FlagSet, seedHelp string) {
	fl.IntVar(&r.concurrency, "concurrency", 0, "games in flight at once (default: the model players' parallel slots together, at least 8)")
	fl.Uint64Var(&r.seed, "seed", 1, seedHelp)
	fl.StringVar(&r.db, "db", "spag.db", "SQLite database to store the run in")
	fl.StringVar(&r.resume, "resume", "", "resume run ID: play only its missing or errored episodes")
	fl.BoolVar(&r.jsonOut, "json", false, "print the final summary as JSON")
	fl.BoolVar(&r.tui, "tui", false, "watch the run live in the terminal UI (q stops it like a first Ctrl-C)")
	fl.DurationVar(&r.turnTimeout, "turn-timeout", 2*time.Minute, "limit for one player turn (0: none)")
	fl.StringArrayVar(&r.options, "option", nil, "setting key=value of the model players (ollama, openai, native), repeatable: --option temperature=0.7 --option num_ctx=4096")
}

// check refuses shared flags that cannot work: no concurrency, --tui
// without a terminal, settings that --resume would ignore.
func (r *runFlags) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("concurrency") && r.concurrency < 1 {
		return usagef("--concurrency must be at least 1 (got %d)", r.concurrency)
	}
	if r.turnTimeout < 0 {
		return usagef("--turn-timeout must be 0 (no limit) or positive (got %s)", r.turnTimeout)
	}
	if r.tui && !isTerminal(cmd.OutOrStdout()) {
		return usagef("--tui needs a terminal (stdout is not one); drop it to print progress to stderr")
	}
	if r.resume != "" {
		if bad := conflictingWithResume(cmd); len(bad) > 0 {
			return usagef("--resume replays the stored configuration of the run; drop %s", strings.Join(bad, ", "))
		}
	}
	return nil
}

func newSelfplayCmd(sig *interrupts) *cobra.Command {
	var f selfplayFlags
	cmd := &cobra.Command{
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSelfplay(cmd, sig, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.games, "games", 0, "number of games (default: 100 with the built-in words, one per word with --words)")
	fl.StringVar(&f.words, "words", "builtin", "word list: builtin, builtin:train or builtin:heldout (the built-in list's training and held-out words), or a file with one word per line (# comments)")
	fl.IntVar(&f.maxTurns, "max-turns", 5, "attacker+defender turn pairs before a tie")
	fl.StringVar(&f.attacker, "attacker", "native", "attacker backend spec: "+backendList())
	fl.StringVar(&f.defender, "defender", "native", "defender backend spec (same forms as --attacker)")
	f.register(fl, "seed for word order and every player's randomness")
	fl.StringVar(&f.judge, "judge", "strict", "judge: strict (recommended) or spag (SPAG reference compatible)")
	fl.StringVar(&f.style, "style", "", "prompt style for model players: chat, transcript or compact (default: compact when a player is native, else chat)")
	fl.StringVar(&f.templates, "templates", "", "directory of prompt templates replacing the built-in ones")
	fl.StringVar(&f.shard, "shard", "", "play only shard i of n (i/n, from 0) of the run's episodes")
	return cmd
}

func codeVersion() (code, goVersion string) {
	code = "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return code, runtime.Version()
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		code = rev
		if modified == "true" {
			code += "+dirty"
		}
	} else if info.Main.Version != "" {
		code = info.Main.Version
	}
	return code, info.GoVersion
}

// loadWords reads the word list named by --words.
func loadWords(name string) ([]string, error) { return taboo.Words(name) }

// conflictingWithResume lists the flags the user set that --resume would
// ignore, since a resumed run keeps its stored configuration.
func conflictingWithResume(cmd *cobra.Command) []string {
	allowed := map[string]bool{"db": true, "resume": true, "concurrency": true, "json": true, "turn-timeout": true, "tui": true}
	var bad []string
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if !allowed[fl.Name] {
			bad = append(bad, "--"+fl.Name)
		}
	})
	return bad
}

// buildGame makes the game and the two players a run configuration names.
func buildGame(cfg runConfig) (*taboo.Game, []game.Player, error) {
	j, tmpl, err := loadJudgeAndTemplates("judge", cfg.Judge, cfg.Templates)
	if err != nil {
		return nil, nil, err
	}
	g, err := taboo.New(taboo.Params{MaxTurns: cfg.MaxTurns, Judge: j, Style: cfg.Style, Templates: tmpl})
	if err != nil {
		return nil, nil, usageError{err}
	}
	loadLex := lazyLexicon()
	players := make([]game.Player, 2)
	for i, role := range []struct{ flag, spec, role string }{
		{"attacker", cfg.Attacker, judge.Attacker}, {"defender", cfg.Defender, judge.Defender},
	} {
		spec, err := parseSpec(role.flag, role.spec)
		if err != nil {
			return nil, nil, err
		}
		if err := spec.addOptions(role.flag, cfg.Options); err != nil {
			return nil, nil, err
		}
		// Model players are role-agnostic: with the same spec both roles
		// share one player, hence one host pool (one per-host cap) or one
		// native model and decoding batch.
		if i == 1 && spec.backend != "builtin" && cfg.Defender == cfg.Attacker {
			players[1] = players[0]
			continue
		}
		if players[i], err = newPlayer(role.flag, spec, role.role, loadLex, j); err != nil {
			return nil, nil, err
		}
	}
	return g, players, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// defaultStyle is the prompt style for players with these specs when
// --style is not given: compact when one is native (native models are
// small, with short contexts, and the shipped one was trained on it), chat
// otherwise. Unparsable specs count as not native;
// building the players reports them.
func defaultStyle(specs ...string) string {
	for _, raw := range specs {
		if spec, err := parseSpec("", raw); err == nil && spec.backend == "native" {
			return taboo.StyleCompact
		}
	}
	return taboo.StyleChat
}
