package builtin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/players/builtin"
)

// toyPlayer records the role and skill it was opened with.
type toyPlayer struct {
	role  string
	skill float64
}

func (toyPlayer) Play(context.Context, game.Request) (game.Reply, error) { return game.Reply{}, nil }

// toyPlayers are the built-in players of a game the backend has never
// heard of: a skilled "mover" and an unskilled "referee".
type toyPlayers struct{}

func (toyPlayers) Help() string             { return "Toy's mover" }
func (toyPlayers) Skilled(role string) bool { return role == "mover" }
func (toyPlayers) DefaultSkill() float64    { return 0.25 }
func (toyPlayers) Open(_ context.Context, env players.Env, skill float64) (game.Player, error) {
	if env.Role != "mover" && env.Role != "referee" {
		return nil, builtin.NoPlayer(env)
	}
	return toyPlayer{env.Role, skill}, nil
}

func init() { builtin.Register("toy", toyPlayers{}) }

// TestBuiltinDispatchesByGame checks that the backend opens a registered
// game's players through its registration alone, parsing skill for the
// roles that take it and refusing what the game's players do not take.
func TestBuiltinDispatchesByGame(t *testing.T) {
	cases := []struct {
		spec, gameName, role string
		want                 game.Player
		err                  string // a part of the error; empty for none
		usage                bool
	}{
		{spec: "builtin", gameName: "toy", role: "mover", want: toyPlayer{"mover", 0.25}},
		{spec: "builtin,skill=0.75", gameName: "toy", role: "mover", want: toyPlayer{"mover", 0.75}},
		{spec: "builtin:skill=1", gameName: "toy", role: "mover", want: toyPlayer{"mover", 1}},
		{spec: "builtin", gameName: "toy", role: "referee", want: toyPlayer{"referee", 0.25}},
		{spec: "builtin,skill=0.5", gameName: "toy", role: "referee", err: `unknown option "skill" for the built-in referee (it takes no options)`, usage: true},
		{spec: "builtin,speed=1", gameName: "toy", role: "mover", err: `unknown option "speed" for the built-in mover (it takes skill=0..1)`, usage: true},
		{spec: "builtin,skill=2", gameName: "toy", role: "mover", err: `skill must be a number from 0 to 1, got "2"`, usage: true},
		{spec: "builtin,skill=NaN", gameName: "toy", role: "mover", err: `skill must be a number from 0 to 1, got "NaN"`, usage: true},
		{spec: "builtin", gameName: "toy", role: "spectator", err: `no built-in player for role "spectator" of game "toy"`},
		{spec: "builtin", gameName: "chess", role: "white", err: `no built-in player for role "white" of game "chess"`},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.gameName+"/"+c.role, func(t *testing.T) {
			s, err := players.Parse(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			o, err := players.Open(context.Background(), s, players.Env{Game: c.gameName, Role: c.role}, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				if errors.Is(err, players.ErrUsage) != c.usage {
					t.Fatalf("error %v: usage error %v, want %v", err, !c.usage, c.usage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Player != c.want {
				t.Fatalf("opened %#v, want %#v", o.Player, c.want)
			}
		})
	}
}

// TestBuiltinHelpNamesRegisteredGames checks that the backend's help lists
// the built-in players of the games registered, and only those.
func TestBuiltinHelpNamesRegisteredGames(t *testing.T) {
	help := players.Help()
	if !strings.Contains(help, "builtin (built-in players needing no model; option skill=0..1 (Toy's mover))") {
		t.Fatalf("help %q does not list the toy game's built-in players alone", help)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a second registration of a game's built-in players did not panic")
		}
	}()
	builtin.Register("toy", toyPlayers{})
}
