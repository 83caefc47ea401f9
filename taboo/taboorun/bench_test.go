package taboorun_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/taboorun"
)

// BenchmarkSelfplayShipped is `spag selfplay --seed 7` in process: each
// op plays (and stores) a run of 100 games of the shipped model against
// itself, as the command does with its defaults, and again with batches
// of 8 streams (the default before 32). Besides games/s it
// reports the arithmetic the model did, counted from the shapes of its
// forward passes (native.Work), as GFLOP/s, and the roofline fraction:
// that rate over the best internal/mat product rate, measured in the
// same run (before and after the games; the better one counts).
//
//	go test -run '^$' -bench SelfplayShipped -benchtime 3x ./taboo/taboorun/
func BenchmarkSelfplayShipped(b *testing.B) {
	// The default batch, as spag selfplay plays, and the old default.
	for _, batch := range []int{native.DefaultBatch, 8} {
		var options []string
		if batch != native.DefaultBatch {
			options = []string{fmt.Sprintf("batch=%d", batch)}
		}
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchSelfplay(b, options) })
	}
}

// cpuSeconds is the process's user and system time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchSelfplay plays the benchmark's runs with these player options.
func benchSelfplay(b *testing.B, options []string) {
	ctx := context.Background()
	words, err := taboo.Words(taboo.WordsBuiltin)
	if err != nil {
		b.Fatal(err)
	}
	c := taboorun.Config{MaxTurns: taboo.DefaultMaxTurns, Judge: "strict", Attacker: "native", Defender: "native",
		Words: taboo.WordsBuiltin, Seed: 7, Games: 100, Options: options}
	if err := c.Prepare(words); err != nil {
		b.Fatal(err)
	}
	plan, err := c.Plan(ctx, words, nil)
	if err != nil {
		b.Fatal(err)
	}
	pl, ok := plan.Players[0].(*native.Player)
	if !ok {
		b.Fatalf("the attacker is %T, not a native player", plan.Players[0])
	}
	session := &selfplay.Session{Path: filepath.Join(b.TempDir(), "bench.db")}
	defer session.Close()
	peak := mat.PeakGFLOPS(200 * time.Millisecond)
	games, elapsed, cpu := 0, time.Duration(0), 0.0
	before := pl.Work()
	for b.Loop() {
		run, pending, err := session.Begin(ctx, plan, nil)
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuSeconds()
		res, err := session.Play(ctx, run, plan, pending, selfplay.Options{})
		elapsed += time.Since(start)
		cpu += cpuSeconds() - cpu0
		if err != nil || res.Errored > 0 {
			b.Fatalf("%v (%d errored: %s)", err, res.Errored, res.FirstError)
		}
		games += res.Played
	}
	b.StopTimer()
	peak = max(peak, mat.PeakGFLOPS(200*time.Millisecond))
	w := pl.Work()
	w.Tokens, w.Pairs, w.Logits, w.Passes = w.Tokens-before.Tokens, w.Pairs-before.Pairs, w.Logits-before.Logits, w.Passes-before.Passes
	flops := w.FLOPs(pl.Model()) / elapsed.Seconds() / 1e9
	b.ReportMetric(float64(games)/elapsed.Seconds(), "games/s")
	// CPU time per game depends less than games/s on what else the
	// machine runs.
	b.ReportMetric(1000*cpu/float64(games), "cpu-ms/game")
	b.ReportMetric(float64(w.Tokens)/float64(games), "tokens/game")
	b.ReportMetric(w.FLOPs(pl.Model())/float64(games)/1e9, "GFLOP/game")
	b.ReportMetric(flops, "GFLOP/s")
	b.ReportMetric(float64(w.Logits)/float64(w.Passes), "streams/step")
	b.ReportMetric(peak, "mat-peak-GFLOP/s")
	b.ReportMetric(100*flops/peak, "roofline-%")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB")
	}
	b.ReportMetric(0, "ns/op")
}
