package loops

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/internal/spagtest"
)

// TestTrainTinyOnExportedRewards is the RL loop end to end: self-play,
// SPAG rewards, a tiny model, a few training steps whose loss must fall,
// and the metrics in the JSONL file and the database.
func TestTrainTinyOnExportedRewards(t *testing.T) {
	dir := t.TempDir()
	steps := []struct{ args []string }{
		{[]string{"selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "200", "--seed", "5"}},
		{[]string{"rewards", "--db", "spag.db", "--out", "train.json"}},
		{[]string{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--out", "tiny.ckpt"}},
		{[]string{"train", "--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt", "--steps", "16",
			"--batch-size", "8", "--lr", "3e-3", "--warmup", "0", "--out", "tiny-sft.ckpt", "--metrics", "m.jsonl"}},
		{[]string{"model", "info", "tiny-sft.ckpt"}},
	}
	for _, s := range steps {
		if r := spag(t, dir, s.args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", s.args, r.Code, r.Stderr)
		}
	}
	f, err := os.Open(filepath.Join(dir, "m.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var losses []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m struct {
			Step int      `json:"step"`
			Loss *float64 `json:"loss"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m.Loss == nil || m.Step != len(losses)+1 {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		losses = append(losses, *m.Loss)
	}
	if len(losses) != 16 {
		t.Fatalf("%d metrics lines, want 16", len(losses))
	}
	first := (losses[0] + losses[1]) / 2
	last := (losses[14] + losses[15]) / 2
	if !(last < first-0.3) {
		t.Errorf("loss did not fall: first steps %.3f, last steps %.3f (%v)", first, last, losses)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "spag.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM training_steps`).Scan(&n); err != nil || n != 16 {
		t.Errorf("training_steps rows = %d (%v), want 16", n, err)
	}
}

// TestTrainInPartsAndStrip trains a tiny model in two runs (--stop-after,
// then the command it prints, which resumes the saved checkpoint) and
// checks that the result is byte for byte the one-run result; then strips
// it and checks that the stripped file plays, reports itself as weights
// only and starts a new run.
func TestTrainInPartsAndStrip(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) spagtest.Result {
		t.Helper()
		r := spag(t, dir, args...)
		if r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
		return r
	}
	run("selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "60", "--seed", "2", "--style", "compact")
	run("rewards", "--db", "spag.db", "--out", "train.json")
	run("model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--out", "tiny.ckpt")
	run("model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--dummy-prefix=false", "--out", "nodummy.ckpt")
	for file, want := range map[string]bool{"tiny.ckpt": true, "nodummy.ckpt": false} {
		var info struct {
			Dummy *bool `json:"add_dummy_prefix"`
		}
		mustJSON(t, run("model", "info", "--json", file).Stdout, &info)
		if info.Dummy == nil || *info.Dummy != want {
			t.Errorf("%s: add_dummy_prefix %v, want %v", file, info.Dummy, want)
		}
	}
	// SPAG's objective with the reference left to default (the --init
	// weights): resuming must keep that reference, not take the resumed
	// weights (issue 15, item 3).
	trainArgs := func(init, out string, extra ...string) []string {
		return append([]string{"train", "--objective", "spag", "--data", "train.json", "--init", init,
			"--steps", "12", "--batch-size", "4", "--db", "", "--out", out}, extra...)
	}
	// An --out that cannot be written is refused before the first step,
	// not after the last one.
	bad := spag(t, dir, trainArgs("tiny.ckpt", "train.json/x.ckpt")...)
	if bad.Code != 1 || !strings.Contains(bad.Stderr, "train.json/x.ckpt") || strings.Contains(bad.Stderr, "steps 1..") {
		t.Errorf("train --out under a file: exit %d\n%s", bad.Code, bad.Stderr)
	}
	// model info verifies the checkpoint as native: does.
	whole, err := os.ReadFile(filepath.Join(dir, "tiny.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cut.ckpt"), whole[:len(whole)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	if info := spag(t, dir, "model", "info", "cut.ckpt"); info.Code != exitFailure || !strings.Contains(info.Stderr, "truncated") {
		t.Errorf("model info of a truncated checkpoint: exit %d\n%s%s", info.Code, info.Stdout, info.Stderr)
	}
	run(trainArgs("tiny.ckpt", "straight.ckpt")...)
	part := run(trainArgs("tiny.ckpt", "parts.ckpt", "--stop-after", "5")...)
	_, cont, ok := strings.Cut(part.Stderr, "continue with: ")
	cont, _, _ = strings.Cut(cont, "\n")
	if !strings.Contains(part.Stdout, "after step 5 of 12") || !ok || !strings.Contains(cont, "--resume parts.ckpt") || strings.Contains(cont, "--stop-after") {
		t.Fatalf("first part: %s%s", part.Stdout, part.Stderr)
	}
	args := strings.Fields(cont)
	if args[0] != "spag" {
		t.Fatalf("continue command %q", cont)
	}
	if r := run(args[1:]...); !strings.Contains(r.Stderr, "steps 6..12 of 12") {
		t.Fatalf("second part: %s", r.Stderr)
	}
	straight, err := os.ReadFile(filepath.Join(dir, "straight.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	parts, err := os.ReadFile(filepath.Join(dir, "parts.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(straight, parts) {
		t.Fatal("training in two parts gave another checkpoint than one run")
	}
	// --init of a trained checkpoint starts a new run (no --restart); the
	// deprecated --restart still works and says so.
	fresh := run(trainArgs("straight.ckpt", "fresh.ckpt", "--steps", "1", "--restart")...)
	if !strings.Contains(fresh.Stderr, "steps 1..1 of 1") || !strings.Contains(fresh.Stderr, "starting a new run") || !strings.Contains(fresh.Stderr, "deprecated") {
		t.Errorf("new run from a trained checkpoint:\n%s", fresh.Stderr)
	}
	// Resuming with other settings names what differs.
	if r := spag(t, dir, "train", "--objective", "spag", "--data", "train.json", "--resume", "parts.ckpt", "--steps", "12", "--lr", "1e-2", "--batch-size", "4", "--db", "", "--out", "x.ckpt"); r.Code != 1 || !strings.Contains(r.Stderr, "lr: checkpoint") {
		t.Errorf("resume with another --lr: exit %d\n%s", r.Code, r.Stderr)
	}

	run("model", "strip", "straight.ckpt", "--out", "weights.ckpt")
	if info := run("model", "info", "weights.ckpt"); !strings.Contains(info.Stdout, "step 12 of 12 (weights only") {
		t.Errorf("model info of the stripped file:\n%s", info.Stdout)
	}
	st, err := os.Stat(filepath.Join(dir, "weights.ckpt"))
	if err != nil || st.Size() > int64(len(straight))/2 {
		t.Errorf("stripped file %v bytes vs %d: %v", st.Size(), len(straight), err)
	}
	// The model's own sampling default: stored by strip, shown by info,
	// kept by training; a bad one is a usage error.
	run("model", "strip", "straight.ckpt", "--sampling", "temperature=0.3", "--out", "weights.ckpt")
	again := run(trainArgs("weights.ckpt", "again.ckpt", "--steps", "1")...)
	if !strings.Contains(again.Stderr, "steps 1..1 of 1") {
		t.Errorf("training from the stripped file:\n%s", again.Stderr)
	}
	if info := run("model", "info", "again.ckpt"); !strings.Contains(info.Stdout, "sampling    temperature=0.3") {
		t.Errorf("model info of a checkpoint trained from one with a sampling default:\n%s", info.Stdout)
	}
	if r := spag(t, dir, "model", "strip", "straight.ckpt", "--sampling", "heat=1", "--out", "x.ckpt"); r.Code != 2 || !strings.Contains(r.Stderr, `--sampling: sampling setting "heat=1": unknown option "heat"`) {
		t.Errorf("strip --sampling heat=1: exit %d, stderr %q", r.Code, r.Stderr)
	}
	run("selfplay", "--db", "play.db", "--attacker", "native:weights.ckpt", "--defender", "native:straight.ckpt", "--games", "2", "--max-turns", "1")
}

// TestTrainInterrupt sends SIGINT to a training run: it finishes the step
// in flight, saves the checkpoint, says how to continue and exits with
// 130; the checkpoint resumes. Before that, a second training of the same
// output is refused while the first runs.
func TestTrainInterrupt(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "40", "--seed", "3", "--style", "compact"},
		{"rewards", "--db", "spag.db", "--out", "train.json"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--out", "tiny.ckpt"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	w := spagtest.Watch(t, binary, dir, "train", "--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt",
		"--steps", "100000", "--batch-size", "4", "--log-every", "1", "--db", "", "--out", "long.ckpt")
	cmd := w.Cmd
	w.WaitFor(t, "the second step", func(line string) bool { return strings.Contains(line, "step     2 ") })
	// A second training of the same output while the first runs is
	// refused at once, naming the first.
	second := spag(t, dir, "train", "--objective", "sft", "--data", "train.json", "--resume", "long.ckpt",
		"--steps", "100000", "--batch-size", "4", "--db", "", "--out", "long.ckpt")
	if want := fmt.Sprintf("long.ckpt is in use by process %d", cmd.Process.Pid); second.Code != 1 || !strings.Contains(second.Stderr, want) {
		cmd.Process.Kill()
		t.Fatalf("a second training of long.ckpt while the first runs: exit %d, stderr %q; want exit 1 naming the first (%q)", second.Code, second.Stderr, want)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := w.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 || !strings.Contains(w.Stderr(), "--resume long.ckpt") {
		t.Fatalf("after SIGINT: %v; stderr:\n%s", err, w.Stderr())
	}
	var info struct {
		Step  int `json:"step"`
		Total int `json:"total_steps"`
	}
	r := spag(t, dir, "model", "info", "--json", "long.ckpt")
	mustJSON(t, r.Stdout, &info)
	if info.Step < 2 || info.Step >= info.Total {
		t.Fatalf("saved at step %d of %d", info.Step, info.Total)
	}
	r = spag(t, dir, "train", "--objective", "sft", "--data", "train.json", "--resume", "long.ckpt",
		"--steps", "100000", "--batch-size", "4", "--db", "", "--out", "long.ckpt", "--stop-after", fmt.Sprint(info.Step+1))
	if r.Code != 0 || !strings.Contains(r.Stdout, fmt.Sprintf("after step %d of 100000", info.Step+1)) {
		t.Fatalf("continue: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestTrainExec runs `spag train --trainer exec:CMD` with the stand-in
// trainer of rl/trainer/testdata: one that serves the init checkpoint
// through a real Ollama server, whose model then plays a game through the
// ollama backend (a round's hand-over), and one that fails.
func TestTrainExec(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an ollama server")
	}
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 1})
	dir := t.TempDir()
	script, err := filepath.Abs("../../../../rl/trainer/testdata/fake-trainer.sh")
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) spagtest.Result {
		t.Helper()
		r := spag(t, dir, args...)
		if r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
		return r
	}
	run("selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "20", "--seed", "4", "--style", "compact")
	run("rewards", "--db", "spag.db", "--out", "train.json")
	run("model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--out", "tiny.ckpt")
	trainArgs := func(env string, extra ...string) []string {
		return append([]string{"train", "--trainer", "exec:" + env + " " + script, "--objective", "spag", "--data", "train.json",
			"--init", "tiny.ckpt", "--steps", "5", "--out", "round1.ckpt"}, extra...)
	}

	r := run(trainArgs("FAKE_MODE=export FAKE_SPAG=" + binary + " FAKE_HOST=" + srv.URL)...)
	want := "ollama:spag-round1@" + srv.URL
	if !strings.Contains(r.Stdout, "trained "+want+" (log: "+filepath.Join(dir, "round1.log")+")") {
		t.Fatalf("exec trainer: %s%s", r.Stdout, r.Stderr)
	}
	// The next round plays the new policy through Ollama.
	run(append([]string{"selfplay", "--db", "next.db", "--attacker", want, "--defender", "builtin", "--games", "1"},
		append(modelArgs, shortTemplates(t, dir)...)...)...)
	if n := queryInt(t, openDB(t, filepath.Join(dir, "next.db")), `SELECT COUNT(*) FROM episodes`); n != 1 {
		t.Errorf("%d episodes played by the trained policy, want 1", n)
	}

	r = spag(t, dir, trainArgs("FAKE_MODE=fail")...)
	if r.Code != 1 || !strings.Contains(r.Stderr, "exit status 3") || !strings.Contains(r.Stderr, "CUDA out of memory") || !strings.Contains(r.Stderr, "round1.log") {
		t.Errorf("failing trainer: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := spag(t, dir, trainArgs("FAKE_MODE=copy", "--stop-after", "2")...); r.Code != 2 || !strings.Contains(r.Stderr, "--trainer native only") {
		t.Errorf("--stop-after with an exec trainer: exit %d\n%s", r.Code, r.Stderr)
	}
}

// TestTrainZeroSum: zero-sum rewards train a tiny model with the zerosum
// objective; the training record holds its coefficients (defaults and the
// --beta given) and every step's metrics are numbers.
func TestTrainZeroSum(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "40", "--seed", "5", "--max-turns", "2"},
		{"rewards", "--db", "spag.db", "--zero-sum", "--credit", "decisive", "--out", "zs.json"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "zs.json", "--out", "tiny.ckpt"},
		{"train", "--objective", "zerosum", "--data", "zs.json", "--init", "tiny.ckpt", "--steps", "3", "--beta", "0.05",
			"--batch-size", "8", "--out", "zs.ckpt", "--metrics", "m.jsonl"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "spag.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw string
	if err := db.QueryRow(`SELECT config FROM trainings`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Train struct {
			Objective string
			ZeroSum   *struct{ Beta, Eps, Alpha float64 } `json:"zerosum"`
		}
	}
	if err := json.Unmarshal([]byte(raw), &rec); err != nil || rec.Train.Objective != "zerosum" || rec.Train.ZeroSum == nil ||
		*rec.Train.ZeroSum != (struct{ Beta, Eps, Alpha float64 }{0.05, 0.2, 0.5}) {
		t.Errorf("training record %s (%v): want objective zerosum with beta 0.05, eps 0.2, alpha 0.5", raw, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "m.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines != 3 || strings.Contains(string(data), "NaN") {
		t.Errorf("metrics: %d lines, want 3 without NaN:\n%s", lines, data)
	}
	if r := spag(t, dir, "train", "--objective", "ppo", "--data", "zs.json", "--init", "tiny.ckpt", "--steps", "1", "--out", "x.ckpt"); r.Code != 2 || !strings.Contains(r.Stderr, "zerosum") {
		t.Errorf("--objective ppo: exit %d, stderr %q; want a usage error listing zerosum", r.Code, r.Stderr)
	}
}
