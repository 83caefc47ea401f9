package players_test

import (
	"context"
	"fmt"

	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	_ "github.com/spag-go/spag/players/native"     // registers "native"
	_ "github.com/spag-go/spag/taboo/taboobuiltin" // registers "builtin" for Taboo
)

// ExampleOpenAll opens the two players of a Taboo run the way spag
// selfplay does: --option settings go where a backend takes them, and a run
// records each player by the name Open returns.
func ExampleOpenAll() {
	var seats []players.Seat
	for _, s := range []struct{ flag, spec, role string }{
		{"attacker", "builtin,skill=0.9", judge.Attacker},
		{"defender", "native,temperature=0", judge.Defender},
	} {
		spec, err := players.ParseFlag(s.flag, s.spec)
		if err != nil {
			fmt.Println(err)
			return
		}
		seats = append(seats, players.Seat{Spec: spec, Env: players.Env{Flag: s.flag, Game: "taboo", Role: s.role, Judge: judge.NewStrict()}})
	}
	opened, err := players.OpenAll(context.Background(), seats, []string{"top_k=5"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer players.Close(opened)
	for _, o := range opened {
		fmt.Printf("%T %s %v\n", o.Player, o.Spec.Backend, o.Spec.Options)
	}
	_, err = players.OpenAll(context.Background(), seats[:1], []string{"num_ctx=4096"})
	fmt.Println(err)
	// Output:
	// *scripted.Attacker builtin map[skill:0.9]
	// *native.Player native map[temperature:0 top_k:5]
	// --option "num_ctx=4096": no player takes option "num_ctx" (players: --attacker builtin); docs/players.md lists the keys each backend takes
}
