// Package convert is `spag model export`, `spag model import` and `spag
// model compare`: a native checkpoint as a GGUF file, an Ollama model or a
// Hugging Face directory, each of those back as a checkpoint, and the
// check that Ollama tokenizes and scores as the native model does.
package convert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ollama/ollama/api"
	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama/ollamamodel"
	"github.com/spag-go/spag/rl/checkpoint"
)

// Options are every input of the three commands; each reads its own
// flags.
type Options struct {
	IO *cmdutil.IOStreams

	// Ckpt is the native checkpoint ("" the shipped model); GGUF, Ollama
	// and HF the other side (export and import take exactly one), Out the
	// checkpoint import writes.
	Ckpt, GGUF, Ollama, HF, Out string
	// Host is the Ollama server; Type the exported matrices' element
	// type.
	Host, Type string
	JSON       bool
}

// command wraps a subcommand's RunE: runF (nil: run) does the work.
func command(cmd *cobra.Command, opts *Options, runF, run func(context.Context, *Options) error) *cobra.Command {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
	return cmd
}

// NewCmdExport returns `spag model export`.
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := command(&cobra.Command{
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
		Args: cmdutil.NoArgs,
	}, opts, runF, Export)
	fl := cmd.Flags()
	fl.StringVar(&opts.Ckpt, "ckpt", "", "checkpoint to export (default: the shipped model)")
	exporting.addFlags(fl, opts)
	fl.StringVar(&opts.Host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	fl.StringVar(&opts.Type, "type", "f32", "matrix element type: f32 or f16")
	return cmd
}

// Export writes the checkpoint as GGUF (a file, or an Ollama model) or as
// a Hugging Face directory.
func Export(ctx context.Context, opts *Options) error {
	f, err := exporting.chosen(opts)
	if err != nil {
		return err
	}
	// The flags are checked before the checkpoint is read.
	if err := f.check(opts); err != nil {
		return err
	}
	c, err := defaultmodel.LoadPath(opts.Ckpt)
	if err != nil {
		return err
	}
	return f.write(ctx, opts, c)
}

