package arenacmd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spag-go/spag/arena"
	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/game"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	_ "github.com/spag-go/spag/taboo/taboocmd"
)

func TestNewCmdArena(t *testing.T) {
	taboo := playrun.Choice[playrun.ArenaSettings]{Game: "taboo"}
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", args: nil, want: Options{Games: 100, Choice: taboo}},
		{name: "players and games", args: []string{"--a", "native", "--b", "builtin", "--games", "7", "--words", "builtin:train"},
			want: Options{A: "native", B: "builtin", Games: 7, Choice: taboo}},
		{name: "no such game", args: []string{"--game", "chess"}, wantErr: `--game "chess": want one of taboo`},
		{name: "argument", args: []string{"x"}, wantErr: `takes no arguments, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := NewCmdArena(cmdutil.New(io, nil), nil, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.A != tt.want.A || got.B != tt.want.B || got.Games != tt.want.Games || got.Game != tt.want.Game || got.Settings == nil {
				t.Errorf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// spag runs spag arena args in process.
func spag(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := NewCmdArena(cmdutil.New(io, nil), nil, nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestArenaPlaysAndResumes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	stdout, stderr, err := spag(t, "--a", "builtin:skill=0.9", "--b", "builtin:skill=0.2", "--games", "6", "--db", db, "--json")
	if err != nil {
		t.Fatalf("arena: %v\n%s", err, stderr)
	}
	var res arena.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(res.Runs) != 3 || len(res.Roles) != 2 || res.Roles[0].Role != "attacker" || res.Roles[0].Rate.Games != 6 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(stderr, "arena A vs B (builtin:skill=0.9 as attacker, builtin:skill=0.2 as defender): run "+res.Runs["A vs B"]) {
		t.Errorf("stderr does not name the first pairing's run:\n%s", stderr)
	}
	ids := res.RunIDs()
	stdout, stderr, err = spag(t, "--db", db, "--resume", strings.Join(ids, ","))
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(stdout, "A builtin:skill=0.9 against B builtin:skill=0.2, ") || !strings.Contains(stdout, "attacker") {
		t.Errorf("resumed arena printed:\n%s", stdout)
	}

	oneWord := filepath.Join(t.TempDir(), "one.txt")
	if err := os.WriteFile(oneWord, []byte("apple\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no players", args: []string{"--a", "builtin"}, wantErr: "arena: --a and --b are required"},
		{name: "no games", args: []string{"--a", "builtin", "--b", "builtin", "--games", "0"}, wantErr: "--games must be at least 1 (got 0)"},
		{name: "no turns", args: []string{"--a", "builtin", "--b", "builtin", "--max-turns", "0"}, wantErr: "--max-turns must be at least 1 (got 0)"},
		{name: "bad words", args: []string{"--a", "builtin", "--b", "builtin", "--words", filepath.Join(t.TempDir(), "none.txt")}, wantErr: "--words:"},
		{name: "one word", args: []string{"--a", "builtin", "--b", "builtin", "--words", oneWord}, wantErr: "an arena needs at least 2 words to play, this list has 1"},
		{name: "an option nobody takes", args: []string{"--a", "builtin", "--b", "builtin", "--option", "temperature=0.5"}, wantErr: "--option"},
		{name: "two run IDs", args: []string{"--db", db, "--resume", "r1,r2"}, wantErr: `--resume "r1,r2": want the arena's 3 run IDs, comma-separated`},
		{name: "no such run", args: []string{"--db", db, "--resume", "r1,r2,r3"}, wantErr: "--resume r1: no such run in " + db},
		{name: "resume with settings", args: []string{"--db", db, "--resume", strings.Join(ids, ","), "--games", "3"}, wantErr: "drop --games"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := spag(t, append([]string{"--db", filepath.Join(t.TempDir(), "x.db")}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTextResultAndSeats(t *testing.T) {
	stdout, _, err := spag(t, "--a", "builtin", "--b", "builtin", "--games", "2", "--db", filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^A builtin against B builtin, `).MatchString(stdout) {
		t.Errorf("text result:\n%s", stdout)
	}
	d := &game.Description{Roles: []string{"generator", "reward_model"}, RoleLabels: map[string]string{"reward_model": "reward model"}}
	if got := seats(d, []string{"a", "b"}); got != "a as generator, b as reward model" {
		t.Errorf("seats = %q", got)
	}
	if got := seats(nil, []string{"a", "b"}); got != "a as 0, b as 1" {
		t.Errorf("seats of an unknown game = %q", got)
	}
}
