package selfplaycmd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/command/arenacmd"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/replay"
	reportcmd "github.com/spag-go/spag/command/report"
	"github.com/spag-go/spag/command/stats"
)

// inProcess runs a spag command that newCmd makes, in process.
func inProcess(t *testing.T, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	streams, _, out, errOut := cmdutil.Test()
	cmd := newCmd(cmdutil.New(streams, nil))
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestAThirdGameThroughTheGenericReaders takes the coin game, which
// comes to spag through its registrations alone, through spag arena,
// stats, replay and report, as TestAThirdGameThroughItsRegistrationAlone
// takes it through selfplay.
func TestAThirdGameThroughTheGenericReaders(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "coin.db")
	arenaCmd := func(f *cmdutil.Factory) *cobra.Command { return arenacmd.NewCmdArena(f, nil, nil) }
	stdout, stderr, err := inProcess(t, arenaCmd, "--game", "coin", "--a", "tails", "--b", "heads", "--games", "4", "--db", db, "--json")
	if err != nil {
		t.Fatalf("arena --game coin: %v\n%s", err, stderr)
	}
	var res arena.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	// The subjects alternate heads and tails: any caller wins half.
	if len(res.Runs) != 3 || len(res.Roles) != 2 || res.Roles[0].Role != "caller" || res.Roles[0].Rate.Games != 4 || res.Roles[0].Rate.Wins != 2 {
		t.Fatalf("result %+v", res)
	}
	// Resuming the finished arena names its runs and plays nothing.
	if _, stderr, err := inProcess(t, arenaCmd, "--game", "coin", "--db", db, "--resume", strings.Join(res.RunIDs(), ",")); err != nil ||
		!strings.Contains(stderr, "arena A vs B (tails as caller, heads as flipper): run "+res.Runs["A vs B"]) || strings.Count(stderr, "0/0 ") != 3 {
		t.Fatalf("resumed arena: %v\n%s", err, stderr)
	}
	if _, _, err := inProcess(t, arenaCmd, "--game", "coin", "--a", "edge", "--b", "heads", "--db", filepath.Join(dir, "none.db")); err == nil || !strings.Contains(err.Error(), `player "edge": want heads or tails`) {
		t.Errorf("arena of a bad player: err = %v", err)
	}

	id := res.Runs["A vs B"]
	statsCmd := func(f *cmdutil.Factory) *cobra.Command { return stats.NewCmdStats(f, nil) }
	if stdout, _, err := inProcess(t, statsCmd, "--db", db, "--run", id); err != nil || !strings.Contains(stdout, "caller_wins") || !strings.Contains(stdout, "caller tails") {
		t.Errorf("stats: %v\n%s", err, stdout)
	}
	replayCmd := func(f *cmdutil.Factory) *cobra.Command { return replay.NewCmdReplay(f, nil) }
	if stdout, _, err := inProcess(t, replayCmd, "--db", db, "--run", id); err != nil || !strings.Contains(stdout, "caller_wins") {
		t.Errorf("replay: %v\n%s", err, stdout)
	}
	page := filepath.Join(dir, "coin.md")
	reportCmd := func(f *cmdutil.Factory) *cobra.Command { return reportcmd.NewCmdReport(f, nil) }
	if _, stderr, err := inProcess(t, reportCmd, "--db", db, "--run", id, "--out", page); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if md, err := os.ReadFile(page); err != nil || !strings.Contains(string(md), "## Run "+id) || !strings.Contains(string(md), "caller\\_wins") {
		t.Errorf("report page (%v):\n%s", err, md)
	}
}
