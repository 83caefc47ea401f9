// Package modelcmd is `spag model`: create and inspect native model
// checkpoints (init, info, strip), and convert them (package convert:
// export, import, compare).
package modelcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/model/convert"
	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
)

// NewCmdModel returns `spag model` with its subcommands.
func NewCmdModel(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Create and inspect native (llama-architecture) model checkpoints",
	}
	cmd.AddCommand(NewCmdInit(f, nil), NewCmdInfo(f, nil))
	cmd.AddCommand(convert.NewCmdExport(f, nil), convert.NewCmdImport(f, nil), convert.NewCmdCompare(f, nil), NewCmdStrip(f, nil))
	return cmd
}

// Options are every input of init, info and strip; each reads its own
// flags.
type Options struct {
	IO *cmdutil.IOStreams
	// Changed reports whether the user gave the flag called name.
	Changed func(name string) bool

	// Ckpt is the checkpoint info and strip read, Out the one init and
	// strip write.
	Ckpt, Out string
	// Preset, Seed, Corpora, VocabSize and Dummy are init's model.
	Preset    string
	Seed      uint64
	Corpora   []string
	VocabSize int
	Dummy     bool
	// Sampling are strip's decoding defaults.
	Sampling []string
	JSON     bool
}

// command wraps a subcommand's RunE: it reads the argument into Ckpt, and
// runF (nil: run) does the work.
func command(cmd *cobra.Command, opts *Options, runF, run func(context.Context, *Options) error) *cobra.Command {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.Changed = cmd.Flags().Changed
		if len(args) > 0 {
			opts.Ckpt = args[0]
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
	return cmd
}

// NewCmdInit returns `spag model init`.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := command(&cobra.Command{
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
		Args: cmdutil.NoArgs,
	}, opts, runF, Init)
	fl := cmd.Flags()
	fl.StringVar(&opts.Preset, "preset", "tiny", "architecture preset: "+strings.Join(model.PresetNames(), ", "))
	fl.Uint64Var(&opts.Seed, "seed", 1, "seed of the random weights")
	fl.StringVar(&opts.Out, "out", "", "checkpoint file to write")
	fl.StringArrayVar(&opts.Corpora, "corpus", nil, "tokenizer training text: SPAG training JSON (*.json) or plain text lines (repeatable)")
	fl.IntVar(&opts.VocabSize, "vocab-size", 0, "tokenizer vocabulary size (default: the preset's)")
	fl.BoolVar(&opts.Dummy, "dummy-prefix", true, `encode texts with a leading "▁" (false for Ollama's Go engine)`)
	return cmd
}

// Init trains the tokenizer on the corpora, draws the weights and writes
// the checkpoint.
func Init(ctx context.Context, opts *Options) error {
	if opts.Out == "" {
		return cmdutil.Usagef("model init: --out is required (path of the checkpoint to write)")
	}
	cfg, err := model.Preset(opts.Preset)
	if err != nil {
		return cmdutil.Usagef("model init: --preset: %v", err)
	}
	vocabSize := opts.VocabSize
	if vocabSize == 0 {
		vocabSize = cfg.Vocab
	}
	var texts []string
	for _, path := range opts.Corpora {
		t, err := rl.ReadCorpus(path)
		if err != nil {
			return err
		}
		texts = append(texts, t...)
	}
	if len(opts.Corpora) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "spag model init: no --corpus given; the tokenizer has byte tokens only")
	}
	vocab, err := tokenizer.Train(ctx, texts, tokenizer.TrainOptions{VocabSize: vocabSize, NoDummyPrefix: !opts.Dummy})
	if err != nil {
		return fmt.Errorf("model init: %w", err)
	}
	cfg.Vocab = vocab.Size()
	params, err := model.Init(cfg, opts.Seed)
	if err != nil {
		return fmt.Errorf("model init: %w", err)
	}
	if err := convert.SaveCheckpoint(opts.Out, opts.IO.Out, &checkpoint.Checkpoint{Vocab: vocab, Params: params}); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ReportTo(opts.Out), "wrote %s: preset %s, %d parameters, vocabulary %d\n", opts.Out, opts.Preset, cfg.NumParams(), cfg.Vocab)
	return nil
}

