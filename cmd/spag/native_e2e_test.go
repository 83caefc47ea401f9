package main

import (
	"os"
	"path/filepath"
	"testing"

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
	if r := spag(t, dir, "model", "init", "--preset", "tiny", "--seed", "3", "--corpus", corpus, "--vocab-size", "320", "--out", "m.ckpt"); r.code != 0 {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	if r := spag(t, dir, "model", "export", "--ckpt", "m.ckpt", "--gguf", "m.gguf", "--type", "f16"); r.code != 0 {
		t.Fatalf("export gguf: %d %s", r.code, r.stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "m.gguf")); err != nil || st.Size() == 0 {
		t.Fatalf("no GGUF written: %v", err)
	}
	if r := spag(t, dir, "model", "export", "--ckpt", "m.ckpt", "--ollama", "spag-e2e:latest", "--host", s.URL); r.code != 0 {
		t.Fatalf("export ollama: %d %s", r.code, r.stderr)
	}
	r := spag(t, dir, "model", "compare", "--ollama-model", "spag-e2e:latest", "--ckpt", "m.ckpt", "--host", s.URL, "--json")
	if r.code != 0 {
		t.Fatalf("compare: %d %s", r.code, r.stderr)
	}
	var rep struct {
		Mismatches int     `json:"token_mismatches"`
		MaxDiff    float64 `json:"max_abs_logprob_diff"`
		Tokens     int     `json:"tokens_scored"`
		Texts      int     `json:"texts"`
	}
	mustJSON(t, r.stdout, &rep)
	t.Logf("compare: %s", r.stdout)
	if rep.Texts == 0 || rep.Mismatches != 0 || rep.MaxDiff > 1e-3 {
		t.Fatalf("compare report %+v", rep)
	}
	for _, bad := range [][]string{
		{"model", "export", "--gguf", "x.gguf"},
		{"model", "export", "--ckpt", "m.ckpt"},
		{"model", "export", "--ckpt", "m.ckpt", "--gguf", "x.gguf", "--type", "q4"},
		{"model", "compare", "--ckpt", "m.ckpt"},
	} {
		if r := spag(t, dir, bad...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage); stderr %s", bad, r.code, r.stderr)
		}
	}
}
