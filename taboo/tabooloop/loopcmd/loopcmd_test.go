package loopcmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	_ "github.com/spag-go/spag/players/native"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	"github.com/spag-go/spag/taboo/tabooloop"
	_ "github.com/spag-go/spag/taboo/tabooloop/loopcmd"
)

// iterate runs spag iterate with args in the current directory, in
// process.
func iterate(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, nil), nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// recordFinished records, in spag.db, a one-round Taboo loop whose round
// is over (config is its configuration), so that resuming it only
// prints its results.
func recordFinished(t *testing.T, config string) string {
	t.Helper()
	ctx := context.Background()
	store, err := episodes.Open(ctx, "spag.db", episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec := &episodes.Loop{Config: json.RawMessage(config)}
	if err := store.CreateLoop(ctx, rec); err != nil {
		t.Fatal(err)
	}
	st, err := json.Marshal(tabooloop.RoundState{Results: []eval.RoundResult{
		{Round: 1, Opponent: "builtin", Role: "attacker", Wins: 2, Games: 4, BaselineWins: 1, BaselineGames: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveRound(ctx, rec.ID, episodes.Round{Round: 1, Stage: tabooloop.StageDone, State: st}); err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// TestResumeFinished resumes finished loops: one recorded before loops
// recorded their game or their settings, and one with its settings and an
// exec trainer; each prints its results and the page's command.
func TestResumeFinished(t *testing.T) {
	for _, tt := range []struct{ name, config string }{
		{"old", `{"rounds": 1, "out": "OUT"}`},
		{"new", `{"game": "taboo", "rounds": 1, "out": "OUT", "trainer": "exec:true", "play": {"max_turns": 2, "judge": "spag"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			id := recordFinished(t, strings.ReplaceAll(tt.config, "OUT", filepath.Join(dir, "loop")))
			stdout, stderr, err := iterate(t, "--resume", id)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if !strings.Contains(stderr, "loop "+id+": 1 rounds into") || !strings.Contains(stderr, "page: spag report --db spag.db --loop "+id) {
				t.Errorf("stderr:\n%s", stderr)
			}
			if !strings.Contains(stdout, "builtin") || !strings.Contains(stdout, "attacker") {
				t.Errorf("stdout:\n%s", stdout)
			}
		})
	}
}

// TestResumeRefusesDamagedSettings: a loop whose stored settings cannot be
// read, or whose judge is unknown, is refused, naming the loop.
func TestResumeRefusesDamagedSettings(t *testing.T) {
	for _, tt := range []struct{ name, config, want string }{
		{"unreadable settings", `{"game": "taboo", "rounds": 1, "out": "OUT", "play": {"max_turns": "two"}}`, "its stored play settings"},
		{"an unknown judge", `{"game": "taboo", "rounds": 1, "out": "OUT", "play": {"judge": "lenient"}}`, "its stored judge"},
		{"an unknown trainer", `{"game": "taboo", "rounds": 1, "out": "OUT", "trainer": "gpu"}`, "--trainer: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			id := recordFinished(t, strings.ReplaceAll(tt.config, "OUT", filepath.Join(dir, "loop")))
			_, _, err := iterate(t, "--resume", id)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestStartRefusesSharedWords: the evaluation's words may not be training
// words, and the refusal leaves nothing behind.
func TestStartRefusesSharedWords(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("words.txt", []byte("apple\nriver\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := iterate(t, "--steps", "1", "--out", "l", "--words", "words.txt", "--eval-words", "words.txt", "--objective", "zerosum", "--opponents", "self=1")
	if !errors.As(err, new(cmdutil.UsageError)) || !strings.Contains(err.Error(), "--eval-words: ") {
		t.Fatalf("err = %v, want a usage error naming --eval-words", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("a refused loop left %d files", len(left)-1)
	}
}

// drained is a process whose user pressed Ctrl-C before the loop began.
type drained struct{ c chan struct{} }

func (d drained) Drain() <-chan struct{} { return d.c }
func (drained) Count() int               { return 1 }

// TestStartInterrupted starts a loop from the shipped model whose user
// has already asked it to stop: the loop is recorded, with its settings,
// and stops before its first game, printing how to resume it.
func TestStartInterrupted(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	sig := drained{make(chan struct{})}
	close(sig.c)
	io, _, _, errOut := cmdutil.Test()
	cmd := iteratecmd.NewCmdIterate(cmdutil.New(io, sig), nil)
	cmd.SetArgs([]string{"--rounds", "1", "--games", "2", "--eval-games", "2", "--steps", "1", "--max-turns", "1", "--out", "l", "--option", "temperature=0.5"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.ExecuteContext(context.Background()); !errors.Is(err, cmdutil.ErrInterrupted) {
		t.Fatalf("err = %v, want an interruption\n%s", err, errOut)
	}
	if !strings.Contains(errOut.String(), "resume with:\n  spag iterate --db spag.db --resume l") {
		t.Errorf("stderr:\n%s", errOut)
	}
	store, err := episodes.Open(context.Background(), "spag.db", episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec, err := store.LatestLoop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cfg tabooloop.Config
	if err := json.Unmarshal(rec.Config, &cfg); err != nil || cfg.InitSpec != "native" || !strings.Contains(string(cfg.Play), `"max_turns":1`) {
		t.Errorf("recorded %s (%v)", rec.Config, err)
	}
}
