package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/gguf"
	"github.com/spag-go/spag/rl/hf"
	"github.com/spag-go/spag/rl/train"
)

// Exec hands a job to an external command, run with `sh -c Command` in the
// current directory, under the contract of docs/trainer.md: environment
// variables (SPAG_*) name the data, the policies, the objective and its
// parameters and where to write; the command writes the new policy and a
// result file (JSON, {"policy": "native:PATH" | "gguf:PATH" |
// "ollama:NAME", "metrics": {...}}). Its standard output and error go to a
// log file next to Job.Out. A command that exits non-zero, writes no result
// or names a policy that is not there is an error naming the log file and
// quoting the end of the command's standard error.
type Exec struct {
	Command string
	// Grace is how long the command may take to exit after ctx is cancelled
	// and its process group got SIGTERM, before SIGKILL; 0 means 10s.
	Grace time.Duration
}

var _ Trainer = Exec{}

// ErrTrainerFailed reports an exec trainer that failed (non-zero exit, no
// result, or a result naming no usable policy).
var ErrTrainerFailed = errors.New("trainer command failed")

// ExecFiles are the files an exec trainer's job uses, derived from
// Job.Out: "OUT" without its extension, plus a suffix.
type ExecFiles struct {
	Job, Result, Log, GGUF, Chat string
	// HF is where the command may save a Hugging Face directory of the
	// new policy; InitHF and RefHF are the job's init and reference
	// policies as Hugging Face directories, which spag writes before it
	// starts the command (see [rl/hf]).
	HF, InitHF, RefHF string
}

// FilesFor returns the files of an exec job writing out.
func FilesFor(out string) ExecFiles {
	base := strings.TrimSuffix(out, filepath.Ext(out))
	return ExecFiles{Job: base + ".job.json", Result: base + ".result.json", Log: base + ".log", GGUF: base + ".gguf", Chat: base + ".chat.jsonl",
		HF: base + ".hf", InitHF: base + ".init.hf", RefHF: base + ".ref.hf"}
}

// execJob is the job as the command sees it in SPAG_JOB (the same values
// as the variables, in one document).
type execJob struct {
	Trainer   string       `json:"trainer"`
	Objective string       `json:"objective"`
	Config    train.Config `json:"config"`
	Epochs    float64      `json:"epochs,omitempty"`
	Data      string       `json:"data"`
	Chat      string       `json:"chat,omitempty"`
	Init      Policy       `json:"init"`
	Ref       Policy       `json:"ref"`
	Resume    bool         `json:"resume"`
	Out       execOut      `json:"out"`
	Result    string       `json:"result"`
}

type execOut struct {
	Checkpoint string `json:"checkpoint"`
	GGUF       string `json:"gguf"`
	HF         string `json:"hf"`
	Ollama     string `json:"ollama,omitempty"`
}

