package servers

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/spag-go/spag/internal/ollamatest"
)

// TestModelExportAndCompare exports a checkpoint made by `spag model init`
// to GGUF and to a real Ollama server, then checks with `spag model
// compare` that the server tokenizes and scores like the native model.
func TestModelExportAndCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an ollama server")
	}
	s := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 1})
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.txt")
	os.WriteFile(corpus, []byte("The word I am thinking of is an animal.\nI know the word! It is cat.\nclues without the word\n"), 0o644)
	if r := spag(t, dir, "model", "init", "--preset", "tiny", "--seed", "3", "--corpus", corpus, "--vocab-size", "320", "--out", "m.ckpt"); r.Code != 0 {
		t.Fatalf("init: %d %s", r.Code, r.Stderr)
	}
	if r := spag(t, dir, "model", "export", "--ckpt", "m.ckpt", "--gguf", "m.gguf", "--type", "f16"); r.Code != 0 {
		t.Fatalf("export gguf: %d %s", r.Code, r.Stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "m.gguf")); err != nil || st.Size() == 0 {
		t.Fatalf("no GGUF written: %v", err)
	}
	if r := spag(t, dir, "model", "export", "--ckpt", "m.ckpt", "--ollama", "spag-e2e:latest", "--host", s.URL); r.Code != 0 {
		t.Fatalf("export ollama: %d %s", r.Code, r.Stderr)
	}
	r := spag(t, dir, "model", "compare", "--ollama-model", "spag-e2e:latest", "--ckpt", "m.ckpt", "--host", s.URL, "--json")
	if r.Code != 0 {
		t.Fatalf("compare: %d %s", r.Code, r.Stderr)
	}
	var rep struct {
		Mismatches int     `json:"token_mismatches"`
		MaxDiff    float64 `json:"max_abs_logprob_diff"`
		Tokens     int     `json:"tokens_scored"`
		Texts      int     `json:"texts"`
	}
	mustJSON(t, r.Stdout, &rep)
	t.Logf("compare: %s", r.Stdout)
	if rep.Texts == 0 || rep.Mismatches != 0 || rep.MaxDiff > 1e-3 {
		t.Fatalf("compare report %+v", rep)
	}

	// The shipped model, trained by spag train: served by Ollama and scored
	// alike (no --ckpt on either command means the shipped model).
	if r := spag(t, dir, "model", "export", "--ollama", "spag-taboo:latest", "--host", s.URL); r.Code != 0 {
		t.Fatalf("export the shipped model: %d %s", r.Code, r.Stderr)
	}
	// It carries its own sampling default into Ollama's model.
	show, err := s.Client.Show(context.Background(), &api.ShowRequest{Model: "spag-taboo:latest"})
	if err != nil || !regexp.MustCompile(`(?m)^temperature\s+0\.3\s*$`).MatchString(show.Parameters) {
		t.Errorf("ollama show spag-taboo: parameters %q, %v; want temperature 0.3 (the shipped model's own)", show.Parameters, err)
	}
	r = spag(t, dir, "model", "compare", "--ollama-model", "spag-taboo:latest", "--host", s.URL, "--json")
	if r.Code != 0 {
		t.Fatalf("compare the shipped model: %d %s", r.Code, r.Stderr)
	}
	rep.Texts = 0
	mustJSON(t, r.Stdout, &rep)
	t.Logf("compare shipped model: %s", r.Stdout)
	if rep.Texts == 0 || rep.Tokens == 0 || rep.Mismatches != 0 || rep.MaxDiff > 1e-3 {
		t.Fatalf("compare report of the shipped model %+v", rep)
	}

	// Round trip through Ollama's own copy: importing the model by name
	// gives back the shipped weights and tokenizer exactly (F32), so both
	// export to the same GGUF bytes.
	if r := spag(t, dir, "model", "import", "--ollama-model", "spag-taboo:latest", "--host", s.URL, "--out", "imported.ckpt"); r.Code != 0 {
		t.Fatalf("import by name: %d %s", r.Code, r.Stderr)
	}
	for _, args := range [][]string{
		{"model", "export", "--gguf", "shipped.gguf"},
		{"model", "export", "--ckpt", "imported.ckpt", "--gguf", "imported.gguf"},
		{"model", "import", "--gguf", "m.gguf", "--out", "m-f16.ckpt"},
		{"model", "info", "m-f16.ckpt"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: %d %s", args, r.Code, r.Stderr)
		}
	}
	shipped, err := os.ReadFile(filepath.Join(dir, "shipped.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	imported, err := os.ReadFile(filepath.Join(dir, "imported.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shipped, imported) {
		t.Error("the model imported from Ollama differs from the shipped one")
	}
	if r := spag(t, dir, "model", "import", "--ollama-model", "nope:latest", "--host", s.URL, "--out", "x.ckpt"); r.Code != 1 || !strings.Contains(r.Stderr, "nope") {
		t.Errorf("import of a missing model: exit %d, %s", r.Code, r.Stderr)
	}

	for _, bad := range [][]string{
		{"model", "import", "--out", "x.ckpt"},
		{"model", "import", "--gguf", "m.gguf"},
		{"model", "export"},
		{"model", "export", "--ckpt", "m.ckpt"},
		{"model", "export", "--ckpt", "m.ckpt", "--gguf", "x.gguf", "--type", "q4"},
		{"model", "compare", "--ckpt", "m.ckpt"},
	} {
		if r := spag(t, dir, bad...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage); stderr %s", bad, r.Code, r.Stderr)
		}
	}
}

