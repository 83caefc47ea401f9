package selfplay

import (
	"context"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// PlayOne plays the first episode of p alone, publishing its events on
// events (for a live view; nil for none), and records the run with that
// episode only when it ends: a game abandoned or killed before its end
// leaves no run behind, and the session's database is opened (created, the
// first time) only then, so that such a game leaves no empty database
// either. This suits a person playing in a terminal, whose
// game may well be quit. The run stores its subject, which a single game
// often chose rather than drew. It returns the recorded run, made durable.
func PlayOne(ctx context.Context, session *Session, p *Plan, events *game.Bus) (*episodes.Run, error) {
	subject := p.Subjects.At(0)
	run := p.Record()
	run.Subjects, run.Total = []string{subject}, 1
	runner := &game.Runner{Game: p.Game, Players: p.Players, Concurrency: 1, Events: events}
	setup := game.Setup{Index: 0, Seed: EpisodeSeed(p.Seed, 0), Subject: subject}
	var store *episodes.Store
	err := runner.Run(ctx, []game.Setup{setup}, func(ctx context.Context, ep *game.Episode) error {
		var err error
		if store, err = session.Store(ctx); err != nil {
			return err
		}
		if err := store.CreateRun(ctx, run); err != nil {
			return err
		}
		return store.Write(ctx, run.ID, *ep)
	})
	if err != nil {
		return nil, err
	}
	if err := store.Flush(ctx); err != nil {
		return nil, err
	}
	return run, nil
}
