package scripted

import (
	"context"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// loadLexicon loads the embedded lexicon or fails the test.
func loadLexicon(tb testing.TB) *Lexicon {
	tb.Helper()
	lx, err := LoadLexicon()
	if err != nil {
		tb.Fatalf("LoadLexicon: %v", err)
	}
	return lx
}

// turnSeed derives a turn's seed from the episode's, as the engine does.
func turnSeed(episode uint64, turn int) uint64 {
	return mix64(episode + uint64(turn)*0x9e3779b97f4a7c15)
}

// playEpisode plays one game between a and d, judged utterance by
// utterance by j, attacker first, and returns the verdict and transcript.
func playEpisode(tb testing.TB, a, d game.Player, j judge.Judge, target string, maxTurns int, seed uint64) (judge.Verdict, []game.Message) {
	tb.Helper()
	ctx := context.Background()
	ep := j.Start(target, maxTurns)
	var transcript []game.Message
	for n := 1; ; n++ {
		req := game.Request{Seed: turnSeed(seed, n)}
		req.Turn = n
		req.MaxUtterances = 2 * maxTurns
		req.Transcript = transcript
		p := d
		req.Role = judge.Defender
		req.Player = 1
		if n%2 == 1 {
			p = a
			req.Role = judge.Attacker
			req.Player = 0
			req.Secret = target
		}
		reply, err := p.Play(ctx, req)
		if err != nil {
			tb.Fatalf("turn %d (%s): %v", n, req.Role, err)
		}
		transcript = append(transcript, game.Message{Role: req.Role, Content: reply.Text})
		v, over := ep.Next(judge.Utterance{Role: req.Role, Text: reply.Text})
		if over {
			return v, transcript
		}
	}
}

// mix tallies outcomes.
type mix map[judge.Outcome]int

func (m mix) share(o judge.Outcome) float64 {
	n := 0
	for _, c := range m {
		n += c
	}
	return float64(m[o]) / float64(n)
}

// playMany plays n games on words of the lexicon chosen by seed.
func playMany(tb testing.TB, lx *Lexicon, j judge.Judge, attackerSkill, defenderSkill float64, n int, seed uint64) mix {
	tb.Helper()
	a := NewAttacker(lx, j, attackerSkill)
	d := NewDefender(lx, defenderSkill)
	r := newRNG(seed, 1)
	m := mix{}
	for i := 0; i < n; i++ {
		target := lx.entries[r.intn(lx.Len())].Word
		v, _ := playEpisode(tb, a, d, j, target, 5, r.next())
		m[v.Outcome]++
	}
	return m
}
