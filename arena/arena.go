// Package arena measures one policy against another in every role of a
// two-player game: A plays each role against B on the same subjects with
// the same seeds, B plays itself as the baseline, and the result gives, per
// role, A's win rate with its 95% Wilson interval and its difference from
// the baseline with Newcombe's interval. Each pairing is an ordinary run of
// the episodes store, so replay and stats work on it, and a killed arena
// resumes its runs without replaying a finished game.
//
// It knows no game by name: who won an episode comes from the game's
// registered description.
package arena

import (
	"context"
	"errors"
	"fmt"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/selfplay"
)

// Pairing is one run of the arena: Players[i] is the spec that plays role i.
type Pairing struct {
	// Label names the pairing in results, "A vs B" for example.
	Label   string
	Players []string
}

// Pairings returns the runs that compare a with b in a two-role game: a in
// role 0 against b, b in role 0 against a, and b against itself.
func Pairings(a, b string) []Pairing {
	return []Pairing{
		{Label: "A vs B", Players: []string{a, b}},
		{Label: "B vs A", Players: []string{b, a}},
		{Label: "B vs B", Players: []string{b, b}},
	}
}

// A Planner makes the plan of one pairing; run is the pairing's stored run
// when the arena resumes it (see [Config.Runs]), nil for a new one. Every
// plan of one arena must play the same game on the same subjects with the
// same seed, so that the pairings differ by their players only.
type Planner func(p Pairing, run *episodes.Run) (*selfplay.Plan, error)

// Config is an arena.
type Config struct {
	// A is the policy measured, B the one it is measured against (and the
	// baseline, playing itself).
	A, B string
	// Plan makes each pairing's plan.
	Plan Planner
	// Runs are the IDs of pairings' runs already begun (by label), to be
	// resumed; the others are created. Play fills it as it creates runs.
	Runs map[string]string
	// OnRun, when not nil, is called when a pairing's run has been created
	// or resumed, before its games are played: a loop records the run so
	// that it can resume it after a crash.
	OnRun func(p Pairing, run *episodes.Run) error
	// Options play each run.
	Options selfplay.Options
}

// RoleResult is A's record in one role, beside the baseline's.
type RoleResult struct {
	Role string `json:"role"`
	// Rate is A's wins over its judged games in the role against B, with
	// the 95% Wilson interval.
	Rate eval.Rate `json:"win_rate"`
	// Baseline is B's record in the same role against itself.
	Baseline eval.Rate `json:"baseline_win_rate"`
	// Difference is Rate − Baseline with Newcombe's 95% interval.
	Difference eval.Diff `json:"difference"`
}

