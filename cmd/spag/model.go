package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// newModelCmd is `spag model`: create and inspect native model checkpoints.
func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Create and inspect native (llama-architecture) model checkpoints",
	}
	cmd.AddCommand(newModelInitCmd(), newModelInfoCmd())
	cmd.AddCommand(newModelExportCmd(), newModelImportCmd(), newModelCompareCmd(), newModelStripCmd())
	return cmd
}

func newModelInitCmd() *cobra.Command {
	var (
		preset    string
		seed      uint64
		out       string
		corpora   []string
		vocabSize int
		dummy     bool
	)
	cmd := &cobra.Command{
		Use:   "init --preset tiny|small --seed S --out CKPT [--corpus FILE]...",
		Short: "Initialise a model: train its tokenizer on a corpus and draw random weights",
		Long: `init trains a SentencePiece-style BPE tokenizer on the corpus files (SPAG
training JSON, as written by 'spag rewards', when the name ends in .json;
otherwise plain text, one sample per line), sizes the model's vocabulary to
it, draws seeded random weights and writes the checkpoint atomically.
Without --corpus the tokenizer has only the control and byte tokens.

By default every text is encoded with a leading "▁" (SentencePiece's dummy
prefix), as llama.cpp's runner in Ollama does. Ollama's Go engine
(OLLAMA_NEW_ENGINE=1) never adds it; for models meant for that engine use
--dummy-prefix=false, and the token ids match there too.`,
		Example: `  spag model init --preset tiny --seed 1 --out tiny.ckpt
  spag model init --preset tiny --seed 2 --dummy-prefix=false --out tiny-go.ckpt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("model init: --out is required (path of the checkpoint to write)")
			}
			cfg, err := model.Preset(preset)
			if err != nil {
				return usagef("model init: --preset: %v", err)
			}
			if vocabSize == 0 {
				vocabSize = cfg.Vocab
			}
			var texts []string
			for _, path := range corpora {
				t, err := rl.ReadCorpus(path)
				if err != nil {
					return err
				}
				texts = append(texts, t...)
			}
			if len(corpora) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "spag model init: no --corpus given; the tokenizer has byte tokens only")
			}
			vocab, err := tokenizer.Train(cmd.Context(), texts, tokenizer.TrainOptions{VocabSize: vocabSize, NoDummyPrefix: !dummy})
			if err != nil {
				return fmt.Errorf("model init: %w", err)
			}
			cfg.Vocab = vocab.Size()
			params, err := model.Init(cfg, seed)
			if err != nil {
				return fmt.Errorf("model init: %w", err)
			}
			if err := saveCheckpoint(out, cmd.OutOrStdout(), &checkpoint.Checkpoint{Vocab: vocab, Params: params}); err != nil {
				return err
			}
			fmt.Fprintf(reportTo(cmd, out), "wrote %s: preset %s, %d parameters, vocabulary %d\n", out, preset, cfg.NumParams(), cfg.Vocab)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&preset, "preset", "tiny", "architecture preset: "+strings.Join(model.PresetNames(), ", "))
	f.Uint64Var(&seed, "seed", 1, "seed of the random weights")
	f.StringVar(&out, "out", "", "checkpoint file to write")
	f.StringArrayVar(&corpora, "corpus", nil, "tokenizer training text: SPAG training JSON (*.json) or plain text lines (repeatable)")
	f.IntVar(&vocabSize, "vocab-size", 0, "tokenizer vocabulary size (default: the preset's)")
	f.BoolVar(&dummy, "dummy-prefix", true, `encode texts with a leading "▁" (false for Ollama's Go engine)`)
	return cmd
}

func newModelInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info CKPT",
		Short: "Describe a checkpoint: architecture, parameters, tokenizer, training state",
		Example: `  spag model init --preset tiny --seed 1 --out tiny.ckpt && spag model info tiny.ckpt
  spag model strip native --out v3.ckpt && spag model info v3.ckpt --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := checkpoint.ReadHeader(args[0])
			if err != nil {
				return err
			}
			info := struct {
				Model      model.Config `json:"model"`
				Parameters int          `json:"parameters"`
				Vocab      int          `json:"vocab_size"`
				DummySpace bool         `json:"add_dummy_prefix"`
				Step       int          `json:"step,omitempty"`
				Total      int          `json:"total_steps,omitempty"`
				Train      any          `json:"train_config,omitempty"`
				Reference  any          `json:"reference,omitempty"`
				Sampling   []string     `json:"sampling,omitempty"`
			}{Model: h.Model, Parameters: h.Model.NumParams(), Vocab: h.Vocab.Size(), DummySpace: h.Vocab.AddDummyPrefix(), Sampling: h.Sampling}
			if h.Train != nil {
				info.Step, info.Total, info.Train = h.Train.Step, h.Train.Total, h.Train.Config
				if h.Train.Reference != nil {
					info.Reference = h.Train.Reference
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			c := h.Model
			fmt.Fprintf(w, "checkpoint  %s\n", args[0])
			fmt.Fprintf(w, "model       llama: vocab %d, dim %d, layers %d, heads %d (kv %d), ffn %d, context %d\n", c.Vocab, c.Dim, c.Layers, c.Heads, c.KVHeads, c.FFN, c.Context)
			fmt.Fprintf(w, "parameters  %d (float32)\n", info.Parameters)
			fmt.Fprintf(w, "tokenizer   sentencepiece bpe, %d pieces, dummy prefix %v\n", info.Vocab, info.DummySpace)
			fmt.Fprintf(w, "kernel      %s (matrix products on this machine)\n", mat.Path())
			if len(h.Sampling) > 0 {
				fmt.Fprintf(w, "sampling    %s (the model's defaults; a spec's options win)\n", strings.Join(h.Sampling, " "))
			}
			if h.Train != nil {
				resumable := ""
				if h.Optimizer == nil {
					resumable = " (weights only: starts new runs, cannot resume this one)"
				}
				fmt.Fprintf(w, "training    step %d of %d%s\n", h.Train.Step, h.Train.Total, resumable)
				fmt.Fprintf(w, "train cfg   %s\n", h.Train.Config)
				if r := h.Train.Reference; r != nil {
					fmt.Fprintf(w, "reference   %s (%s)\n", r.Path, r.Digest)
				}
			} else {
				fmt.Fprintln(w, "training    none (fresh initialisation)")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// newModelStripCmd is `spag model strip`: keep what inference and new
// training runs need.
func newModelStripCmd() *cobra.Command {
	var out string
	var sampling []string
	cmd := &cobra.Command{
		Use:   "strip CKPT --out CKPT",
		Short: "Write a checkpoint's weights and tokenizer without its optimizer state (a third of the size)",
		Long: `strip copies a checkpoint without the Adam moments and the data order that
resuming a training run needs. What is left plays (native:CKPT), exports to
GGUF and starts new training runs (spag train --init); 'spag model info'
still shows the step and configuration it was trained with.

--sampling key=value (repeatable) stores the model's own decoding defaults,
native player options such as temperature=0.3: a native player of the
checkpoint uses them unless its spec or --option sets the key, and
checkpoints trained from it keep them. Given, they replace those the
checkpoint had; --sampling "" clears them.

CKPT "native" is the shipped model: strip writes it to a file with its own
sampling default, to start training runs from (spag train --init).`,
		Example: `  spag model strip sft.ckpt --out sft-weights.ckpt
  spag model strip sft.ckpt --sampling temperature=0.3 --out model.ckpt
  spag model strip native --out v3.ckpt`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("model strip: --out is required")
			}
			path := args[0]
			if path == "native" {
				path = "" // the shipped model, as --ckpt reads it
			}
			c, err := defaultmodel.LoadPath(path)
			if err != nil {
				return err
			}
			c.Strip()
			if cmd.Flags().Changed("sampling") {
				c.Sampling = nil
				for _, kv := range sampling {
					if kv != "" {
						c.Sampling = append(c.Sampling, kv)
					}
				}
				if _, err := native.CheckpointOptions(c); err != nil {
					return usagef("--sampling: %v", err)
				}
			}
			if err := saveCheckpoint(out, cmd.OutOrStdout(), c); err != nil {
				return err
			}
			fmt.Fprintf(reportTo(cmd, out), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "checkpoint file to write")
	cmd.Flags().StringArrayVar(&sampling, "sampling", nil, "the model's decoding default key=value (repeatable), e.g. temperature=0.3")
	return cmd
}
