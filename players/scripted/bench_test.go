package scripted

import (
	"context"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// benchRequests records the requests of real games so benchmarks replay a
// realistic mix of turns.
func benchRequests(b *testing.B, lx *Lexicon, j judge.Judge, role string) []game.Request {
	b.Helper()
	a := NewAttacker(lx, j, DefaultSkill)
	d := NewDefender(lx, DefaultSkill)
	var reqs []game.Request
	rec := game.PlayerFunc(func(ctx context.Context, req game.Request) (game.Reply, error) {
		if req.Role == role {
			reqs = append(reqs, req)
		}
		if req.Role == judge.Attacker {
			return a.Play(ctx, req)
		}
		return d.Play(ctx, req)
	})
	r := newRNG(11, 1)
	for len(reqs) < 512 {
		playEpisode(b, rec, rec, j, lx.entries[r.intn(lx.Len())].Word, 5, r.next())
	}
	return reqs
}

func benchPlayer(b *testing.B, p game.Player, reqs []game.Request) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Play(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAttacker(b *testing.B) {
	lx := loadLexicon(b)
	for _, name := range judge.Names() {
		b.Run(name, func(b *testing.B) {
			j, err := judge.ByName(name)
			if err != nil {
				b.Fatal(err)
			}
			benchPlayer(b, NewAttacker(lx, j, DefaultSkill), benchRequests(b, lx, j, judge.Attacker))
		})
	}
}

func BenchmarkDefender(b *testing.B) {
	lx := loadLexicon(b)
	j := judge.NewStrict()
	benchPlayer(b, NewDefender(lx, DefaultSkill), benchRequests(b, lx, j, judge.Defender))
}

// BenchmarkGame plays whole episodes, judge included, as the engine would
// (without its bookkeeping).
func BenchmarkGame(b *testing.B) {
	lx := loadLexicon(b)
	for _, name := range judge.Names() {
		b.Run(name, func(b *testing.B) {
			j, err := judge.ByName(name)
			if err != nil {
				b.Fatal(err)
			}
			a := NewAttacker(lx, j, DefaultSkill)
			d := NewDefender(lx, DefaultSkill)
			r := newRNG(5, 1)
			b.ReportAllocs()
			for b.Loop() {
				playEpisode(b, a, d, j, lx.entries[r.intn(lx.Len())].Word, 5, r.next())
			}
		})
	}
}
