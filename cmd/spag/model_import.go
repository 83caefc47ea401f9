package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/players/ollama/ollamamodel"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/hf"
)

// newModelImportCmd is `spag model import`: a llama GGUF (a file, or the
// file behind an Ollama model) as a native checkpoint.
func newModelImportCmd() *cobra.Command {
	var file, name, host, out, hfDir string
	cmd := &cobra.Command{
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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if countSet(file, name, hfDir) != 1 {
				return usagef("model import: give exactly one of --gguf FILE, --ollama-model NAME and --hf DIR")
			}
			if out == "" {
				return usagef("model import: --out is required (the checkpoint to write)")
			}
			if hfDir != "" {
				c, err := hf.Import(hfDir)
				if err != nil {
					return fmt.Errorf("model import: %w", err)
				}
				if err := saveCheckpoint(out, cmd.OutOrStdout(), c); err != nil {
					return err
				}
				fmt.Fprintf(reportTo(cmd, out), "wrote %s from %s: %d parameters, vocabulary %d\n", out, hfDir, c.Params.Config.NumParams(), c.Params.Config.Vocab)
				return nil
			}
			if name != "" {
				client, err := ollamaClient(host)
				if err != nil {
					return err
				}
				if file, err = ollamamodel.File(cmd.Context(), client, name); err != nil {
					return fmt.Errorf("model import: %w", err)
				}
			}
			vocab, params, err := gguf.ReadFile(file)
			if err != nil {
				return fmt.Errorf("model import: %w", err)
			}
			if err := saveCheckpoint(out, cmd.OutOrStdout(), &checkpoint.Checkpoint{Vocab: vocab, Params: params}); err != nil {
				return err
			}
			c := params.Config
			fmt.Fprintf(reportTo(cmd, out), "wrote %s from %s: %d parameters, vocabulary %d, dim %d, %d layers\n", out, file, c.NumParams(), c.Vocab, c.Dim, c.Layers)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "gguf", "", "GGUF file to read")
	f.StringVar(&name, "ollama-model", "", "Ollama model whose GGUF blob to read (the server must be local)")
	f.StringVar(&host, "host", "", "Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)")
	f.StringVar(&hfDir, "hf", "", "Hugging Face llama directory to read")
	f.StringVar(&out, "out", "", "checkpoint file to write")
	return cmd
}
