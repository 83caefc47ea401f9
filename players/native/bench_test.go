package native

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// cpuSeconds is the process's user and system time so far. On a shared,
// loaded machine the wall clock measures the neighbours as much as the
// decoder; CPU time per token does not depend on them (two idle cores
// give at most two CPU-seconds per second).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchPrompt is the prompt of every benchmark generation.
const benchPrompt = "The word I am thinking of is an animal. Give me a clue without saying it."

// benchTokens is the length of every benchmark generation.
const benchTokens = 64

// benchModel is the small preset's shape (vocabulary 2000, dim 256, 4
// layers) with random weights, over a synthetic vocabulary of 2000
// pieces. End-of-sequence and the other control tokens are made
// impossible (a constant hidden dimension weighs strongly against them),
// so that every generation is exactly benchTokens long on both sides.
func benchModel(b *testing.B) (*tokenizer.Vocab, *model.Params) {
	b.Helper()
	cfg, err := model.Preset("small")
	if err != nil {
		b.Fatal(err)
	}
	base, err := tokenizer.Train(context.Background(), nil, tokenizer.TrainOptions{VocabSize: tokenizer.NumReserved + 1})
	if err != nil {
		b.Fatal(err)
	}
	pieces := base.Pieces()
	letters := "etaoinshrdlucmfwypvbgkqjxz"
	add := func(s string) {
		if len(pieces) < cfg.Vocab {
			pieces = append(pieces, tokenizer.Piece{Text: s, Score: -float32(len(pieces)), Type: tokenizer.Normal})
		}
	}
	add(tokenizer.WhitespaceSep)
	for _, a := range letters {
		add(string(a))
	}
	for _, a := range letters {
		add(tokenizer.WhitespaceSep + string(a))
		for _, c := range letters {
			add(string(a) + string(c))
		}
	}
	for _, a := range letters {
		for _, c := range letters {
			add(tokenizer.WhitespaceSep + string(a) + string(c))
			add(string(a) + string(c) + "e")
		}
	}
	v, err := tokenizer.New(pieces, true)
	if err != nil {
		b.Fatal(err)
	}
	if v.Size() != cfg.Vocab {
		b.Fatalf("synthetic vocabulary has %d pieces, want %d", v.Size(), cfg.Vocab)
	}
	p, err := model.Init(cfg, 9)
	if err != nil {
		b.Fatal(err)
	}
	D := cfg.Dim
	for i, s := range cfg.ParamSpecs() {
		d := p.Tensors[i].Data().([]float32)
		switch s.Name {
		case "token_embd.weight":
			for t := 0; t < cfg.Vocab; t++ {
				d[t*D] = 1
			}
		case "output.weight":
			for t := 0; t < tokenizer.FirstByteID; t++ {
				d[t] = -50
			}
		default:
			if strings.HasSuffix(s.Name, "attn_output.weight") || strings.HasSuffix(s.Name, "ffn_down.weight") {
				for r := 0; r < s.Shape[0]; r++ {
					d[r*D] = 0
				}
			}
		}
	}
	return v, p
}

// nativeRun plays streams concurrent generations of benchPrompt on pl
// and returns the tokens generated and the wall time.
func nativeRun(b *testing.B, pl *Player, streams int) (int, time.Duration) {
	start := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	tokens := 0
	for i := range streams {
		wg.Go(func() {
			r, err := pl.Play(context.Background(), request(benchPrompt, uint64(i)))
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			tokens += r.Usage.OutputTokens
			mu.Unlock()
		})
	}
	wg.Wait()
	return tokens, time.Since(start)
}

