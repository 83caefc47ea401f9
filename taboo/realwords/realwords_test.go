package realwords

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/wordnet"
	"github.com/spag-go/spag/internal/wordnet/wordnettest"
)

// dictionary opens the installed WordNet once per test binary (see
// wordnettest.Require for when its absence skips a test).
var dictionary = sync.OnceValues(func() (*wordnet.Dictionary, error) {
	return wordnet.OpenDictionary(wordnet.DefaultDir)
})

func openDictionary(t *testing.T) *wordnet.Dictionary {
	t.Helper()
	wordnettest.Require(t, wordnet.DefaultDir)
	d, err := dictionary()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// episode is one hand-written episode: the attacker's and the defender's
// utterances, alternating.
type episode struct {
	subject string
	turns   []string
	err     string
}

// newStore writes a run with these players and episodes to a new store.
func newStore(t *testing.T, players map[string]string, eps ...episode) (*episodes.Store, string) {
	t.Helper()
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "spag.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	run := &episodes.Run{Game: "taboo", Judge: "strict@1", MaxTurns: 5, Players: players, Total: len(eps)}
	for _, e := range eps {
		run.Subjects = append(run.Subjects, e.subject)
	}
	if err := store.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	for i, e := range eps {
		ep := game.Episode{Setup: game.Setup{Index: i, Subject: e.subject}, Err: e.err}
		for j, text := range e.turns {
			role := []string{"attacker", "defender"}[j%2]
			ep.Turns = append(ep.Turns, game.Turn{N: j + 1, Player: j % 2, Role: role, Text: text})
		}
		if err := store.Write(ctx, run.ID, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return store, run.ID
}

var models = map[string]string{"attacker": "native (spag-taboo-small-v3 sha256:abc)", "defender": "ollama:qwen3"}

func TestCheck(t *testing.T) {
	lex := openDictionary(t)
	store, runID := newStore(t, models,
		episode{subject: "river", turns: []string{
			// Content words: flooded, cities, compll, water, flows, banks
			// (stop words and the number left out).
			"It flooded the cities, and it's compll! Water flows between 2 banks.",
			"I know the word! It is a River.",
		}},
		episode{subject: "zyxwort", turns: []string{
			// The target is a word of the game even where WordNet has none.
			"Not a zyxwort's compll seler, of course.",
			"I know the word: seler",
			"Sun-dried, fruit-like.",
			"Is it a question? I know the word? No.",
		}},
		// An errored episode is replayed on resume; its words do not count.
		episode{subject: "apple", turns: []string{"xqzt"}, err: "model call failed"},
	)
	rep, err := Check(context.Background(), store, lex, runID, ModelRoles)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run != runID || rep.Episodes != 2 {
		t.Errorf("run %s with %d episodes, want %s with 2", rep.Run, rep.Episodes, runID)
	}
	want := Report{
		Guesses: Count{Counted: true, Total: 2, Real: 1, NotReal: []WordCount{{"seler", 1}}},
		// flooded cities compll water flows banks | zyxwort compll seler course | sun-dried fruit-like
		ClueWords: Count{Counted: true, Total: 12, Real: 9, NotReal: []WordCount{{"compll", 2}, {"seler", 1}}},
	}
	for _, c := range []struct {
		name      string
		got, want Count
	}{{"guesses", rep.Guesses, want.Guesses}, {"clue words", rep.ClueWords, want.ClueWords}} {
		if c.got.Counted != c.want.Counted || c.got.Total != c.want.Total || c.got.Real != c.want.Real || !slices.Equal(c.got.NotReal, c.want.NotReal) {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
		if c.got.Share.Rate != float64(c.want.Real)/float64(c.want.Total) || c.got.Share.Lo >= c.got.Share.Rate || c.got.Share.Hi <= c.got.Share.Rate {
			t.Errorf("%s share = %+v", c.name, c.got.Share)
		}
	}
}

func TestCheckRoles(t *testing.T) {
	lex := setLexicon{"sky": true, "blue": true}
	eps := []episode{{subject: "sky", turns: []string{"Blue sky, compll.", "I know the word! It is sky."}}}
	tests := []struct {
		name           string
		players        map[string]string
		roles          Roles
		guesses, clues bool
		guessN, clueN  int
	}{
		{"models play both", models, ModelRoles, true, true, 1, 3},
		{"builtin attacker", map[string]string{"attacker": "builtin", "defender": "native"}, ModelRoles, true, false, 1, 0},
		{"builtin defender", map[string]string{"attacker": "native", "defender": "builtin:guesser"}, ModelRoles, false, true, 0, 3},
		{"both builtin", map[string]string{"attacker": "builtin", "defender": "builtin"}, ModelRoles, false, false, 0, 0},
		{"both asked for", map[string]string{"attacker": "builtin", "defender": "builtin"}, Both, true, true, 1, 3},
		{"attacker asked for", models, Attacker, false, true, 0, 3},
		{"defender asked for", models, Defender, true, false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, _ := newStore(t, tt.players, eps...)
			rep, err := Check(context.Background(), store, lex, "", tt.roles)
			if err != nil {
				t.Fatal(err)
			}
			g, c := rep.Guesses, rep.ClueWords
			if g.Counted != tt.guesses || c.Counted != tt.clues || g.Total != tt.guessN || c.Total != tt.clueN {
				t.Errorf("guesses %v %d, clue words %v %d; want %v %d, %v %d",
					g.Counted, g.Total, c.Counted, c.Total, tt.guesses, tt.guessN, tt.clues, tt.clueN)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	ctx := context.Background()
	empty, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "spag.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { empty.Close() })
	if _, err := Check(ctx, empty, setLexicon{}, "", ModelRoles); !errors.Is(err, ErrNoRuns) {
		t.Errorf("Check of an empty store = %v, want ErrNoRuns", err)
	}
	store, _ := newStore(t, models, episode{subject: "sky", turns: []string{"Blue."}})
	_, err = Check(ctx, store, setLexicon{}, "r-nonesuch", ModelRoles)
	if !errors.Is(err, episodes.ErrNotFound) || !strings.Contains(err.Error(), "r-nonesuch") {
		t.Errorf("Check of an unknown run = %v, want ErrNotFound naming it", err)
	}
	apo := &episodes.Run{Game: "apo", Judge: "rating@1", Players: models}
	if err := store.CreateRun(ctx, apo); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(ctx, store, setLexicon{}, apo.ID, ModelRoles); !errors.Is(err, ErrNotTaboo) || !strings.Contains(err.Error(), apo.ID) {
		t.Errorf("Check of an APO run = %v, want an error", err)
	}
}

func TestContentWords(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"It flooded the cities!", []string{"flooded", "cities"}},
		{"It's a DOG's life, isn't it?", []string{"dog", "life"}},
		{"Don’t say o'clock — say sun-dried.", []string{"say", "o'clock", "say", "sun-dried"}},
		{"Dogs' tails -- wagging; 'quoted' -dash- end-", []string{"dogs", "tails", "wagging", "quoted", "dash", "end"}},
		{"mp3 players of the 1990s and 42", []string{"players"}},
		{"**Café** _naïve_", []string{"café", "naïve"}},
		{"I would have been there.", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var got []string
			contentWords(tt.text, func(w string) { got = append(got, w) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("contentWords(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseRoles(t *testing.T) {
	for in, want := range map[string]Roles{"": ModelRoles, "attacker": Attacker, "defender": Defender, "both": Both} {
		if got, err := ParseRoles(in); got != want || err != nil {
			t.Errorf("ParseRoles(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseRoles("judge"); err == nil || !strings.Contains(err.Error(), "attacker, defender or both") {
		t.Errorf("ParseRoles(judge) = %v, want an error listing the roles", err)
	}
}

func TestWriteText(t *testing.T) {
	rep := &Report{
		Run: "r1", Episodes: 1234, Players: map[string]string{"attacker": "native", "defender": "builtin"},
		ClueWords: Count{Counted: true, Total: 12345, Real: 11864, NotReal: []WordCount{{"compll", 12}, {"seler", 9}}},
	}
	rep.ClueWords.Share.Rate, rep.ClueWords.Share.Lo, rep.ClueWords.Share.Hi = 0.961, 0.9575, 0.9643
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `run          r1  (1,234 episodes)
players      attacker native, defender builtin
guesses      not counted (defender builtin)
clue words   12,345 content words, 96.1% real  (95% CI 95.8–96.4%)
  not real   compll 12, seler 9
`
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
}

// setLexicon is a lexicon of the words in the set.
type setLexicon map[string]bool

func (s setLexicon) Has(w string) bool { return s[w] }

func TestIsBuiltin(t *testing.T) {
	for spec, want := range map[string]bool{
		"builtin":           true,
		"builtin:skill=0.9": true,
		"builtin,skill=1":   true,
		"native (spag-taboo-small-v3 sha256:abc)": false,
		"native:/tmp/builtin.ckpt":                false,
		"ollama:qwen3":                            false,
	} {
		if got := IsBuiltin(spec); got != want {
			t.Errorf("IsBuiltin(%q) = %v, want %v", spec, got, want)
		}
	}
}