// Result is what an arena measured.
type Result struct {
	Game string `json:"game"`
	A    string `json:"a"`
	B    string `json:"b"`
	// Runs are the pairings' run IDs by label.
	Runs map[string]string `json:"runs"`
	// Roles are A's results per role, in the game's role order.
	Roles []RoleResult `json:"roles"`
	// Errored counts episodes of the pairings that failed to play; they
	// are left out of the rates and can be played by running the arena
	// again with the same runs.
	Errored int `json:"errored"`
	// Interrupted reports that the arena stopped before playing every game.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Play plays the pairings of cfg (resuming the runs in cfg.Runs) and
// measures the result. Every pairing is planned, checked and recorded
// before any game is played, so that an arena stopped at any point has all
// its runs, and [Result.RunIDs] resumes it whole; a pairing that cannot be
// planned or preflighted fails the arena before any run is recorded. An
// interrupted arena returns the result so far with Interrupted set.
func Play(ctx context.Context, session *selfplay.Session, cfg Config) (*Result, error) {
	if cfg.Runs == nil {
		cfg.Runs = map[string]string{}
	}
	pairings := Pairings(cfg.A, cfg.B)
	res := &Result{A: cfg.A, B: cfg.B, Runs: cfg.Runs}
	type begun struct {
		run     *episodes.Run
		plan    *selfplay.Plan
		pending *selfplay.Pending
	}
	all := make([]begun, len(pairings))
	for i, p := range pairings {
		var run *episodes.Run
		if id := cfg.Runs[p.Label]; id != "" {
			store, err := session.Store(ctx)
			if err != nil {
				return nil, err
			}
			if run, err = store.Run(ctx, id); err != nil {
				return nil, fmt.Errorf("arena %s: resume run %s: %w", p.Label, id, err)
			}
		}
		plan, err := cfg.Plan(p, run)
		if err != nil {
			return nil, fmt.Errorf("arena %s: %w", p.Label, err)
		}
		if n := len(plan.Game.Roles()); n != 2 {
			return nil, fmt.Errorf("arena: the game %s has %d roles; an arena needs two", plan.Game.Name(), n)
		}
		res.Game = plan.Game.String()
		if run != nil {
			// The stored run must be of the plan's game, with its players.
			if err := selfplay.CheckResumable(run, plan); err != nil {
				return nil, fmt.Errorf("arena %s: %w", p.Label, err)
			}
		} else if err := selfplay.Preflight(ctx, plan); err != nil {
			return nil, fmt.Errorf("arena %s: %w", p.Label, err)
		}
		all[i] = begun{run: run, plan: plan}
	}
	for i, p := range pairings {
		run, pending, err := session.Begin(ctx, all[i].plan, all[i].run)
		if err != nil {
			return nil, fmt.Errorf("arena %s: %w", p.Label, err)
		}
		cfg.Runs[p.Label] = run.ID
		all[i].run, all[i].pending = run, pending
		if cfg.OnRun != nil {
			if err := cfg.OnRun(p, run); err != nil {
				return nil, err
			}
		}
	}
	for i, p := range pairings {
		b := all[i]
		played, err := session.Play(ctx, b.run, b.plan, b.pending, cfg.Options)
		if err != nil {
			return nil, fmt.Errorf("arena %s: run %s: %w", p.Label, b.run.ID, err)
		}
		if played.Interrupted {
			res.Interrupted = true
			return res, nil
		}
	}
	store, err := session.Store(ctx)
	if err != nil {
		return nil, err
	}
	if err := measure(ctx, store, res); err != nil {
		return nil, err
	}
	return res, nil
}

// RunIDs returns the pairings' run IDs in pairing order, as an arena is
// resumed with them; it is shorter than [Pairings] only when the arena
// failed before recording them all.
func (r *Result) RunIDs() []string {
	ids := make([]string, 0, 3)
	for _, p := range Pairings(r.A, r.B) {
		if id := r.Runs[p.Label]; id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// ErrNotMeasured is wrapped by Measure when a pairing has no run yet.
var ErrNotMeasured = errors.New("arena: pairing not played")

// Measure computes the result of an arena whose runs (by pairing label) are
// stored.
func Measure(ctx context.Context, store *episodes.Store, a, b string, runs map[string]string) (*Result, error) {
	res := &Result{A: a, B: b, Runs: runs}
	if err := measure(ctx, store, res); err != nil {
		return nil, err
	}
	return res, nil
}

func measure(ctx context.Context, store *episodes.Store, res *Result) error {
	type tally struct {
		wins   map[string]int // by winning role
		judged int
	}
	tallies := map[string]tally{}
	var desc *game.Description
	for _, p := range Pairings(res.A, res.B) {
		id := res.Runs[p.Label]
		if id == "" {
			return fmt.Errorf("%w: %s", ErrNotMeasured, p.Label)
		}
		run, err := store.Run(ctx, id)
		if err != nil {
			return fmt.Errorf("arena %s: %w", p.Label, err)
		}
		if desc == nil {
			if desc, err = game.Games.Describe(run.Game); err != nil {
				return fmt.Errorf("arena %s: run %s: %w", p.Label, id, err)
			}
			res.Game = run.Game
		}
		st, err := store.Stats(ctx, id)
		if err != nil {
			return fmt.Errorf("arena %s: run %s: %w", p.Label, id, err)
		}
		t := tally{wins: map[string]int{}}
		for outcome, n := range st.Outcomes {
			if outcome == "" {
				continue // imported, never judged
			}
			if _, ok := desc.Outcome(outcome); !ok {
				return fmt.Errorf("arena %s: run %s: outcome %q is not one of %s's", p.Label, id, outcome, desc.Name)
			}
			t.wins[desc.Winner(outcome)] += n
			t.judged += n
		}
		res.Errored += st.Errored
		tallies[p.Label] = t
	}
	ab, ba, bb := tallies["A vs B"], tallies["B vs A"], tallies["B vs B"]
	res.Roles = res.Roles[:0]
	for i, role := range desc.Roles {
		mine := ab
		if i == 1 {
			mine = ba
		}
		res.Roles = append(res.Roles, RoleResult{Role: role,
			Rate:       eval.NewRate(mine.wins[role], mine.judged, 0),
			Baseline:   eval.NewRate(bb.wins[role], bb.judged, 0),
			Difference: eval.NewcombeDiff(mine.wins[role], mine.judged, bb.wins[role], bb.judged, 0)})
	}
	return nil
}

// RoundResults returns A's results as rows of a loop's evaluation (see
// [eval.RoundResult]), labelled with the round and with B as the opponent.
func (r *Result) RoundResults(round int, opponent string) []eval.RoundResult {
	rows := make([]eval.RoundResult, 0, len(r.Roles))
	for _, role := range r.Roles {
		rows = append(rows, eval.RoundResult{Round: round, Opponent: opponent, Role: role.Role,
			Wins: role.Rate.Wins, Games: role.Rate.Games,
			BaselineWins: role.Baseline.Wins, BaselineGames: role.Baseline.Games})
	}
	return rows
}