// BenchmarkDecode is the native half of [BenchmarkDecodeVsOllama], which
// needs no server: 64 greedy tokens from the small shape, one stream,
// eight and 32 batched, prompt evaluation included.
//
//	go test -run '^$' -bench '^BenchmarkDecode$' -benchtime 20x ./players/native/
func BenchmarkDecode(b *testing.B) {
	v, p := benchModel(b)
	m, err := NewModel(v, p)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := NewPlayer(m, Options{Temperature: 0, MaxTokens: benchTokens, Batch: 32})
	if err != nil {
		b.Fatal(err)
	}
	defer pl.Close()
	for _, streams := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("streams=%d/mat=%s", streams, mat.Path()), func(b *testing.B) {
			nativeRun(b, pl, streams) // warm the caches
			tokens, cpu0 := 0, cpuSeconds()
			for b.Loop() {
				n, _ := nativeRun(b, pl, streams)
				tokens += n
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tok/s")
			b.ReportMetric(float64(tokens)/(cpuSeconds()-cpu0), "tok/CPU-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkDecodeVsOllama generates 64 tokens greedily (fixed seed) from
// the same weights natively, one stream and eight concurrent streams,
// and through the harness's Ollama server (the same GGUF, F32), one
// stream with the server's default threads and with num_thread=1 (on a
// busy two-core machine llama.cpp's spinning thread barrier can stall).
// Throughputs are wall-clock generated tokens per second, prompt
// evaluation and (for Ollama) HTTP included.
//
//	go test -run '^$' -bench DecodeVsOllama -benchtime 10x ./players/native/
func BenchmarkDecodeVsOllama(b *testing.B) {
	s := ollamatest.Shared(b)
	v, p := benchModel(b)
	const name = "spag-bench-small:latest"
	register(b, s, name, v, p, gguf.F32)
	m, err := NewModel(v, p)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := NewPlayer(m, Options{Temperature: 0, MaxTokens: benchTokens, Batch: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer pl.Close()
	ctx := context.Background()

	native := func(streams int) (int, time.Duration) { return nativeRun(b, pl, streams) }
	// ollama streams one generation and counts the tokens delivered (one
	// log-probability each): this server build ends some raw streams
	// without the final done message and its eval counts. threads 0 is
	// the server's default (all cores).
	ollama := func(threads int) (int, time.Duration) {
		opts := map[string]any{"num_predict": benchTokens, "temperature": 0, "seed": 1}
		if threads > 0 {
			opts["num_thread"] = threads
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		start := time.Now()
		n := 0
		err := s.Client.Generate(rctx, &api.GenerateRequest{Model: name, Prompt: benchPrompt, Raw: true, Logprobs: true, Options: opts},
			func(r api.GenerateResponse) error { n += len(r.Logprobs); return nil })
		if err != nil {
			b.Fatalf("ollama generate: %v", err)
		}
		return n, time.Since(start)
	}
	// The native phases run with the model unloaded from Ollama: a
	// runner that has just served requests keeps its threads polling for
	// a while, and they would take the second core from the native
	// batch (the Ollama phases of the testing package's first, one-
	// iteration call come right before this call's native phases).
	unload := func() {
		keep := api.Duration{Duration: 0}
		if err := s.Client.Generate(ctx, &api.GenerateRequest{Model: name, KeepAlive: &keep}, func(api.GenerateResponse) error { return nil }); err != nil {
			b.Fatalf("ollama unload: %v", err)
		}
		// The unload is done when the server lists no running model.
		for {
			ps, err := s.Client.ListRunning(ctx)
			if err != nil {
				b.Fatalf("ollama ps: %v", err)
			}
			if len(ps.Models) == 0 {
				return
			}
			runtime.Gosched()
		}
	}
	unload()
	// Warm up the native caches; the native side must generate the full
	// length.
	if n, _ := native(8); n != 8*benchTokens {
		b.Fatalf("native generated %d tokens, want %d", n, 8*benchTokens)
	}

	var n1, n8, o1, o1t1 int
	var t1, t8, to1, to1t1 time.Duration
	b.ResetTimer()
	// One phase per setting: a request whose num_thread differs from the
	// previous one makes Ollama reload the model, so each Ollama phase
	// starts with an untimed request.
	for range b.N {
		n, d := native(1)
		n1, t1 = n1+n, t1+d
	}
	for range b.N {
		n, d := native(8)
		n8, t8 = n8+n, t8+d
	}
	ollama(0)
	for range b.N {
		n, d := ollama(0)
		o1, to1 = o1+n, to1+d
	}
	ollama(1)
	for range b.N {
		n, d := ollama(1)
		o1t1, to1t1 = o1t1+n, to1t1+d
	}
	b.StopTimer()
	rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	b.Logf("native matrix kernel: %s", mat.Path())
	b.ReportMetric(rate(n1, t1), "native1_tok/s")
	b.ReportMetric(rate(n8, t8), "native8_tok/s")
	b.ReportMetric(rate(o1, to1), "ollama1_tok/s")
	b.ReportMetric(rate(o1t1, to1t1), "ollama1_1thread_tok/s")
	b.ReportMetric(rate(n1, t1)/rate(o1, to1), "native1/ollama1")
	b.ReportMetric(rate(n1, t1)/max(rate(o1, to1), rate(o1t1, to1t1)), "native1/ollama1_best")
	b.Logf("tokens: native1 %d, native8 %d, ollama1 %d, ollama1 1 thread %d over %d iterations", n1, n8, o1, o1t1, b.N)
	b.ReportMetric(0, "ns/op") // the rates above are the result
}

// BenchmarkForwardStep times the decoder's forward pass alone, one new
// token for each of 1, 8 or 32 sequences whose caches hold 40 to 80
// positions: the arithmetic of a decoding step without sampling,
// streaming or scheduling, which [BenchmarkDecode] includes.
//
//	go test -run '^$' -bench '^BenchmarkForwardStep$' ./players/native/
func BenchmarkForwardStep(b *testing.B) {
	v, p := benchModel(b)
	m, err := NewModel(v, p)
	if err != nil {
		b.Fatal(err)
	}
	for _, streams := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("streams=%d/mat=%s", streams, mat.Path()), func(b *testing.B) {
			ws, chunks := new(workspace), decodeChunks(m, streams)
			step := func() {
				if chunks[0].cache.Len() == 80 {
					for _, ch := range chunks {
						ch.cache.Truncate(40)
					}
				}
				if _, err := m.forward(ws, chunks, false); err != nil {
					b.Fatal(err)
				}
			}
			for range 80 {
				step()
			}
			steps, cpu0 := 0, cpuSeconds()
			for b.Loop() {
				step()
				steps++
			}
			b.ReportMetric(float64(steps*streams)/b.Elapsed().Seconds(), "tok/s")
			b.ReportMetric(float64(steps*streams)/(cpuSeconds()-cpu0), "tok/CPU-s")
		})
	}
}

// BenchmarkPrefill times the evaluation of a new turn's prompt on a
// kept cache: a third of the context's tokens after half of it, in one
// forward pass with the logits of the last token only, as the scheduler
// runs a joining sequence. Attention's products here have a third of the
// context's rows (the blocked path of a product of that height packs
// both operands; attention reads them in place).
//
//	go test -run '^$' -bench '^BenchmarkPrefill$' ./players/native/
func BenchmarkPrefill(b *testing.B) {
	v, p := benchModel(b)
	m, err := NewModel(v, p)
	if err != nil {
		b.Fatal(err)
	}
	ctx := m.Config.Context
	toks := contextPrompt(m)
	ws, c := new(workspace), m.NewCache()
	if _, err := m.forward(ws, []chunk{{c, toks[:ctx/2]}}, false); err != nil {
		b.Fatal(err)
	}
	n, cpu0 := 0, cpuSeconds()
	for b.Loop() {
		c.Truncate(ctx / 2)
		if _, err := m.forward(ws, []chunk{{c, toks[ctx/2:]}}, false); err != nil {
			b.Fatal(err)
		}
		n += ctx / 3
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
	b.ReportMetric(float64(n)/(cpuSeconds()-cpu0), "tok/CPU-s")
}

// BenchmarkSampleTopK times one draw with the shipped sampling options
// (top_k 40, temperature 0.8, top_p 0.9) from logits over a vocabulary
// of 2,000, spread as a model's are.
//
//	go test -run '^$' -bench '^BenchmarkSampleTopK$' ./players/native/
func BenchmarkSampleTopK(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, 2000)
	for i := range logits {
		logits[i] = float32(3 * r.NormFloat64())
	}
	s := sampler{temperature: 0.8, topK: 40, topP: 0.9}
	for b.Loop() {
		s.next(logits, r)
	}
}

// BenchmarkForwardJoin times a decoding step that a new turn joins, as
// most steps of self-play with 32 streams are: 31 sequences advance by
// one token on caches of 60 positions and one evaluates a prompt of a
// third of the context on a kept cache of half of it. The prompt's
// attention is most of the step's attention work.
//
//	go test -run '^$' -bench '^BenchmarkForwardJoin$' ./players/native/
func BenchmarkForwardJoin(b *testing.B) {
	v, p := benchModel(b)
	m, err := NewModel(v, p)
	if err != nil {
		b.Fatal(err)
	}
	ctx := m.Config.Context
	ws, chunks, prompt := new(workspace), decodeChunks(m, 32), contextPrompt(m)
	for i := range chunks[:31] {
		for range 60 {
			if _, err := m.forward(ws, chunks[i:i+1], false); err != nil {
				b.Fatal(err)
			}
		}
	}
	join := chunks[31].cache
	if _, err := m.forward(ws, []chunk{{join, prompt[:ctx/2]}}, false); err != nil {
		b.Fatal(err)
	}
	chunks[31].tokens = prompt[ctx/2:]
	steps, cpu0 := 0, cpuSeconds()
	for b.Loop() {
		for _, ch := range chunks[:31] {
			ch.cache.Truncate(60)
		}
		join.Truncate(ctx / 2)
		if _, err := m.forward(ws, chunks, false); err != nil {
			b.Fatal(err)
		}
		steps++
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(float64(steps)/(cpuSeconds()-cpu0), "steps/CPU-s")
}

// contextPrompt is a sequence of five sixths of m's context: a kept cache
// of half of it and a new turn's prompt of a third.
func contextPrompt(m *Model) []int {
	ctx := m.Config.Context
	toks := make([]int, ctx/2+ctx/3)
	for i := range toks {
		toks[i] = 3 + i*7%(m.Config.Vocab-3)
	}
	return toks
}
