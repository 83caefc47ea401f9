package loops

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelHFRoundTrip exports the shipped model as a Hugging Face
// directory, imports it as a checkpoint and exports that again: the two
// directories' weights are byte for byte the same. Refusals exit with a
// usage error or a clear failure and write nothing.
func TestModelHFRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "model", "export", "--hf", "hf1"); r.Code != 0 {
		t.Fatalf("export: %d %s", r.Code, r.Stderr)
	}
	if r := spag(t, dir, "model", "import", "--hf", "hf1", "--out", "m.ckpt"); r.Code != 0 || !strings.Contains(r.Stdout, "wrote m.ckpt") {
		t.Fatalf("import: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := spag(t, dir, "model", "export", "--ckpt", "m.ckpt", "--hf", "hf2"); r.Code != 0 {
		t.Fatalf("export again: %d %s", r.Code, r.Stderr)
	}
	for _, f := range []string{"model.safetensors", "tokenizer.model", "config.json", "generation_config.json"} {
		a, err1 := os.ReadFile(filepath.Join(dir, "hf1", f))
		b, err2 := os.ReadFile(filepath.Join(dir, "hf2", f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs after export, import, export (%v, %v)", f, err1, err2)
		}
	}

	os.WriteFile(filepath.Join(dir, "hf2", "config.json"), []byte(`{"architectures":["GPT2LMHeadModel"]}`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"two outputs", []string{"model", "export", "--hf", "x", "--gguf", "x.gguf"}, 2, "exactly one of"},
		{"f16", []string{"model", "export", "--hf", "x", "--type", "f16"}, 2, "float32"},
		{"not empty", []string{"model", "export", "--hf", "hf1"}, 1, "not empty"},
		{"two inputs", []string{"model", "import", "--hf", "hf1", "--gguf", "a.gguf", "--out", "x.ckpt"}, 2, "exactly one of"},
		{"other architecture", []string{"model", "import", "--hf", "hf2", "--out", "x.ckpt"}, 1, "GPT2LMHeadModel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := spag(t, dir, tc.args...)
			if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", r.Code, tc.code, r.Stderr, tc.want)
			}
			for _, f := range []string{"x", "x.ckpt", "x.gguf"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Fatalf("a refused command wrote %s", f)
				}
			}
		})
	}
}
