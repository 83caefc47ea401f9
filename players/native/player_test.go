package native

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// textPrompter renders every observation as one user message.
type textPrompter string

func (t textPrompter) Prompt(game.Observation) (game.Prompt, error) {
	return game.Prompt{Messages: []game.Message{{Role: "user", Content: string(t)}}}, nil
}

func request(prompt string, seed uint64) game.Request {
	return game.Request{Observation: game.Observation{Prompter: textPrompter(prompt)}, Seed: seed}
}

func newTestPlayer(t testing.TB, m *Model, opts Options) *Player {
	t.Helper()
	p, err := NewPlayer(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func play(t testing.TB, p *Player, req game.Request) game.Reply {
	t.Helper()
	var streamed strings.Builder
	req.OnToken = func(d string) { streamed.WriteString(d) }
	r, err := p.Play(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if streamed.String() != r.Text {
		t.Fatalf("streamed %q, reply text %q", streamed.String(), r.Text)
	}
	return r
}

// TestGreedyMatchesForward checks a greedy turn against a plain greedy
// loop over Model.Forward: same tokens, text, log-probabilities, usage.
func TestGreedyMatchesForward(t *testing.T) {
	m := testModel(t, 2)
	const prompt, maxNew = "the cat sat", 12
	p := newTestPlayer(t, m, Options{MaxTokens: maxNew})
	r := play(t, p, request(prompt, 1))

	toks := append([]int{tokenizer.BOSID}, m.Vocab.Encode(prompt)...)
	cache := m.NewCache()
	rows, err := m.Forward(cache, toks)
	if err != nil {
		t.Fatal(err)
	}
	logits := rows[len(rows)-1]
	var ids []int
	var lps []float64
	for len(ids) < maxNew {
		best := -1
		for id, l := range logits {
			if id != tokenizer.UnkID && id != tokenizer.BOSID && (best < 0 || l > logits[best]) {
				best = id
			}
		}
		if best == tokenizer.EOSID {
			break
		}
		ids = append(ids, best)
		lps = append(lps, LogSoftmaxAt(logits, best))
		rows, err := m.Forward(cache, []int{best})
		if err != nil {
			t.Fatal(err)
		}
		logits = rows[0]
	}
	want, err := m.Vocab.Decode(ids)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != want {
		t.Errorf("text %q, greedy loop %q", r.Text, want)
	}
	if len(r.Logprobs) != len(lps) {
		t.Fatalf("%d logprobs, want %d", len(r.Logprobs), len(lps))
	}
	for i, lp := range r.Logprobs {
		if lp.Logprob != lps[i] || lp.Logprob > 0 {
			t.Errorf("token %d %q: logprob %v, want %v", i, lp.Token, lp.Logprob, lps[i])
		}
	}
	if r.Usage.PromptTokens != len(toks) || r.Usage.OutputTokens < len(ids) || r.Usage.Latency <= 0 {
		t.Errorf("usage %+v, prompt %d tokens, %d generated", r.Usage, len(toks), len(ids))
	}
}

// TestSeeds checks that a seed fixes the sampled text and that seeds
// differ.
func TestSeeds(t *testing.T) {
	m := testModel(t, 4)
	p := newTestPlayer(t, m, Options{Temperature: 1.5, MaxTokens: 16})
	texts := map[string]bool{}
	for seed := uint64(0); seed < 6; seed++ {
		a, b := play(t, p, request("a dog", seed)), play(t, p, request("a dog", seed))
		if a.Text != b.Text || fmt.Sprint(a.Logprobs) != fmt.Sprint(b.Logprobs) {
			t.Fatalf("seed %d: %q then %q", seed, a.Text, b.Text)
		}
		texts[a.Text] = true
	}
	if len(texts) < 2 {
		t.Errorf("six seeds gave one text: %v", texts)
	}
	fixed := uint64(7)
	pf := newTestPlayer(t, m, Options{Temperature: 1.5, MaxTokens: 16, Seed: &fixed})
	if a, b := play(t, pf, request("a dog", 1)), play(t, pf, request("a dog", 2)); a.Text != b.Text {
		t.Errorf("fixed seed option: %q and %q", a.Text, b.Text)
	}
}

// TestBatchedMatchesSerial plays turns concurrently through a small batch
// and one at a time: every turn must come out bit for bit the same.
func TestBatchedMatchesSerial(t *testing.T) {
	m := testModel(t, 2)
	prompts := []string{"the cat", "a dog and a cat sat on the mat", "clues", "I know the word", "the", "without the word: cat", "mat"}
	opts := Options{Temperature: 1, TopK: 50, TopP: 0.95, MaxTokens: 20, Stop: []string{"zz"}}
	opts.Batch = 1
	serial := newTestPlayer(t, m, opts)
	opts.Batch = 3
	batched := newTestPlayer(t, m, opts)
	if batched.Capacity() != 3 {
		t.Fatalf("capacity %d, want 3", batched.Capacity())
	}
	want := make([]game.Reply, len(prompts))
	for i, pr := range prompts {
		want[i] = play(t, serial, request(pr, uint64(i)))
	}
	got := make([]game.Reply, len(prompts))
	var wg sync.WaitGroup
	for i, pr := range prompts {
		wg.Go(func() { got[i] = play(t, batched, request(pr, uint64(i))) })
	}
	wg.Wait()
	for i := range prompts {
		if got[i].Text != want[i].Text || fmt.Sprint(got[i].Logprobs) != fmt.Sprint(want[i].Logprobs) ||
			got[i].Usage.OutputTokens != want[i].Usage.OutputTokens {
			t.Errorf("prompt %d: batched %q %v, serial %q %v", i, got[i].Text, got[i].Logprobs, want[i].Text, want[i].Logprobs)
		}
	}
}

// TestStopsAndCaps ends turns with stop strings and caps, taken from the
// greedy text so that each case cuts somewhere inside it.
func TestStopsAndCaps(t *testing.T) {
	m := testModel(t, 4)
	full := play(t, newTestPlayer(t, m, Options{MaxTokens: 40}), request("the cat", 3))
	if len(full.Text) < 8 {
		t.Fatalf("greedy text %q too short to cut", full.Text)
	}
	mid := full.Text[len(full.Text)/2 : len(full.Text)/2+2]
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"stop", Options{MaxTokens: 40, Stop: []string{mid}}, full.Text[:strings.Index(full.Text, mid)]},
		{"first of two stops", Options{MaxTokens: 40, Stop: []string{"\x00never", mid}}, full.Text[:strings.Index(full.Text, mid)]},
		{"max bytes", Options{MaxTokens: 40, MaxBytes: 5}, cutUTF8(full.Text, 5)},
		{"max tokens", Options{MaxTokens: 3}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := play(t, newTestPlayer(t, m, tc.opts), request("the cat", 3))
			switch {
			case tc.opts.MaxTokens == 3:
				if r.Usage.OutputTokens != 3 || !strings.HasPrefix(full.Text, r.Text) || len(r.Logprobs) > 3 {
					t.Errorf("got %q (%d tokens, %d logprobs)", r.Text, r.Usage.OutputTokens, len(r.Logprobs))
				}
			case r.Text != tc.want:
				t.Errorf("got %q, want %q", r.Text, tc.want)
			}
			var joined strings.Builder
			for _, lp := range r.Logprobs {
				joined.WriteString(lp.Token)
			}
			if !strings.Contains(joined.String(), r.Text) {
				t.Errorf("logprob tokens %q do not cover the text %q", joined.String(), r.Text)
			}
		})
	}
}