// NewCmdImport returns `spag model import`: a llama GGUF (a file, or the
// file behind an Ollama model) or a Hugging Face directory as a native
// checkpoint.
func NewCmdImport(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := command(&cobra.Command{
		Use:   "import (--gguf FILE | --ollama-model NAME [--host URL] | --hf DIR) --out CKPT",
		Short: "Read a llama-architecture GGUF model (a file or an Ollama model) into a native checkpoint",
		Long: `import converts a llama-architecture GGUF file (F32, F16 or Q8_0 tensors,
dequantised to float32) whose SentencePiece vocabulary has the native layout
(<unk>, <s>, </s>, 256 byte tokens, then the learned pieces) into a
checkpoint that native players run and 'spag train' trains.

With --ollama-model the file is the model blob of an Ollama model: spag asks
the server (--host, default $OLLAMA_HOST) which file that is, so the server
must run on this machine.

With --hf it reads a Hugging Face llama directory (LlamaForCausalLM:
config.json, a single model.safetensors in F32 or BF16, and a SentencePiece
BPE tokenizer.model with byte fallback, as 'spag model export --hf' writes
and examples/torch/train.py saves) and refuses, naming the file, anything
the native model cannot represent.`,
		Example: `  spag model import --gguf model.gguf --out model.ckpt
  spag model import --ollama-model spag-taboo --out imported.ckpt
  spag model export --ckpt model.ckpt --hf model-hf
  spag model import --hf model-hf --out back.ckpt`,
		Args: cmdutil.NoArgs,
	}, opts, runF, Import)
	fl := cmd.Flags()
	importing.addFlags(fl, opts)
	fl.StringVar(&opts.Host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	fl.StringVar(&opts.Out, "out", "", "checkpoint file to write")
	return cmd
}

// Import reads the GGUF file (or the Ollama model's) or the Hugging Face
// directory and writes it as a checkpoint.
func Import(ctx context.Context, opts *Options) error {
	f, err := importing.chosen(opts)
	if err != nil {
		return err
	}
	if opts.Out == "" {
		return cmdutil.Usagef("model import: --out is required (the checkpoint to write)")
	}
	c, from, err := f.read(ctx, opts)
	if err != nil {
		return err
	}
	if err := SaveCheckpoint(opts.Out, opts.IO.Out, c); err != nil {
		return err
	}
	cfg := c.Params.Config
	line := fmt.Sprintf("wrote %s from %s: %d parameters, vocabulary %d", opts.Out, from, cfg.NumParams(), cfg.Vocab)
	if f.shape {
		line += fmt.Sprintf(", dim %d, %d layers", cfg.Dim, cfg.Layers)
	}
	fmt.Fprintln(opts.IO.ReportTo(opts.Out), line)
	return nil
}

// NewCmdCompare returns `spag model compare`.
func NewCmdCompare(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := command(&cobra.Command{
		Use:   "compare --ollama-model NAME [--ckpt CKPT] [--json]",
		Short: "Check that Ollama tokenizes and scores like the native model",
		Long: `compare sends a fixed corpus to the Ollama model: the token ids of each
text (the context of /api/generate) must equal the native tokenizer's,
and for text the server generates with log-probabilities the native
forward pass (with Ollama's F16 key/value rounding) must give the same
per-token log-probabilities. Without --ckpt the native side is the model
spag ships.`,
		Example: `  spag model export --ollama spag-taboo && spag model compare --ollama-model spag-taboo`,
		Args:    cmdutil.NoArgs,
	}, opts, runF, Compare)
	fl := cmd.Flags()
	fl.StringVar(&opts.Ollama, "ollama-model", "", "Ollama model to compare (as registered by spag model export)")
	fl.StringVar(&opts.Ckpt, "ckpt", "", "native checkpoint the Ollama model was exported from (default: the shipped model)")
	fl.StringVar(&opts.Host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON document")
	return cmd
}

// Compare checks the Ollama model against the native checkpoint.
func Compare(ctx context.Context, opts *Options) error {
	if opts.Ollama == "" {
		return cmdutil.Usagef("model compare: --ollama-model is required")
	}
	c, err := defaultmodel.LoadPath(opts.Ckpt)
	if err != nil {
		return err
	}
	m, err := native.NewModel(c.Vocab, c.Params)
	if err != nil {
		return err
	}
	m.HalfKV = true
	client, err := ollamaClient(opts.Host)
	if err != nil {
		return err
	}
	rep, err := ollamamodel.Compare(ctx, client, opts.Ollama, m)
	if err != nil {
		return fmt.Errorf("model compare: %w", err)
	}
	rep.Checkpoint = defaultmodel.Label(opts.Ckpt)
	w := opts.IO.Out
	if opts.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "token_mismatches      %d of %d texts\n", rep.TokenMismatch, rep.Texts)
	fmt.Fprintf(w, "max_abs_logprob_diff  %.3g over %d generated tokens (mean %.3g, %d ambiguous, %d samples skipped)\n",
		rep.MaxAbsDiff, rep.Tokens, rep.MeanAbsDiff, rep.Ambiguous, rep.SkippedSamples)
	return nil
}

// ollamaClient returns a client for --host, or $OLLAMA_HOST's.
func ollamaClient(host string) (*api.Client, error) {
	client, err := ollamamodel.Client(host)
	if err != nil {
		return nil, cmdutil.Usagef("--host %q: %v", host, err)
	}
	return client, nil
}

// SaveCheckpoint writes c to path (atomically), or to stdout for "-".
func SaveCheckpoint(path string, stdout io.Writer, c *checkpoint.Checkpoint) error {
	return cmdutil.WriteOut(path, stdout, func(w io.Writer) error {
		if err := checkpoint.Write(w, c); err != nil {
			return fmt.Errorf("save checkpoint %s: %w", path, err)
		}
		return nil
	})
}
