package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/progress"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
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
	Games       int    `json:"games"`
	Shard       string `json:"shard,omitempty"`
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
	fl.StringArrayVar(&r.options, "option", nil, "setting key=value for every player whose backend takes the key (its spec's own options win; a key no player takes is an error), repeatable: --option temperature=0.7 --option num_ctx=4096")
}

// check refuses shared flags that cannot work: no concurrency, --tui
// without a terminal, settings that --resume would ignore.
func (r *runFlags) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("concurrency") && r.concurrency < 1 {
		return usagef("--concurrency must be at least 1 (got %d)", r.concurrency)
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
	fl.StringVar(&f.words, "words", "builtin", "word list: builtin, or a file with one word per line (# comments)")
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

func parseShard(s string) (i, n int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usagef("--shard %q: want i/n with 0 <= i < n, for example 0/4", s)
	}
	return i, n, nil
}

// codeVersion is what runs record as the code that played them (see
// internal/version) and the Go version.
func codeVersion() (code, goVersion string) {
	return version.Code(), runtime.Version()
}

// loadWords reads the word list named by --words.
func loadWords(name string) ([]string, error) {
	if name == "builtin" || name == "" {
		return taboo.BuiltinWords()
	}
	return taboo.LoadWords(name)
}

// subjects picks the target word of each episode: a seeded shuffle of the
// list, repeated as often as needed, so that runs with the same seed and
// list play the same words.
func subjects(words []string, games int, seed uint64) []string {
	perm := make([]string, len(words))
	copy(perm, words)
	x := game.SplitMix64(seed)
	for i := len(perm) - 1; i > 0; i-- {
		x = game.SplitMix64(x)
		j := int(x % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	out := make([]string, games)
	for i := range out {
		out[i] = perm[i%len(perm)]
	}
	return out
}

func episodeSeed(runSeed uint64, index int) uint64 {
	return game.SplitMix64(runSeed ^ game.SplitMix64(uint64(index)))
}

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

func runSelfplay(cmd *cobra.Command, sig *interrupts, f selfplayFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()

	var cfg runConfig
	var run *episodes.Run
	var subjectList []string

	shardI, shardN, err := parseShard(f.shard)
	if err != nil {
		return err
	}
	if err := f.check(cmd); err != nil {
		return err
	}
	if f.resume == "" {
		if f.maxTurns < 1 {
			return usagef("--max-turns must be at least 1 (got %d)", f.maxTurns)
		}
		if f.games < 0 {
			return usagef("--games must be positive (got %d)", f.games)
		}
	}

	rs := &runStore{path: f.db}
	defer rs.close()
	if f.resume != "" {
		if run, err = rs.resumed(ctx, f.resume, false, &cfg); err != nil {
			return err
		}
		subjectList = run.Subjects
		shardI, shardN, err = parseShard(cfg.Shard)
		if err != nil {
			return fmt.Errorf("run %s: stored shard: %w", run.ID, err)
		}
	} else {
		words, err := loadWords(f.words)
		if err != nil {
			return usageError{fmt.Errorf("--words: %w", err)}
		}
		games := f.games
		if games == 0 {
			games = 100
			if f.words != "builtin" {
				games = len(words)
			}
		}
		code, gov := codeVersion()
		style := f.style
		if style == "" {
			style = defaultStyle(f.attacker, f.defender)
		}
		// Resuming from another directory must find the same checkpoints.
		attacker, err := resolveSpec("attacker", f.attacker)
		if err != nil {
			return err
		}
		defender, err := resolveSpec("defender", f.defender)
		if err != nil {
			return err
		}
		cfg = runConfig{MaxTurns: f.maxTurns, Judge: f.judge, Style: style, Templates: f.templates,
			Attacker: attacker, Defender: defender, Seed: f.seed, Words: f.words, Games: games,
			Shard: f.shard, Options: f.options, CodeVersion: code, GoVersion: gov}
		subjectList = subjects(words, games, f.seed)
	}

	if run != nil {
		if err := checkResumedPlayers(run, map[string]string{"attacker": cfg.Attacker, "defender": cfg.Defender}); err != nil {
			return err
		}
	}
	g, players, err := buildGame(ctx, cfg)
	if err != nil {
		return err
	}
	if run != nil && g.String() != cfg.Game {
		return fmt.Errorf("run %s was played as %s but would now be %s (templates or judge changed); start a new run", run.ID, cfg.Game, g.String())
	}
	cfg.Game = g.String()

	if err := preflight(ctx, g.Roles(), players); err != nil {
		return err
	}
	resuming := run != nil
	if run == nil {
		raw, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		run = &episodes.Run{Game: cfg.Game, Judge: taboo.JudgeID(g.Judge()), Seed: cfg.Seed,
			MaxTurns: cfg.MaxTurns, Players: map[string]string{"attacker": playerName(cfg.Attacker), "defender": playerName(cfg.Defender)},
			Config: raw, CodeVersion: cfg.CodeVersion, Subjects: subjectList, Shard: cfg.Shard,
			Total: shardSize(len(subjectList), shardI, shardN)}
	}
	done, err := rs.begin(ctx, run, resuming)
	if err != nil {
		return err
	}
	var setups []game.Setup
	for i, s := range subjectList {
		if i%shardN != shardI || done[i] {
			continue
		}
		setups = append(setups, game.Setup{Index: i, Seed: episodeSeed(cfg.Seed, i), Subject: s})
	}
	fmt.Fprintf(stderr, "run %s: %d episodes to play (%s vs %s, judge %s) into %s\n",
		run.ID, len(setups), cfg.Attacker, cfg.Defender, cfg.Judge, f.db)
	return playRun(cmd, sig, batchRun{
		command: "selfplay", db: f.db, store: rs.store, meter: &rs.meter, run: run, game: g, players: players, setups: setups,
		concurrency: f.concurrency, turnTimeout: f.turnTimeout, tui: f.tui, jsonOut: f.jsonOut,
	})
}

// openMeteredStore opens the run's database; episodes count as done on the
// progress meter only once committed, which the store reports.
func openMeteredStore(ctx context.Context, path string, meter *atomic.Pointer[progress.Meter]) (*episodes.Store, error) {
	return episodes.Open(ctx, path, episodes.Options{OnCommit: func(eps []game.Episode) {
		m := meter.Load()
		if m == nil {
			return
		}
		outcomes := make([]string, len(eps))
		for i := range eps {
			outcomes[i] = eps[i].Verdict.Outcome
		}
		m.Add(outcomes...)
	}})
}

// batchRun is what playRun needs to play a run's episodes and store them.
type batchRun struct {
	command     string // the spag subcommand, for the resume hint
	db          string
	store       *episodes.Store
	meter       *atomic.Pointer[progress.Meter]
	run         *episodes.Run
	game        game.Game
	players     []game.Player
	setups      []game.Setup
	concurrency int // 0: defaultConcurrency
	turnTimeout time.Duration
	tui         bool
	jsonOut     bool
	// columns are the outcome rates of the progress line; nil: Taboo's.
	columns []progress.Column
}

// playRun plays the episodes, stores each as it finishes, makes them
// durable whatever happens, and prints the run's summary. An interrupted
// or failed run says how to resume it.
func playRun(cmd *cobra.Command, sig *interrupts, p batchRun) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	meterOut := stderr
	if p.tui {
		meterOut = io.Discard // the UI owns the terminal
	}
	p.meter.Store(progress.New(meterOut, len(p.setups), progress.Options{Terminal: isTerminal(meterOut), Columns: p.columns}))

	concurrency := p.concurrency
	if concurrency == 0 {
		concurrency = defaultConcurrency(p.players)
	}
	store, run := p.store, p.run
	runner := &game.Runner{Game: p.game, Players: p.players, Concurrency: concurrency,
		TurnTimeout: p.turnTimeout, Drain: sig.Drain(),
		// Turns of games in flight, for `spag watch` in another process.
		OnTurn: func(s game.Setup, turns []game.Turn) { store.WriteLive(run.ID, s.Index, s.Subject, turns) }}
	play := func() error {
		return runner.Run(ctx, p.setups, func(ctx context.Context, ep *game.Episode) error {
			return store.Write(ctx, run.ID, *ep)
		})
	}
	var runErr error
	if p.tui {
		runErr = runWatched(ctx, cmd, runner, run.ID, len(p.setups), run.Players, play)
	} else {
		runErr = play()
	}
	// Whatever happened, make what finished durable before reporting.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	flushErr := store.Flush(flushCtx)
	p.meter.Load().Finish()
	if flushErr != nil {
		return fmt.Errorf("store episodes in %s: %w", p.db, flushErr)
	}
	switch {
	case errors.Is(runErr, game.ErrDrained), errors.Is(runErr, context.Canceled):
		fmt.Fprintf(stderr, "interrupted: finished episodes are stored; resume with:\n  spag %s --db %s --resume %s\n", p.command, p.db, run.ID)
		return errInterrupted
	case runErr != nil:
		return fmt.Errorf("run %s: %w (resume with: spag %s --db %s --resume %s)", run.ID, runErr, p.command, p.db, run.ID)
	}
	return writeStats(ctx, cmd.OutOrStdout(), store, run.ID, false, p.jsonOut)
}

// buildGame makes the game and the two players a run configuration names.
func buildGame(ctx context.Context, cfg runConfig) (*taboo.Game, []game.Player, error) {
	j, tmpl, err := loadJudgeAndTemplates("judge", cfg.Judge, cfg.Templates)
	if err != nil {
		return nil, nil, err
	}
	g, err := taboo.New(taboo.Params{MaxTurns: cfg.MaxTurns, Judge: j, Style: cfg.Style, Templates: tmpl})
	if err != nil {
		return nil, nil, usageError{err}
	}
	players, err := openPlayers(ctx, "taboo", j, []seat{
		{"attacker", cfg.Attacker, judge.Attacker}, {"defender", cfg.Defender, judge.Defender},
	}, cfg.Options)
	if err != nil {
		return nil, nil, err
	}
	return g, players, nil
}

// defaultConcurrency keeps every parallel slot of the model players busy:
// the sum of their capacities (a player serving both roles counted once),
// and at least 8 or the number of CPUs for players without a limit.
func defaultConcurrency(players []game.Player) int {
	slots := 0
	seen := map[any]bool{}
	for _, p := range players {
		c, ok := p.(game.Capacity)
		if !ok {
			continue
		}
		if reflect.TypeOf(p).Comparable() {
			if seen[p] {
				continue
			}
			seen[p] = true
		}
		slots += max(c.Capacity(), 0)
	}
	return max(slots, 8, runtime.GOMAXPROCS(0))
}

// shardSize is the number of indices below n that are i modulo shards.
func shardSize(n, i, shards int) int {
	if n <= i {
		return 0
	}
	return (n-1-i)/shards + 1
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
		if spec, err := players.Parse(raw); err == nil && spec.Backend == "native" {
			return taboo.StyleCompact
		}
	}
	return taboo.StyleChat
}