func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:min(n, len(s))]
}

// TestLongPrompt checks that a prompt longer than the context is cut from
// the front and still leaves room to generate.
func TestLongPrompt(t *testing.T) {
	m := testModel(t, 4)
	p := newTestPlayer(t, m, Options{MaxTokens: 16})
	r := play(t, p, request(strings.Repeat("clues without the word ", 40), 1))
	if r.Usage.PromptTokens > m.Config.Context || r.Usage.PromptTokens+r.Usage.OutputTokens-1 > m.Config.Context {
		t.Errorf("prompt %d + output %d tokens exceed the context %d", r.Usage.PromptTokens, r.Usage.OutputTokens, m.Config.Context)
	}
	if r.Usage.PromptTokens < m.Config.Context/2 {
		t.Errorf("prompt cut to %d tokens, want at least half the context", r.Usage.PromptTokens)
	}
}

// TestCancelAndClose cancels a turn from its stream callback, then closes
// the player.
func TestCancelAndClose(t *testing.T) {
	m := testModel(t, 4)
	p, err := NewPlayer(m, Options{Temperature: 1, MaxTokens: 60, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := request("the cat", 5)
	req.OnToken = func(string) { cancel() }
	if _, err := p.Play(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled turn: err %v", err)
	}
	// The player still serves other turns.
	play(t, p, request("a dog", 1))
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := p.Play(context.Background(), request("a dog", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("play after close: err %v", err)
	}
	if _, err := p.Play(context.Background(), game.Request{}); err == nil {
		t.Fatal("no error for a request without a prompter")
	}
}

func TestNewPlayerErrors(t *testing.T) {
	m := testModel(t, 4)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"negative temperature", Options{Temperature: -1}},
		{"NaN temperature", Options{Temperature: math.NaN()}},
		{"top_p above 1", Options{TopP: 1.5}},
		{"negative batch", Options{Batch: -1}},
		{"empty stop", Options{Stop: []string{""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewPlayer(m, tc.opts); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestOptionsSet(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		ok         bool
		check      func(Options) bool
	}{
		{"temperature", "0", true, func(o Options) bool { return o.Temperature == 0 }},
		{"temperature", "-0.5", false, nil},
		{"top_k", "5", true, func(o Options) bool { return o.TopK == 5 }},
		{"top_k", "x", false, nil},
		{"top_p", "0.5", true, func(o Options) bool { return o.TopP == 0.5 }},
		{"top_p", "2", false, nil},
		{"seed", "9", true, func(o Options) bool { return o.Seed != nil && *o.Seed == 9 }},
		{"num_predict", "12", true, func(o Options) bool { return o.MaxTokens == 12 }},
		{"max_tokens", "0", false, nil},
		{"max_bytes", "100", true, func(o Options) bool { return o.MaxBytes == 100 }},
		{"stop", "a|\n\n|", true, func(o Options) bool { return fmt.Sprint(o.Stop) == fmt.Sprint([]string{"a", "\n\n"}) }},
		{"batch", "4", true, func(o Options) bool { return o.Batch == 4 }},
		{"batch", "0", false, nil},
		{"num_ctx", "4096", false, nil},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			o := DefaultOptions()
			err := o.Set(tc.key, tc.value)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q does not name the key", err)
			}
			if tc.ok && !tc.check(o) {
				t.Errorf("options after set: %+v", o)
			}
		})
	}
}

// TestSampler checks greedy equivalents and the sampled frequencies.
func TestSampler(t *testing.T) {
	logits := []float32{5, 9, 0.5, 1, 1.2, -1} // ids 0 and 1 are banned
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []sampler{{temperature: 0}, {temperature: 1, topK: 1}, {temperature: 1, topP: 1e-9}} {
		if got := s.next(logits, rng); got != 4 {
			t.Errorf("%+v: token %d, want 4", s, got)
		}
	}
	// With temperature 1 and no cuts, frequencies follow the softmax of
	// the allowed logits.
	s := sampler{temperature: 1}
	counts := make([]int, len(logits))
	const n = 40000
	for range n {
		counts[s.next(logits, rng)]++
	}
	sum := 0.0
	for id := 2; id < len(logits); id++ {
		sum += math.Exp(float64(logits[id]))
	}
	for id, c := range counts {
		want := 0.0
		if id >= 2 {
			want = math.Exp(float64(logits[id])) / sum
		}
		if got := float64(c) / n; math.Abs(got-want) > 0.01 {
			t.Errorf("token %d: frequency %.3f, want %.3f", id, got, want)
		}
	}
	// top_k 2 leaves only the two best allowed tokens (4 and 3).
	s = sampler{temperature: 1, topK: 2}
	for range 200 {
		if id := s.next(logits, rng); id != 4 && id != 3 {
			t.Fatalf("top_k 2 drew %d", id)
		}
	}
}

// TestPrefixReuse plays a turn, then one whose prompt extends it: the
// second evaluates only the new prompt tokens on the kept cache, and its
// reply is bit for bit a fresh player's.
func TestPrefixReuse(t *testing.T) {
	m := testModel(t, 2)
	opts := Options{Temperature: 1, TopK: 50, MaxTokens: 20, Batch: 2}
	p := newTestPlayer(t, m, opts)
	first := "the cat sat on the mat"
	second := first + " and a dog and a cat"
	play(t, p, request(first, 1))
	before := p.prefilled.Load()
	got := play(t, p, request(second, 2))
	evaluated := p.prefilled.Load() - before
	fresh := newTestPlayer(t, m, opts)
	want := play(t, fresh, request(second, 2))
	if got.Text != want.Text || fmt.Sprint(got.Logprobs) != fmt.Sprint(want.Logprobs) {
		t.Fatalf("on a kept cache: %q %v; fresh: %q %v", got.Text, got.Logprobs, want.Text, want.Logprobs)
	}
	full := fresh.prefilled.Load()
	if evaluated >= full || evaluated < 1 {
		t.Fatalf("second turn evaluated %d prompt tokens, a fresh player %d: the first turn's cache was not reused", evaluated, full)
	}
	// The same prompt again evaluates its last token only.
	before = p.prefilled.Load()
	play(t, p, request(second, 3))
	if n := p.prefilled.Load() - before; n != 1 {
		t.Fatalf("a repeated prompt evaluated %d tokens, want 1", n)
	}
}

// TestSamplerBest checks the one-pass top-K selection against sorting
// every candidate, on logits with many ties, NaNs, infinities and banned
// ids.
func TestSamplerBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 3, 40, 299, 300, 1000} {
		logits := make([]float32, 300)
		for i := range logits {
			logits[i] = float32(rng.IntN(20))
		}
		logits[7] = float32(math.NaN())
		logits[11], logits[13] = float32(math.Inf(-1)), float32(math.Inf(1))
		var all []cand
		for id, l := range logits {
			if !banned(id) && !math.IsNaN(float64(l)) {
				all = append(all, cand{id: id, logit: l})
			}
		}
		slices.SortFunc(all, before)
		want := all[:min(k, len(all))]
		s := sampler{temperature: 1, topK: k}
		if got := s.best(logits); !slices.Equal(got, want) {
			t.Fatalf("top_k %d: %v, want %v", k, got, want)
		}
	}
}

