package episodes

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

const benchTurns = 10

// benchEpisodes builds a pool of finished episodes of benchTurns turns with
// texts of about 100 bytes; benchmarks reuse them with fresh indices.
func benchEpisodes() []game.Episode {
	pool := make([]game.Episode, 64)
	start := time.Date(2026, 11, 26, 15, 12, 0, 0, time.UTC)
	for i := range pool {
		ep := game.Episode{
			Setup:      game.Setup{Seed: uint64(i) * 7919, Subject: fmt.Sprintf("word%d", i)},
			StartedAt:  start,
			FinishedAt: start.Add(time.Second),
			Verdict:    game.Verdict{Outcome: "tie", DecidedAt: benchTurns, Rule: "tie.max_turns", Judge: "strict@1"},
		}
		for n := 1; n <= benchTurns; n++ {
			text := fmt.Sprintf("utterance %d of episode %d: ", n, i)
			ep.Turns = append(ep.Turns, game.Turn{
				N: n, Player: (n - 1) % 2, Role: []string{"attacker", "defender"}[(n-1)%2],
				Text:  text + strings.Repeat("lorem ipsum ", (100-len(text))/12),
				Usage: game.Usage{PromptTokens: 200, OutputTokens: 25, Latency: 300 * time.Millisecond},
			})
		}
		pool[i] = ep
	}
	return pool
}

// BenchmarkTurnInsert compares the Store's writer with the best a plain
// loop can do: the same rows, the same schema, prepared statements and
// transactions of the same size. Both report turns/s and episodes/s.
func BenchmarkTurnInsert(b *testing.B) {
	pool := benchEpisodes()
	report := func(b *testing.B) {
		secs := b.Elapsed().Seconds()
		b.ReportMetric(float64(b.N*benchTurns)/secs, "turns/s")
		b.ReportMetric(float64(b.N)/secs, "episodes/s")
	}

	b.Run("writer", func(b *testing.B) {
		ctx := context.Background()
		s, _ := openTest(b, Options{})
		run := createRun(b, s)
		b.ResetTimer()
		for i := range b.N {
			ep := pool[i%len(pool)]
			ep.Index = i
			if err := s.Write(ctx, run.ID, ep); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		report(b)
	})

	b.Run("plain", func(b *testing.B) {
		ctx := context.Background()
		s, _ := openTest(b, Options{})
		run := createRun(b, s)
		insEp, err := s.wdb.PrepareContext(ctx, `INSERT INTO episodes
			(run_id, idx, subject, seed, outcome, decided_at, rule,
			 evidence_turn, evidence_start, evidence_end, evidence_text, judge,
			 err, started_at, finished_at, extra)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		defer insEp.Close()
		insTurn, err := s.wdb.PrepareContext(ctx, sqlInsertTurn)
		if err != nil {
			b.Fatal(err)
		}
		defer insTurn.Close()
		b.ResetTimer()
		for lo := 0; lo < b.N; lo += DefaultBatchSize {
			tx, err := s.wdb.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			ie, it := tx.StmtContext(ctx, insEp), tx.StmtContext(ctx, insTurn)
			for i := lo; i < min(lo+DefaultBatchSize, b.N); i++ {
				ep := pool[i%len(pool)]
				v := ep.Verdict
				res, err := ie.ExecContext(ctx, run.ID, i, ep.Subject, int64(ep.Seed), v.Outcome, v.DecidedAt, v.Rule,
					v.Evidence.Turn, v.Evidence.Start, v.Evidence.End, v.Evidence.Text, v.Judge,
					ep.Err, ep.StartedAt.UnixNano(), ep.FinishedAt.UnixNano(), nil)
				if err != nil {
					b.Fatal(err)
				}
				id, err := res.LastInsertId()
				if err != nil {
					b.Fatal(err)
				}
				for _, t := range ep.Turns {
					_, err := it.ExecContext(ctx, id, t.N, t.Player, t.Role, t.Text, t.Thinking,
						t.Usage.PromptTokens, t.Usage.OutputTokens, int64(t.Usage.Latency), nil, nil)
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		report(b)
	})
}
