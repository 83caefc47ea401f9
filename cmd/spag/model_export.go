package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"

	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama/ollamamodel"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/hf"
)

// ollamaClient returns a client for --host, or $OLLAMA_HOST's.
func ollamaClient(host string) (*api.Client, error) {
	client, err := ollamamodel.Client(host)
	if err != nil {
		return nil, usagef("--host %q: %v", host, err)
	}
	return client, nil
}

func newModelExportCmd() *cobra.Command {
	var ckpt, out, name, host, typ, hfDir string
	cmd := &cobra.Command{
		Use:   "export [--ckpt CKPT] (--gguf FILE | --ollama NAME | --hf DIR) [--type f32|f16] [--host URL]",
		Short: "Write a checkpoint as GGUF and optionally register it with Ollama",
		Long: `export writes the native model and its SentencePiece tokenizer as a GGUF
file (llama architecture) that Ollama loads with either runner. With
--ollama it uploads the file as a blob and creates the model NAME through
the Ollama API (no network access beyond that server), with a template
that joins chat messages by blank lines, as the trainer's queries are, and
the checkpoint's own sampling defaults (spag model strip --sampling) as
the model's parameters. With --hf it writes a Hugging Face llama directory
(config.json, model.safetensors in float32, tokenizer.model and the
generation config) that transformers and examples/torch/train.py load;
DIR must be new or empty (docs/trainer.md).
Without --ckpt it exports the model spag ships (` + defaultmodel.Name + `).`,
		Example: `  spag model export --ollama spag-taboo          # the shipped model, served by Ollama
  spag model export --ckpt sft.ckpt --gguf sft.gguf --type f16
  spag model export --ckpt sft.ckpt --hf sft-hf`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := countSet(out, name, hfDir); n != 1 {
				return usagef("model export: give exactly one of --gguf FILE, --ollama NAME and --hf DIR")
			}
			if hfDir != "" {
				return exportHF(cmd, ckpt, hfDir, typ)
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
			params, err := native.OllamaParameters(c.Sampling)
			if err != nil {
				return fmt.Errorf("model export %s: %w", defaultmodel.Label(ckpt), err)
			}
			digest, err := ollamamodel.CreateWithParameters(cmd.Context(), client, name, buf.Bytes(), params)
			if err != nil {
				return fmt.Errorf("model export: %w", err)
			}
			fmt.Fprintf(w, "registered %s with ollama (%s, %d bytes, %s)\n", name, t, buf.Len(), digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ckpt, "ckpt", "", "checkpoint to export (default: the shipped model)")
	f.StringVar(&out, "gguf", "", "GGUF file to write")
	f.StringVar(&name, "ollama", "", "Ollama model name to create")
	f.StringVar(&hfDir, "hf", "", "Hugging Face model directory to write (new or empty)")
	f.StringVar(&host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	f.StringVar(&typ, "type", "f32", "matrix element type: f32 or f16")
	return cmd
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
			rep, err := ollamamodel.Compare(cmd.Context(), client, name, m)
			if err != nil {
				return fmt.Errorf("model compare: %w", err)
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

// countSet counts the non-empty values among exclusive flags.
func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// exportHF is `spag model export --hf DIR`.
func exportHF(cmd *cobra.Command, ckpt, dir, typ string) error {
	if typ != "f32" && typ != "F32" {
		return usagef("model export: --hf writes float32 weights; leave out --type %s", typ)
	}
	c, err := defaultmodel.LoadPath(ckpt)
	if err != nil {
		return err
	}
	if err := hf.Export(dir, c); err != nil {
		return fmt.Errorf("model export %s: %w", defaultmodel.Label(ckpt), err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (Hugging Face %s, float32)\n", dir, hf.Architecture)
	return nil
}
