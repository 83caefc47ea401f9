// Package kuhnrun makes runs of Kuhn Poker and reads them back: the
// configuration a run stores ([Config], from which it resumes as it
// started), the [selfplay.Plan] that plays it, and the chips each seat won
// per hand, with intervals ([Chips]).
//
// It knows no flags: errors about a setting are [*selfplay.SettingError]s
// naming the setting, and players' errors name the spec's flag.
package kuhnrun

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/kuhn"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
)

// Config is everything needed to reproduce (or resume) a Kuhn Poker run;
// it is stored with the run as JSON, and its field names are that format.
type Config struct {
	// Game is the game string; [Config.Plan] sets it for a new run.
	Game string `json:"game"`
	// First and Second are the players' specs, as the run stores them.
	First  string `json:"first"`
	Second string `json:"second"`
	Seed   uint64 `json:"seed"`
	// Games is the number of hands; the deals cycle through all six in a
	// seeded order, so every six hands deal each once.
	Games int `json:"games"`
	// SubjectsDigest names the deals' order (see selfplay.Draw).
	SubjectsDigest string `json:"subjects_sha256,omitempty"`
	// Options are key=value settings for every player whose backend takes
	// the key (see players.OpenAll).
	Options     []string `json:"options,omitempty"`
	CodeVersion string   `json:"code_version"`
	GoVersion   string   `json:"go_version"`
}

// Prepare checks a new run's configuration and completes it: the players'
// specs as a run stores them (a checkpoint by its absolute path) and the
// versions of the code.
func (c *Config) Prepare() error {
	if c.Games < 1 {
		return &selfplay.SettingError{Setting: "games", Err: fmt.Errorf("must be at least 1 (got %d)", c.Games)}
	}
	var err error
	if c.First, err = players.ResolveFlag(kuhn.First, c.First); err != nil {
		return err
	}
	if c.Second, err = players.ResolveFlag(kuhn.Second, c.Second); err != nil {
		return err
	}
	c.CodeVersion, c.GoVersion = version.Code(), runtime.Version()
	return nil
}

// Plan makes the plan of a run of the configuration (players opened, which
// loads files but waits on no server). run is the stored run when
// resuming, nil for a new run.
func (c *Config) Plan(ctx context.Context, run *episodes.Run) (*selfplay.Plan, error) {
	g := kuhn.New()
	subjects, digest, err := selfplay.Draw(kuhn.Deals, c.Games, 1, c.Seed, run, c.SubjectsDigest)
	if err != nil {
		return nil, err
	}
	c.SubjectsDigest = digest
	if run == nil {
		c.Game = g.String()
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	ps, names, err := players.OpenRoles(ctx, []string{c.First, c.Second}, []players.Env{
		{Flag: kuhn.First, Game: kuhn.Name, Role: kuhn.First},
		{Flag: kuhn.Second, Game: kuhn.Name, Role: kuhn.Second},
	}, c.Options)
	if err != nil {
		return nil, err
	}
	return &selfplay.Plan{Game: g, Players: ps, Names: names, Subjects: subjects, Seed: c.Seed, Judge: g.JudgeID(),
		MaxTurns: 1, Config: raw, CodeVersion: c.CodeVersion}, nil
}

// Chips are the chips a run's players won, per hand.
type Chips struct {
	Run string `json:"run"`
	// Hands counts the judged hands; Forfeits those lost by a rule break,
	// by seat.
	Hands    int            `json:"hands"`
	Forfeits map[string]int `json:"forfeits"`
	// First is the first player's mean chips per hand (the second's are
	// its negative), with a 95% interval (normal, from the hands' sample
	// variance).
	First    float64    `json:"first_chips_per_hand"`
	Interval [2]float64 `json:"interval_95"`
	// Outcomes counts the hands by outcome.
	Outcomes map[string]int `json:"outcomes"`
}

// GameValue is the first player's chips per hand at every equilibrium.
const GameValue = -1.0 / 18

// ReadChips counts the chips of a stored Kuhn Poker run.
func ReadChips(ctx context.Context, store *episodes.Store, run *episodes.Run) (Chips, error) {
	c := Chips{Run: run.ID, Forfeits: map[string]int{}, Outcomes: map[string]int{}}
	var sum, sq float64
	for rec, err := range store.Iter(ctx, episodes.Filter{RunID: run.ID}) {
		if err != nil {
			return Chips{}, err
		}
		if rec.Errored() {
			continue
		}
		x, ok := kuhn.Chips(rec.Verdict.Outcome)
		if !ok {
			return Chips{}, fmt.Errorf("run %s episode %d: outcome %q is not Kuhn Poker's", run.ID, rec.Index, rec.Verdict.Outcome)
		}
		c.Hands++
		c.Outcomes[rec.Verdict.Outcome]++
		switch rec.Verdict.Outcome {
		case kuhn.FirstForfeits:
			c.Forfeits[kuhn.First]++
		case kuhn.SecondForfeits:
			c.Forfeits[kuhn.Second]++
		}
		sum += float64(x)
		sq += float64(x * x)
	}
	if c.Hands == 0 {
		return c, nil
	}
	n := float64(c.Hands)
	c.First = sum / n
	half := 0.0
	if c.Hands > 1 {
		v := (sq - n*c.First*c.First) / (n - 1)
		half = 1.96 * math.Sqrt(math.Max(v, 0)/n)
	}
	c.Interval = [2]float64{c.First - half, c.First + half}
	return c, nil
}
