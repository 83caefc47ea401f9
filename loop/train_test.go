package loop

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/atomicfile"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/checkpoint"
	"github.com/spag-go/spag/rl/model"
	"github.com/spag-go/spag/rl/tokenizer"
	"github.com/spag-go/spag/rl/train"
	"github.com/spag-go/spag/rl/trainer"
)

// TestTrainDefaults gives a loop's training a save interval when the job
// sets none, continues the recorded training, and records a new training's
// ID (with the round's state) as soon as the trainer has it.
func TestTrainDefaults(t *testing.T) {
	for _, tt := range []struct {
		name         string
		job          trainer.Job
		id           string
		wantInterval bool
		wantRecords  int
	}{
		{name: "a new training", wantInterval: true, wantRecords: 1},
		{name: "a training recorded before", id: "t-1", wantInterval: true},
		{name: "the job's own step interval", job: trainer.Job{SaveEvery: 5}, wantRecords: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got trainer.Job
			fake := trainer.Func(func(ctx context.Context, job trainer.Job) (trainer.Result, error) {
				got = job
				id := job.TrainingID
				if id == "" {
					id = "t-new"
				}
				if err := job.Recorded(id); err != nil {
					return trainer.Result{}, err
				}
				return trainer.Result{Policy: trainer.Policy{Checkpoint: "p.ckpt"}, Step: 1, Total: 1, TrainingID: id}, nil
			})
			tt.job.Out = filepath.Join(t.TempDir(), "p.ckpt")
			id, records := tt.id, 0
			if _, err := Train(context.Background(), fake, tt.job, &id, func() error { records++; return nil }, func(bool) {}, "test"); err != nil {
				t.Fatal(err)
			}
			if (got.SaveInterval == SaveInterval) != tt.wantInterval || got.TrainingID != tt.id || records != tt.wantRecords || id == "" {
				t.Errorf("job saves every %v (every %d steps), continues %q; recorded %d times as %q", got.SaveInterval, got.SaveEvery, got.TrainingID, records, id)
			}
		})
	}
}

// Environment of the child process of TestTrainResumesAfterKill.
const killedTrainingEnv = "SPAG_LOOPKIT_KILLED_TRAINING_DIR"

// TestTrainResumesAfterKill kills (SIGKILL, which leaves no time to save)
// a loop's training in a child process after its second interim save,
// then trains again: the training resumes after the saved step, not at
// step 1, and continues the killed training's record, which ends with
// each step once.
func TestTrainResumesAfterKill(t *testing.T) {
	if dir := os.Getenv(killedTrainingEnv); dir != "" {
		killedTrainingChild(dir)
		return
	}
	dir := t.TempDir()
	trainingFixture(t, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrainResumesAfterKill$")
	cmd.Env = append(os.Environ(), killedTrainingEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var id string
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "blocked" {
		if rest, ok := strings.CutPrefix(sc.Text(), "recorded "); ok {
			id = rest
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if id == "" {
		t.Fatal("the child recorded no training")
	}

	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(dir, "l.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	job, log := trainingJob(dir, store)
	var resumed bool
	killed := id
	if _, err := Train(ctx, trainer.Native{}, job, &id, func() error { return nil }, func(r bool) { resumed = r }, "test"); err != nil {
		t.Fatal(err)
	}
	if !resumed || !strings.Contains(log.String(), "steps 5..8 of 8") {
		t.Errorf("resumed %v; log:\n%s\nwant the training resumed at step 5, after the save of step 4", resumed, log)
	}
	steps, err := store.TrainingSteps(ctx, killed)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var trainings int
	if err := db.QueryRow(`SELECT count(*) FROM trainings`).Scan(&trainings); err != nil {
		t.Fatal(err)
	}
	if id != killed || len(steps) != 8 || trainings != 1 {
		t.Errorf("training %s (the killed one %s) holds %d steps, %d trainings recorded; want the killed record continued to 8 steps, no other", id, killed, len(steps), trainings)
	}
}

// killedTrainingChild trains in dir, saving every 2 steps, says "blocked"
// when step 5 is taken (step 4 saved) and waits there to be killed.
func killedTrainingChild(dir string) {
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(dir, "l.db"), episodes.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	job, _ := trainingJob(dir, store)
	job.SaveEvery = 2
	job.Sinks = []train.MetricsSink{blockAt(5)}
	id := ""
	_, err = Train(ctx, trainer.Native{}, job, &id, func() error { fmt.Println("recorded", id); return nil }, func(bool) {}, "test")
	fmt.Fprintln(os.Stderr, "the training ended:", err)
	os.Exit(1)
}

type blockAt int

func (b blockAt) WriteMetrics(_ context.Context, m train.Metrics) error {
	if m.Step == int(b) {
		fmt.Println("blocked")
		select {}
	}
	return nil
}

// trainingJob is 8 steps of imitation on dir's fixture, logged to log.
func trainingJob(dir string, store *episodes.Store) (trainer.Job, *bytes.Buffer) {
	cfg := train.DefaultConfig(train.ObjectiveSFT)
	cfg.SFTBeta, cfg.Steps, cfg.BatchSize, cfg.MicroBatch = 0, 8, 2, 2
	log := &bytes.Buffer{}
	return trainer.Job{Config: cfg, Data: filepath.Join(dir, "data.json"), Init: trainer.Policy{Checkpoint: filepath.Join(dir, "init.ckpt")},
		Out: filepath.Join(dir, "out.ckpt"), Store: store, Log: log}, log
}

// trainingFixture writes a tiny model (init.ckpt) and imitation data
// (data.json) to dir.
func trainingFixture(t *testing.T, dir string) {
	t.Helper()
	var samples []rl.Sample
	var texts []string
	for _, w := range []string{"heron", "quartz", "lantern", "meadow"} {
		samples = append(samples, rl.Sample{Query: "name " + w + ":", Target: "a " + w, Reward: 1, Weight: 1, Type: rl.TypeSFT})
		texts = append(texts, "name "+w+": a "+w)
	}
	err := atomicfile.Write(filepath.Join(dir, "data.json"), func(w io.Writer) error { return rl.WriteSPAGTraining(w, samples) })
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokenizer.Train(context.Background(), texts, tokenizer.TrainOptions{VocabSize: 280})
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Init(model.Config{Vocab: v.Size(), Dim: 16, Layers: 1, Heads: 2, KVHeads: 2, FFN: 32, Context: 32, NormEps: 1e-5, RopeTheta: 10000}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(filepath.Join(dir, "init.ckpt"), &checkpoint.Checkpoint{Vocab: v, Params: p}); err != nil {
		t.Fatal(err)
	}
}
