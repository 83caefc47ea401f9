package playrun_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
	"github.com/spag-go/spag/taboo/taboorun"
)

// fakeSettings are a test game's flags: --games, shared with the other
// test game, and a flag of its own.
type fakeSettings struct {
	games int
	own   string
	tags  []string
}

func (s *fakeSettings) New(func(string) bool, *playrun.Flags) (playrun.Config, error) {
	return nil, errors.New("not played")
}
func (s *fakeSettings) Stored(*episodes.Run) (playrun.Config, error) {
	return nil, errors.New("not played")
}

// testRegistry holds two games of the command "duel": alpha, the default,
// and beta, whose --games has another default and help.
func testRegistry() (*playrun.Registry, map[string]*fakeSettings) {
	got := map[string]*fakeSettings{}
	reg := &playrun.Registry{}
	for _, g := range []struct {
		name, own string
		games     int
		def       bool
	}{{"alpha", "alpha-player", 10, true}, {"beta", "beta-player", 20, false}} {
		reg.Register(playrun.Game{Name: g.name, Command: "duel", Default: g.def, Flags: func(fs *pflag.FlagSet) playrun.Settings {
			s := &fakeSettings{}
			fs.IntVar(&s.games, "games", g.games, "games of "+g.name)
			fs.StringVar(&s.own, g.own, "x", "a player of "+g.name)
			fs.StringSliceVar(&s.tags, "tags", nil, "tags")
			got[g.name] = s
			return s
		}})
	}
	reg.Register(playrun.Game{Name: "gamma", Command: "gamma", Flags: func(fs *pflag.FlagSet) playrun.Settings { return &fakeSettings{} }})
	return reg, got
}

func TestRegistry(t *testing.T) {
	reg, _ := testRegistry()
	var names []string
	for _, g := range reg.Of("duel") {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, []string{"alpha", "beta"}) {
		t.Errorf("Of(duel) = %v, want alpha (the default) then beta", names)
	}
	for name, want := range map[string]string{"alpha": "duel", "beta": "duel --game beta", "gamma": "gamma --game gamma", "nobody": "nobody"} {
		if got := reg.CommandOf(name); got != want {
			t.Errorf("CommandOf(%s) = %q, want %q", name, got, want)
		}
	}
	for _, g := range []playrun.Game{{Name: "alpha", Command: "duel", Flags: func(*pflag.FlagSet) playrun.Settings { return nil }}, {Name: "delta"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", g.Name)
				}
			}()
			reg.Register(g)
		}()
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		flags   playrun.Flags
		set     []string
		tty     bool
		wantErr string
	}{
		{name: "defaults", flags: playrun.Flags{}},
		{name: "no concurrency", flags: playrun.Flags{Concurrency: 0}, set: []string{"concurrency"}, wantErr: "--concurrency must be at least 1 (got 0)"},
		{name: "negative turn timeout", flags: playrun.Flags{TurnTimeout: -1}, wantErr: "--turn-timeout must be 0 (no limit) or positive"},
		{name: "tui without a terminal", flags: playrun.Flags{TUI: true}, wantErr: "--tui needs a terminal"},
		{name: "tui on a terminal", flags: playrun.Flags{TUI: true}, tty: true},
		{name: "resume with settings", flags: playrun.Flags{Resume: "r1"}, set: []string{"db", "games", "resume", "seed"}, wantErr: "drop --games, --seed"},
		{name: "resume with how to play", flags: playrun.Flags{Resume: "r1", Concurrency: 2}, set: []string{"concurrency", "db", "game", "json", "resume", "turn-timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.flags.Check(tt.set, cmdutil.Streams(nil, io.Discard, io.Discard, tt.tty))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestGameFlagsGiveTheChosenGameItsFlags(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantGame  string
		wantGames int
		wantOwn   string
		wantTags  []string
		wantErr   string
	}{
		{name: "default game", args: nil, wantGame: "alpha", wantGames: 10, wantOwn: "x"},
		{name: "default game's flags", args: []string{"--games", "3", "--alpha-player", "p"}, wantGame: "alpha", wantGames: 3, wantOwn: "p"},
		{name: "other game's default", args: []string{"--game", "beta"}, wantGame: "beta", wantGames: 20, wantOwn: "x"},
		{name: "shared flag reaches the other game", args: []string{"--game", "beta", "--games", "4", "--beta-player", "q", "--tags", "a,b"},
			wantGame: "beta", wantGames: 4, wantOwn: "q", wantTags: []string{"a", "b"}},
		{name: "common flags are everyone's", args: []string{"--game", "beta", "--seed", "7", "--db", "x.db"}, wantGame: "beta", wantGames: 20, wantOwn: "x"},
		{name: "another game's flag", args: []string{"--game", "beta", "--alpha-player", "p"}, wantErr: "--alpha-player is not a flag of the game beta"},
		{name: "unknown game", args: []string{"--game", "gamma"}, wantErr: `--game "gamma": want one of alpha, beta`},
		{name: "no game", args: []string{"--game", ""}, wantErr: "--game is required: one of alpha, beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, got := testRegistry()
			fl := pflag.NewFlagSet("duel", pflag.ContinueOnError)
			var common playrun.Flags
			common.Register(fl, "seed")
			games := playrun.NewGameFlags(fl, reg.Of("duel"), func(g playrun.Game, fs *pflag.FlagSet) any { return g.Flags(fs) })
			game := games.Default()
			games.AddGameFlag(&game)
			if err := fl.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			_, settings, err := games.Chosen(game)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := got[tt.wantGame]
			if game != tt.wantGame || settings != s || s.games != tt.wantGames || s.own != tt.wantOwn || !slices.Equal(s.tags, tt.wantTags) {
				t.Errorf("game %q settings %+v, want %s with games %d, own %q, tags %v", game, s, tt.wantGame, tt.wantGames, tt.wantOwn, tt.wantTags)
			}
		})
	}
}

