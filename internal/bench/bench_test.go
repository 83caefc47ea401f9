// Package bench holds the end-to-end benchmarks quoted in the README: the
// engine with the judge and the built-in players, with and without the
// SQLite store.
package bench

import (
	"context"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players/scripted"
	"github.com/spag-go/spag/taboo"
)

func setup(b *testing.B) (*taboo.Game, []game.Player, []string) {
	b.Helper()
	j := judge.NewStrict()
	g, err := taboo.New(taboo.Params{MaxTurns: 5, Judge: j})
	if err != nil {
		b.Fatal(err)
	}
	lex, err := scripted.LoadLexicon()
	if err != nil {
		b.Fatal(err)
	}
	words, err := taboo.BuiltinWords()
	if err != nil {
		b.Fatal(err)
	}
	return g, []game.Player{scripted.NewAttacker(lex, j, scripted.DefaultSkill), scripted.NewDefender(lex, scripted.DefaultSkill)}, words
}

func setups(words []string, n int) []game.Setup {
	s := make([]game.Setup, n)
	for i := range s {
		s[i] = game.Setup{Index: i, Seed: game.SplitMix64(uint64(i)), Subject: words[i%len(words)]}
	}
	return s
}

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report prints throughput by the wall clock and per CPU-second: on a
// shared, loaded machine the wall clock measures the neighbours as much
// as spag, while CPU time per episode does not depend on them (2 idle cores
// give at most 2 CPU-seconds per second).
func report(b *testing.B, episodes, turns int, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(episodes)/elapsed.Seconds(), "episodes/s")
	if cpu > 0 {
		b.ReportMetric(float64(episodes)/cpu.Seconds(), "episodes/CPU-s")
	}
	b.ReportMetric(float64(turns)/float64(episodes), "turns/episode")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEngine plays b.N episodes between the built-in players with the
// strict judge and no store.
func BenchmarkEngine(b *testing.B) {
	g, players, words := setup(b)
	r := &game.Runner{Game: g, Players: players, Concurrency: runtime.GOMAXPROCS(0) * 4}
	s := setups(words, b.N)
	turns := 0
	countTurns := make(chan int, 1024)
	done := make(chan struct{})
	go func() {
		for n := range countTurns {
			turns += n
		}
		close(done)
	}()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	err := r.Run(context.Background(), s, func(ctx context.Context, ep *game.Episode) error {
		countTurns <- len(ep.Turns)
		return nil
	})
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	close(countTurns)
	<-done
	if err != nil {
		b.Fatal(err)
	}
	report(b, b.N, turns, elapsed, cpu)
}

// BenchmarkEngineStore is BenchmarkEngine with every episode written to a
// SQLite store, as `spag selfplay` does (live turns included); the clock
// stops once the last one is committed.
func BenchmarkEngineStore(b *testing.B) {
	g, players, words := setup(b)
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), episodes.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	run := &episodes.Run{Game: g.String(), Judge: "strict@1", MaxTurns: 5}
	if err := store.CreateRun(ctx, run); err != nil {
		b.Fatal(err)
	}
	// As in `spag selfplay`: turns of games in flight go to the store for
	// watchers too.
	r := &game.Runner{Game: g, Players: players, Concurrency: runtime.GOMAXPROCS(0) * 4,
		OnTurn: func(s game.Setup, turns []game.Turn) { store.WriteLive(run.ID, s.Index, s.Subject, turns) }}
	s := setups(words, b.N)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	err = r.Run(ctx, s, func(ctx context.Context, ep *game.Episode) error {
		return store.Write(ctx, run.ID, *ep)
	})
	if err == nil {
		err = store.Flush(ctx)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Stats(ctx, run.ID)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, n := range st.Outcomes {
		total += n
	}
	if total+st.Errored != b.N {
		b.Fatalf("store holds %d episodes, want %d", total+st.Errored, b.N)
	}
	report(b, b.N, st.Turns, elapsed, cpu)
}
