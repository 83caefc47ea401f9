package iteratecmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/loop"

	// The real games' loops, so that the help and the refusals are
	// spag's own.
	_ "github.com/spag-go/spag/apo/apoloop/loopcmd"
	_ "github.com/spag-go/spag/players/native"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	_ "github.com/spag-go/spag/taboo/tabooloop/loopcmd"
)

// toy is a game of this test's own: its loop does what ends tells it.
type toy struct {
	steps   int // its own flag, --toy-steps
	shared  int // --steps, which Taboo's loop has too
	ends    error
	started int
	resumed *episodes.Loop
}

// toyGame is registered once; each test sets its toy's behaviour.
var (
	theToy      = &toy{}
	registerToy = sync.OnceFunc(func() {
		iteratecmd.Games.Register(iteratecmd.Game{Name: "toy", Usage: "toy (a test's)", Long: "toy's paragraph", Flags: theToy.flags})
	})
	errToyFinal  = errors.New("toy: nothing to learn")
	errToyFailed = errors.New("toy: stage failed")
)

func (g *toy) flags(fl *pflag.FlagSet) iteratecmd.Loops {
	fl.IntVar(&g.steps, "toy-steps", 1, "toy: steps")
	fl.IntVar(&g.shared, "steps", 5, "toy: steps it shares")
	return g
}

func (g *toy) Start(ctx context.Context, opts *iteratecmd.Options, env loop.Env) (iteratecmd.Loop, error) {
	if opts.Out == "" {
		return nil, cmdutil.Usagef("toy: --out is required")
	}
	g.started++
	return &toyLoop{g: g, id: "l-toy"}, nil
}

func (g *toy) Resume(ctx context.Context, opts *iteratecmd.Options, env loop.Env, rec *episodes.Loop) (iteratecmd.Loop, error) {
	g.resumed = rec
	return &toyLoop{g: g, id: rec.ID}, nil
}

type toyLoop struct {
	g      *toy
	id     string
	closed bool
}

func (l *toyLoop) ID() string                    { return l.id }
func (l *toyLoop) Run(ctx context.Context) error { return l.g.ends }
func (l *toyLoop) Close() error                  { l.closed = true; return nil }
func (l *toyLoop) Final() []error                { return []error{errToyFinal} }
func (l *toyLoop) Summary(ctx context.Context, db string) (*iteratecmd.Summary, error) {
	return &iteratecmd.Summary{Done: "toy loop " + l.id + " done",
		Results: []eval.RoundResult{{Round: 1, Opponent: "ref", Role: "first", Wins: 3, Games: 4, BaselineWins: 1, BaselineGames: 4}},
		More:    func(w io.Writer) error { _, err := fmt.Fprintln(w, "toy's calibration"); return err },
		Rounds:  []map[string]float64{{"round": 1, "distance": 0.25}}}, nil
}

// interrupted is a process that was interrupted once.
type interrupted struct{}

func (interrupted) Drain() <-chan struct{} { return nil }
func (interrupted) Count() int             { return 1 }

