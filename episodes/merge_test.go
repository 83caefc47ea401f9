package episodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/spag-go/spag/game"
)

// shardStore makes a database holding shard i of n of one run (seed 7),
// with the run's episodes i, i+n, ... below total; config changes the
// run's configuration.
func shardStore(t *testing.T, dir string, i, n, total int, config string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "shard"+string(rune('0'+i))+".db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	subjects := make([]string, total)
	for k := range subjects {
		subjects[k] = "word" + string(rune('a'+k))
	}
	r := &Run{Game: "taboo(max_turns=5)", Judge: "strict@1", Seed: 7, MaxTurns: 5,
		Players: map[string]string{"attacker": "builtin", "defender": "builtin"},
		Config:  json.RawMessage(config), Subjects: subjects, Shard: string(rune('0'+i)) + "/" + string(rune('0'+n)), Total: total / n}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	for idx := i; idx < total; idx += n {
		ep := sampleEpisode(idx, 3)
		if err := s.Write(ctx, r.ID, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Episodes(ctx, Filter{RunID: r.ID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddVerdict(ctx, recs[0].ID, game.Verdict{Outcome: "tie", DecidedAt: 3, Rule: "max_turns", Judge: "spag@1"}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMergeShards(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const cfg = `{"games":6,"shard":"%s","temperature":0.7}`
	in0 := shardStore(t, dir, 0, 2, 6, strings.Replace(cfg, "%s", "0/2", 1))
	in1 := shardStore(t, dir, 1, 2, 6, strings.Replace(cfg, "%s", "1/2", 1))
	out, path := openTest(t, Options{})

	rep, err := out.Merge(ctx, []string{in0, in1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Episodes != 6 || rep.Skipped != 0 || len(rep.Runs[0].Missing) != 0 {
		t.Fatalf("report %+v, want one run of 6 episodes", rep)
	}
	run, err := out.Run(ctx, rep.Runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Shard != "" || run.Total != 6 || run.Seed != 7 || len(run.Subjects) != 6 || strings.Contains(string(run.Config), "shard") {
		t.Errorf("merged run %+v", run)
	}
	recs, err := out.Episodes(ctx, Filter{RunID: run.ID, Turns: true})
	if err != nil || len(recs) != 6 {
		t.Fatalf("%d episodes, %v", len(recs), err)
	}
	verdicts := 0
	for i, rec := range recs {
		want := sampleEpisode(i, 3)
		sameEpisode(t, rec.Episode, want)
		vs, err := out.Verdicts(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		verdicts += len(vs)
	}
	if verdicts != 2 {
		t.Errorf("%d recorded verdicts, want the 2 of the shards", verdicts)
	}

	// Merging again adds nothing: every episode exactly once.
	again, err := out.Merge(ctx, []string{in1, in0})
	if err != nil {
		t.Fatal(err)
	}
	if again.Episodes != 0 || again.Skipped != 6 || len(again.Runs) != 1 || again.Runs[0].ID != run.ID {
		t.Errorf("second merge %+v, want 6 skipped into run %s", again, run.ID)
	}
	if st, _ := out.Stats(ctx, ""); st.Episodes != 6 {
		t.Errorf("store holds %d episodes after merging twice, want 6", st.Episodes)
	}
	_ = path
}

func TestMergeRefusesConflicts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in0 := shardStore(t, dir, 0, 2, 4, `{"games":4,"shard":"0/2","temperature":0.7}`)
	in1 := shardStore(t, dir, 1, 2, 4, `{"games":4,"shard":"1/2","temperature":0.9}`)
	out, _ := openTest(t, Options{})
	_, err := out.Merge(ctx, []string{in0, in1})
	if err == nil || !strings.Contains(err.Error(), `configuration key "temperature" (0.7 vs 0.9)`) {
		t.Fatalf("merge of conflicting shards: %v, want the temperature named", err)
	}
	if runs, _ := out.Runs(ctx); len(runs) != 0 {
		t.Errorf("a refused merge wrote %d runs", len(runs))
	}
	if _, err := out.Merge(ctx, []string{in0, in0}); err == nil {
		t.Error("an input named twice was merged")
	}
	if _, err := out.Merge(ctx, []string{out.Path()}); err == nil {
		t.Error("the output was merged into itself")
	}
	if _, err := out.Merge(ctx, []string{filepath.Join(dir, "none.db")}); err == nil {
		t.Error("a missing input was merged")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := out.Merge(cctx, []string{in0}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled merge: %v", err)
	}
	if runs, _ := out.Runs(ctx); len(runs) != 0 {
		t.Errorf("a cancelled merge wrote %d runs", len(runs))
	}
}

// TestMergeConcurrent runs a second merge of the same inputs into the same
// output (another connection, as another process) after the first has
// made its plan and before it writes: the plan is made under the write
// lock, so the second waits for the first (here it gives up at once, its
// busy timeout tiny) and, run again, adds nothing. Planned outside the
// lock, both merges created a run of every episode.
func TestMergeConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const cfg = `{"games":6,"shard":"%s","temperature":0.7}`
	inputs := []string{
		shardStore(t, dir, 0, 2, 6, strings.Replace(cfg, "%s", "0/2", 1)),
		shardStore(t, dir, 1, 2, 6, strings.Replace(cfg, "%s", "1/2", 1)),
	}
	first, path := openTest(t, Options{})
	second, err := Open(ctx, path, Options{BusyTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	var secondErr error
	first.afterMergePlan = func() {
		first.afterMergePlan = nil
		_, secondErr = second.Merge(ctx, inputs)
	}
	if _, err := first.Merge(ctx, inputs); err != nil {
		t.Fatal(err)
	}
	var busy sqlite3.Error
	if secondErr != nil && !(errors.As(secondErr, &busy) && busy.Code == sqlite3.ErrBusy) {
		t.Fatalf("the second merge, during the first: %v; want it to wait for the lock", secondErr)
	}
	again, err := second.Merge(ctx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if again.Episodes != 0 {
		t.Errorf("the second merge added %d episodes after the first, want 0", again.Episodes)
	}
	runs, err := first.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := first.Stats(ctx, ""); len(runs) != 1 || st.Episodes != 6 {
		t.Errorf("after two merges of the same shards: %d runs, %d episodes; want 1 run of 6", len(runs), st.Episodes)
	}
}

// TestMergeOverlap merges an earlier merge's output together with one of
// its own shards, in either order: the shard's episodes are the merged
// run's, so nothing is added twice.
func TestMergeOverlap(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const cfg = `{"games":6,"shard":"%s","temperature":0.7}`
	var shards []string
	for i := range 3 {
		shards = append(shards, shardStore(t, dir, i, 3, 6, strings.Replace(cfg, "%s", fmt.Sprintf("%d/3", i), 1)))
	}
	all, err := Open(ctx, filepath.Join(dir, "all.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := all.Merge(ctx, shards); err != nil {
		t.Fatal(err)
	}
	if err := all.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		inputs []string
	}{
		{"the merge first", []string{filepath.Join(dir, "all.db"), shards[1]}},
		{"the shard first", []string{shards[1], filepath.Join(dir, "all.db")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := openTest(t, Options{})
			rep, err := out.Merge(ctx, tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			runs, err := out.Runs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st, err := out.Stats(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 1 || st.Episodes != 6 || rep.Episodes != 6 || rep.Skipped != 2 || len(rep.Runs) != 1 {
				t.Errorf("%d runs, %d episodes (report %+v); want the 6 episodes of one run, the shard's 2 skipped", len(runs), st.Episodes, rep)
			}
		})
	}
}

// TestMergeIntoLeavesNoFileWhenItFails merges into a new output database
// inputs that cannot be merged: a missing input, and shards that conflict.
// Either way no output file is left; an output that existed stays.
func TestMergeIntoLeavesNoFileWhenItFails(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in0 := shardStore(t, dir, 0, 2, 4, `{"games":4,"shard":"0/2","temperature":0.7}`)
	in1 := shardStore(t, dir, 1, 2, 4, `{"games":4,"shard":"1/2","temperature":0.9}`)
	for _, tt := range []struct {
		name   string
		inputs []string
		want   string
	}{
		{"a missing input", []string{in0, filepath.Join(dir, "nosuch.db")}, "nosuch.db"},
		{"conflicting shards", []string{in0, in1}, `"temperature"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.db")
			_, err := MergeInto(ctx, out, tt.inputs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("MergeInto: %v, want an error naming %s", err, tt.want)
			}
			left, err := filepath.Glob(out + "*")
			if err != nil || len(left) != 0 {
				t.Errorf("a failed merge left %v (%v)", left, err)
			}
		})
	}
	// A merge into an existing database that then fails keeps it.
	out := filepath.Join(t.TempDir(), "m.db")
	if _, err := MergeInto(ctx, out, []string{in0}); err != nil {
		t.Fatal(err)
	}
	if _, err := MergeInto(ctx, out, []string{in1, filepath.Join(dir, "nosuch.db")}); err == nil {
		t.Fatal("a merge with a missing input succeeded")
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("a failed merge removed the existing output: %v", err)
	}
}
