package episodes

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

// fillStore writes two runs with different players and a mix of outcomes.
// Run a: indices 0-5, outcomes cycling attacker_wins, defender_wins, tie,
// index 5 errored. Run b: indices 0-2, all defender_wins.
func fillStore(t *testing.T, s *Store) (a, b *Run) {
	t.Helper()
	ctx := context.Background()
	a = createRun(t, s)
	// A minute later, so that b's ID sorts after a's.
	b = &Run{Game: "taboo", Judge: "spag@1", MaxTurns: 3, CreatedAt: a.CreatedAt.Add(time.Minute),
		Players: map[string]string{"attacker": "native (m sha256:ab)", "defender": "ollama:qwen3"}}
	if err := s.CreateRun(ctx, b); err != nil {
		t.Fatal(err)
	}
	outcomes := []string{"attacker_wins", "defender_wins", "tie"}
	for i := range 6 {
		ep := sampleEpisode(i, 2+i%3)
		ep.Verdict.Outcome = outcomes[i%3]
		ep.Verdict.DecidedAt = len(ep.Turns)
		if i == 5 {
			ep.Verdict = game.Verdict{}
			ep.Err = "timeout"
		}
		if err := s.Write(ctx, a.ID, ep); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := s.Write(ctx, b.ID, sampleEpisode(i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestEpisodesFilter(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{})
	a, b := fillStore(t, s)
	if a.ID > b.ID {
		t.Fatalf("run IDs %s, %s do not sort by creation", a.ID, b.ID)
	}
	yes, no := true, false
	type key struct {
		run string
		idx int
	}
	ka := func(idx ...int) []key {
		var ks []key
		for _, i := range idx {
			ks = append(ks, key{a.ID, i})
		}
		return ks
	}
	kb := func(idx ...int) []key {
		var ks []key
		for _, i := range idx {
			ks = append(ks, key{b.ID, i})
		}
		return ks
	}
	tests := []struct {
		name string
		f    Filter
		want []key
	}{
		{"all, ordered by run then index", Filter{}, append(ka(0, 1, 2, 3, 4, 5), kb(0, 1, 2)...)},
		{"run", Filter{RunID: b.ID}, kb(0, 1, 2)},
		{"outcome", Filter{Outcome: "defender_wins"}, append(ka(1, 4), kb(0, 1, 2)...)},
		{"outcome in run", Filter{RunID: a.ID, Outcome: "tie"}, ka(2)},
		{"subject", Filter{Subject: "word1"}, append(ka(1), kb(1)...)},
		{"errored", Filter{Errored: &yes}, ka(5)},
		{"not errored", Filter{RunID: a.ID, Errored: &no}, ka(0, 1, 2, 3, 4)},
		{"decided at", Filter{RunID: a.ID, DecidedAt: 4}, ka(2)},
		{"player in any role", Filter{Player: "ollama:qwen3"}, append(ka(0, 1, 2, 3, 4, 5), kb(0, 1, 2)...)},
		{"player in a role", Filter{Player: "ollama:qwen3", Role: "defender"}, kb(0, 1, 2)},
		{"player not in that role", Filter{Player: "native (m sha256:ab)", Role: "defender"}, nil},
		// Runs record the shipped model with its name and digest; the spec
		// alone finds them, and so does the full name.
		{"spec of a recorded name", Filter{Player: "native"}, kb(0, 1, 2)},
		{"spec of a recorded name in its role", Filter{Player: "native", Role: "attacker"}, kb(0, 1, 2)},
		{"full recorded name", Filter{Player: "native (m sha256:ab)"}, kb(0, 1, 2)},
		{"a prefix is not a spec", Filter{Player: "nat"}, nil},
		{"newest run first", Filter{NewestRunFirst: true}, append(kb(0, 1, 2), ka(0, 1, 2, 3, 4, 5)...)},
		{"newest run first, paged", Filter{NewestRunFirst: true, Limit: 2, Offset: 2}, append(kb(2), ka(0)...)},
		{"role alone", Filter{Role: "generator"}, nil},
		{"limit", Filter{Limit: 2}, ka(0, 1)},
		{"offset", Filter{Limit: 2, Offset: 5}, append(ka(5), kb(0)...)},
		{"no match", Filter{Outcome: "attacker_broke_rules"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.Episodes(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []key
			for _, r := range recs {
				got = append(got, key{r.RunID, r.Index})
				if r.Turns != nil {
					t.Errorf("turns loaded without Filter.Turns")
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Breaking out of Iter early releases its snapshot.
	n := 0
	for _, err := range s.Iter(ctx, Filter{Turns: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	if _, err := s.Episode(ctx, 1<<40); !errors.Is(err, ErrNotFound) {
		t.Errorf("Episode(missing): %v, want ErrNotFound", err)
	}
}

func TestStats(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{})
	a, b := fillStore(t, s)
	st, err := s.Stats(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Turns per episode of run a: 2, 3, 4, 2, 3, 4 (the errored one too).
	want := Stats{
		Episodes: 6, Errored: 1,
		Outcomes:      map[string]int{"attacker_wins": 2, "defender_wins": 2, "tie": 1},
		Rules:         map[string]int{"defender.correct_guess": 5}, // the errored episode has none
		MeanDecidedAt: float64(2+3+4+2+3) / 5,
		Turns:         18,
		FirstStart:    sampleEpisode(0, 1).StartedAt,
		LastFinish:    sampleEpisode(5, 1).FinishedAt,
	}
	for i := range 6 {
		for _, t := range sampleEpisode(i, 2+i%3).Turns {
			want.PromptTokens += int64(t.Usage.PromptTokens)
			want.OutputTokens += int64(t.Usage.OutputTokens)
		}
	}
	if !st.FirstStart.Equal(want.FirstStart) || !st.LastFinish.Equal(want.LastFinish) {
		t.Errorf("times %v..%v, want %v..%v", st.FirstStart, st.LastFinish, want.FirstStart, want.LastFinish)
	}
	st.FirstStart, st.LastFinish, want.FirstStart, want.LastFinish = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("Stats:\n got %+v\nwant %+v", st, want)
	}

	all, err := s.Stats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if all.Episodes != 9 || all.Outcomes["defender_wins"] != 5 {
		t.Errorf("Stats of the store: %+v", all)
	}
	stb, _ := s.Stats(ctx, b.ID)
	// Run b: episodes 0-2 start 1 s apart and last 1.5 s: 3 in 3.5 s.
	if got := stb.Throughput(); got < 3/3.5-1e-9 || got > 3/3.5+1e-9 {
		t.Errorf("Throughput = %v, want %v", got, 3/3.5)
	}
	if _, err := s.Stats(ctx, "r-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stats(missing): %v, want ErrNotFound", err)
	}
	if _, err := s.DoneIndices(ctx, "r-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DoneIndices(missing): %v, want ErrNotFound", err)
	}
}

func TestVerdicts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s, _ := openTest(t, Options{Now: func() time.Time { return now }})
	a, _ := fillStore(t, s)
	recs, err := s.Episodes(ctx, Filter{RunID: a.ID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := recs[0].ID
	strict2 := game.Verdict{Outcome: "tie", DecidedAt: 2, Rule: "tie.max_turns", Judge: "strict@2"}
	spag := game.Verdict{Outcome: "attacker_wins", DecidedAt: 2, Rule: "defender.mentions",
		Evidence: game.Evidence{Turn: 2, Start: 4, End: 9, Text: "word0"}, Judge: "spag@1"}
	for _, v := range []game.Verdict{{Outcome: "defender_wins", Judge: "strict@2"}, strict2, spag} {
		if err := s.AddVerdict(ctx, id, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Verdicts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// strict@2 was given twice: the second replaced the first.
	want := []Verdict{{id, spag, now}, {id, strict2, now}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Verdicts:\n got %+v\nwant %+v", got, want)
	}
	if err := s.AddVerdict(ctx, 1<<40, spag); !errors.Is(err, ErrNotFound) {
		t.Errorf("AddVerdict(missing episode): %v, want ErrNotFound", err)
	}
	if err := s.AddVerdict(ctx, id, game.Verdict{Outcome: "tie"}); err == nil {
		t.Error("AddVerdict accepted a verdict without a judge")
	}
	// The episode's own verdict is untouched.
	rec, err := s.Episode(ctx, id)
	if err != nil || rec.Verdict.Judge != "strict@1" {
		t.Errorf("episode verdict after AddVerdict: %+v, %v", rec.Verdict, err)
	}
}

func TestEpisodesAfterID(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{})
	fillStore(t, s)
	all, err := s.Episodes(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(all))
	for i, r := range all {
		ids[i] = r.ID
	}
	slices.Sort(ids)
	after := ids[3]
	got, err := s.Episodes(ctx, Filter{AfterID: after})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids)-4 {
		t.Fatalf("%d episodes after ID %d, want %d", len(got), after, len(ids)-4)
	}
	for _, r := range got {
		if r.ID <= after {
			t.Errorf("episode %d listed after %d", r.ID, after)
		}
	}
}
