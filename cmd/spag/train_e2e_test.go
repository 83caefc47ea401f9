package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestTrainTinyOnExportedRewards is the RL loop end to end: self-play,
// SPAG rewards, a tiny model, a few training steps whose loss must fall,
// and the metrics in the JSONL file and the database.
func TestTrainTinyOnExportedRewards(t *testing.T) {
	dir := t.TempDir()
	steps := []struct{ args []string }{
		{[]string{"selfplay", "--games", "200", "--seed", "5"}},
		{[]string{"rewards", "--db", "spag.db", "--out", "train.json"}},
		{[]string{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "train.json", "--out", "tiny.ckpt"}},
		{[]string{"train", "--objective", "sft", "--data", "train.json", "--init", "tiny.ckpt", "--steps", "16",
			"--batch-size", "8", "--lr", "3e-3", "--warmup", "0", "--out", "tiny-sft.ckpt", "--metrics", "m.jsonl"}},
		{[]string{"model", "info", "tiny-sft.ckpt"}},
	}
	for _, s := range steps {
		if r := spag(t, dir, s.args...); r.code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", s.args, r.code, r.stderr)
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