// TestNativeSelfplay plays games between two in-process native players
// from a `spag model init` checkpoint: the run completes, every turn
// stores its log-probabilities, and the same seed gives the same
// transcripts.
func TestNativeSelfplay(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "model", "init", "--preset", "tiny", "--seed", "5", "--out", "tiny.ckpt"); r.Code != 0 {
		t.Fatalf("init: %d %s", r.Code, r.Stderr)
	}
	export := func(db string) []map[string]any {
		t.Helper()
		r := spag(t, dir, "selfplay", "--db", db, "--attacker", "native:tiny.ckpt", "--defender", "native:tiny.ckpt,temperature=1.2,top_k=0",
			"--games", "4", "--seed", "11", "--concurrency", "4", "--option", "num_predict=24")
		if r.Code != 0 {
			t.Fatalf("selfplay: %d %s", r.Code, r.Stderr)
		}
		r = spag(t, dir, "episodes", "export", "--db", db, "--format", "jsonl")
		if r.Code != 0 {
			t.Fatalf("export: %d %s", r.Code, r.Stderr)
		}
		var eps []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			var ep map[string]any
			mustJSON(t, line, &ep)
			// What differs between runs of the same seed: ids and clocks.
			for _, k := range []string{"run_id", "id", "started_at", "finished_at"} {
				delete(ep, k)
			}
			turns, _ := ep["turns"].([]any)
			for _, tn := range turns {
				if u, ok := tn.(map[string]any)["usage"].(map[string]any); ok {
					delete(u, "latency_ns")
				}
			}
			eps = append(eps, ep)
		}
		return eps
	}
	a, b := export("a.db"), export("b.db")
	if len(a) != 4 {
		t.Fatalf("%d episodes exported, want 4", len(a))
	}
	for i, ep := range a {
		var turns []struct {
			Text  string `json:"text"`
			Usage struct {
				Prompt int `json:"prompt_tokens"`
				Output int `json:"output_tokens"`
			} `json:"usage"`
			Logprobs []struct {
				Logprob float64 `json:"logprob"`
			} `json:"logprobs"`
		}
		raw, _ := json.Marshal(ep["turns"])
		mustJSON(t, string(raw), &turns)
		if len(turns) == 0 {
			t.Fatalf("episode %d has no turns: %v", i, ep)
		}
		for n, tn := range turns {
			if tn.Usage.Prompt == 0 || tn.Usage.Output == 0 || tn.Usage.Output > 24 || len(tn.Logprobs) > tn.Usage.Output ||
				(len(tn.Logprobs) == 0) != (tn.Text == "") {
				t.Errorf("episode %d turn %d: text %q, usage %+v, %d logprobs", i, n+1, tn.Text, tn.Usage, len(tn.Logprobs))
			}
			for _, lp := range tn.Logprobs {
				if !(lp.Logprob <= 0) {
					t.Errorf("episode %d turn %d: logprob %v", i, n+1, lp.Logprob)
				}
			}
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("two runs with the same seed differ:\n%.600s\n%.600s", ja, jb)
	}

	for _, tc := range []struct {
		name string
		spec string
		code int
		want string
	}{
		{"not a checkpoint", "native:words.txt", 1, "words.txt"},
		{"missing checkpoint", "native:missing.ckpt", 1, "missing.ckpt"},
		{"bad option", "native:tiny.ckpt,temperature=hot", 2, "temperature"},
		{"unknown option", "native:tiny.ckpt,num_ctx=4096", 2, "unknown option"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "words.txt"), []byte("apple\n"), 0o644)
			r := spag(t, dir, "selfplay", "--db", "bad.db", "--attacker", tc.spec, "--games", "1")
			if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("exit %d, want %d; stderr %s", r.Code, tc.code, r.Stderr)
			}
		})
	}
}
