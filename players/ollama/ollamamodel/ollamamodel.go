// Package ollamamodel moves native models to and from an Ollama server and
// checks that the server plays them as the native model does: [Create]
// registers a GGUF export as an Ollama model, [File] finds the GGUF file
// behind a model, and [Compare] checks that the server tokenizes and scores
// text as the native forward pass does (spag model export, import and
// compare).
//
// It talks to the server through the official client and plays nothing; the
// Ollama player is package ollama's.
package ollamamodel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/rl/tokenizer"
)

// Client returns a client of the server at host ("host:port" or a URL), or
// of $OLLAMA_HOST's (127.0.0.1:11434 by default) when host is empty.
func Client(host string) (*api.Client, error) {
	if host == "" {
		return api.ClientFromEnvironment()
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, err
	}
	return api.NewClient(u, http.DefaultClient), nil
}

// Template renders a chat the way the native trainer's queries are built
// (game.Prompt.Text: the contents joined by blank lines), so that a served
// model sees exactly the text it was trained on.
const Template = `{{- range $i, $m := .Messages }}{{ if $i }}

{{ end }}{{ $m.Content }}{{ end }}`

// Create uploads a GGUF model file (see rl/gguf.Write) as a blob and
// creates the model name from it with [Template]. It returns the file's
// digest, "sha256:HEX".
func Create(ctx context.Context, client *api.Client, name string, gguf []byte) (digest string, err error) {
	return CreateWithParameters(ctx, client, name, gguf, nil)
}

// CreateWithParameters is [Create] with the model's default parameters
// (the Modelfile's PARAMETER lines, such as "temperature": 0.3), which
// Ollama applies to a request that does not set them.
func CreateWithParameters(ctx context.Context, client *api.Client, name string, gguf []byte, params map[string]any) (digest string, err error) {
	sum := sha256.Sum256(gguf)
	digest = "sha256:" + hex.EncodeToString(sum[:])
	if err := client.CreateBlob(ctx, digest, bytes.NewReader(gguf)); err != nil {
		return "", fmt.Errorf("upload blob to ollama: %w", err)
	}
	stream := false
	req := &api.CreateRequest{Model: name, Files: map[string]string{"model.gguf": digest}, Template: Template, Parameters: params, Stream: &stream}
	if err := client.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		return "", fmt.Errorf("create ollama model %s: %w", name, err)
	}
	return digest, nil
}

// File returns the path of the GGUF file behind the model name: the FROM
// line of the Modelfile the server reports. The file must be on this
// machine, so the server must be too.
func File(ctx context.Context, client *api.Client, name string) (string, error) {
	resp, err := client.Show(ctx, &api.ShowRequest{Model: name})
	if err != nil {
		return "", fmt.Errorf("ask ollama about %s: %w", name, err)
	}
	sc := bufio.NewScanner(strings.NewReader(resp.Modelfile))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "FROM "); ok {
			path := strings.TrimSpace(rest)
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("ollama keeps %s in %s, which is not on this machine (is the server remote?); copy the file here and use --gguf", name, path)
			} else if err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
			return path, nil
		}
	}
	return "", fmt.Errorf("ollama's description of %s names no model file (no FROM line)", name)
}

// Corpus is what [Compare] tokenizes and scores: prose, Unicode, emoji,
// runs of spaces and newlines.
var Corpus = []string{
	"The word I am thinking of is an animal.",
	"  two leading spaces and    four inside",
	"line one\nline two\n\n\nthree newlines",
	"naïve café — déjà vu, 東京 and Ελληνικά",
	"emoji 🐈 and 👍🏽",
	"I know the word! It is \"cat\".",
}

// Report is what [Compare] measured.
type Report struct {
	Model string `json:"model"`
	// Checkpoint names the native side; Compare leaves it to the caller.
	Checkpoint string `json:"checkpoint"`
	Texts      int    `json:"texts"`
	// TokenMismatch counts texts the server tokenized otherwise.
	TokenMismatch int `json:"token_mismatches"`
	// Tokens is the number of generated tokens scored, MaxAbsDiff and
	// MeanAbsDiff the differences of their log-probabilities, Ambiguous
	// the tokens several pieces decode to (see native.Comparison).
	Tokens      int     `json:"tokens_scored"`
	MaxAbsDiff  float64 `json:"max_abs_logprob_diff"`
	MeanAbsDiff float64 `json:"mean_abs_logprob_diff"`
	Ambiguous   int     `json:"ambiguous_tokens"`
	// SkippedSamples counts texts whose generation the server reported
	// without some tokens (ones that are not valid UTF-8 alone), which
	// cannot be aligned.
	SkippedSamples int `json:"skipped_samples"`
}

// Compare sends [Corpus] to the model name: the token ids of each text (the
// context of /api/generate) must equal m's tokenizer's, and for text the
// server generates with log-probabilities m's forward pass must give the
// same per-token log-probabilities. Set m.HalfKV to round keys and values
// as Ollama does.
func Compare(ctx context.Context, client *api.Client, name string, m *native.Model) (Report, error) {
	rep := Report{Model: name, Texts: len(Corpus)}
	stream := false
	sum := 0.0
	for i, text := range Corpus {
		var r api.GenerateResponse
		req := &api.GenerateRequest{Model: name, Prompt: text, Stream: &stream,
			Options: map[string]any{"num_predict": 1, "temperature": 0, "seed": 1}}
		if err := client.Generate(ctx, req, func(g api.GenerateResponse) error { r = g; return nil }); err != nil {
			return rep, fmt.Errorf("generate: %w", err)
		}
		if fmt.Sprint(m.Vocab.Encode(text+r.Response)) != fmt.Sprint(r.Context) {
			rep.TokenMismatch++
		}
		req = &api.GenerateRequest{Model: name, Prompt: text, Raw: true, Logprobs: true, Stream: &stream,
			Options: map[string]any{"num_predict": 32, "temperature": 1, "seed": 42 + i, "repeat_penalty": 1}}
		if err := client.Generate(ctx, req, func(g api.GenerateResponse) error { r = g; return nil }); err != nil {
			return rep, fmt.Errorf("generate with logprobs: %w", err)
		}
		var served []native.ServedToken
		for _, lp := range r.Logprobs {
			b := []byte(lp.Token)
			if len(lp.Bytes) > 0 {
				b = make([]byte, len(lp.Bytes))
				for j, x := range lp.Bytes {
					b[j] = byte(x)
				}
			}
			served = append(served, native.ServedToken{Bytes: b, Logprob: lp.Logprob})
		}
		if len(served) < r.EvalCount-1 {
			// Ollama leaves out tokens that are not valid UTF-8 alone.
			rep.SkippedSamples++
			continue
		}
		cmp, err := m.Compare(append([]int{tokenizer.BOSID}, m.Vocab.Encode(text)...), served)
		if err != nil {
			return rep, err
		}
		rep.Tokens += cmp.Tokens
		rep.Ambiguous += cmp.Ambiguous
		rep.MaxAbsDiff = max(rep.MaxAbsDiff, cmp.MaxAbsDiff)
		sum += cmp.MeanAbsDiff * float64(cmp.Tokens)
	}
	if rep.Tokens > 0 {
		rep.MeanAbsDiff = sum / float64(rep.Tokens)
	}
	return rep, nil
}
