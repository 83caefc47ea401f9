package iterate_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/taboo/spagjson"
)

// TestFailedReportLeavesNoNewFigure: when a report fails after some
// figures were written (a full disk did it; here a directory stands where
// the last figure goes), the figures it created are removed, while a file
// it replaced stays (whole) and the page is not written.
func TestFailedReportLeavesNoNewFigure(t *testing.T) {
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "r.db"), episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eps := []spagjson.Episode{
		{TargetWord: "apple", History: []spagjson.Message{{Role: "attacker", Content: "a fruit"}, {Role: "defender", Content: "pear"}}},
		{TargetWord: "river", History: []spagjson.Message{{Role: "attacker", Content: "water"}, {Role: "defender", Content: "river"}}},
	}
	var ids []string
	for range 2 {
		r := &episodes.Run{Game: "taboo(imported=x.json)", Judge: "strict@1", Total: len(eps)}
		err := spagjson.ImportRun(ctx, store, r, spagjson.Episodes(eps), func(i int, ep *spagjson.Episode) game.Verdict {
			return game.Verdict{Outcome: "tie", DecidedAt: 2, Rule: "max_turns", Judge: "strict@1"}
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	write := map[string]func(dir string) error{
		"WriteReport": func(dir string) error {
			return iterate.WriteReport(ctx, io.Discard, store, iterate.ReportOptions{Runs: ids, Dir: dir})
		},
		"WriteReportFile": func(dir string) error {
			return iterate.WriteReportFile(ctx, filepath.Join(dir, "report.md"), store, iterate.ReportOptions{Runs: ids, Dir: dir})
		},
	}
	for name, write := range write {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			// The first run's outcome chart replaces an older one; the
			// second run's histogram cannot be written.
			old := filepath.Join(dir, ids[0]+"-outcomes.svg")
			if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, ids[1]+"-decided_at.png"), 0o777); err != nil {
				t.Fatal(err)
			}
			if err := write(dir); err == nil {
				t.Fatal("the report did not fail")
			}
			var left []string
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				left = append(left, e.Name())
			}
			want := []string{ids[0] + "-outcomes.svg", ids[1] + "-decided_at.png"}
			slices.Sort(want)
			if !slices.Equal(left, want) {
				t.Errorf("left %v, want only %v", left, want)
			}
			if b, _ := os.ReadFile(old); string(b) == "old" {
				t.Errorf("%s was not replaced", old)
			}
		})
	}
}