func ExamplePlayer() {
	corpus := []string{"the cat sat on the mat", "a dog and a cat"}
	v, _ := tokenizer.Train(context.Background(), corpus, tokenizer.TrainOptions{VocabSize: 280})
	m := exampleModel(v)
	p, _ := NewPlayer(m, Options{Temperature: 0.8, MaxTokens: 8})
	defer p.Close()
	req := game.Request{Observation: game.Observation{Prompter: textPrompter("the cat")}, Seed: 42}
	a, _ := p.Play(context.Background(), req)
	b, _ := p.Play(context.Background(), req)
	fmt.Println("same seed, same text:", a.Text == b.Text)
	fmt.Println("tokens:", a.Usage.OutputTokens <= 8, "logprobs:", len(a.Logprobs) <= a.Usage.OutputTokens)
	fmt.Println("capacity:", p.Capacity())
	// Output:
	// same seed, same text: true
	// tokens: true logprobs: true
	// capacity: 32
}

// exampleModel draws a small random model over v.
func exampleModel(v *tokenizer.Vocab) *Model {
	cfg := model.Config{Vocab: v.Size(), Dim: 32, Layers: 1, Heads: 2, KVHeads: 2, FFN: 64, Context: 64, NormEps: 1e-5, RopeTheta: 10000}
	params, err := model.Init(cfg, 1)
	if err != nil {
		panic(err)
	}
	m, err := NewModel(v, params)
	if err != nil {
		panic(err)
	}
	return m
}