// execResult is the result file the command writes. Policy is one spec
// or a list of specs of the same model in several forms.
type execResult struct {
	Policy  json.RawMessage    `json:"policy"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Steps   int                `json:"steps,omitempty"`
}

// Train runs the command for job. Job.Out must be set; Init and Ref are
// passed as given (absolute paths), Ref defaulting to Init. Job.Stop and
// ctx both stop the command (SIGTERM to its process group, SIGKILL after
// Grace); the error then wraps context.Canceled. StopAfter, SaveEvery,
// the metrics sinks and LogEvery are the command's business.
func (e Exec) Train(ctx context.Context, job Job) (Result, error) {
	if job.Data == "" || job.Out == "" || job.Init.IsZero() {
		return Result{}, errors.New("train: the job needs Data, Init and Out")
	}
	name := "exec:" + e.Command
	files := FilesFor(job.Out)
	for _, p := range []*string{&files.Job, &files.Result, &files.Log, &files.GGUF, &files.Chat, &files.HF, &files.InitHF, &files.RefHF} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return Result{}, fmt.Errorf("train: %w", err)
		}
		*p = abs
	}
	var err error
	if job.Data, err = filepath.Abs(job.Data); err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	out, err := filepath.Abs(job.Out)
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	log := job.Log
	if log == nil {
		log = io.Discard
	}
	job.Init, job.Ref = absPolicy(job.Init), absPolicy(job.Ref)
	if job.Ref.IsZero() {
		job.Ref = job.Init
	}
	cfg := job.Config
	if job.Chat == "" && cfg.Objective != train.ObjectiveAPO {
		if err := writeChat(job.Data, files.Chat); err != nil {
			fmt.Fprintf(log, "train: no chat JSONL for the trainer: %v\n", err)
		} else {
			job.Chat = files.Chat
		}
	} else if job.Chat != "" {
		if job.Chat, err = filepath.Abs(job.Chat); err != nil {
			return Result{}, fmt.Errorf("train: %w", err)
		}
	}
	if job.OutOllama == "" {
		job.OutOllama = ollamaName(out)
	}
	if job.Init, err = withHF(job.Init, files.InitHF); err != nil {
		return Result{}, fmt.Errorf("train: init policy: %w", err)
	}
	if job.Ref == (Policy{Checkpoint: job.Init.Checkpoint, GGUF: job.Init.GGUF, Ollama: job.Init.Ollama}) {
		job.Ref = job.Init
	} else if job.Ref, err = withHF(job.Ref, files.RefHF); err != nil {
		return Result{}, fmt.Errorf("train: reference policy: %w", err)
	}
	spec := execJob{Trainer: name, Objective: cfg.Objective, Config: cfg, Epochs: job.Epochs, Data: job.Data, Chat: job.Chat,
		Init: job.Init, Ref: job.Ref, Resume: job.Resume, Result: files.Result,
		Out: execOut{Checkpoint: out, GGUF: files.GGUF, HF: files.HF, Ollama: job.OutOllama}}
	raw, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	if err := atomicfile.Write(files.Job, func(w io.Writer) error { _, err := w.Write(append(raw, '\n')); return err }); err != nil {
		return Result{}, fmt.Errorf("train: job file: %w", err)
	}
	// A result left by an earlier run must not pass for this one's.
	if err := os.Remove(files.Result); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Result{}, fmt.Errorf("train: %w", err)
	}

	res := Result{Log: files.Log}
	if job.Store != nil {
		rec, err := recordTraining(ctx, job, cfg, name)
		if err != nil {
			return Result{}, err
		}
		res.TrainingID = rec.ID
	}
	logf, err := atomicfile.Create(files.Log)
	if err != nil {
		return Result{}, fmt.Errorf("train: log file: %w", err)
	}
	defer logf.Close()
	tail := &tailBuffer{max: 2048}
	// Stop, like ctx, asks the command to stop (SIGTERM): an external
	// trainer has no steps that spag could let finish.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if job.Stop != nil {
		go func() {
			select {
			case <-job.Stop:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", e.Command)
	cmd.Env = append(os.Environ(), execEnv(spec, files)...)
	cmd.Stdout = logf
	cmd.Stderr = io.MultiWriter(logf, tail)
	setProcessGroup(cmd)
	cmd.WaitDelay = e.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 10 * time.Second
	}
	fmt.Fprintf(log, "train: running %s (log: %s)\n", name, files.Log)
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return res, fmt.Errorf("train: %s stopped (log: %s): %w", name, files.Log, ctx.Err())
	}
	if runErr != nil {
		return res, fmt.Errorf("train: %w: %s: %v (log: %s)%s", ErrTrainerFailed, name, runErr, files.Log, quoteTail(tail.String()))
	}
	rb, err := os.ReadFile(files.Result)
	if errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("train: %w: %s exited 0 but wrote no result file %s (see docs/trainer.md; log: %s)%s", ErrTrainerFailed, name, files.Result, files.Log, quoteTail(tail.String()))
	} else if err != nil {
		return res, fmt.Errorf("train: %s: result: %w", name, err)
	}
	var r execResult
	dec := json.NewDecoder(bytes.NewReader(rb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return res, fmt.Errorf("train: %w: %s: result file %s: %v (want {\"policy\": \"native:PATH\" | \"gguf:PATH\" | \"hf:DIR\" | \"ollama:NAME\", \"metrics\": {...}})", ErrTrainerFailed, name, files.Result, err)
	}
	p, err := resultPolicy(r.Policy, filepath.Dir(files.Result))
	if err != nil {
		return res, fmt.Errorf("train: %w: %s: result file %s: %v", ErrTrainerFailed, name, files.Result, err)
	}
	if p, err = checkPolicy(p, out, log); err != nil {
		return res, fmt.Errorf("train: %w: %s: result file %s: %v", ErrTrainerFailed, name, files.Result, err)
	}
	res.Policy, res.Metrics, res.Step, res.Total = p, r.Metrics, r.Steps, r.Steps
	return res, nil
}

// resultPolicy merges the forms a result's "policy" names: a spec string
// or a list of them.
func resultPolicy(raw json.RawMessage, dir string) (Policy, error) {
	var specs []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		specs = []string{one}
	} else if err := json.Unmarshal(raw, &specs); err != nil || len(specs) == 0 {
		return Policy{}, fmt.Errorf(`"policy" must be a spec or a list of specs (native:PATH, gguf:PATH, hf:DIR, ollama:NAME), not %s`, strings.TrimSpace(string(raw)))
	}
	var p Policy
	for _, s := range specs {
		q, err := ParsePolicy(s, dir)
		if err != nil {
			return Policy{}, err
		}
		for _, f := range [][2]*string{{&p.Checkpoint, &q.Checkpoint}, {&p.GGUF, &q.GGUF}, {&p.HF, &q.HF}, {&p.Ollama, &q.Ollama}} {
			if *f[1] != "" {
				if *f[0] != "" {
					return Policy{}, fmt.Errorf(`"policy" names two models of one kind: %s`, strings.TrimSpace(string(raw)))
				}
				*f[0] = *f[1]
			}
		}
	}
	return p, nil
}

// checkPolicy checks that the files a result names are there. A Hugging
// Face directory named without a checkpoint is imported (rl/hf) and
// written as the checkpoint out, so that the next round plays it in
// process; one that the native model cannot represent is an error unless
// an Ollama model serves the policy. Likewise a GGUF file that is the only
// playable form of the policy and that spag's reader takes (a llama model
// with the native vocabulary layout).
func checkPolicy(p Policy, out string, log io.Writer) (Policy, error) {
	if p.Checkpoint != "" {
		if _, err := checkpoint.ReadHeader(p.Checkpoint); err != nil {
			return p, err
		}
	}
	if p.HF != "" {
		if _, err := os.Stat(p.HF); err != nil {
			return p, err
		}
		if p.Checkpoint == "" {
			c, err := hf.Import(p.HF)
			switch {
			case err != nil && p.Ollama == "":
				return p, err
			case err != nil:
				fmt.Fprintf(log, "train: %v: the next round plays ollama:%s\n", err, p.Ollama)
			default:
				if err := checkpoint.Save(out, c); err != nil {
					return p, err
				}
				p.Checkpoint = out
			}
		}
	}
	if p.GGUF != "" {
		if _, err := os.Stat(p.GGUF); err != nil {
			return p, err
		}
	}
	if p.GGUF == "" || p.Checkpoint != "" || p.Ollama != "" {
		return p, nil
	}
	vocab, params, err := gguf.ReadFile(p.GGUF)
	if err != nil {
		fmt.Fprintf(log, "train: %s is not a native-layout model (%v): serve it (an Ollama model) to play it\n", p.GGUF, err)
		return p, nil
	}
	if err := checkpoint.Save(out, &checkpoint.Checkpoint{Vocab: vocab, Params: params}); err != nil {
		return p, err
	}
	p.Checkpoint = out
	return p, nil
}

// execEnv is the contract's environment (docs/trainer.md).
func execEnv(j execJob, f ExecFiles) []string {
	c := j.Config
	beta, eps, alpha := c.SPAG.Beta, c.SPAG.Eps, c.SPAG.Alpha
	if j.Objective == train.ObjectiveSFT {
		beta = c.SFTBeta
	}
	if c.ZeroSum != nil {
		beta, eps, alpha = c.ZeroSum.Beta, c.ZeroSum.Eps, c.ZeroSum.Alpha
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	env := map[string]string{
		"SPAG_JOB":             f.Job,
		"SPAG_RESULT":          f.Result,
		"SPAG_OBJECTIVE":       j.Objective,
		"SPAG_DATA":            j.Data,
		"SPAG_CHAT":            j.Chat,
		"SPAG_INIT_CHECKPOINT": j.Init.Checkpoint,
		"SPAG_INIT_GGUF":       j.Init.GGUF,
		"SPAG_INIT_OLLAMA":     j.Init.Ollama,
		"SPAG_INIT_HF":         j.Init.HF,
		"SPAG_REF_HF":          j.Ref.HF,
		"SPAG_OUT_HF":          j.Out.HF,
		"SPAG_REF_CHECKPOINT":  j.Ref.Checkpoint,
		"SPAG_REF_GGUF":        j.Ref.GGUF,
		"SPAG_REF_OLLAMA":      j.Ref.Ollama,
		"SPAG_OUT_CHECKPOINT":  j.Out.Checkpoint,
		"SPAG_OUT_GGUF":        j.Out.GGUF,
		"SPAG_OUT_OLLAMA":      j.Out.Ollama,
		"SPAG_STEPS":           strconv.Itoa(c.Steps),
		"SPAG_EPOCHS":          num(j.Epochs),
		"SPAG_SEED":            strconv.FormatUint(c.Seed, 10),
		"SPAG_LR":              num(c.LR),
		"SPAG_BATCH_SIZE":      strconv.Itoa(c.BatchSize),
		"SPAG_BETA":            num(beta),
		"SPAG_CLIP_RANGE":      num(eps),
		"SPAG_SFT_COEFF":       num(alpha),
		"SPAG_VAR_LAMBDA":      num(c.VARLambda),
		"SPAG_RESUME":          "0",
	}
	if j.Resume {
		env["SPAG_RESUME"] = "1"
	}
	if c.APO != nil {
		env["SPAG_APO_GAMMA"], env["SPAG_APO_MU"], env["SPAG_APO_SAMPLES"] = num(c.APO.Gamma), num(c.APO.Mu), strconv.Itoa(c.APO.Samples)
	}
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// writeChat writes the SPAG training JSON at data as chat JSON Lines.
func writeChat(data, path string) error {
	f, err := os.Open(data)
	if err != nil {
		return err
	}
	defer f.Close()
	samples, err := rl.ReadSPAGTraining(f, data)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error { return rl.WriteChatJSONL(w, samples) })
}

func absPolicy(p Policy) Policy {
	for _, s := range []*string{&p.Checkpoint, &p.GGUF, &p.HF} {
		if *s != "" {
			if abs, err := filepath.Abs(*s); err == nil {
				*s = abs
			}
		}
	}
	return p
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// quoteTail formats the end of a command's standard error for an error
// message, indented, with control characters other than newlines and tabs
// replaced (the command's output is not trusted to be terminal-safe).
func quoteTail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r >= ' ' && r != 0x7f && (r < 0x80 || r > 0x9f) {
			return r
		}
		return '?'
	}, s)
	return "\nend of its stderr:\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// ollamaName derives an Ollama model name from an output file:
// "spag-" and its base name without extension, lower case, with
// characters Ollama does not take in a name replaced by '-'.
func ollamaName(out string) string {
	base := strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, base)
	return "spag-" + name
}

// withHF gives a policy that is a native checkpoint a Hugging Face form
// too, for trainers that read transformers' layout: the checkpoint
// exported to dir, a file of spag's own next to the job's output that is
// rewritten for every job (a resumed job gets its init afresh). A policy
// with a directory already, or without a checkpoint, is left as it is.
func withHF(p Policy, dir string) (Policy, error) {
	if p.HF != "" || p.Checkpoint == "" {
		return p, nil
	}
	c, err := checkpoint.Load(p.Checkpoint)
	if err != nil {
		return p, err
	}
	c.Strip()
	if err := os.RemoveAll(dir); err != nil {
		return p, err
	}
	if err := hf.Export(dir, c); err != nil {
		return p, err
	}
	p.HF = dir
	return p, nil
}
