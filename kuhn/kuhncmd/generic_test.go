package kuhncmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/command/arenacmd"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/command/replay"
	reportcmd "github.com/spag-go/spag/command/report"
	"github.com/spag-go/spag/command/selfplaycmd"
	"github.com/spag-go/spag/command/stats"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/kuhn/kuhncmd"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	_ "github.com/spag-go/spag/taboo/taboocmd"
)

// generic runs one of spag's generic commands, made by newCmd, in
// process, with the run summary spag prints after a play command.
func generic(t *testing.T, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	return cmdtest.Execute(t, func(f *cmdutil.Factory) *cobra.Command {
		f.RunSummary = func(ctx context.Context, w io.Writer, store *episodes.Store, runID string, asJSON bool) error {
			return stats.Write(ctx, w, store, runID, false, asJSON)
		}
		return newCmd(f)
	}, args...)
}

func selfplayCmd(f *cmdutil.Factory) *cobra.Command { return selfplaycmd.NewCmdSelfplay(f, nil) }
func arenaCmd(f *cmdutil.Factory) *cobra.Command    { return arenacmd.NewCmdArena(f, nil, nil) }
func statsCmd(f *cmdutil.Factory) *cobra.Command    { return stats.NewCmdStats(f, nil) }
func replayCmd(f *cmdutil.Factory) *cobra.Command   { return replay.NewCmdReplay(f, nil) }
func reportCmd(f *cmdutil.Factory) *cobra.Command   { return reportcmd.NewCmdReport(f, nil) }