// TestChoice: a command's options embed a Choice, which adds its games'
// flags (and --game when asked), then chooses the game and hands it its
// settings, typed, and the flags the user gave.
func TestChoice(t *testing.T) {
	tests := []struct {
		name        string
		gameFlag    bool
		args        []string
		wantGame    string
		wantGames   int
		wantChanged []string
		wantErr     string
	}{
		{name: "default game", gameFlag: true, wantGame: "alpha", wantGames: 10},
		{name: "chosen game", gameFlag: true, args: []string{"--game", "beta", "--games", "4"}, wantGame: "beta", wantGames: 4, wantChanged: []string{"game", "games"}},
		{name: "unknown game", gameFlag: true, args: []string{"--game", "gamma"}, wantErr: `--game "gamma": want one of alpha, beta`},
		{name: "the default game's flags without --game", args: []string{"--games", "5"}, wantGame: "alpha", wantGames: 5, wantChanged: []string{"games"}},
		{name: "no --game unless asked", args: []string{"--game", "beta"}, wantErr: "unknown flag: --game"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, got := testRegistry()
			fl := pflag.NewFlagSet("duel", pflag.ContinueOnError)
			fl.SetOutput(io.Discard)
			var c playrun.Choice[*fakeSettings]
			c.AddGames(fl, reg.Of("duel"), func(g playrun.Game, fs *pflag.FlagSet) *fakeSettings { return g.Flags(fs).(*fakeSettings) }, tt.gameFlag)
			err := fl.Parse(tt.args)
			if err == nil {
				err = c.Choose()
			}
			if err != nil || tt.wantErr != "" {
				if err == nil || tt.wantErr == "" || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if c.Game != tt.wantGame || c.Settings != got[tt.wantGame] || c.Settings.games != tt.wantGames || c.DefaultGame() != "alpha" {
				t.Errorf("choice %+v (default %q), want %s with games %d", c, c.DefaultGame(), tt.wantGame, tt.wantGames)
			}
			for _, name := range []string{"game", "games", "seed"} {
				if c.Changed(name) != slices.Contains(tt.wantChanged, name) {
					t.Errorf("Changed(%s) = %v, set %v", name, c.Changed(name), c.Set)
				}
			}
		})
	}
}

