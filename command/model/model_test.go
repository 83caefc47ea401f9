package modelcmd

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/rl/model/modeltest"
)

// execute runs spag model with args, in process.
func execute(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := NewCmdModel(cmdutil.New(io, nil))
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
	ctors := map[string]func(*cmdutil.Factory, func(context.Context, *Options) error) *cobra.Command{
		"init": NewCmdInit, "info": NewCmdInfo, "strip": NewCmdStrip}
	for _, tt := range []struct {
		args    []string
		check   func(*Options) bool
		wantErr string
	}{
		{args: []string{"init", "--preset", "small", "--seed", "3", "--corpus", "a.json", "--corpus", "b.txt", "--dummy-prefix=false", "--out", "m.ckpt"},
			check: func(o *Options) bool {
				return o.Preset == "small" && o.Seed == 3 && len(o.Corpora) == 2 && !o.Dummy && o.Out == "m.ckpt"
			}},
		{args: []string{"init"}, check: func(o *Options) bool { return o.Preset == "tiny" && o.Seed == 1 && o.Dummy && o.VocabSize == 0 }},
		{args: []string{"info", "m.ckpt", "--json"}, check: func(o *Options) bool { return o.Ckpt == "m.ckpt" && o.JSON }},
		{args: []string{"strip", "m.ckpt", "--sampling", "temperature=0.3", "--out", "s.ckpt"}, check: func(o *Options) bool {
			return o.Ckpt == "m.ckpt" && o.Out == "s.ckpt" && len(o.Sampling) == 1 && o.Changed("sampling")
		}},
		{args: []string{"info"}, wantErr: "takes 1 argument(s), got 0"},
		{args: []string{"init", "x"}, wantErr: `takes no arguments, got "x"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := ctors[tt.args[0]](cmdutil.New(io, nil), func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args[1:])
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("options = %+v", *got)
			}
		})
	}
}

func TestRunRefuses(t *testing.T) {
	small(t)
	for _, tt := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{[]string{"init"}, "model init: --out is required", true},
		{[]string{"init", "--preset", "huge", "--out", "x.ckpt"}, "model init: --preset: ", true},
		{[]string{"init", "--corpus", "nosuch.txt", "--out", "x.ckpt"}, "nosuch.txt", false},
		{[]string{"info", "nosuch.ckpt"}, "nosuch.ckpt", false},
		{[]string{"strip", "small.ckpt"}, "model strip: --out is required", true},
		{[]string{"strip", "small.ckpt", "--sampling", "colour=red", "--out", "x.ckpt"}, "--sampling: ", true},
		{[]string{"strip", "nosuch.ckpt", "--out", "x.ckpt"}, "nosuch.ckpt", false},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, _, err := execute(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(cmdutil.UsageError)) != tt.usage {
				t.Fatalf("err = %v, want one containing %q (a usage error: %v)", err, tt.want, tt.usage)
			}
		})
	}
}

// TestInitInfoStrip makes a model, describes it, strips the shipped
// model with a sampling default and describes that.
func TestInitInfoStrip(t *testing.T) {
	small(t)
	_, stderr, err := execute(t, "init", "--seed", "2", "--vocab-size", "300", "--out", "fresh.ckpt")
	if err != nil || !strings.Contains(stderr, "no --corpus given") {
		t.Fatalf("init: %v\n%s", err, stderr)
	}
	stdout, _, err := execute(t, "info", "fresh.ckpt")
	if err != nil || !strings.Contains(stdout, "training    none (fresh initialisation)") || !strings.Contains(stdout, "dummy prefix true") {
		t.Fatalf("info: %v\n%s", err, stdout)
	}
	stdout, _, err = execute(t, "strip", "native", "--sampling", "temperature=0.3", "--sampling", "", "--out", "v.ckpt")
	if err != nil || !strings.Contains(stdout, "wrote v.ckpt") {
		t.Fatalf("strip: %v\n%s", err, stdout)
	}
	stdout, _, err = execute(t, "info", "v.ckpt", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Parameters int      `json:"parameters"`
		Sampling   []string `json:"sampling"`
		Step       int      `json:"step"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || info.Parameters == 0 || len(info.Sampling) != 1 || info.Sampling[0] != "temperature=0.3" {
		t.Errorf("info --json = %s (%v)", stdout, err)
	}
	stdout, _, err = execute(t, "info", "v.ckpt")
	if err != nil || !strings.Contains(stdout, "sampling    temperature=0.3") || !strings.Contains(stdout, "training    step") ||
		!strings.Contains(stdout, "cannot resume this one") {
		t.Errorf("info: %v\n%s", err, stdout)
	}
	// "native" is the shipped model here too, as strip takes it (it was
	// read as a file name: "open native: no such file or directory").
	stdout, _, err = execute(t, "info", "native")
	if err != nil || !strings.Contains(stdout, "checkpoint  native") || !strings.Contains(stdout, "sampling    temperature=0.3") {
		t.Errorf("info native: %v\n%s", err, stdout)
	}
	// To standard output, the report goes to stderr.
	stdout, stderr, err = execute(t, "strip", "small.ckpt", "--out", "-")
	if err != nil || !strings.Contains(stderr, "wrote -") || len(stdout) < 1000 {
		t.Errorf("strip --out -: %v; %d bytes out, stderr %q", err, len(stdout), stderr)
	}
}
