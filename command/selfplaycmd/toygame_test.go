package selfplaycmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/playrun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/selfplay"
)

// coin is a toy game that comes to spag through its registrations alone,
// as a third game would: the caller calls heads or tails, and wins when
// the episode's subject is what it called.
type coin struct{}

func (coin) Name() string    { return "coin" }
func (coin) String() string  { return "coin@1" }
func (coin) Roles() []string { return []string{"caller", "flipper"} }
func (coin) NewState(s game.Setup) (game.State, error) {
	return &coinState{subject: s.Subject}, nil
}

type coinState struct {
	subject string
	called  string
}

func (s *coinState) CurrentPlayer() int {
	if s.called != "" {
		return -1
	}
	return 0
}
func (s *coinState) Observation(p int) game.Observation {
	return game.Observation{Player: p, Role: coin{}.Roles()[p], Turn: 1, MaxUtterances: 1}
}
func (s *coinState) Apply(text string) error { s.called = text; return nil }
func (s *coinState) IsTerminal() bool        { return s.called != "" }
func (s *coinState) Verdict() game.Verdict {
	outcome := "flipper_wins"
	if s.called == s.subject {
		outcome = "caller_wins"
	}
	return game.Verdict{Outcome: outcome, DecidedAt: 1, Rule: "call", Judge: "coin@1"}
}
func (s *coinState) Transcript() []game.Message {
	return []game.Message{{Role: "caller", Content: s.called}}
}
func (s *coinState) Clone() game.State { c := *s; return &c }

// coinSettings are the coin's own flags of spag selfplay: --caller, and
// --games, which Taboo's flags show.
type coinSettings struct {
	games  int
	caller string
}

// coinConfig is a coin run's stored configuration. An arena's runs name
// the flipper too: the player B or A that the pairing seats there.
type coinConfig struct {
	Caller  string `json:"caller"`
	Flipper string `json:"flipper,omitempty"`
	Games   int    `json:"games"`
	Seed    uint64 `json:"seed"`
}

func (s *coinSettings) New(_ func(string) bool, common *playrun.Flags) (playrun.Config, error) {
	if s.caller != "heads" && s.caller != "tails" {
		return nil, cmdutil.Usagef("--caller %q: want heads or tails", s.caller)
	}
	return &coinConfig{Caller: s.caller, Games: s.games, Seed: common.Seed}, nil
}

func (s *coinSettings) Stored(run *episodes.Run) (playrun.Config, error) {
	var c coinConfig
	return &c, selfplay.StoredConfig(run, &c)
}

func (c *coinConfig) Plan(_ context.Context, run *episodes.Run) (*selfplay.Plan, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	subjects := make(selfplay.List, c.Games)
	for i := range subjects {
		subjects[i] = []string{"heads", "tails"}[i%2]
	}
	call := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) { return game.Reply{Text: c.Caller}, nil })
	flipper := c.Flipper
	if flipper == "" {
		flipper = "coin"
	}
	return &selfplay.Plan{Game: coin{}, Players: []game.Player{call, call}, Names: map[string]string{"caller": c.Caller, "flipper": flipper},
		Subjects: subjects, Seed: c.Seed, Judge: "coin@1", MaxTurns: 1, Config: raw}, nil
}

func (c *coinConfig) Describe() string { return "caller " + c.Caller }

func init() {
	game.Games.Register(&game.Description{Name: "coin", Title: "Coin", Subject: "side", Roles: coin{}.Roles(),
		Outcomes: []game.Outcome{
			{Name: "caller_wins", Label: "caller", Winner: "caller", Loser: "flipper"},
			{Name: "flipper_wins", Label: "flipper", Winner: "flipper", Loser: "caller"},
		}})
	playrun.Games.Register(playrun.Game{Name: "coin", Command: "selfplay", Flags: func(fs *pflag.FlagSet) playrun.Settings {
		s := &coinSettings{}
		fs.IntVar(&s.games, "games", 4, "coins to toss")
		fs.StringVar(&s.caller, "caller", "heads", "what the caller calls: heads or tails")
		return s
	}, Arena: func(*pflag.FlagSet) playrun.ArenaSettings { return coinArena{} }})
}

// coinArena is the coin's part of spag arena: it has no flags of its own;
// a player spec is what the player calls when it is the caller.
type coinArena struct{}

func (coinArena) New(_ func(string) bool, common *playrun.Flags, games int, a, b string) (playrun.ArenaConfig, error) {
	for _, p := range []string{a, b} {
		if p != "heads" && p != "tails" {
			return nil, cmdutil.Usagef("player %q: want heads or tails", p)
		}
	}
	return &coinPairings{coinConfig{Caller: a, Flipper: b, Games: games, Seed: common.Seed}}, nil
}

func (coinArena) Stored(run *episodes.Run) (playrun.ArenaConfig, error) {
	var p coinPairings
	return &p, selfplay.StoredConfig(run, &p.base)
}

// coinPairings is what an arena's coin runs share; each pairing seats its
// own caller and flipper.
type coinPairings struct{ base coinConfig }

func (p *coinPairings) Players() []string { return []string{p.base.Caller, p.base.Flipper} }

func (p *coinPairings) Plan(ctx context.Context, players, _ []string, run *episodes.Run) (*selfplay.Plan, error) {
	c := p.base
	c.Caller, c.Flipper = players[0], players[1]
	return c.Plan(ctx, run)
}

// TestAThirdGameThroughItsRegistrationAlone plays, resumes and refuses
// runs of the coin game with spag selfplay --game coin.
func TestAThirdGameThroughItsRegistrationAlone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "coin.db")
	stdout, stderr, summaries, err := playSelfplay(t, "--game", "coin", "--games", "6", "--caller", "tails", "--db", db)
	if err != nil {
		t.Fatalf("selfplay --game coin: %v\n%s", err, stderr)
	}
	id := summaries[0]
	if stdout != "******" || !strings.Contains(stderr, "run "+id+": 6 episodes to play (caller tails) into "+db) {
		t.Fatalf("stdout %q, stderr:\n%s", stdout, stderr)
	}
	store, err := episodes.Open(context.Background(), db, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Stats(context.Background(), id)
	store.Close()
	if err != nil || st.Outcomes["caller_wins"] != 3 || st.Outcomes["flipper_wins"] != 3 {
		t.Errorf("outcomes %v (%v), want 3 wins a side", st.Outcomes, err)
	}

	if _, stderr, _, err = playSelfplay(t, "--game", "coin", "--db", db, "--resume", id); err != nil || !strings.Contains(stderr, "0 episodes to play") {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	_, _, _, err = playSelfplay(t, "--db", db, "--resume", id)
	if want := fmt.Sprintf("resume it with: spag selfplay --game coin --db %s --resume %s", db, id); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("resuming a coin run as Taboo: %v, want %q", err, want)
	}
	for _, tt := range []struct{ args, wantErr string }{
		{"--game coin --caller edge", `--caller "edge": want heads or tails`},
		{"--game coin --attacker builtin", "--attacker is not a flag of the game coin"},
		{"--caller heads", "--caller is not a flag of the game taboo"},
	} {
		_, _, _, err := playSelfplay(t, append(strings.Fields(tt.args), "--db", db)...)
		if err == nil || !regexp.MustCompile(regexp.QuoteMeta(tt.wantErr)).MatchString(err.Error()) {
			t.Errorf("%s: err = %v, want %q", tt.args, err, tt.wantErr)
		}
	}
}
