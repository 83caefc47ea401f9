package taboo

import (
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

func TestSecondOpinion(t *testing.T) {
	// SPAG's reference judge finds "sun" in "Sunday"; strict does not.
	turns := []game.Turn{{N: 1, Role: judge.Attacker, Text: "Every Sunday morning"}, {N: 2, Role: judge.Defender, Text: "fruit?"}}
	strict := JudgeVerdict(judge.NewStrict().Judge("sun", 5, Utterances(turns)), "strict@1", Utterances(turns))
	spag := JudgeVerdict(judge.NewSpag().Judge("sun", 5, Utterances(turns)), "spag@1", Utterances(turns))
	if strict.Outcome == spag.Outcome && strict.DecidedAt == spag.DecidedAt {
		t.Fatalf("the judges agree (%+v): pick an episode they differ on", strict)
	}
	tests := []struct {
		name     string
		v        game.Verdict
		maxTurns int
		want     *game.Verdict
	}{
		{"strict's verdict gets spag's", strict, 5, &spag},
		{"spag's verdict gets strict's", spag, 5, &strict},
		{"the same verdict says nothing", game.Verdict{Outcome: strict.Outcome, DecidedAt: strict.DecidedAt, Judge: "spag@1"}, 5, nil},
		{"another game's judge", game.Verdict{Outcome: "tie", Judge: "apo@1"}, 5, nil},
		{"no turn limit", strict, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SecondOpinion("sun", tt.maxTurns, turns, tt.v)
			switch {
			case tt.want == nil && ok:
				t.Errorf("got %+v, want none", got)
			case tt.want != nil && (!ok || got != *tt.want):
				t.Errorf("got %+v (%v), want %+v", got, ok, *tt.want)
			}
		})
	}
}

// TestJudgeVerdictEvidence: the evidence text is cut from its utterance,
// and a span outside it gets none rather than a panic.
func TestJudgeVerdictEvidence(t *testing.T) {
	h := []judge.Utterance{{Role: judge.Attacker, Text: "It rises: Sun"}}
	tests := []struct {
		ev   judge.Evidence
		text string
	}{
		{judge.Evidence{Utterance: 1, Start: 10, End: 13}, "Sun"},
		{judge.Evidence{Utterance: 1, Start: 10, End: 99}, ""},
		{judge.Evidence{Utterance: 2, Start: 0, End: 1}, ""},
		{judge.Evidence{}, ""},
	}
	for _, tt := range tests {
		gv := JudgeVerdict(judge.Verdict{Outcome: judge.AttackerBrokeRules, DecidedAt: 1, Evidence: tt.ev}, "strict@1", h)
		if gv.Evidence.Text != tt.text || gv.Evidence.Turn != tt.ev.Utterance || gv.Judge != "strict@1" {
			t.Errorf("evidence %+v: got %+v, want text %q", tt.ev, gv, tt.text)
		}
	}
}
