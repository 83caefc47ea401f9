package iterate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/iterate"
)

func TestLatestReport(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name        string
		runs, loops int
		loop        bool // the page shows the latest loop, else the latest run
		err         error
	}{
		{name: "an empty database", err: episodes.ErrNotFound},
		{name: "runs only", runs: 2},
		{name: "runs and loops", runs: 2, loops: 2, loop: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "r.db"), episodes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			var runIDs, loopIDs []string
			for range tt.runs {
				r := &episodes.Run{Game: "taboo@1()", Judge: "strict@1", Config: []byte(`{}`), Total: 1}
				if err := store.CreateRun(ctx, r); err != nil {
					t.Fatal(err)
				}
				runIDs = append(runIDs, r.ID)
			}
			for range tt.loops {
				l := &episodes.Loop{Config: []byte(`{}`)}
				if err := store.CreateLoop(ctx, l); err != nil {
					t.Fatal(err)
				}
				loopIDs = append(loopIDs, l.ID)
			}
			got, err := iterate.LatestReport(ctx, store)
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("LatestReport: %+v, %v; want %v", got, err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case tt.loop && (got.Loop != loopIDs[len(loopIDs)-1] || got.Runs != nil):
				t.Errorf("LatestReport = %+v, want loop %s", got, loopIDs[len(loopIDs)-1])
			case !tt.loop && (got.Loop != "" || !slices.Equal(got.Runs, runIDs[len(runIDs)-1:])):
				t.Errorf("LatestReport = %+v, want run %s", got, runIDs[len(runIDs)-1])
			}
		})
	}
}

// ExampleLatestReport picks what spag report shows without --loop and
// --run: in a database without loops, the latest run.
func ExampleLatestReport() {
	dir, err := os.MkdirTemp("", "report")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := episodes.Open(ctx, filepath.Join(dir, "r.db"), episodes.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	_, err = iterate.LatestReport(ctx, store)
	fmt.Println(errors.Is(err, episodes.ErrNotFound))
	run := &episodes.Run{Game: "taboo@1()", Judge: "strict@1", Config: []byte(`{}`), Total: 1}
	if err := store.CreateRun(ctx, run); err != nil {
		fmt.Println(err)
		return
	}
	o, err := iterate.LatestReport(ctx, store)
	fmt.Println(o.Loop == "", len(o.Runs) == 1 && o.Runs[0] == run.ID, err)
	// Output:
	// true
	// true true <nil>
}