// TestSelfplayGameKuhn plays Kuhn Poker through spag selfplay --game kuhn:
// the hands are stored as spag kuhn play stores them, either command
// resumes the run, and spag stats, replay and report read it.
func TestSelfplayGameKuhn(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	_, stderr, err := generic(t, selfplayCmd, "--game", "kuhn", "--games", "12", "--first", "kuhn:always-bet", "--second", "builtin", "--seed", "3", "--db", db)
	if err != nil {
		t.Fatalf("selfplay --game kuhn: %v\n%s", err, stderr)
	}
	store, err := episodes.Open(context.Background(), db, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := store.LatestRunInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Stats(context.Background(), info.ID)
	store.Close()
	if err != nil || st.Episodes != 12 || !strings.HasPrefix(info.Game, "kuhn@1") || info.Players[kuhn.First] != "kuhn:always-bet" {
		t.Fatalf("stored run %+v, %d hands (%v), want 12 hands of kuhn:always-bet first", info, st.Episodes, err)
	}
	if !strings.Contains(stderr, "run "+info.ID+": 12 episodes to play (first kuhn:always-bet, second builtin)") {
		t.Errorf("stderr does not describe the run:\n%s", stderr)
	}

	// Both commands resume it, with nothing left to play.
	if _, stderr, err = generic(t, selfplayCmd, "--game", "kuhn", "--db", db, "--resume", info.ID); err != nil || !strings.Contains(stderr, "0 episodes to play") {
		t.Fatalf("selfplay --resume: %v\n%s", err, stderr)
	}
	if _, stderr, err = cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--db", db, "--resume", info.ID); err != nil || !strings.Contains(stderr, "0 hands to play") {
		t.Fatalf("kuhn play --resume of a selfplay run: %v\n%s", err, stderr)
	}

	out, _, err := generic(t, statsCmd, "--db", db, "--run", info.ID)
	if err != nil || !strings.Contains(out, "first player wins") || !strings.Contains(out, "showdowns") {
		t.Errorf("stats: %v\n%s", err, out)
	}
	out, _, err = generic(t, replayCmd, "--db", db, "--run", info.ID)
	if err != nil || strings.Count(out, "\n") < 12 {
		t.Errorf("replay: %v\n%s", err, out)
	}
	page := filepath.Join(dir, "run.md")
	if _, stderr, err = generic(t, reportCmd, "--db", db, "--run", info.ID, "--out", page); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	md, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(md), info.ID) || !strings.Contains(string(md), "kuhn.showdown") {
		t.Errorf("report page (%v):\n%s", err, md)
	}

	for _, tt := range []struct{ args, want string }{
		{"--games 0", "--games"},
		{"--first kuhn:bluffer", "kuhn:bluffer names no strategy"},
		{"--resume " + info.ID + " --first builtin", "drop --first"},
	} {
		_, _, err := generic(t, selfplayCmd, append([]string{"--game", "kuhn", "--db", db}, strings.Fields(tt.args)...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, new(cmdutil.UsageError)) {
			t.Errorf("%s: err = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestArenaGameKuhn plays spag arena --game kuhn: always betting against
// the equilibrium, in both seats and B against itself, then resumes it.
func TestArenaGameKuhn(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, stderr, err := generic(t, arenaCmd, "--game", "kuhn", "--a", "kuhn:always-bet", "--b", "builtin", "--games", "12", "--db", db, "--json")
	if err != nil {
		t.Fatalf("arena --game kuhn: %v\n%s", err, stderr)
	}
	var res arena.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res.Runs) != 3 || len(res.Roles) != 2 || res.Roles[0].Role != kuhn.First || res.Roles[0].Rate.Games != 12 || !strings.HasPrefix(res.Game, "kuhn@1") {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(stderr, "arena A vs B (kuhn:always-bet as first player, builtin as second player): run "+res.Runs["A vs B"]) {
		t.Errorf("stderr does not name the first pairing's run:\n%s", stderr)
	}
	out, stderr, err = generic(t, arenaCmd, "--game", "kuhn", "--db", db, "--resume", strings.Join(res.RunIDs(), ","))
	if err != nil || !strings.HasPrefix(out, "A kuhn:always-bet against B builtin, ") {
		t.Fatalf("resumed arena: %v\n%s\n%s", err, out, stderr)
	}
	// A refused arena records nothing: the database is never made.
	fresh := filepath.Join(t.TempDir(), "none.db")
	if _, _, err = generic(t, arenaCmd, "--game", "kuhn", "--a", "kuhn:bluffer", "--b", "builtin", "--db", fresh); err == nil || !strings.Contains(err.Error(), "kuhn:bluffer names no strategy") || !errors.As(err, new(cmdutil.UsageError)) {
		t.Errorf("a bad --a: err = %v, want a usage error naming the spec", err)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused arena made %s (%v)", fresh, err)
	}
}

// TestResumeNamesTheGamesCommand resumes a Kuhn run as Taboo and a Taboo
// run as Kuhn: each refusal names the command that resumes the run.
func TestResumeNamesTheGamesCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	if _, stderr, err := cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--games", "6", "--db", db); err != nil {
		t.Fatalf("kuhn play: %v\n%s", err, stderr)
	}
	if _, stderr, err := generic(t, selfplayCmd, "--attacker", "builtin", "--defender", "builtin", "--games", "2", "--db", db); err != nil {
		t.Fatalf("selfplay: %v\n%s", err, stderr)
	}
	store, err := episodes.Open(context.Background(), db, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := store.Runs(context.Background())
	store.Close()
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	ids := map[string]string{}
	for _, r := range runs {
		game := "taboo"
		if strings.HasPrefix(r.Game, "kuhn@") {
			game = "kuhn"
		}
		ids[game] = r.ID
	}
	if ids["kuhn"] == "" || ids["taboo"] == "" {
		t.Fatalf("runs %+v, want one of each game", runs)
	}
	_, _, err = generic(t, selfplayCmd, "--db", db, "--resume", ids["kuhn"])
	if want := "resume it with: spag selfplay --game kuhn --db " + db + " --resume " + ids["kuhn"]; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("selfplay --resume of a Kuhn run: %v, want %q", err, want)
	}
	_, _, err = cmdtest.Execute(t, kuhncmd.NewCmd, "play", "--db", db, "--resume", ids["taboo"])
	if want := "resume it with: spag selfplay --db " + db + " --resume " + ids["taboo"]; err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, new(cmdutil.UsageError)) {
		t.Errorf("kuhn play --resume of a Taboo run: %v, want a usage error with %q", err, want)
	}
}
