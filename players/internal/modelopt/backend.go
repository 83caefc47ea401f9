package modelopt

import (
	"context"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players"
)

// Backend is the [players.Backend] of a model-server package: the ARG is
// MODEL[@HOST,...], and one spec for two roles is one player, hence one
// host pool with one per-host cap.
type Backend struct {
	Name        string // the BACKEND of the spec
	Description string
	DefaultPort string // added to hosts without a port; "" for none
	Settings    func() []string
	// New makes the player of model on hosts (none: the default host)
	// with the spec's options, applied through [Apply].
	New func(model string, hosts []string, options map[string]string) (game.Player, error)
}

func (b Backend) Help() string { return b.Description }

func (b Backend) Keys(players.Env) []string { return b.Settings() }

func (b Backend) ShareAcrossRoles() bool { return true }

func (b Backend) Open(ctx context.Context, spec players.Spec, env players.Env) (game.Player, error) {
	model, hosts, err := Model(b.Name, spec.Arg, b.DefaultPort)
	if err != nil {
		return nil, players.Usagef("%v", err)
	}
	p, err := b.New(model, hosts, spec.Options)
	if err != nil {
		return nil, players.Usagef("%v", err)
	}
	return p, nil
}