// NewCmdInfo returns `spag model info`.
func NewCmdInfo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := command(&cobra.Command{
		Use:   "info CKPT|native",
		Short: "Describe a checkpoint (native: the shipped model): architecture, parameters, tokenizer, training state",
		Example: `  spag model info native
  spag model init --preset tiny --seed 1 --out tiny.ckpt && spag model info tiny.ckpt
  spag model strip native --out v3.ckpt && spag model info v3.ckpt --json`,
		Args: cmdutil.ExactArgs(1),
	}, opts, runF, Info)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON document")
	return cmd
}

// Info describes the checkpoint from its header.
func Info(ctx context.Context, opts *Options) error {
	h, err := header(opts.Ckpt)
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
	w := opts.IO.Out
	if opts.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	c := h.Model
	fmt.Fprintf(w, "checkpoint  %s\n", opts.Ckpt)
	fmt.Fprintf(w, "model       llama: vocab %d, dim %d, layers %d, heads %d (kv %d), ffn %d, context %d\n", c.Vocab, c.Dim, c.Layers, c.Heads, c.KVHeads, c.FFN, c.Context)
	fmt.Fprintf(w, "parameters  %d (float32)\n", info.Parameters)
	fmt.Fprintf(w, "tokenizer   sentencepiece bpe, %d pieces, dummy prefix %v\n", info.Vocab, info.DummySpace)
	fmt.Fprintf(w, "kernel      %s (matrix products on this machine)\n", mat.Path())
	if len(h.Sampling) > 0 {
		fmt.Fprintf(w, "sampling    %s (the model's defaults; a spec's options win)\n", strings.Join(h.Sampling, " "))
	}
	if h.Train == nil {
		fmt.Fprintln(w, "training    none (fresh initialisation)")
		return nil
	}
	resumable := ""
	if h.Optimizer == nil {
		resumable = " (weights only: starts new runs, cannot resume this one)"
	}
	fmt.Fprintf(w, "training    step %d of %d%s\n", h.Train.Step, h.Train.Total, resumable)
	fmt.Fprintf(w, "train cfg   %s\n", h.Train.Config)
	if r := h.Train.Reference; r != nil {
		fmt.Fprintf(w, "reference   %s (%s)\n", r.Path, r.Digest)
	}
	return nil
}

// NewCmdStrip returns `spag model strip`: keep what inference and new
// training runs need.
func NewCmdStrip(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := command(&cobra.Command{
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
		Args: cmdutil.ExactArgs(1),
	}, opts, runF, Strip)
	cmd.Flags().StringVar(&opts.Out, "out", "", "checkpoint file to write")
	cmd.Flags().StringArrayVar(&opts.Sampling, "sampling", nil, "the model's decoding default key=value (repeatable), e.g. temperature=0.3")
	return cmd
}

// header reads the header of the checkpoint at path; "native" is the
// shipped model, as strip takes it, since it is no file a newcomer has.
func header(path string) (*checkpoint.Header, error) {
	if path != "native" {
		return checkpoint.ReadHeader(path)
	}
	c, err := defaultmodel.Load()
	if err != nil {
		return nil, err
	}
	return &checkpoint.Header{Model: c.Params.Config, Vocab: c.Vocab, Train: c.Train, Sampling: c.Sampling}, nil
}

// Strip writes the checkpoint without its optimizer state, with the
// sampling defaults given.
func Strip(ctx context.Context, opts *Options) error {
	if opts.Out == "" {
		return cmdutil.Usagef("model strip: --out is required")
	}
	path := opts.Ckpt
	if path == "native" {
		path = "" // the shipped model, as --ckpt reads it
	}
	c, err := defaultmodel.LoadPath(path)
	if err != nil {
		return err
	}
	c.Strip()
	if opts.Changed("sampling") {
		c.Sampling = nil
		for _, kv := range opts.Sampling {
			if kv != "" {
				c.Sampling = append(c.Sampling, kv)
			}
		}
		if _, err := native.CheckpointOptions(c); err != nil {
			return cmdutil.Usagef("--sampling: %v", err)
		}
	}
	if err := convert.SaveCheckpoint(opts.Out, opts.IO.Out, c); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ReportTo(opts.Out), "wrote %s\n", opts.Out)
	return nil
}
