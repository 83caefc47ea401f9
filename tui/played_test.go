package tui

import (
	"context"
	"testing"

	"github.com/spag-go/spag/game"
)

func TestHostLoadsWithoutPools(t *testing.T) {
	p := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) { return game.Reply{}, nil })
	if hostLoads([]string{"a", "b"}, []game.Player{p, p}) != nil {
		t.Error("players without pools report hosts")
	}
}