// TestPlayerWork checks the arithmetic a player counts against a turn
// worked out by hand: a fresh cache evaluates the prompt and every
// generated token but the last, position t attends to t+1 positions,
// and each pass (the prompt's, then one per token) sends one row through
// the output head.
func TestPlayerWork(t *testing.T) {
	m := testModel(t, 2)
	p := newTestPlayer(t, m, Options{Temperature: 1, MaxTokens: 12})
	if w := p.Work(); w != (Work{}) {
		t.Fatalf("a new player counts %+v", w)
	}
	r := play(t, p, request("the cat sat", 3))
	gen := int64(r.Usage.OutputTokens)
	tokens := int64(r.Usage.PromptTokens) + gen - 1
	want := Work{Tokens: tokens, Pairs: tokens * (tokens + 1) / 2, Logits: gen, Passes: gen}
	if got := p.Work(); got != want {
		t.Fatalf("after a turn of %d prompt and %d generated tokens: %+v, want %+v", r.Usage.PromptTokens, gen, got, want)
	}
	c := m.Config
	perToken := 2 * float64(c.Layers*(c.Dim*(c.Dim+2*c.KVHeads*c.HeadDim())+c.Dim*c.Dim+3*c.Dim*c.FFN))
	flops := float64(tokens)*perToken + float64(want.Pairs)*4*float64(c.Layers*c.Dim) + float64(gen)*2*float64(c.Dim*c.Vocab)
	if got := want.FLOPs(m); got != flops {
		t.Fatalf("FLOPs %v, want %v", got, flops)
	}
}
