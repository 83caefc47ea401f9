package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/internal/wordnet/wordnettest"
)

type wordsCheckOut struct {
	Run      string `json:"run"`
	Episodes int    `json:"episodes"`
	Guesses  struct {
		Counted     bool `json:"counted"`
		Total, Real int
		NotReal     []struct {
			Word  string `json:"word"`
			Count int    `json:"count"`
		} `json:"not_real"`
	} `json:"guesses"`
	ClueWords struct {
		Counted     bool `json:"counted"`
		Total, Real int
		Share       struct{ Rate, Lo, Hi float64 }
		NotReal     []struct {
			Word  string `json:"word"`
			Count int    `json:"count"`
		} `json:"not_real"`
	} `json:"clue_words"`
}

// TestWordsCheck reads a run a model played (written here by hand, with
// its non-words) and a run of the built-in players.
func TestWordsCheck(t *testing.T) {
	wordnettest.Require(t, wordnet.DefaultDir)
	dir := t.TempDir()
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(dir, "spag.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := &episodes.Run{Game: "taboo", Judge: "strict@1", MaxTurns: 5, Total: 1, Subjects: []string{"river"},
		Players: map[string]string{"attacker": "native (spag-taboo-small-v3 sha256:abc)", "defender": "builtin"}}
	if err := store.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	err = store.Write(ctx, run.ID, game.Episode{Setup: game.Setup{Subject: "river"}, Turns: []game.Turn{
		{N: 1, Role: "attacker", Text: "It flooded the cities; it's a compll of seler compll."},
		{N: 2, Player: 1, Role: "defender", Text: "I know the word! It is compll."},
	}})
	if err == nil {
		err = store.Flush(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	r := spag(t, dir, "words", "check", "--json")
	if r.Code != 0 {
		t.Fatalf("words check: exit %d\n%s", r.Code, r.Stderr)
	}
	var out wordsCheckOut
	mustJSON(t, r.Stdout, &out)
	c := out.ClueWords
	// flooded, cities, compll, seler, compll: the defender is built in.
	if out.Run != run.ID || out.Guesses.Counted || !c.Counted || c.Total != 5 || c.Real != 2 ||
		len(c.NotReal) != 2 || c.NotReal[0].Word != "compll" || c.NotReal[0].Count != 2 {
		t.Errorf("words check --json = %+v", out)
	}
	text := spag(t, dir, "words", "check", "--run", run.ID, "--role", "both")
	for _, want := range []string{
		"players      attacker native (spag-taboo-small-v3 sha256:abc), defender builtin",
		"guesses      1 guess, 0.0% real",
		"  not real   compll 1\n",
		"clue words   5 content words, 40.0% real  (95% CI ",
		"  not real   compll 2, seler 1\n",
	} {
		if text.Code != 0 || !strings.Contains(text.Stdout, want) {
			t.Errorf("words check --role both: exit %d, want %q in\n%s%s", text.Code, want, text.Stdout, text.Stderr)
		}
	}

	// The built-in players' run is the newest: by default nothing counts.
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "10", "--seed", "7"); r.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
	}
	r = spag(t, dir, "words", "check", "--json")
	out = wordsCheckOut{}
	mustJSON(t, r.Stdout, &out)
	if out.Run == run.ID || out.Episodes != 10 || out.Guesses.Counted || out.ClueWords.Counted {
		t.Errorf("words check of the built-in players' run = %+v", out)
	}
	r = spag(t, dir, "words", "check", "--json", "--role", "attacker")
	out = wordsCheckOut{}
	mustJSON(t, r.Stdout, &out)
	if c := out.ClueWords; !c.Counted || c.Total < 50 || c.Share.Rate < 0.95 || c.Share.Lo > c.Share.Rate || out.Guesses.Counted {
		t.Errorf("words check --role attacker of the built-in players' run = %+v", out)
	}
}

func TestWordsCheckErrors(t *testing.T) {
	wordnettest.Require(t, wordnet.DefaultDir)
	dir := t.TempDir()
	if r := spag(t, dir, "apo", "--games", "2"); r.Code != 0 {
		t.Fatalf("apo: exit %d\n%s", r.Code, r.Stderr)
	}
	missing := filepath.Join(dir, "no-wordnet")
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing database", []string{"--db", "none.db"}, []string{"none.db", "spag selfplay"}},
		{"missing WordNet", []string{"--wordnet", missing}, []string{"--wordnet " + missing, filepath.Join(missing, "index.noun"), "apt-get install wordnet-base"}},
		{"unknown run", []string{"--run", "r20990101-000000-0000"}, []string{"--run r20990101-000000-0000: no such run"}},
		{"APO run", nil, []string{"plays apo", "Taboo"}},
		{"bad role", []string{"--role", "judge"}, []string{"--role", "attacker, defender or both"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := spag(t, dir, append([]string{"words", "check"}, tt.args...)...)
			if r.Code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.Code, r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.Stderr, w)
				}
			}
		})
	}
}
