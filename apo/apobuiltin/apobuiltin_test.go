package apobuiltin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	_ "github.com/spag-go/spag/apo/apobuiltin"
	"github.com/spag-go/spag/players"
)

// TestAPOBuiltins opens APO's built-in players through the generic
// backend, which knows APO only through this package's registration.
func TestAPOBuiltins(t *testing.T) {
	cases := []struct {
		spec, role string
		want       string // the player, or a part of the error
	}{
		{spec: "builtin", role: apo.Generator, want: fmt.Sprintf("%#v", apo.BuiltinGenerator{Skill: apo.DefaultGeneratorSkill})},
		{spec: "builtin,skill=0.9", role: apo.Generator, want: fmt.Sprintf("%#v", apo.BuiltinGenerator{Skill: 0.9})},
		{spec: "builtin", role: apo.RewardModel, want: fmt.Sprintf("%#v", apo.BuiltinRewardModel{})},
		{spec: "builtin,skill=0.9", role: apo.RewardModel, want: `unknown option "skill" for the built-in reward_model (it takes no options)`},
		{spec: "builtin", role: "critic", want: `no built-in player for role "critic" of game "apo"`},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.role, func(t *testing.T) {
			s, err := players.Parse(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			o, err := players.Open(context.Background(), s, players.Env{Game: apo.Name, Role: c.role}, nil)
			got := fmt.Sprintf("%#v", o.Player)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}
