package dataset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/dataset"
	"github.com/spag-go/spag/taboo/spagjson"
)

func history(turns ...string) []spagjson.Message {
	h := make([]spagjson.Message, len(turns))
	for i, t := range turns {
		h[i] = spagjson.Message{Role: [2]string{judge.Attacker, judge.Defender}[i%2], Content: t}
	}
	return h
}

func TestFromSPAG(t *testing.T) {
	j := judge.NewStrict()
	for _, tt := range []struct {
		name    string
		ep      spagjson.Episode
		outcome judge.Outcome
		turns   int // the game the episode is rebuilt with
	}{
		{name: "defender names the word", ep: spagjson.Episode{TargetWord: "apple", MaxTurns: 3,
			History: history("A fruit that keeps doctors away.", "I know the word! It is apple!")}, outcome: judge.DefenderWins, turns: 3},
		{name: "attacker says the word", ep: spagjson.Episode{TargetWord: "apple", MaxTurns: 3,
			History: history("Apple pie is my favourite.")}, outcome: judge.AttackerBrokeRules, turns: 3},
		{name: "no max_turns plays the default", ep: spagjson.Episode{TargetWord: "river",
			History: history("Water flows.", "Tell me more.")}, outcome: judge.Tie, turns: taboo.DefaultMaxTurns},
	} {
		t.Run(tt.name, func(t *testing.T) {
			games := dataset.NewGames(j, taboo.StyleChat, nil)
			pass := dataset.FromSPAG(context.Background(), slice([]spagjson.Episode{tt.ep}), "eps.json", j, games)
			n := 0
			for ep, err := range pass() {
				if err != nil {
					t.Fatal(err)
				}
				n++
				if judge.Outcome(ep.Outcome) != tt.outcome || ep.Provenance.Run != "file:eps.json" || ep.Provenance.Judge != taboo.JudgeID(j) {
					t.Errorf("episode %+v; want outcome %q from file:eps.json", ep, tt.outcome)
				}
				p, err := games.Prompt(ep, 1)
				if err != nil || !strings.Contains(p.Text(), ep.Target) {
					t.Errorf("the attacker's prompt %q, %v: want it rendered by the episode's game", p.Text(), err)
				}
				// The episode's game has its turns: one utterance more is past its end.
				_, err = games.Prompt(ep, 2*tt.turns+1)
				if want := fmt.Sprintf("(max_turns=%d)", tt.turns); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("prompt past the end: %v, want an error naming %s", err, want)
				}
			}
			if n != 1 {
				t.Errorf("the pass yielded %d episodes, want 1", n)
			}
		})
	}
}

// slice gives passes over eps.
func slice(eps []spagjson.Episode) func() iter.Seq2[*spagjson.Episode, error] {
	return func() iter.Seq2[*spagjson.Episode, error] { return spagjson.Episodes(eps) }
}

func TestFromSPAGStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := judge.NewStrict()
	pass := dataset.FromSPAG(ctx, slice([]spagjson.Episode{{TargetWord: "apple"}}), "x", j, dataset.NewGames(j, "", nil))
	for ep, err := range pass() {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("FromSPAG under a cancelled context yielded %v, %v", ep, err)
		}
	}
}

// ExampleFromSPAG turns a SPAG episodes file into SPAG training data, as
// spag rewards --in does: only the winner's turns earn samples.
func ExampleFromSPAG() {
	ctx := context.Background()
	const file = `[
  {"target_word": "apple", "max_turns": 2, "history": [
    {"role": "attacker", "content": "A fruit that keeps doctors away."},
    {"role": "defender", "content": "I know the word! It is apple!"}]}
]`
	// Each pass reads the file anew, one episode at a time.
	eps := func() iter.Seq2[*spagjson.Episode, error] {
		return spagjson.NewReader(strings.NewReader(file), "eps.json").All(ctx)
	}
	j := judge.NewStrict()
	games := dataset.NewGames(j, taboo.StyleChat, nil)
	pass := dataset.FromSPAG(ctx, eps, "eps.json", j, games)
	var out bytes.Buffer
	st, err := dataset.Write(&out, pass, games, dataset.Options{Decay: 0.8})
	fmt.Println(st.Episodes, "episode,", st.DefenderWins, "defender win,", st.Samples, "sample,", err)
	// Output:
	// 1 episode, 1 defender win, 1 sample, <nil>
}