func TestResumeRun(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "runs.db")
	cfg := taboorun.Config{MaxTurns: 1, Judge: "strict", Attacker: "builtin", Defender: "builtin", Seed: 1, Words: "builtin", Games: 2}
	words, err := taboo.Words(cfg.Words)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Prepare(words); err != nil {
		t.Fatal(err)
	}
	plan, err := cfg.Plan(ctx, words, nil)
	if err != nil {
		t.Fatal(err)
	}
	session := &selfplay.Session{Path: db}
	run, _, err := session.Begin(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	session.Close()
	reg, _ := testRegistry()
	tests := []struct {
		name, db, id, game, wantErr string
	}{
		{name: "its own game", db: db, id: run.ID, game: "taboo"},
		{name: "another game", db: db, id: run.ID, game: "beta", wantErr: "resume it with: spag taboo --db " + db + " --resume " + run.ID},
		{name: "no such run", db: db, id: "r0", game: "taboo", wantErr: "--resume r0: no such run in " + db + " (spag runs --db " + db + " lists its runs)"},
		{name: "no database", db: filepath.Join(t.TempDir(), "none", "x.db"), id: "r0", game: "taboo", wantErr: "cannot open --db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session := &selfplay.Session{Path: tt.db}
			defer session.Close()
			got, err := playrun.ResumeRun(ctx, reg, session, tt.id, tt.game)
			if tt.wantErr == "" {
				if err != nil || got.ID != run.ID {
					t.Fatalf("ResumeRun = %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestResolvePlayers(t *testing.T) {
	tests := []struct {
		name    string
		specs   []string
		want    []string
		wantErr string
	}{
		{"both resolve", []string{"builtin", "builtin"}, []string{"builtin", "builtin"}, ""},
		{"the second names its flag", []string{"builtin", "nosuch:x"}, nil, `--second "nosuch:x": unknown backend "nosuch"`},
		{"the first bad one is named", []string{"nosuch:a", "nosuch:b"}, nil, `--first "nosuch:a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := playrun.ResolvePlayers([]string{"first", "second"}, tt.specs...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ResolvePlayers = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// things are a test game's subjects: the comma-separated names of its
// --things, "bad" refused.
var things = playrun.Subjects[string]{Flag: "things", Load: func(name string) ([]string, error) {
	if name == "bad" {
		return nil, errors.New("no such list")
	}
	return strings.Split(name, ","), nil
}}

func TestSubjects(t *testing.T) {
	type config struct{ Things string }
	tests := []struct {
		name      string
		newName   string // New's flag value; "" to call Stored
		stored    string // the run's stored configuration
		want      []string
		wantErr   string
		wantUsage bool
	}{
		{name: "new", newName: "a,b", want: []string{"a", "b"}},
		{name: "new refused names the flag", newName: "bad", wantErr: "--things: no such list", wantUsage: true},
		{name: "stored loads what the run recorded", stored: `{"Things": "x,y,z"}`, want: []string{"x", "y", "z"}},
		{name: "stored refused names the run and the flag", stored: `{"Things": "bad"}`, wantErr: "run r1: its --things: no such list"},
		{name: "stored unreadable", stored: `{`, wantErr: "run r1: stored configuration unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var err error
			if tt.newName != "" {
				got, err = things.New(tt.newName)
			} else {
				var c config
				got, err = things.Stored(&episodes.Run{ID: "r1", Config: []byte(tt.stored)}, &c, &c.Things)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if isUsage := errors.As(err, new(cmdutil.UsageError)); isUsage != tt.wantUsage {
					t.Errorf("err %v is a usage error: %v, want %v", err, isUsage, tt.wantUsage)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
