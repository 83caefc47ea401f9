package episodes

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/spag-go/spag/game"
)

// playedEpisode is an episode whose utterances are spoken by roles in
// order and that rule decided at utterance decidedAt (0: undecided).
func playedEpisode(idx int, roles []string, rule string, decidedAt int) game.Episode {
	ep := sampleEpisode(idx, 0)
	ep.Verdict = game.Verdict{Outcome: "attacker_wins", Rule: rule, DecidedAt: decidedAt, Judge: "strict@1"}
	for i, r := range roles {
		ep.Turns = append(ep.Turns, game.Turn{N: i + 1, Player: i % 2, Role: r, Text: "x"})
	}
	return ep
}

func TestTurnStats(t *testing.T) {
	const a, d = "attacker", "defender"
	ad := func(n int) []string { // n alternating utterances, the attacker first
		var rs []string
		for i := range n {
			rs = append(rs, []string{a, d}[i%2])
		}
		return rs
	}
	tests := []struct {
		name string
		eps  []game.Episode
		want []TurnCount
	}{
		{
			name: "guesses at the defender's second and first turns, a slip, a tie",
			eps: []game.Episode{
				playedEpisode(0, ad(4), "defender.wrong_guess", 4),
				playedEpisode(1, ad(4), "defender.correct_guess", 4),
				playedEpisode(2, ad(2), "defender.correct_guess", 2),
				playedEpisode(3, ad(3), "attacker.said_target", 3),
				playedEpisode(4, ad(4), "max_turns", 4),
			},
			want: []TurnCount{
				{Role: a, Turn: 1, Utterances: 5, Decided: map[string]int{}},
				{Role: a, Turn: 2, Utterances: 4, Decided: map[string]int{"attacker.said_target": 1}},
				{Role: d, Turn: 1, Utterances: 5, Decided: map[string]int{"defender.correct_guess": 1}},
				{Role: d, Turn: 2, Utterances: 3, Decided: map[string]int{
					"defender.wrong_guess": 1, "defender.correct_guess": 1, "max_turns": 1}},
			},
		},
		{
			// A role's turns are counted within the role, not by utterance
			// number; the role that speaks first comes first.
			name: "roles that do not alternate",
			eps: []game.Episode{
				playedEpisode(0, []string{d, d, a}, "attacker.said_target", 3),
				playedEpisode(1, []string{d, a}, "", 0),
			},
			want: []TurnCount{
				{Role: d, Turn: 1, Utterances: 2, Decided: map[string]int{}},
				{Role: d, Turn: 2, Utterances: 1, Decided: map[string]int{}},
				{Role: a, Turn: 1, Utterances: 2, Decided: map[string]int{"attacker.said_target": 1}},
			},
		},
		{
			name: "an errored episode is left out",
			eps: func() []game.Episode {
				bad := playedEpisode(1, ad(2), "", 0)
				bad.Verdict, bad.Err = game.Verdict{}, "timeout"
				return []game.Episode{playedEpisode(0, ad(1), "attacker.said_target", 1), bad}
			}(),
			want: []TurnCount{{Role: a, Turn: 1, Utterances: 1, Decided: map[string]int{"attacker.said_target": 1}}},
		},
		{name: "no episodes", want: []TurnCount{}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t, Options{})
			run := createRun(t, s)
			// Another run's episodes must not count in run's rows.
			other := createRun(t, s)
			for _, ep := range tt.eps {
				if err := s.Write(ctx, run.ID, ep); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Write(ctx, other.ID, playedEpisode(0, ad(6), "defender.wrong_guess", 6)); err != nil {
				t.Fatal(err)
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := s.TurnStats(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("TurnStats:\n got %+v\nwant %+v", got, tt.want)
			}
			all, err := s.TurnStats(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			// The whole store adds the other run's six utterances.
			n := 0
			for _, c := range all {
				n += c.Utterances
			}
			want := 6
			for _, c := range tt.want {
				want += c.Utterances
			}
			if n != want {
				t.Errorf("TurnStats of the store: %d utterances, want %d", n, want)
			}
		})
	}
	s, _ := openTest(t, Options{})
	if _, err := s.TurnStats(ctx, "r-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("TurnStats(missing): %v, want ErrNotFound", err)
	}
}
