package taboo

import (
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// Utterances is the judge's view of stored turns.
func Utterances(turns []game.Turn) []judge.Utterance {
	h := make([]judge.Utterance, len(turns))
	for i, t := range turns {
		h[i] = judge.Utterance{Role: t.Role, Text: t.Text}
	}
	return h
}

// JudgeVerdict turns a judge's verdict on history h into the stored form,
// recorded as judge judgeID, with the evidence text cut from its
// utterance. A span outside the utterance keeps its numbers but gets no
// text.
func JudgeVerdict(v judge.Verdict, judgeID string, h []judge.Utterance) game.Verdict {
	e := v.Evidence
	gv := game.Verdict{Outcome: string(v.Outcome), DecidedAt: v.DecidedAt, Rule: v.Rule, Judge: judgeID,
		Evidence: game.Evidence{Turn: e.Utterance, Start: e.Start, End: e.End}}
	if u := e.Utterance; u > 0 && u <= len(h) {
		if text := h[u-1].Text; 0 <= e.Start && e.Start <= e.End && e.End <= len(text) {
			gv.Evidence.Text = text[e.Start:e.End]
		}
	}
	return gv
}

// SecondOpinion judges a stored episode again with the judge that did not
// decide it (spag for strict, strict for spag) and returns that verdict
// when its outcome or turn differs from v. It is Adversarial Taboo's
// [game.Description.SecondOpinion].
func SecondOpinion(subject string, maxTurns int, turns []game.Turn, v game.Verdict) (game.Verdict, bool) {
	name, _, _ := strings.Cut(v.Judge, "@")
	other := map[string]string{"strict": "spag", "spag": "strict"}[name]
	j, err := judge.ByName(other)
	if err != nil || maxTurns < 1 {
		return game.Verdict{}, false
	}
	h := Utterances(turns)
	gv := JudgeVerdict(j.Judge(subject, maxTurns, h), JudgeID(j), h)
	if gv.Outcome == v.Outcome && gv.DecidedAt == v.DecidedAt {
		return game.Verdict{}, false
	}
	return gv, true
}
