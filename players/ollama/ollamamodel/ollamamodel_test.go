package ollamamodel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama/ollamamodel"
	"github.com/spag-go/spag/rl/gguf"
)

func TestClientReachesTheHost(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, tt := range []struct{ name, host string }{
		{"host and port", srv.Listener.Addr().String()},
		{"URL", srv.URL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			c, err := ollamamodel.Client(tt.host)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Heartbeat(context.Background()); err != nil || hits.Load() != before+1 {
				t.Fatalf("Heartbeat through Client(%q): %v, %d requests", tt.host, err, hits.Load()-before)
			}
		})
	}
	if _, err := ollamamodel.Client("http://[::1"); err == nil {
		t.Error("Client accepted an unparsable URL")
	}
}

// showServer answers /api/show with a Modelfile, or 404.
func showServer(t *testing.T, modelfile string, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/show" || status != http.StatusOK {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "model not found"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"modelfile": modelfile})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFile(t *testing.T) {
	blob := filepath.Join(t.TempDir(), "sha256-abc")
	if err := os.WriteFile(blob, []byte("GGUF"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, modelfile string
		status          int
		want, err       string
	}{
		{name: "the blob on this machine", modelfile: "# Modelfile\nFROM " + blob + "\nTEMPLATE x\n", status: 200, want: blob},
		{name: "a blob elsewhere", modelfile: "FROM /srv/ollama/blobs/sha256-def\n", status: 200, err: "which is not on this machine (is the server remote?)"},
		{name: "no FROM line", modelfile: "TEMPLATE x\n", status: 200, err: "names no model file (no FROM line)"},
		{name: "an unknown model", status: 404, err: "ask ollama about m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ollamamodel.Client(showServer(t, tt.modelfile, tt.status))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ollamamodel.File(context.Background(), c, "m")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("File = %q, %v; want an error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("File = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestCreateFileAndCompareOnARealServer registers the shipped model with
// a real Ollama server, finds its file again and compares the server's
// tokens and log-probabilities with the native forward pass.
func TestCreateFileAndCompareOnARealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an ollama server")
	}
	s := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 1})
	ctx := context.Background()
	c, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, c.Vocab, c.Params, gguf.WriteOptions{Type: gguf.F32, Name: "spag-taboo"}); err != nil {
		t.Fatal(err)
	}
	client, err := ollamamodel.Client(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := ollamamodel.Create(ctx, client, "spag-taboo:latest", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Log())
	}
	if !strings.HasPrefix(digest, "sha256:") {
		t.Errorf("digest %q", digest)
	}
	path, err := ollamamodel.File(ctx, client, "spag-taboo:latest")
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(path); err != nil || !bytes.Equal(data, buf.Bytes()) {
		t.Fatalf("the model's file %s holds %d bytes (%v), want the %d uploaded", path, len(data), err, buf.Len())
	}
	m, err := native.NewModel(c.Vocab, c.Params)
	if err != nil {
		t.Fatal(err)
	}
	m.HalfKV = true
	rep, err := ollamamodel.Compare(ctx, client, "spag-taboo:latest", m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compare: %+v", rep)
	if rep.Texts != len(ollamamodel.Corpus) || rep.TokenMismatch != 0 || rep.Tokens == 0 || rep.MaxAbsDiff > 1e-3 {
		t.Fatalf("compare report %+v", rep)
	}
	if _, err := ollamamodel.Compare(ctx, client, "missing:latest", m); err == nil || !strings.HasPrefix(err.Error(), "generate: ") {
		t.Fatalf("Compare with a missing model: %v", err)
	}
}
