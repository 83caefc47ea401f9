package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"

	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/tokenizer"
)

// exportTemplate renders a chat the way the native trainer's queries are
// built (game.Prompt.Text: the contents joined by blank lines), so that a
// served model sees exactly the text it was trained on.
const exportTemplate = `{{- range $i, $m := .Messages }}{{ if $i }}

{{ end }}{{ $m.Content }}{{ end }}`

// ollamaClient returns a client for host, or $OLLAMA_HOST's.
func ollamaClient(host string) (*api.Client, error) {
	if host == "" {
		return api.ClientFromEnvironment()
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, usagef("--host %q: %v", host, err)
	}
	return api.NewClient(u, http.DefaultClient), nil
}

func newModelExportCmd() *cobra.Command {
	var ckpt, out, name, host, typ string
	cmd := &cobra.Command{
		Use:   "export [--ckpt CKPT] (--gguf FILE | --ollama NAME) [--type f32|f16] [--host URL]",
		Short: "Write a checkpoint as GGUF and optionally register it with Ollama",
		Long: `export writes the native model and its SentencePiece tokenizer as a GGUF
file (llama architecture) that Ollama loads with either runner. With
--ollama it uploads the file as a blob and creates the model NAME through
the Ollama API (no network access beyond that server), with a template
that joins chat messages by blank lines, as the trainer's queries are.
Without --ckpt it exports the model spag ships (` + defaultmodel.Name + `).`,
		Example: `  spag model export --ollama spag-taboo          # the shipped model, served by Ollama
  spag model export --ckpt sft.ckpt --gguf sft.gguf --type f16`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (out == "") == (name == "") {
				return usagef("model export: give exactly one of --gguf FILE and --ollama NAME")
			}
			t, err := gguf.ParseType(typ)
			if err != nil {
				return usagef("model export: --type: %v", err)
			}
			c, err := defaultmodel.LoadPath(ckpt)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := gguf.Write(&buf, c.Vocab, c.Params, gguf.WriteOptions{Type: t, Name: name}); err != nil {
				return fmt.Errorf("model export %s: %w", defaultmodel.Label(ckpt), err)
			}
			w := cmd.OutOrStdout()
			if out != "" {
				err := writeOut(out, w, func(f io.Writer) error {
					_, err := f.Write(buf.Bytes())
					return err
				})
				if err != nil {
					return fmt.Errorf("model export: %w", err)
				}
				fmt.Fprintf(reportTo(cmd, out), "wrote %s (%d bytes, %s)\n", out, buf.Len(), t)
				return nil
			}
			client, err := ollamaClient(host)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(buf.Bytes())
			digest := "sha256:" + hex.EncodeToString(sum[:])
			ctx := cmd.Context()
			if err := client.CreateBlob(ctx, digest, bytes.NewReader(buf.Bytes())); err != nil {
				return fmt.Errorf("model export: upload blob to ollama: %w", err)
			}
			stream := false
			req := &api.CreateRequest{Model: name, Files: map[string]string{"model.gguf": digest}, Template: exportTemplate, Stream: &stream}
			if err := client.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
				return fmt.Errorf("model export: create ollama model %s: %w", name, err)
			}
			fmt.Fprintf(w, "registered %s with ollama (%s, %d bytes, %s)\n", name, t, buf.Len(), digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ckpt, "ckpt", "", "checkpoint to export (default: the shipped model)")
	f.StringVar(&out, "gguf", "", "GGUF file to write")
	f.StringVar(&name, "ollama", "", "Ollama model name to create")
	f.StringVar(&host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	f.StringVar(&typ, "type", "f32", "matrix element type: f32 or f16")
	return cmd
}

// compareCorpus is what `spag model compare` tokenizes and scores: prose,
// Unicode, emoji, runs of spaces and newlines.
var compareCorpus = []string{
	"The word I am thinking of is an animal.",
	"  two leading spaces and    four inside",
	"line one\nline two\n\n\nthree newlines",
	"naïve café — déjà vu, 東京 and Ελληνικά",
	"emoji 🐈 and 👍🏽",
	"I know the word! It is \"cat\".",
}

// compareReport is the output of `spag model compare`.
type compareReport struct {
	Model          string  `json:"model"`
	Checkpoint     string  `json:"checkpoint"`
	Texts          int     `json:"texts"`
	TokenMismatch  int     `json:"token_mismatches"`
	Tokens         int     `json:"tokens_scored"`
	MaxAbsDiff     float64 `json:"max_abs_logprob_diff"`
	MeanAbsDiff    float64 `json:"mean_abs_logprob_diff"`
	Ambiguous      int     `json:"ambiguous_tokens"`
	SkippedSamples int     `json:"skipped_samples"`
}

func newModelCompareCmd() *cobra.Command {
	var name, ckpt, host string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare --ollama-model NAME [--ckpt CKPT] [--json]",
		Short: "Check that Ollama tokenizes and scores like the native model",
		Long: `compare sends a fixed corpus to the Ollama model: the token ids of each
text (the context of /api/generate) must equal the native tokenizer's,
and for text the server generates with log-probabilities the native
forward pass (with Ollama's F16 key/value rounding) must give the same
per-token log-probabilities. Without --ckpt the native side is the model
spag ships.`,
		Example: `  spag model export --ollama spag-taboo && spag model compare --ollama-model spag-taboo`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return usagef("model compare: --ollama-model is required")
			}
			c, err := defaultmodel.LoadPath(ckpt)
			if err != nil {
				return err
			}
			m, err := native.NewModel(c.Vocab, c.Params)
			if err != nil {
				return err
			}
			m.HalfKV = true
			client, err := ollamaClient(host)
			if err != nil {
				return err
			}
			rep, err := compareWithOllama(cmd.Context(), client, name, m)
			if err != nil {
				return err
			}
			rep.Checkpoint = defaultmodel.Label(ckpt)
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			fmt.Fprintf(w, "token_mismatches      %d of %d texts\n", rep.TokenMismatch, rep.Texts)
			fmt.Fprintf(w, "max_abs_logprob_diff  %.3g over %d generated tokens (mean %.3g, %d ambiguous, %d samples skipped)\n",
				rep.MaxAbsDiff, rep.Tokens, rep.MeanAbsDiff, rep.Ambiguous, rep.SkippedSamples)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "ollama-model", "", "Ollama model to compare (as registered by spag model export)")
	f.StringVar(&ckpt, "ckpt", "", "native checkpoint the Ollama model was exported from (default: the shipped model)")
	f.StringVar(&host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	f.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func compareWithOllama(ctx context.Context, client *api.Client, name string, m *native.Model) (compareReport, error) {
	rep := compareReport{Model: name, Texts: len(compareCorpus)}
	stream := false
	sum := 0.0
	for i, text := range compareCorpus {
		var r api.GenerateResponse
		req := &api.GenerateRequest{Model: name, Prompt: text, Stream: &stream,
			Options: map[string]any{"num_predict": 1, "temperature": 0, "seed": 1}}
		if err := client.Generate(ctx, req, func(g api.GenerateResponse) error { r = g; return nil }); err != nil {
			return rep, fmt.Errorf("model compare: generate: %w", err)
		}
		if fmt.Sprint(m.Vocab.Encode(text+r.Response)) != fmt.Sprint(r.Context) {
			rep.TokenMismatch++
		}
		req = &api.GenerateRequest{Model: name, Prompt: text, Raw: true, Logprobs: true, Stream: &stream,
			Options: map[string]any{"num_predict": 32, "temperature": 1, "seed": 42 + i, "repeat_penalty": 1}}
		if err := client.Generate(ctx, req, func(g api.GenerateResponse) error { r = g; return nil }); err != nil {
			return rep, fmt.Errorf("model compare: generate with logprobs: %w", err)
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
			return rep, fmt.Errorf("model compare: %w", err)
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
