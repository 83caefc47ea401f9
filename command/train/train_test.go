package traincmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/rl/model/modeltest"
	"github.com/spag-go/spag/rl/trainer"
)

// parse runs the command's flag parsing alone on args.
func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	io, _, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdTrain(cmdutil.New(io, nil), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return got, cmd.Execute()
}

func TestNewCmdTrain(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		check   func(*Options) bool
		wantErr string
	}{
		{name: "defaults", check: func(o *Options) bool {
			return o.DB == "spag.db" && o.Trainer == "native" && o.LogEvery == 10 && o.APO.Samples == 0 && o.Config.LR > 0 && len(o.Given) == 0
		}},
		{name: "a training", args: []string{"--objective", "spag", "--data", "d.json", "--init", "a b.ckpt", "--steps", "5", "--out", "o.ckpt", "--lr", "0.01", "--beta", "0.3"},
			check: func(o *Options) bool {
				return o.Objective == "spag" && o.Data == "d.json" && o.Init == "a b.ckpt" && o.Steps == 5 && o.Out == "o.ckpt" &&
					o.Config.LR == 0.01 && o.Beta == 0.3 && o.Changed("beta") && !o.Changed("ref") && len(o.Given) == 7 &&
					o.Given[0] == Flag{"beta", "0.3"} && o.CommandPath == "train"
			}},
		{name: "apo's settings", args: []string{"--apo-mu", "0.5", "--apo-samples", "3", "--score", "scalar"}, check: func(o *Options) bool {
			return o.APO.Mu == 0.5 && o.APO.Samples == 3 && o.Config.Score == "scalar"
		}},
		{name: "an argument", args: []string{"data.json"}, wantErr: `takes no arguments, got "data.json"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(t, tt.args...)
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

// fixture writes, in a new directory it moves to, a small model
// (tiny.ckpt) and imitation data (train.json).
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	modeltest.SaveSmall(t, "tiny.ckpt")
	data := `[{"query": "the cat", "target": "sat on the mat"}, {"query": "a dog", "target": "and a cat"}]`
	if err := os.WriteFile("train.json", []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// execute runs spag train with args, in process.
func execute(t *testing.T, sig cmdutil.Interrupts, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	cmd := NewCmdTrain(cmdutil.New(io, sig), nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestRunRefuses checks each refusal before any training: a usage error
// (exit 2), or for an --out that cannot be written a failure (exit 1),
// that leaves no checkpoint and no database.
func TestRunRefuses(t *testing.T) {
	sft := func(extra ...string) []string {
		return append([]string{"--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt", "--steps", "1", "--out", "x.ckpt"}, extra...)
	}
	for _, tt := range []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"no objective", []string{"--data", "d", "--out", "o"}, `--objective "": choose`, true},
		{"no data", []string{"--objective", "sft", "--out", "o"}, "--data and --out are required", true},
		{"init and resume", sft("--resume", "x.ckpt"), "give exactly one of --init CKPT", true},
		{"restart and resume", []string{"--objective", "sft", "--data", "d", "--out", "o", "--resume", "o", "--restart"}, "--restart contradicts --resume", true},
		{"steps and epochs", sft("--epochs", "1"), "give exactly one of --steps N and --epochs E", true},
		{"out to stdout", []string{"--objective", "sft", "--data", "d", "--init", "i", "--steps", "1", "--out", "-"}, "--out -: checkpoints are saved", true},
		{"metrics to stdout", sft("--metrics", "-"), "--metrics -: name a file", true},
		{"apo's flag", sft("--apo-mu", "0.5"), "--apo-mu applies to --objective apo only", true},
		{"an unknown trainer", sft("--trainer", "gpu"), "--trainer: ", true},
		{"exec with native's flags", sft("--trainer", "exec:true", "--stop-after", "1"), "apply to --trainer native only", true},
		{"a bad reference", sft("--ref", "native:"), "--ref: ", true},
		{"an out in no directory", []string{"--objective", "sft", "--data", "d", "--init", "i", "--steps", "1", "--out", "nonexistent/x.ckpt"},
			"directory nonexistent does not exist", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			_, _, err := execute(t, nil, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(cmdutil.UsageError)) != tt.usage {
				t.Fatalf("err = %v, want one containing %q (a usage error: %v)", err, tt.want, tt.usage)
			}
			for _, name := range []string{"x.ckpt", "spag.db", "-", "nonexistent"} {
				if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
					t.Errorf("a refused training made %s", name)
				}
			}
		})
	}
}

// TestRunInParts trains in two parts: --stop-after ends the first after
// a step and prints the command that continues it, which finishes it.
func TestRunInParts(t *testing.T) {
	fixture(t)
	stdout, stderr, err := execute(t, nil, "--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt", "--steps", "2",
		"--batch-size", "1", "--stop-after", "1", "--out", "part.ckpt", "--db", "train.db")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "wrote part.ckpt after step 1 of 2") {
		t.Errorf("stdout = %q", stdout)
	}
	want := "spag train: continue with: train --batch-size 1 --data train.json --db train.db --objective sft --out part.ckpt --steps 2 --resume part.ckpt"
	if !strings.Contains(stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, stderr)
	}
	stdout, stderr, err = execute(t, nil, "--batch-size", "1", "--data", "train.json", "--db", "train.db", "--objective", "sft",
		"--out", "part.ckpt", "--steps", "2", "--resume", "part.ckpt")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "wrote part.ckpt after step 2 of 2") || strings.Contains(stderr, "continue with") {
		t.Errorf("stdout %q, stderr %q; want the run finished", stdout, stderr)
	}
}

// interrupted is a process whose user pressed Ctrl-C before the training
// began.
type interrupted struct{ drain chan struct{} }

func (i interrupted) Drain() <-chan struct{} { return i.drain }
func (interrupted) Count() int               { return 1 }

// TestRunInterrupted: a training interrupted before its first step says
// it wrote nothing, and spag exits as interrupted.
func TestRunInterrupted(t *testing.T) {
	fixture(t)
	sig := interrupted{drain: make(chan struct{})}
	close(sig.drain)
	_, stderr, err := execute(t, sig, "--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt", "--steps", "2", "--out", "x.ckpt", "--db", "")
	if !errors.Is(err, cmdutil.ErrInterrupted) {
		t.Fatalf("err = %v, want an interruption\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "stopped before the first step; nothing was written to x.ckpt") {
		t.Errorf("stderr = %q", stderr)
	}
}

// TestnativeEnding: a training stopped before its first step says that it
// wrote nothing, not "wrote OUT after step 0".
func TestNativeEnding(t *testing.T) {
	for _, tt := range []struct {
		name           string
		res            trainer.Result
		stdout, stderr string
	}{
		{"stopped before the first step", trainer.Result{Step: 0, Total: 2000}, "",
			"spag train: stopped before the first step; nothing was written to term.ckpt (run the same command again to start)\n"},
		{"after some steps", trainer.Result{Step: 7, Total: 2000, Policy: trainer.Policy{Checkpoint: "/abs/term.ckpt"}},
			"wrote term.ckpt after step 7 of 2000\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			nativeEnding(&stdout, &stderr, tt.res, "term.ckpt")
			if stdout.String() != tt.stdout || stderr.String() != tt.stderr {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
		})
	}
}

func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{"a.ckpt": "a.ckpt", "": "''", "a b": "'a b'", "it's": `'it'\''s'`} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
