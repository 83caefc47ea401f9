package tui

import (
	"context"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// EpisodeSource is what the replay browser needs from a store of
// episodes; *episodes.Store satisfies it. Implementations must be safe for
// concurrent use: the browser calls them from commands.
type EpisodeSource interface {
	// Episodes lists the episodes f selects (the browser does not ask for
	// turns).
	Episodes(ctx context.Context, f episodes.Filter) ([]episodes.Record, error)
	// Episode returns one episode with its turns.
	Episode(ctx context.Context, id int64) (*episodes.Record, error)
	// Verdicts lists the verdicts other judges gave the episode.
	Verdicts(ctx context.Context, id int64) ([]episodes.Verdict, error)
	// RunInfo returns a run without its list of subjects: the browser
	// reads its game, to name the episode's subject and outcomes.
	RunInfo(ctx context.Context, id string) (*episodes.Run, error)
}

// RunSource is what the watch view needs to follow a run that another
// process is writing; *episodes.Store satisfies it.
type RunSource interface {
	Run(ctx context.Context, id string) (*episodes.Run, error)
	LatestRun(ctx context.Context) (*episodes.Run, error)
	Stats(ctx context.Context, runID string) (episodes.Stats, error)
	Episodes(ctx context.Context, f episodes.Filter) ([]episodes.Record, error)
	Episode(ctx context.Context, id int64) (*episodes.Record, error)
	// Live lists the run's episodes in flight with their turns so far.
	Live(ctx context.Context, runID string) ([]episodes.LiveEpisode, error)
}

// Rejudger returns the verdicts that judges other than the episode's own
// would give it (only those that differ from rec.Verdict). It is optional
// configuration of the replay browser; cmd/spag supplies it, since the
// browser must not know the judges' rules.
type Rejudger func(ctx context.Context, rec *episodes.Record) ([]game.Verdict, error)

// ioTimeout bounds each read a command makes, so that a command left
// running when the program quits ends soon after.
const ioTimeout = 30 * time.Second

func ioContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), ioTimeout)
}

// SecondOpinions is the Rejudger that asks the game of each episode's run
// for its second opinion (see game.Description.SecondOpinion): none for
// an errored episode or a game with one judge.
func SecondOpinions(src EpisodeSource) Rejudger {
	return func(ctx context.Context, rec *episodes.Record) ([]game.Verdict, error) {
		if rec.Errored() {
			return nil, nil
		}
		run, err := src.RunInfo(ctx, rec.RunID)
		if err != nil {
			return nil, err
		}
		d, _ := game.Games.Lookup(game.NameOf(run.Game))
		if d == nil || d.SecondOpinion == nil {
			return nil, nil
		}
		if v, ok := d.SecondOpinion(rec.Subject, run.MaxTurns, rec.Turns, rec.Verdict); ok {
			return []game.Verdict{v}, nil
		}
		return nil, nil
	}
}
