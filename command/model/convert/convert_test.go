package convert

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model/modeltest"
)

// execute runs one of the commands with args, in process.
func execute(t *testing.T, newCmd func(*cmdutil.Factory, func(context.Context, *Options) error) *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := newCmd(cmdutil.New(io, nil), nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// small writes a small random model to small.ckpt in a new directory it
// moves to.
func small(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	modeltest.SaveSmall(t, "small.ckpt")
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name   string
		newCmd func(*cmdutil.Factory, func(context.Context, *Options) error) *cobra.Command
		args   []string
		want   Options
	}{
		{"export", NewCmdExport, []string{"--ckpt", "a.ckpt", "--gguf", "a.gguf", "--type", "f16"}, Options{Ckpt: "a.ckpt", GGUF: "a.gguf", Type: "f16"}},
		{"export defaults", NewCmdExport, []string{"--ollama", "m", "--host", "h:1"}, Options{Ollama: "m", Host: "h:1", Type: "f32"}},
		{"import", NewCmdImport, []string{"--hf", "d", "--out", "b.ckpt"}, Options{HF: "d", Out: "b.ckpt"}},
		{"compare", NewCmdCompare, []string{"--ollama-model", "m", "--ckpt", "a.ckpt", "--json"}, Options{Ollama: "m", Ckpt: "a.ckpt", JSON: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := tt.newCmd(cmdutil.New(io, nil), func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tt.want {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestRunRefuses(t *testing.T) {
	small(t)
	for _, tt := range []struct {
		name   string
		newCmd func(*cmdutil.Factory, func(context.Context, *Options) error) *cobra.Command
		args   []string
		want   string
		usage  bool
	}{
		{"export to nothing", NewCmdExport, nil, "give exactly one of --gguf FILE, --ollama NAME and --hf DIR", true},
		{"export to two", NewCmdExport, []string{"--gguf", "a", "--hf", "b"}, "give exactly one of", true},
		{"export of a bad type", NewCmdExport, []string{"--gguf", "a.gguf", "--type", "q4"}, "model export: --type: ", true},
		{"export --hf in f16", NewCmdExport, []string{"--hf", "d", "--type", "f16"}, "--hf writes float32 weights; leave out --type f16", true},
		{"export of a missing checkpoint", NewCmdExport, []string{"--ckpt", "nosuch.ckpt", "--gguf", "a.gguf"}, "nosuch.ckpt", false},
		{"export to a bad host", NewCmdExport, []string{"--ckpt", "small.ckpt", "--ollama", "m", "--host", "http://[::1"}, `--host "http://[::1": `, true},
		{"import of nothing", NewCmdImport, []string{"--out", "x.ckpt"}, "give exactly one of --gguf FILE, --ollama-model NAME and --hf DIR", true},
		{"import without out", NewCmdImport, []string{"--gguf", "a.gguf"}, "--out is required", true},
		{"import of a missing file", NewCmdImport, []string{"--gguf", "nosuch.gguf", "--out", "x.ckpt"}, "model import: ", false},
		{"import of a missing directory", NewCmdImport, []string{"--hf", "nosuch", "--out", "x.ckpt"}, "model import: ", false},
		{"import from a bad host", NewCmdImport, []string{"--ollama-model", "m", "--host", "http://[::1", "--out", "x.ckpt"}, "--host ", true},
		{"compare of nothing", NewCmdCompare, nil, "--ollama-model is required", true},
		{"compare on a bad host", NewCmdCompare, []string{"--ollama-model", "m", "--ckpt", "small.ckpt", "--host", "http://[::1"}, "--host ", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := execute(t, tt.newCmd, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(cmdutil.UsageError)) != tt.usage {
				t.Fatalf("err = %v, want one containing %q (a usage error: %v)", err, tt.want, tt.usage)
			}
			if _, err := os.Stat("x.ckpt"); err == nil {
				t.Error("a refused command wrote x.ckpt")
			}
		})
	}
}

// TestRoundTrips exports a checkpoint as GGUF and as a Hugging Face
// directory and imports each back: the weights are the same.
func TestRoundTrips(t *testing.T) {
	small(t)
	want := digest(t, "small.ckpt")
	for _, tt := range []struct {
		name           string
		export, imp    []string
		exported, back string
	}{
		{"gguf", []string{"--ckpt", "small.ckpt", "--gguf", "small.gguf"}, []string{"--gguf", "small.gguf", "--out", "g.ckpt"}, "wrote small.gguf", "g.ckpt"},
		{"hf", []string{"--ckpt", "small.ckpt", "--hf", "small-hf"}, []string{"--hf", "small-hf", "--out", "h.ckpt"}, "wrote small-hf (Hugging Face", "h.ckpt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := execute(t, NewCmdExport, tt.export...)
			if err != nil || !strings.Contains(stdout, tt.exported) {
				t.Fatalf("export: %v\n%s", err, stdout)
			}
			stdout, _, err = execute(t, NewCmdImport, tt.imp...)
			if err != nil || !strings.Contains(stdout, "wrote "+tt.back+" from ") {
				t.Fatalf("import: %v\n%s", err, stdout)
			}
			if got := digest(t, tt.back); got != want {
				t.Errorf("weights %s after the round trip, %s before", got, want)
			}
		})
	}
}

func digest(t *testing.T, path string) string {
	t.Helper()
	c, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := checkpoint.WeightsDigest(c.Params)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
