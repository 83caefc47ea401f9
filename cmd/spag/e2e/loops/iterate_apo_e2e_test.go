package loops

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apoLoopFixture writes, in a new directory, what an APO loop starts from
// on the definitions task at toy size: a tiny generator taught a few steps
// of the gold glosses (gen.ckpt), a tiny scalar reward model trained a few
// steps on preference items (rm.ckpt), 200 training and 100 held-out
// preference items.
func apoLoopFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"apo", "gold", "--prompts", "definitions:train", "--out", "gold.json"},
		{"apo", "preferences", "--out", "prefs-all.jsonl"},
		{"apo", "preferences", "--prompts", "definitions:heldout", "--out", "hprefs-all.jsonl"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "gold.json", "--out", "tiny.ckpt"},
		{"train", "--objective", "sft", "--beta", "0", "--data", "gold.json", "--init", "tiny.ckpt", "--steps", "5", "--db", "", "--out", "gen.ckpt"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	head := func(in, out string, n int) {
		raw, err := os.ReadFile(filepath.Join(dir, in))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(raw), "\n")
		if err := os.WriteFile(filepath.Join(dir, out), []byte(strings.Join(lines[:n], "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	head("prefs-all.jsonl", "prefs.jsonl", 200)
	head("hprefs-all.jsonl", "hprefs.jsonl", 100)
	args := []string{"train", "--objective", "apo", "--score", "scalar", "--data", "prefs.jsonl", "--init", "tiny.ckpt", "--steps", "5", "--db", "", "--out", "rm.ckpt"}
	if r := spag(t, dir, args...); r.Code != 0 {
		t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
	}
	return dir
}

// TestIterateAPOSurvivesKills runs a two-round APO loop (spag iterate
// --game apo) at toy size, killed with SIGKILL as each stage begins,
// resumed each time: the loop ends with every stage done, every game of
// its seven runs played exactly once, both models trained in each round,
// and a table and a plot of the generator's and the reward model's
// held-out numbers. A stage can finish before the kill lands (the toy
// stages are fast): then the next stage's start is the one killed, so the
// test waits for whichever stage comes, never for time.
func TestIterateAPOSurvivesKills(t *testing.T) {
	dir := apoLoopFixture(t)
	start := []string{"iterate", "--game", "apo", "--rounds", "2", "--generator", "gen.ckpt", "--reward-model", "rm.ckpt",
		"--preferences", "prefs.jsonl", "--heldout-preferences", "hprefs.jsonl", "--queries", "6", "--samples", "2", "--eval-queries", "8",
		"--rm-steps", "3", "--gen-steps", "3", "--rm-batch-size", "4", "--gen-batch-size", "4", "--out", "loop", "--db", "apo.db", "--seed", "5", "--concurrency", "4"}
	resume := []string{"iterate", "--db", "apo.db", "--resume", "latest", "--concurrency", "4"}
	stages := []string{
		"round 1: answers for the reward model", "round 1: training the reward model", "round 1: answers rated by the new reward model",
		"round 1: training the generator", "round 1: held-out answers of the initial generator", "round 1: held-out answers of the new generator",
		"round 2: answers for the reward model", "round 2: training the reward model",
	}
	args, kills := start, 0
	for len(stages) > 0 {
		hit, ended := startUntilAny(t, dir, stages, args...)
		if ended {
			break
		}
		kills++
		// Stages run in order: this one and those before it are behind.
		for i, s := range stages {
			if s == hit {
				stages = stages[i+1:]
				break
			}
		}
		args = resume
	}
	if kills < 3 {
		t.Errorf("the loop was killed %d times; want at least 3 of its stages", kills)
	}
	if r := spag(t, dir, append(resume, "--rm-steps", "9")...); r.Code != 2 || !strings.Contains(r.Stderr, "drop --rm-steps") {
		t.Errorf("resume with --rm-steps: exit %d, stderr %q; want a usage error", r.Code, r.Stderr)
	}
	x := spag(t, dir, resume...)
	if x.Code != 0 {
		t.Fatalf("last resume: exit %d, stderr %q", x.Code, x.Stderr)
	}
	for _, want := range []string{"frozen reward model", "reverse dictionary top-5", "held-out preferences", "held-out gold vs generated", "reward model calibration error"} {
		if !strings.Contains(x.Stdout, want) {
			t.Errorf("the loop's table has no %q:\n%s", want, x.Stdout)
		}
	}
	if strings.Count(x.Stdout, "  generator ") != 6 || strings.Count(x.Stdout, "  reward model ") != 4 {
		t.Errorf("want 3 generator and 2 reward-model rows per round:\n%s", x.Stdout)
	}

	db, err := sql.Open("sqlite3", filepath.Join(dir, "apo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var recorded string
	if err := db.QueryRow(`SELECT group_concat(stage) FROM (SELECT stage FROM loop_rounds ORDER BY round)`).Scan(&recorded); err != nil || recorded != "done,done" {
		t.Fatalf("round stages %q, %v; want done,done", recorded, err)
	}
	// Every run holds each of its episodes exactly once: 12 games (6
	// queries, 2 answers each) to train the reward model and to rate for
	// the generator in each round; 8 held-out games for the initial
	// generator and for each round's new one.
	totals := finishedRunSizes(t, db)
	if totals[12] != 4 || totals[8] != 3 || len(totals) != 2 {
		t.Errorf("runs by size %v; want 4 runs of 12 and 3 of 8", totals)
	}
	for _, f := range []string{"round-1/reward-model.ckpt", "round-1/generator.ckpt", "round-2/reward-model.ckpt", "round-2/generator.ckpt", "winrates.png"} {
		if _, err := os.Stat(filepath.Join(dir, "loop", f)); err != nil {
			t.Errorf("loop file: %v", err)
		}
	}
	// The report draws the APO loop's page: its rounds against the initial pair.
	if r := spag(t, dir, "report", "--db", "apo.db", "--out", "page.md"); r.Code != 0 {
		t.Errorf("report of the APO loop: exit %d, %q", r.Code, r.Stderr)
	} else if page, err := os.ReadFile(filepath.Join(dir, "page.md")); err != nil || !strings.Contains(string(page), "reverse dictionary top-1") {
		t.Errorf("the APO loop's page (%v):\n%s", err, page)
	}
}

// TestIterateAPOBadInput: each game's loop refuses the other's flags, and
// an APO loop names what it lacks.
func TestIterateAPOBadInput(t *testing.T) {
	dir := apoLoopFixture(t)
	badLoopInputs(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"iterate", "--game", "apo", "--games", "5", "--out", "l"}, "iterate --game apo: --games belong to the other game's loop"},
		{[]string{"iterate", "--rm-steps", "5", "--out", "l"}, "iterate --game taboo: --rm-steps belong to the other game's loop"},
		{[]string{"iterate", "--game", "chess", "--out", "l"}, `--game "chess": want taboo, apo or kuhn`},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--reward-model", "rm.ckpt", "--preferences", "prefs.jsonl"}, "give --generator CKPT"},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--generator", "gen.ckpt", "--reward-model", "gen.ckpt", "--preferences", "prefs.jsonl"}, "has no scalar head"},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--generator", "gen.ckpt", "--reward-model", "rm.ckpt", "--preferences", "prefs.jsonl", "--eval-prompts", "definitions"}, "is also a training query"},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--generator", "gen.ckpt", "--reward-model", "rm.ckpt", "--preferences", "missing.jsonl"}, "preferences: stat"},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--generator", "gen.ckpt", "--reward-model", "rm.ckpt", "--preferences", "bad.jsonl"},
			"--preferences: " + filepath.Join(dir, "bad.jsonl") + ":2:"},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--generator", "cut.ckpt", "--reward-model", "rm.ckpt", "--preferences", "prefs.jsonl"},
			"--generator: read checkpoint header " + filepath.Join(dir, "cut.ckpt")},
		{[]string{"iterate", "--game", "apo", "--out", "l", "--generator", "gen.ckpt", "--reward-model", "rm.ckpt", "--preferences", "prefs.jsonl", "--rm-lr", "-1"},
			"--rm-lr: must be a positive number (got -1)"},
	} {
		if r := spag(t, dir, tc.args...); r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("spag %v: exit %d, stderr %q; want a usage error containing %q", tc.args, r.Code, r.Stderr, tc.want)
		}
		refusedLeftNothing(t, dir, tc.args)
	}
}

// badLoopInputs writes, in dir, a damaged checkpoint (cut.ckpt: gen.ckpt
// cut short) and preference items whose second line is malformed
// (bad.jsonl: the first line of prefs.jsonl, then an item of one answer).
func badLoopInputs(t *testing.T, dir string) {
	t.Helper()
	ckpt, err := os.ReadFile(filepath.Join(dir, "gen.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	prefs, err := os.ReadFile(filepath.Join(dir, "prefs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(prefs), "\n")
	for name, data := range map[string]string{"cut.ckpt": string(ckpt[:len(ckpt)/2]), "bad.jsonl": first + "\n" + `{"query": "q", "responses": ["a"], "prefs": [1]}` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// refusedLeftNothing fails the test if the refused loop left its output
// directory (l) or a database (spag.db) in dir.
func refusedLeftNothing(t *testing.T, dir string, args []string) {
	t.Helper()
	for _, name := range []string{"l", "spag.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("spag %v was refused but left %s (%v)", args, name, err)
			os.RemoveAll(filepath.Join(dir, name))
		}
	}
}