// execute runs spag iterate with args in dir, in process.
func execute(t *testing.T, dir string, sig cmdutil.Interrupts, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	registerToy()
	t.Chdir(dir)
	io, _, out, errOut := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, sig), nil)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestNewCmdIterate(t *testing.T) {
	registerToy()
	tests := []struct {
		name    string
		args    []string
		check   func(*iteratecmd.Options) bool
		wantErr string
	}{
		{name: "defaults", check: func(o *iteratecmd.Options) bool {
			return o.Game == "taboo" && o.Default == "taboo" && o.DB == "spag.db" && o.Rounds == 2 && o.Seed == 1 && !o.JSON
		}},
		{name: "shared flags", args: []string{"--game", "toy", "--rounds", "3", "--out", "o", "--seed", "7", "--json", "--option", "temperature=0.5"},
			check: func(o *iteratecmd.Options) bool {
				return o.Game == "toy" && o.Rounds == 3 && o.Out == "o" && o.Seed == 7 && o.JSON && len(o.Options) == 1 && o.Changed("rounds") && !o.Changed("db") &&
					strings.Join(o.Given, " ") == "game json option out rounds seed"
			}},
		{name: "each game owns its flags", check: func(o *iteratecmd.Options) bool {
			return slices.Equal(o.Owners["games"], []string{"taboo"}) && slices.Equal(o.Owners["rm-steps"], []string{"apo"}) &&
				slices.Equal(o.Owners["toy-steps"], []string{"toy"}) && slices.Equal(o.Owners["steps"], []string{"taboo", "toy"}) &&
				o.Owners["rounds"] == nil && o.Loops["toy"] != nil
		}},
		{name: "an argument", args: []string{"loop"}, wantErr: `takes no arguments, got "loop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			var got *iteratecmd.Options
			cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), func(_ context.Context, o *iteratecmd.Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("options = %+v", *got)
			}
		})
	}
}

// TestHelp checks that the help is every game's: the default's paragraph
// first, and --game names each game.
func TestHelp(t *testing.T) {
	registerToy()
	io, _, _, _ := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), nil)
	if !strings.HasPrefix(cmd.Long, "iterate runs SPAG's loop.") || !strings.Contains(cmd.Long, "--game apo runs APO's rounds instead") ||
		!strings.HasSuffix(cmd.Long, "\n\ntoy's paragraph") {
		t.Errorf("long help:\n%s", cmd.Long)
	}
	if u := cmd.Flags().Lookup("game").Usage; u != "the loop's game: taboo (SPAG's rounds), apo (APO's rounds; the flags marked apo) or toy (a test's)" {
		t.Errorf("--game: %q", u)
	}
}

// TestRunRefuses checks the refusals every game's loop shares, each a
// usage error that leaves no file behind.
func TestRunRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency must be at least 1 (got 0)"},
		{[]string{"--turn-timeout", "-1s"}, "--turn-timeout must be 0 (no limit) or positive"},
		{[]string{"--tui"}, "--tui needs a terminal"},
		{[]string{"--resume", "latest", "--games", "3", "--rounds", "2"}, "--resume replays the stored configuration of the run; drop --games, --rounds"},
		{[]string{"--resume", "latest"}, "--resume latest: cannot open --db spag.db"},
		{[]string{"--game", "chess", "--out", "l"}, `--game "chess": want taboo, apo or toy`},
		{[]string{"--game", "apo", "--games", "5", "--toy-steps", "2", "--out", "l"}, "iterate --game apo: --games, --toy-steps belong to the other game's loop"},
		{[]string{"--rm-steps", "5", "--out", "l"}, "iterate --game taboo: --rm-steps belong to the other game's loop"},
		{[]string{"--game", "toy"}, "toy: --out is required"},
		// The Taboo loop's own, checked before anything is made.
		{[]string{"--steps", "1", "--out", "l", "--lr", "-1"}, "--lr: must be a positive number (got -1)"},
		{[]string{"--steps", "1", "--out", "l", "--max-turns", "0"}, "--max-turns must be at least 1 (got 0)"},
		{[]string{"--steps", "1", "--out", "l", "--opponent", "nosuch"}, `--opponent "nosuch": unknown backend "nosuch"`},
		{[]string{"--steps", "1", "--out", "l", "--credit", "decisive"}, "--credit applies to --objective zerosum only"},
		{[]string{"--steps", "1", "--out", "l", "--objective", "zerosum", "--decay", "0.5"}, "--decay is a setting of SPAG's rule"},
		{[]string{"--steps", "1", "--out", "l", "--objective", "zerosum", "--credit", "some"}, "--objective zerosum: "},
		{[]string{"--steps", "1", "--out", "l", "--objective", "var"}, `--objective "var": a loop trains with spag or zerosum`},
		{[]string{"--steps", "1", "--out", "l", "--opponents", "self=x"}, "--opponents: "},
		{[]string{"--steps", "1", "--out", "l", "--trainer", "gpu"}, "--trainer: "},
		{[]string{"--steps", "1", "--out", "l", "--judge", "lenient"}, "--judge: "},
		{[]string{"--steps", "1", "--out", "l", "--words", "nosuch.txt"}, "--words: "},
		{[]string{"--steps", "1"}, "iterate: --out DIR is required"},
		{[]string{"--out", "l"}, "iterate: give exactly one of --steps and --epochs"},
		{[]string{"--game", "apo", "--out", "l"}, "iterate --game apo: give --generator CKPT, --reward-model CKPT and --preferences FILE"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := execute(t, dir, nil, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tc.want)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("a refused loop left %s", left[0].Name())
			}
		})
	}
}

// TestRunToy runs the toy game's loop through the command: its results
// as a table and as JSON in eval.Rate's vocabulary, and each way a loop
// can end.
func TestRunToy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ends       error
		sig        cmdutil.Interrupts
		json       bool
		wantErr    error
		wantOut    []string
		wantStderr []string
	}{
		{name: "table", wantOut: []string{"ref", "first", "toy's calibration"}, wantStderr: []string{"toy loop l-toy done"}},
		{name: "json", json: true, wantOut: []string{`"loop": "l-toy"`, `"game": "toy"`, `"win_rate": {`, `"baseline_win_rate": {`, `"lo":`, `"rounds": [`, `"distance": 0.25`}},
		{name: "interrupted", ends: loop.ErrInterrupted, wantErr: cmdutil.ErrInterrupted,
			wantStderr: []string{"interrupted: what finished is recorded; resume with:\n  spag iterate --db spag.db --resume l-toy"}},
		{name: "cancelled by a signal", ends: context.Canceled, sig: interrupted{}, wantErr: cmdutil.ErrInterrupted},
		{name: "failed", ends: errToyFailed, wantErr: errToyFailed},
		{name: "final", ends: errToyFinal, wantErr: errToyFinal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			theToy.ends = tc.ends
			args := []string{"--game", "toy", "--out", "o"}
			if tc.json {
				args = append(args, "--json")
			}
			stdout, stderr, err := execute(t, t.TempDir(), tc.sig, args...)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			switch {
			case tc.ends == errToyFailed && !strings.Contains(err.Error(), "(resume with: spag iterate --db spag.db --resume l-toy)"):
				t.Errorf("err = %v, want the resume command", err)
			case tc.ends == errToyFinal && err.Error() != errToyFinal.Error():
				t.Errorf("err = %v, want it as it is", err)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.json {
				var doc struct {
					Results []eval.RoundRates `json:"results"`
				}
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatal(err)
				}
				if r := doc.Results[0]; r.Rate.Wins != 3 || r.Rate.Games != 4 || r.Baseline.Wins != 1 || !(r.Rate.Lo < 0.75 && r.Rate.Hi > 0.75) || !r.Difference.Known {
					t.Errorf("results[0] = %+v", r)
				}
			}
		})
	}
}

// TestRunResume resumes recorded loops: the toy's (by ID and as the
// latest), one the database lacks, and a loop of a game this spag does
// not run.
func TestRunResume(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(dir, "spag.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, game := range []string{"toy", "chess"} {
		rec := &episodes.Loop{Config: json.RawMessage(`{"game":"` + game + `","rounds":1}`)}
		if err := store.CreateLoop(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ids[game] = rec.ID
	}
	store.Close()
	theToy.ends = nil

	if _, _, err := execute(t, dir, nil, "--resume", ids["toy"]); err != nil {
		t.Fatal(err)
	}
	if theToy.resumed == nil || theToy.resumed.ID != ids["toy"] {
		t.Errorf("resumed %+v, want loop %s", theToy.resumed, ids["toy"])
	}
	_, _, err = execute(t, dir, nil, "--resume", "latest")
	if err == nil || !strings.Contains(err.Error(), "is a loop of the chess game, which this spag does not run") {
		t.Errorf("resume of the chess loop: %v", err)
	}
	_, _, err = execute(t, dir, nil, "--resume", "l-nosuch")
	if !errors.As(err, new(cmdutil.UsageError)) || !strings.Contains(err.Error(), "--resume l-nosuch: no such loop in spag.db") {
		t.Errorf("resume of a missing loop: %v", err)
	}
}

func TestRegisterRefusesMistakes(t *testing.T) {
	registerToy()
	flags := func(*pflag.FlagSet) iteratecmd.Loops { return nil }
	for name, g := range map[string]iteratecmd.Game{
		"twice":          {Name: "toy", Flags: flags},
		"second default": {Name: "other", Default: true, Flags: flags},
		"no flags":       {Name: "flagless"},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			iteratecmd.Games.Register(g)
		})
	}
}

// TestGamesShareAFlag: two games' loops may have a flag of the same
// name; the game that runs gets the value given, each keeps its own
// default, and the help says what each makes of it.
func TestGamesShareAFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"given", []string{"--steps", "7"}, 7},
		{"the game's own default", nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			theToy.shared, theToy.ends = 0, nil
			args := append([]string{"--game", "toy", "--out", "o", "--db", "toy.db"}, tt.args...)
			if _, stderr, err := execute(t, t.TempDir(), nil, args...); err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if theToy.shared != tt.want {
				t.Errorf("the toy's --steps is %d; want %d", theToy.shared, tt.want)
			}
		})
	}
	io, _, _, _ := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), nil)
	if u := cmd.Flags().Lookup("steps").Usage; !strings.Contains(u, "training steps per round") || !strings.Contains(u, "; toy: steps it shares (default 5)") {
		t.Errorf("--steps help %q; want Taboo's and the toy's", u)
	}
}
