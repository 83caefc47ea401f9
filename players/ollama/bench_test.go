package ollama

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/taboo"
)

// The overhead benchmark measures what the backend costs on top of the
// server: episodes/s of the spag engine with this package's Player, against
// a raw HTTP loop that plays the same episodes by sending the same
// /api/chat requests (same prompts, options and seeds, so the same answers
// at temperature 0) with net/http at the same concurrency, and only parses
// each stream's text. Both must produce identical transcripts.
//
//	go test -run '^$' -bench Overhead -benchtime 3x ./players/ollama

const (
	benchEpisodes    = 48
	benchConcurrency = ollamatest.SharedParallel
	benchPredict     = 16
)

// benchGame is Taboo with short prompts: the tiny model's tokenizer spells
// words letter by letter, and long prompts would hide the backend's cost
// behind prompt evaluation.
func benchGame(tb testing.TB) game.Game {
	tb.Helper()
	dir := tb.TempDir()
	for name, text := range map[string]string{
		"attacker.tmpl": "Attacker. Word: {{.Target}}.",
		"defender.tmpl": "Defender. Guess.",
		"opening.tmpl":  "Go.",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	tmpl, err := taboo.LoadTemplates(dir)
	if err != nil {
		tb.Fatal(err)
	}
	g, err := taboo.New(taboo.Params{MaxTurns: 3, Templates: tmpl})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func benchSetups() []game.Setup {
	words := []string{"apple", "river", "candle", "mountain", "pencil", "garden"}
	out := make([]game.Setup, benchEpisodes)
	for i := range out {
		out[i] = game.Setup{Index: i, Seed: game.SplitMix64(uint64(i)), Subject: words[i%len(words)]}
	}
	return out
}

// transcriptSum hashes the episodes' utterances in index order.
func transcriptSum(eps map[int][]string) string {
	h := sha256.New()
	for i := range len(eps) {
		for _, u := range eps[i] {
			fmt.Fprintf(h, "%d\x00%s\x00", i, u)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))[:12]
}

// runBackend plays the episodes through the engine and the Player.
func runBackend(tb testing.TB, url string, g game.Game) (time.Duration, string) {
	p, err := New(Config{Model: ollamatest.ModelName, Hosts: []string{url}, Logprobs: true,
		Options: map[string]any{"temperature": 0, "num_predict": benchPredict}, MaxTokens: benchPredict})
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close()
	r := &game.Runner{Game: g, Players: []game.Player{p, p}, Concurrency: benchConcurrency}
	var mu sync.Mutex
	eps := map[int][]string{}
	start := time.Now()
	err = r.Run(context.Background(), benchSetups(), func(ctx context.Context, ep *game.Episode) error {
		if ep.Errored() {
			return fmt.Errorf("episode %d: %s", ep.Index, ep.Err)
		}
		var us []string
		for _, t := range ep.Turns {
			us = append(us, t.Text)
		}
		mu.Lock()
		eps[ep.Index] = us
		mu.Unlock()
		return nil
	})
	wall := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	return wall, transcriptSum(eps)
}

// runRaw plays the same episodes with plain net/http: benchConcurrency
// goroutines, each taking the next episode and posting its turns one by one.
func runRaw(tb testing.TB, url string, g game.Game) (time.Duration, string) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency + 2}}
	defer hc.CloseIdleConnections()
	setups := benchSetups()
	next := make(chan game.Setup, len(setups))
	for _, s := range setups {
		next <- s
	}
	close(next)
	var mu sync.Mutex
	eps := map[int][]string{}
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConcurrency {
		wg.Go(func() {
			for s := range next {
				st, err := g.NewState(s)
				if err != nil {
					tb.Error(err)
					return
				}
				var us []string
				for n := 1; !st.IsTerminal(); n++ {
					obs := st.Observation(st.CurrentPlayer())
					prompt, err := obs.Prompt()
					if err != nil {
						tb.Error(err)
						return
					}
					msgs := make([]api.Message, len(prompt.Messages))
					for i, m := range prompt.Messages {
						msgs[i] = api.Message{Role: m.Role, Content: m.Content}
					}
					body, _ := json.Marshal(api.ChatRequest{Model: ollamatest.ModelName, Messages: msgs, Logprobs: true,
						Options: map[string]any{"temperature": 0, "num_predict": benchPredict,
							"seed": int(game.TurnSeed(s.Seed, n) & 0x7fffffff)}})
					text, err := rawChat(hc, url, body)
					if err != nil {
						tb.Error(err)
						return
					}
					if err := st.Apply(text); err != nil {
						tb.Error(err)
						return
					}
					us = append(us, text)
				}
				mu.Lock()
				eps[s.Index] = us
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return time.Since(start), transcriptSum(eps)
}

func rawChat(hc *http.Client, url string, body []byte) (string, error) {
	resp, err := hc.Post(url+"/api/chat", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	var text []byte
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for sc.Scan() {
		var c struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return "", err
		}
		text = append(text, c.Message.Content...)
	}
	return string(text), sc.Err()
}

func BenchmarkOverhead(b *testing.B) {
	srv := ollamatest.Shared(b)
	g := benchGame(b)
	runRaw(b, srv.URL, g) // warm up: model loaded, connections open
	var backend, raw []float64
	for b.Loop() {
		// Interleaved, so that drift in the machine's load hits both.
		rw, rs := runRaw(b, srv.URL, g)
		bw, bs := runBackend(b, srv.URL, g)
		if rs != bs {
			b.Fatalf("the raw loop and the backend played different games (%s vs %s)", rs, bs)
		}
		raw = append(raw, benchEpisodes/rw.Seconds())
		backend = append(backend, benchEpisodes/bw.Seconds())
	}
	slices.Sort(raw)
	slices.Sort(backend)
	mb, mr := backend[len(backend)/2], raw[len(raw)/2]
	b.ReportMetric(mb, "backend-episodes/s")
	b.ReportMetric(mr, "raw-episodes/s")
	b.ReportMetric(mb/mr, "ratio")
}
