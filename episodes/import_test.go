package episodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os/exec"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

// generated yields n small judged episodes, one at a time, as an importer
// streaming a large file gives them: none is held after it is yielded.
func generated(n int) iter.Seq2[*Imported, error] {
	return func(yield func(*Imported, error) bool) {
		for i := range n {
			ep := &Imported{
				Episode: game.Episode{Setup: game.Setup{Subject: fmt.Sprintf("w%d", i)}, Turns: []game.Turn{
					{N: 1, Player: 0, Role: "attacker", Text: fmt.Sprintf("hint %d", i)},
					{N: 2, Player: 1, Role: "defender", Text: "guess"}}},
				Extra:   json.RawMessage(`{"max_turns":3}`),
				Verdict: &game.Verdict{Outcome: "tie", DecidedAt: 2, Rule: "max_turns", Judge: "strict@1"},
			}
			if !yield(ep, nil) {
				return
			}
		}
	}
}

// TestImportLetsOtherWritersIn: while an import streams a large input,
// another store on the same file (another process, such as a selfplay)
// creates a run and commits an episode between two of the import's
// chunks, within a short busy timeout; it does not see the staged run,
// and both runs are whole at the end.
func TestImportLetsOtherWritersIn(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	s.importChunk = 100
	const n = 1000
	var otherErr error
	var seenRuns, seenEpisodes int
	other := &Run{Game: "taboo", Judge: "strict@1", Total: 1}
	s.afterImportChunk = func(committed int) {
		if committed != 100 {
			return
		}
		o, err := Open(ctx, path, Options{BusyTimeout: 500 * time.Millisecond})
		if err != nil {
			otherErr = err
			return
		}
		defer o.Close()
		if err := o.CreateRun(ctx, other); err != nil {
			otherErr = err
			return
		}
		if err := o.Write(ctx, other.ID, sampleEpisode(0, 2)); err != nil {
			otherErr = err
			return
		}
		otherErr = o.Flush(ctx)
		runs, _ := o.Runs(ctx)
		seenRuns = len(runs)
		st, _ := o.Stats(ctx, "")
		seenEpisodes = st.Episodes
	}
	imported := &Run{Game: "taboo(imported=piped.json)", Judge: "strict@1"}
	if err := s.ImportRun(ctx, imported, generated(n)); err != nil {
		t.Fatal(err)
	}
	if otherErr != nil {
		t.Fatalf("another writer during the import: %v", otherErr)
	}
	if seenRuns != 1 || seenEpisodes != 1 {
		t.Errorf("during the import another store saw %d runs and %d episodes, want only its own (1, 1)", seenRuns, seenEpisodes)
	}
	for _, want := range []struct {
		run      *Run
		episodes int
	}{{imported, n}, {other, 1}} {
		st, err := s.Stats(ctx, want.run.ID)
		if err != nil || st.Episodes != want.episodes {
			t.Errorf("run %s: %+v, %v; want %d episodes", want.run.ID, st, err, want.episodes)
		}
	}
	if latest, err := s.LatestRunInfo(ctx); err != nil || (latest.ID != imported.ID && latest.ID != other.ID) {
		t.Errorf("latest run %+v, %v", latest, err)
	}
	if full, err := s.Run(ctx, imported.ID); err != nil || full.Total != n || len(full.Subjects) != n || full.Subjects[n-1] != fmt.Sprintf("w%d", n-1) {
		t.Errorf("imported run: %v; want total and subjects of %d episodes", err, n)
	}
}

// stagedRuns counts the staged runs and all episodes in the file, as
// SQLite has them, whatever readers show.
func stagedRuns(t *testing.T, path string) (runs, episodes int) {
	t.Helper()
	db := rawDB(t, path)
	if err := db.QueryRow(`SELECT count(*) FROM runs WHERE staging = 1`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM episodes`).Scan(&episodes); err != nil {
		t.Fatal(err)
	}
	return runs, episodes
}

// TestInterruptedImportLeavesNoRun: an import cancelled after some of its
// chunks were committed leaves no visible run, and the next import removes
// what it staged; so does it for an import whose process died (a staged
// run whose lease holder is gone), but not for one still running.
func TestInterruptedImportLeavesNoRun(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{})
	s.importChunk = 100
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.afterImportChunk = func(committed int) {
		if committed == 300 {
			cancel() // as a Ctrl-C would, three chunks in
		}
	}
	err := s.ImportRun(cctx, &Run{Game: "taboo", Judge: "strict@1"}, generated(1000))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import: %v, want context.Canceled", err)
	}
	s.afterImportChunk = nil
	if runs, err := s.Runs(ctx); err != nil || len(runs) != 0 {
		t.Errorf("runs after an interrupted import: %v, %v; want none", runs, err)
	}
	if _, err := s.LatestRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("latest run after an interrupted import: %v, want ErrNotFound", err)
	}
	if st, err := s.Stats(ctx, ""); err != nil || st.Episodes != 0 {
		t.Errorf("stats after an interrupted import: %+v, %v; want no episodes", st, err)
	}
	if runs, eps := stagedRuns(t, path); runs != 1 || eps != 300 {
		t.Fatalf("staged: %d runs, %d episodes; want the 3 committed chunks", runs, eps)
	}

	// A staged run of a process that died (its lease names a pid that has
	// exited), and one of an import still running in this process.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	killed := &Run{Game: "taboo", Judge: "strict@1"}
	running := &Run{Game: "taboo", Judge: "strict@1"}
	for _, r := range []*Run{killed, running} {
		if err := s.stageRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.wdb.ExecContext(ctx, `UPDATE leases SET pid = ? WHERE run_id = ?`, dead.Process.Pid, killed.ID); err != nil {
		t.Fatal(err)
	}

	done := &Run{Game: "taboo", Judge: "strict@1"}
	if err := s.ImportRun(ctx, done, generated(10)); err != nil {
		t.Fatal(err)
	}
	if runs, eps := stagedRuns(t, path); runs != 1 || eps != 10 {
		t.Errorf("after the next import: %d staged runs, %d episodes; want only the running import's run and the 10 new episodes", runs, eps)
	}
	if runs, err := s.Runs(ctx); err != nil || len(runs) != 1 || runs[0].ID != done.ID {
		t.Errorf("runs %v, %v; want only %s", runs, err, done.ID)
	}
}
