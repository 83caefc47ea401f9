package convert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama/ollamamodel"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/hf"
)

// flagSpec is a flag's name and help.
type flagSpec struct{ name, usage string }

// A format is where export writes a checkpoint and import reads one back,
// chosen by its flag: each command takes exactly one.
type format struct {
	// export and imp are its flags of export and of import; meta names
	// their value in errors ("--gguf FILE").
	export, imp flagSpec
	meta        string
	// value is the option that both flags set.
	value func(*Options) *string
	// check refuses export's flags that cannot work, before the
	// checkpoint is read.
	check func(*Options) error
	// write exports c; read imports a checkpoint and says where from.
	write func(ctx context.Context, opts *Options, c *checkpoint.Checkpoint) error
	read  func(ctx context.Context, opts *Options) (c *checkpoint.Checkpoint, from string, err error)
	// shape: import's report gives the model's width and depth too.
	shape bool
}

// formats are the three, in the order the usage errors name them.
var formats = []format{
	{
		export: flagSpec{"gguf", "GGUF file to write"},
		imp:    flagSpec{"gguf", "GGUF file to read"},
		meta:   "FILE",
		value:  func(o *Options) *string { return &o.GGUF },
		check:  checkType,
		write:  writeGGUF,
		read: func(_ context.Context, opts *Options) (*checkpoint.Checkpoint, string, error) {
			return readGGUF(opts.GGUF)
		},
		shape: true,
	},
	{
		export: flagSpec{"ollama", "Ollama model name to create"},
		imp:    flagSpec{"ollama-model", "Ollama model whose GGUF blob to read (the server must be local)"},
		meta:   "NAME",
		value:  func(o *Options) *string { return &o.Ollama },
		check:  checkType,
		write:  writeOllama,
		read:   readOllama,
		shape:  true,
	},
	{
		export: flagSpec{"hf", "Hugging Face model directory to write (new or empty)"},
		imp:    flagSpec{"hf", "Hugging Face llama directory to read"},
		meta:   "DIR",
		value:  func(o *Options) *string { return &o.HF },
		check: func(opts *Options) error {
			if opts.Type != "f32" && opts.Type != "F32" {
				return cmdutil.Usagef("model export: --hf writes float32 weights; leave out --type %s", opts.Type)
			}
			return nil
		},
		write: func(_ context.Context, opts *Options, c *checkpoint.Checkpoint) error {
			if err := hf.Export(opts.HF, c); err != nil {
				return fmt.Errorf("model export %s: %w", defaultmodel.Label(opts.Ckpt), err)
			}
			fmt.Fprintf(opts.IO.Out, "wrote %s (Hugging Face %s, float32)\n", opts.HF, hf.Architecture)
			return nil
		},
		read: func(_ context.Context, opts *Options) (*checkpoint.Checkpoint, string, error) {
			c, err := hf.Import(opts.HF)
			if err != nil {
				return nil, "", fmt.Errorf("model import: %w", err)
			}
			return c, opts.HF, nil
		},
	},
}

// A direction is export or import: the command, and its flag of each
// format.
type direction struct {
	command string
	flag    func(format) flagSpec
}

var (
	exporting = direction{"export", func(f format) flagSpec { return f.export }}
	importing = direction{"import", func(f format) flagSpec { return f.imp }}
)

// addFlags adds the command's flag of each format to fl.
func (d direction) addFlags(fl *pflag.FlagSet, opts *Options) {
	for _, f := range formats {
		fl.StringVar(f.value(opts), d.flag(f).name, "", d.flag(f).usage)
	}
}

// chosen is the one format whose flag the user gave; none or several is
// a usage error naming them all.
func (d direction) chosen(opts *Options) (format, error) {
	var names []string
	var set []format
	for _, f := range formats {
		names = append(names, "--"+d.flag(f).name+" "+f.meta)
		if *f.value(opts) != "" {
			set = append(set, f)
		}
	}
	if len(set) != 1 {
		last := len(names) - 1
		return format{}, cmdutil.Usagef("model %s: give exactly one of %s and %s", d.command, strings.Join(names[:last], ", "), names[last])
	}
	return set[0], nil
}

// checkType refuses a --type that GGUF cannot hold.
func checkType(opts *Options) error {
	if _, err := gguf.ParseType(opts.Type); err != nil {
		return cmdutil.Usagef("model export: --type: %v", err)
	}
	return nil
}

// encodeGGUF is c as a GGUF file of --type matrices, named after the
// Ollama model when there is one.
func encodeGGUF(opts *Options, c *checkpoint.Checkpoint) (*bytes.Buffer, gguf.Type, error) {
	t, err := gguf.ParseType(opts.Type)
	if err != nil {
		return nil, t, cmdutil.Usagef("model export: --type: %v", err)
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, c.Vocab, c.Params, gguf.WriteOptions{Type: t, Name: opts.Ollama}); err != nil {
		return nil, t, fmt.Errorf("model export %s: %w", defaultmodel.Label(opts.Ckpt), err)
	}
	return &buf, t, nil
}

// writeGGUF is export --gguf FILE.
func writeGGUF(_ context.Context, opts *Options, c *checkpoint.Checkpoint) error {
	buf, t, err := encodeGGUF(opts, c)
	if err != nil {
		return err
	}
	err = cmdutil.WriteOut(opts.GGUF, opts.IO.Out, func(f io.Writer) error {
		_, err := f.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return fmt.Errorf("model export: %w", err)
	}
	fmt.Fprintf(opts.IO.ReportTo(opts.GGUF), "wrote %s (%d bytes, %s)\n", opts.GGUF, buf.Len(), t)
	return nil
}

// writeOllama is export --ollama NAME: the GGUF file uploaded to the
// server as a new model, with the checkpoint's sampling defaults.
func writeOllama(ctx context.Context, opts *Options, c *checkpoint.Checkpoint) error {
	buf, t, err := encodeGGUF(opts, c)
	if err != nil {
		return err
	}
	client, err := ollamaClient(opts.Host)
	if err != nil {
		return err
	}
	params, err := native.OllamaParameters(c.Sampling)
	if err != nil {
		return fmt.Errorf("model export %s: %w", defaultmodel.Label(opts.Ckpt), err)
	}
	digest, err := ollamamodel.CreateWithParameters(ctx, client, opts.Ollama, buf.Bytes(), params)
	if err != nil {
		return fmt.Errorf("model export: %w", err)
	}
	fmt.Fprintf(opts.IO.Out, "registered %s with ollama (%s, %d bytes, %s)\n", opts.Ollama, t, buf.Len(), digest)
	return nil
}

// readGGUF is import --gguf FILE.
func readGGUF(file string) (*checkpoint.Checkpoint, string, error) {
	vocab, params, err := gguf.ReadFile(file)
	if err != nil {
		return nil, "", fmt.Errorf("model import: %w", err)
	}
	return &checkpoint.Checkpoint{Vocab: vocab, Params: params}, file, nil
}

// readOllama is import --ollama-model NAME: the model's GGUF blob, which
// the server names.
func readOllama(ctx context.Context, opts *Options) (*checkpoint.Checkpoint, string, error) {
	client, err := ollamaClient(opts.Host)
	if err != nil {
		return nil, "", err
	}
	file, err := ollamamodel.File(ctx, client, opts.Ollama)
	if err != nil {
		return nil, "", fmt.Errorf("model import: %w", err)
	}
	return readGGUF(file)
}
