package aporun_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/apo/aporun"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// A new APO run as spag apo makes it: the settings chosen, completed by
// Prepare, then the plan that plays them.
func Example() {
	items, err := apo.Items(apo.ItemsBuiltin)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := aporun.Config{Prompts: apo.ItemsBuiltin, Generator: "builtin:skill=0.9", RewardModel: "builtin", Samples: 2, Seed: 1}
	if err := c.Prepare(items); err != nil {
		fmt.Println(err)
		return
	}
	plan, err := c.Plan(context.Background(), items, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Subjects.Len() == 2*len(items), plan.Game.Name(), plan.Names[apo.Generator])
	// Output:
	// true apo builtin:skill=0.9
}

// ExampleConfig_Prepare shows a new run's defaults: every query Samples
// times, a file of queries by its absolute path.
func ExampleConfig_Prepare() {
	c := aporun.Config{Prompts: "/data/queries.jsonl", Samples: 4}
	if err := c.Prepare(make([]apo.Item, 25)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Games, c.Prompts)
	// Output:
	// 100 /data/queries.jsonl
}

// ExampleConfig_NewGame shows a configuration that cannot make a game: the
// error is a setting error, which a command reports as a usage error.
func ExampleConfig_NewGame() {
	c := aporun.Config{MaxResponseBytes: -1}
	_, err := c.NewGame(items)
	var se *selfplay.SettingError
	fmt.Println(errors.As(err, &se), err)
	// Output:
	// true apo: MaxResponseBytes -1 is negative
}

// ExampleConfig_Plan resumes a run: the stored configuration plans the
// same game with the same players and subjects.
func ExampleConfig_Plan() {
	ctx := context.Background()
	c := aporun.Config{Prompts: apo.ItemsBuiltin, Generator: "builtin", RewardModel: "builtin", Samples: 1, Games: 3, Seed: 2}
	first, err := c.Plan(ctx, items, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	run := first.Record()
	run.ID = "r1"
	var stored aporun.Config
	if err := selfplay.StoredConfig(run, &stored); err != nil {
		fmt.Println(err)
		return
	}
	again, err := stored.Plan(ctx, items, run)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(selfplay.CheckResumable(run, again), again.Subjects.At(2) == first.Subjects.At(2))
	// Output:
	// <nil> true
}

// playedRun plays a small run with the built-in players into a database
// in dir and reads it back.
func playedRun(ctx context.Context, dir string) (*aporun.Stored, error) {
	c := aporun.Config{Prompts: apo.ItemsBuiltin, Generator: "builtin", RewardModel: "builtin", Samples: 2, Games: 4, Seed: 7}
	builtin, err := apo.Items(c.Prompts)
	if err != nil {
		return nil, err
	}
	plan, err := c.Plan(ctx, builtin, nil)
	if err != nil {
		return nil, err
	}
	session := &selfplay.Session{Path: filepath.Join(dir, "apo.db")}
	defer session.Close()
	run, pending, err := session.Begin(ctx, plan, nil)
	if err != nil {
		return nil, err
	}
	if _, err := session.Play(ctx, run, plan, pending, selfplay.Options{}); err != nil {
		return nil, err
	}
	store, err := session.Store(ctx)
	if err != nil {
		return nil, err
	}
	return aporun.Read(ctx, store, run)
}

// withPlayedRun calls f with a small run played into a database in a
// temporary directory, read back.
func withPlayedRun(f func(ctx context.Context, stored *aporun.Stored, db string)) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "aporun")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	stored, err := playedRun(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	f(ctx, stored, filepath.Join(dir, "apo.db"))
}

// ExampleRead reads a played run back, as spag apo items does, and makes
// the reward model's training items of it.
func ExampleRead() {
	withPlayedRun(func(_ context.Context, stored *aporun.Stored, _ string) {
		trainingItems, _, err := stored.Game.TrainingItems(stored.Rated)
		fmt.Println(len(stored.Rated), "rated episodes,", len(trainingItems), "reward-model items,", err)
	})
	// Output:
	// 4 rated episodes, 2 reward-model items, <nil>
}

// ExampleStored_GeneratorSamples makes the generator's reward-weighted
// samples of a played run, as spag apo rewards does.
func ExampleStored_GeneratorSamples() {
	withPlayedRun(func(_ context.Context, stored *aporun.Stored, _ string) {
		samples, unreadable, empty, err := stored.GeneratorSamples()
		fmt.Println(len(samples)+unreadable+empty, "answers,", err)
		if len(samples) > 0 {
			fmt.Println(samples[0].Role, samples[0].Provenance.Judge)
		}
	})
	// Output:
	// 4 answers, <nil>
	// generator apo@1
}

// ExampleLatest finds the run spag apo items reads without --run.
func ExampleLatest() {
	withPlayedRun(func(ctx context.Context, stored *aporun.Stored, db string) {
		store, err := episodes.Open(ctx, db, episodes.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer store.Close()
		run, err := aporun.Latest(ctx, store)
		fmt.Println(run.ID == stored.Run.ID, err)
	})
	// Output:
	// true <nil>
}

// ExampleGoldSamples writes the imitation data of a generator: each
// query's prompt and its gold answer, as spag apo gold does.
func ExampleGoldSamples() {
	g, err := apo.New(apo.Params{Items: []apo.Item{{Query: "What does the word \"dog\" mean?", Gold: "a domesticated carnivore"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	samples, err := aporun.GoldSamples(g)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(samples), samples[0].Type, samples[0].Role, strings.Contains(samples[0].Query, `"dog"`))
	fmt.Println(samples[0].Target)
	// Output:
	// 1 sft generator true
	// a domesticated carnivore
}
