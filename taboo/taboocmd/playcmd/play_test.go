package playcmd

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
)

func TestNewCmdPlay(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want PlayOptions
	}{
		{name: "defaults", want: PlayOptions{Against: "builtin", Words: "builtin", MaxTurns: 5, Judge: "strict", DB: "spag.db"}},
		{name: "every flag", args: []string{"--as", "defender", "--against", "native", "--word", "apple", "--words", "w.txt", "--max-turns", "3", "--judge", "spag", "--db", "x.db", "--seed", "0"},
			want: PlayOptions{As: "defender", Against: "native", Word: "apple", Words: "w.txt", MaxTurns: 3, Judge: "spag", DB: "x.db", SeedSet: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, _, _, _ := cmdutil.Test()
			var got *PlayOptions
			cmd := NewCmdPlay(cmdutil.New(streams, nil), func(_ context.Context, o *PlayOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tt.want {
				t.Errorf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestPlayRefusals(t *testing.T) {
	tests := []struct {
		name    string
		opts    PlayOptions
		noTTY   bool
		wantErr string
	}{
		{name: "no role", opts: PlayOptions{}, wantErr: "--as is required: attacker or defender"},
		{name: "bad role", opts: PlayOptions{As: "judge"}, wantErr: `--as "judge": want attacker or defender`},
		{name: "no turns", opts: PlayOptions{As: "attacker"}, wantErr: "--max-turns must be at least 1 (got 0)"},
		{name: "no terminal", opts: PlayOptions{As: "attacker", MaxTurns: 1}, noTTY: true, wantErr: "play needs a terminal (stdout is not one)"},
		{name: "bad judge", opts: PlayOptions{As: "attacker", MaxTurns: 1, Judge: "lenient"}, wantErr: "--judge"},
		{name: "bad words", opts: PlayOptions{As: "attacker", MaxTurns: 1, Judge: "strict", Words: filepath.Join(t.TempDir(), "none.txt")}, wantErr: "--words:"},
		{name: "bad opponent", opts: PlayOptions{As: "attacker", MaxTurns: 1, Judge: "strict", Word: "apple", Against: "nosuch:x"}, wantErr: "against"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.IO = cmdutil.Streams(strings.NewReader(""), io.Discard, io.Discard, !tt.noTTY)
			err := RunPlay(context.Background(), &tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestHumanGameSeatsThePerson(t *testing.T) {
	for _, role := range []string{"attacker", "defender"} {
		t.Run(role, func(t *testing.T) {
			opts := &PlayOptions{IO: cmdutil.Streams(nil, io.Discard, io.Discard, true), As: role, Against: "builtin", Words: "builtin",
				MaxTurns: 2, Judge: "strict", Seed: 3, SeedSet: true}
			hg, err := newHumanGame(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer hg.person.Close()
			p := hg.plan
			if p.Names[role] != "human" || p.Subjects.Len() != 1 || p.Seed != 3 || p.MaxTurns != 2 {
				t.Errorf("plan: names %v, %d subjects, seed %d", p.Names, p.Subjects.Len(), p.Seed)
			}
			if seat := map[string]int{"attacker": 0, "defender": 1}[role]; p.Players[seat] != hg.person {
				t.Errorf("the person does not sit in the %s's seat", role)
			}
		})
	}
}

func TestPlayQuitBeforeTheEndStoresNothing(t *testing.T) {
	// The terminal UI logs to a file, never to the user's state directory.
	t.Setenv("SPAG_LOG", filepath.Join(t.TempDir(), "tui.log"))
	db := filepath.Join(t.TempDir(), "p.db")
	var errOut strings.Builder
	opts := &PlayOptions{IO: cmdutil.Streams(strings.NewReader("\x03"), io.Discard, &errOut, true), As: "defender", Against: "builtin",
		Word: "apple", MaxTurns: 2, Judge: "strict", DB: db}
	err := RunPlay(context.Background(), opts)
	if !errors.Is(err, cmdutil.ErrInterrupted) || !strings.Contains(errOut.String(), "game abandoned before its end; nothing was stored") {
		t.Fatalf("err = %v, stderr %q", err, errOut.String())
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a quit game made the database %s (%v)", db, err)
	}
}
