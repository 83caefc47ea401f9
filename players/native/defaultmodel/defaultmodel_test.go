package defaultmodel_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/taboo"
)

func TestShippedCheckpoint(t *testing.T) {
	c, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	small, err := model.Preset("small")
	if err != nil {
		t.Fatal(err)
	}
	if c.Params.Config != small {
		t.Errorf("architecture %+v, want the small preset %+v", c.Params.Config, small)
	}
	if c.Optimizer != nil || c.Train == nil || c.Train.Step == 0 {
		t.Errorf("want a trained, weights-only checkpoint; optimizer %v, train %+v", c.Optimizer != nil, c.Train)
	}
	if size := defaultmodel.Size(); size > 20<<20 {
		t.Errorf("checkpoint is %d bytes, over the 20 MB budget", size)
	}
	if d := defaultmodel.Digest(); !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		t.Errorf("Digest() = %q", d)
	}
	// Each Load is a private copy.
	c.Params.Tensors[0].Data().([]float32)[0] += 1
	again, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	if again.Params.Tensors[0].Data().([]float32)[0] == c.Params.Tensors[0].Data().([]float32)[0] {
		t.Error("a change to one loaded copy shows in the next")
	}
}

// Example plays one attacker turn with the shipped model on the compact
// prompt it was trained on, decoding greedily, for two secret words: the
// clue depends on the word (stage 4 of its recipe taught it which clues fit
// a word), though greedy decoding picks the lexicon's closest relative.
func Example() {
	c, err := defaultmodel.Load()
	if err != nil {
		panic(err)
	}
	m, err := native.NewModel(c.Vocab, c.Params)
	if err != nil {
		panic(err)
	}
	p, err := native.NewPlayer(m, native.Options{Temperature: 0}) // greedy
	if err != nil {
		panic(err)
	}
	defer p.Close()
	g, err := taboo.New(taboo.Params{MaxTurns: 5, Style: defaultmodel.Style})
	if err != nil {
		panic(err)
	}
	for _, word := range []string{"tree", "water"} {
		prompt, err := g.PromptFor(word, nil, 1)
		if err != nil {
			panic(err)
		}
		reply, err := p.Play(context.Background(), game.Request{Observation: game.Observation{Role: "attacker", Prompter: staticPrompt(prompt)}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s\n", word, reply.Text)
	}
	// Output:
	// tree: Let's begin. It is closely connected to treelet.
	// water: Let's begin. For example, a hydrogen is one.
}

type staticPrompt game.Prompt

func (s staticPrompt) Prompt(game.Observation) (game.Prompt, error) { return game.Prompt(s), nil }
