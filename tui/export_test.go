package tui

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spag-go/spag/game"
)

// TestExportHonoursUmask: an exported episode is made like any other
// output, 0666 less the umask, and a replaced file keeps its mode. It sets
// the process umask, so it must not run in parallel.
func TestExportHonoursUmask(t *testing.T) {
	rec := fakeRecords()[0]
	for _, tt := range []struct {
		umask int
		want  os.FileMode
	}{{0o002, 0o664}, {0o077, 0o600}} {
		dir := t.TempDir()
		old := syscall.Umask(tt.umask)
		msg := exportEpisode(dir, nil, &rec, rec.Verdict, nil, "md")().(exportedMsg)
		syscall.Umask(old)
		if msg.err != nil {
			t.Fatal(msg.err)
		}
		fi, err := os.Stat(msg.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tt.want {
			t.Errorf("umask %03o: %s has mode %v, want %v", tt.umask, filepath.Base(msg.path), fi.Mode().Perm(), tt.want)
		}
	}
}

// TestOtherVerdictsListEachJudgeOnce: a verdict that spag judge --record
// stored and the re-judger gives again is listed once in the episode view
// and its exports (issue 26 item 11).
func TestOtherVerdictsListEachJudgeOnce(t *testing.T) {
	rec := fakeRecords()[0]
	rec.Verdict.Judge = "spag@1"
	other := rec.Verdict
	other.Judge, other.Outcome, other.DecidedAt = "strict@1", "tie", rec.Verdict.DecidedAt+1
	again := rec.Verdict // the primary's judge, recorded again
	m := replayModel{}.openEpisode(&rec, []game.Verdict{other, again, other})
	if len(m.others) != 1 || m.others[0].Judge != "strict@1" {
		t.Fatalf("others = %+v, want strict@1 once", m.others)
	}
	data, err := EpisodeJSON(&rec, m.primary, m.others)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"judge": "strict@1"`); n != 1 {
		t.Errorf("the JSON export lists strict@1 %d times:\n%s", n, data)
	}
}
