package trainer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/gguf"
)

// fakeTrainer is the exec trainer running testdata/fake-trainer.sh in a
// mode.
func fakeTrainer(t *testing.T, mode string, env ...string) Trainer {
	t.Helper()
	script, err := filepath.Abs("testdata/fake-trainer.sh")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Open("exec:" + strings.Join(append(env, "FAKE_MODE="+mode, script), " "))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// fakeEnv reads the SPAG_ variables the fake trainer saw.
func fakeEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "fake-env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		env[k] = v
	}
	return env
}

// TestExecContract runs the stand-in trainer that copies the init
// checkpoint and checks what it was told and what the job returns.
func TestExecContract(t *testing.T) {
	dir, data, init := fixture(t)
	out := filepath.Join(dir, "round1.ckpt")
	job := spagJob(data, init, out)
	job.OutOllama = "spag-round1"
	res, err := fakeTrainer(t, "copy").Train(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Policy.Checkpoint != out || res.Policy.Spec() != "native:"+out || res.Metrics["loss"] != 0.25 || !res.Done() || res.Step != 20 {
		t.Fatalf("result %+v", res)
	}
	if _, err := checkpoint.Load(out); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(res.Log)
	if err != nil || !strings.Contains(string(log), "fake trainer: objective spag, 20 steps") || res.Log != filepath.Join(dir, "round1.log") {
		t.Fatalf("log %s: %q, %v", res.Log, log, err)
	}
	env := fakeEnv(t, dir)
	want := map[string]string{
		"SPAG_OBJECTIVE": "spag", "SPAG_DATA": data, "SPAG_INIT_CHECKPOINT": init, "SPAG_REF_CHECKPOINT": init,
		"SPAG_OUT_CHECKPOINT": out, "SPAG_OUT_GGUF": filepath.Join(dir, "round1.gguf"), "SPAG_OUT_OLLAMA": "spag-round1",
		"SPAG_RESULT": filepath.Join(dir, "round1.result.json"), "SPAG_JOB": filepath.Join(dir, "round1.job.json"),
		"SPAG_CHAT": filepath.Join(dir, "round1.chat.jsonl"), "SPAG_STEPS": "20", "SPAG_EPOCHS": "0", "SPAG_SEED": "1",
		"SPAG_LR": "0.01", "SPAG_BATCH_SIZE": "4", "SPAG_BETA": "0.2", "SPAG_CLIP_RANGE": "0.2", "SPAG_SFT_COEFF": "0.5",
		"SPAG_RESUME": "0", "SPAG_VAR_LAMBDA": "1",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	// The chat file holds the data, one sample a line.
	chat, err := os.ReadFile(env["SPAG_CHAT"])
	if err != nil || strings.Count(string(chat), "\n") != 2*len(words) || !strings.Contains(string(chat), `"role":"assistant","content":"apple apple"`) {
		t.Errorf("chat file: %v\n%s", err, chat)
	}
	// The job file says the same in one document.
	var js execJob
	raw, err := os.ReadFile(env["SPAG_JOB"])
	if err != nil || json.Unmarshal(raw, &js) != nil || js.Config.SPAG.Beta != 0.2 || js.Init.Checkpoint != init || js.Out.Ollama != "spag-round1" {
		t.Errorf("job file %s: %v\n%s", env["SPAG_JOB"], err, raw)
	}
}

// TestExecPolicies: a GGUF result is also read into the checkpoint Out;
// an Ollama name passes through.
func TestExecPolicies(t *testing.T) {
	dir, data, init := fixture(t)
	c, err := checkpoint.Load(init)
	if err != nil {
		t.Fatal(err)
	}
	g := filepath.Join(dir, "trained.gguf")
	if err := gguf.WriteFile(g, c.Vocab, c.Params, gguf.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "g.ckpt")
	res, err := fakeTrainer(t, "gguf", "FAKE_GGUF="+g).Train(context.Background(), spagJob(data, init, out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Policy.GGUF != filepath.Join(dir, "g.gguf") || res.Policy.Checkpoint != out {
		t.Fatalf("gguf result %+v", res.Policy)
	}
	back, err := checkpoint.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := checkpoint.WeightsDigest(c.Params)
	d2, _ := checkpoint.WeightsDigest(back.Params)
	if d1 != d2 {
		t.Errorf("weights read back from the GGUF differ: %s vs %s", d1, d2)
	}

	job := spagJob(data, init, filepath.Join(dir, "o.ckpt"))
	job.OutOllama = "spag-next"
	res, err = fakeTrainer(t, "ollama").Train(context.Background(), job)
	if err != nil || res.Policy.Spec() != "ollama:spag-next" {
		t.Fatalf("ollama result %+v, %v", res.Policy, err)
	}
}

func TestResultPolicy(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want Policy
		err  string
	}{
		{`"ollama:m"`, Policy{Ollama: "m"}, ""},
		{`["ollama:m", "gguf:m.gguf"]`, Policy{Ollama: "m", GGUF: "/d/m.gguf"}, ""},
		{`["native:a.ckpt", "native:b.ckpt"]`, Policy{}, "two models of one kind"},
		{`[]`, Policy{}, "a spec or a list"},
		{`3`, Policy{}, "a spec or a list"},
		{`"hf:x"`, Policy{HF: "/d/x"}, ""},
		{`["native:a.ckpt", "hf:x"]`, Policy{Checkpoint: "/d/a.ckpt", HF: "/d/x"}, ""},
		{`"torch:x"`, Policy{}, "unknown kind"},
	} {
		got, err := resultPolicy(json.RawMessage(tc.raw), "/d")
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("resultPolicy(%s) = %+v, %v; want %+v, %q", tc.raw, got, err, tc.want, tc.err)
		}
	}
}

// TestExecFailures: a command that fails, writes nothing, names a missing
// file or writes garbage is an error naming the log (and quoting stderr);
// a stale result of an earlier run does not pass for a new one.
func TestExecFailures(t *testing.T) {
	dir, data, init := fixture(t)
	out := filepath.Join(dir, "r.ckpt")
	logPath := filepath.Join(dir, "r.log")
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"fail", []string{"exit status 3", logPath, "CUDA out of memory"}},
		{"silent", []string{"wrote no result file", filepath.Join(dir, "r.result.json"), logPath}},
		{"missing", []string{"nowhere.ckpt"}},
		{"garbage", []string{"r.result.json", `want {"policy"`}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			// A result left by an earlier successful run.
			if _, err := fakeTrainer(t, "copy").Train(context.Background(), spagJob(data, init, out)); err != nil {
				t.Fatal(err)
			}
			res, err := fakeTrainer(t, tc.mode).Train(context.Background(), spagJob(data, init, out))
			if !errors.Is(err, ErrTrainerFailed) {
				t.Fatalf("error %v, want ErrTrainerFailed", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if res.Log != logPath || !res.Policy.IsZero() {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// TestExecCancel: cancelling the job's context, or closing its Stop
// channel, stops the command's process group with SIGTERM and returns an
// error wrapping context.Canceled.
func TestExecCancel(t *testing.T) {
	for _, how := range []string{"ctx", "stop"} {
		t.Run(how, func(t *testing.T) {
			dir, data, init := fixture(t)
			started := filepath.Join(dir, "started")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := make(chan struct{})
			job := spagJob(data, init, filepath.Join(dir, "w.ckpt"))
			job.Stop = stop
			tr := fakeTrainer(t, "wait", "FAKE_STARTED="+started)
			errc := make(chan error, 1)
			go func() {
				_, err := tr.Train(ctx, job)
				errc <- err
			}()
			for {
				if _, err := os.Stat(started); err == nil {
					break
				}
				select {
				case err := <-errc:
					t.Fatalf("trainer ended before it started: %v", err)
				case <-time.After(10 * time.Millisecond):
				}
			}
			if how == "ctx" {
				cancel()
			} else {
				close(stop)
			}
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if b, err := os.ReadFile(started + ".term"); err != nil || strings.TrimSpace(string(b)) != "stopped" {
				t.Errorf("the trainer did not see SIGTERM: %q, %v", b, err)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Trainer
		err  bool
	}{
		{"", Native{}, false},
		{"native", Native{}, false},
		{"exec:python3 train.py", Exec{Command: "python3 train.py"}, false},
		{"exec:", nil, true},
		{"gorgonia", nil, true},
	} {
		got, err := Open(tc.spec)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Open(%q) = %v, %v", tc.spec, got, err)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Policy
		err  bool
	}{
		{"native:/a/b.ckpt", Policy{Checkpoint: "/a/b.ckpt"}, false},
		{"native:b.ckpt", Policy{Checkpoint: "/dir/b.ckpt"}, false},
		{"gguf:m.gguf", Policy{GGUF: "/dir/m.gguf"}, false},
		{"ollama:spag:latest@http://h:11434", Policy{Ollama: "spag:latest@http://h:11434"}, false},
		{"ollama:", Policy{}, true},
		{"hf:gpt2", Policy{HF: "/dir/gpt2"}, false},
		{"torch:gpt2", Policy{}, true},
		{"b.ckpt", Policy{}, true},
	} {
		got, err := ParsePolicy(tc.spec, "/dir")
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParsePolicy(%q) = %+v, %v", tc.spec, got, err)
		}
	}
}

// TestParsePolicyArgShippedModel: --init native says how to make the
// shipped model a file a trainer can start from.
func TestParsePolicyArgShippedModel(t *testing.T) {
	_, err := ParsePolicyArg("native")
	if err == nil || !strings.Contains(err.Error(), "spag model strip native --out v3.ckpt") {
		t.Fatalf("ParsePolicyArg(native): %v", err)
	}
}

// TestExecHFPolicy: spag hands the trainer its init policy as a Hugging
// Face directory (SPAG_INIT_HF), and a result naming hf:DIR is imported as
// the output checkpoint, which the next round plays in process; a
// directory the native model cannot represent is an error.
func TestExecHFPolicy(t *testing.T) {
	dir, data, init := fixture(t)
	out := filepath.Join(dir, "round1.ckpt")
	res, err := fakeTrainer(t, "hf").Train(context.Background(), spagJob(data, init, out))
	if err != nil {
		t.Fatal(err)
	}
	hfDir := filepath.Join(dir, "round1.hf")
	if res.Policy.HF != hfDir || res.Policy.Checkpoint != out || res.Policy.Spec() != "native:"+out {
		t.Fatalf("policy %+v", res.Policy)
	}
	env := fakeEnv(t, dir)
	if env["SPAG_INIT_HF"] != filepath.Join(dir, "round1.init.hf") || env["SPAG_REF_HF"] != env["SPAG_INIT_HF"] || env["SPAG_OUT_HF"] != hfDir {
		t.Fatalf("env %v", env)
	}
	a, err := checkpoint.Load(init)
	if err != nil {
		t.Fatal(err)
	}
	b, err := checkpoint.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := checkpoint.WeightsDigest(a.Params)
	db, _ := checkpoint.WeightsDigest(b.Params)
	if da != db {
		t.Fatalf("the imported policy's weights %s differ from the init's %s", db, da)
	}

	// Again, with a config the native model cannot represent.
	os.RemoveAll(hfDir)
	os.Remove(out)
	script, _ := filepath.Abs("testdata/fake-trainer.sh")
	tr, err := Open(`exec:FAKE_MODE=hf ` + script + ` && sed -i 's/LlamaForCausalLM/MistralForCausalLM/' "$SPAG_OUT_HF/config.json"`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Train(context.Background(), spagJob(data, init, out))
	if !errors.Is(err, ErrTrainerFailed) || !strings.Contains(err.Error(), "MistralForCausalLM") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("an unusable directory still wrote the checkpoint")
	}
}
