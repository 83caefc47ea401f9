package taboobuiltin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/taboo"
	_ "github.com/spag-go/spag/taboo/taboobuiltin"
)

// TestTabooBuiltins opens Taboo's built-in players through the generic
// backend, which knows Taboo only through this package's registration.
func TestTabooBuiltins(t *testing.T) {
	cases := []struct {
		spec, role string
		noJudge    bool
		want       string // the player's type, or a part of the error
	}{
		{spec: "builtin", role: judge.Attacker, want: "*scripted.Attacker"},
		{spec: "builtin,skill=0.2", role: judge.Defender, want: "*scripted.Defender"},
		{spec: "builtin", role: judge.Attacker, noJudge: true, want: "the built-in attacker needs the game's judge"},
		{spec: "builtin", role: "referee", want: `no built-in player for role "referee" of game "taboo"`},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/nojudge=%v", c.spec, c.role, c.noJudge), func(t *testing.T) {
			s, err := players.Parse(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			env := players.Env{Game: taboo.Name, Role: c.role, Judge: judge.NewStrict()}
			if c.noJudge {
				env.Judge = nil
			}
			o, err := players.Open(context.Background(), s, env, nil)
			got := fmt.Sprintf("%T", o.Player)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}
