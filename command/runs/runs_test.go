package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

func TestNewCmdRuns(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", args: nil, want: Options{DB: "spag.db"}},
		{name: "db and json", args: []string{"--db", "x.db", "--json"}, want: Options{DB: "x.db", JSON: true}},
		{name: "argument", args: []string{"r1"}, wantErr: `takes no arguments, got "r1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.Parse(t, NewCmdRuns, tt.args...)
			if cmdtest.Refused(t, err, tt.wantErr) {
				return
			}
			if got.DB != tt.want.DB || got.JSON != tt.want.JSON {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// testGame registers a game of this test's own, so the table shows its
// title and its roles in its order.
var registerTestGame = sync.OnceFunc(func() {
	game.Games.Register(&game.Description{Name: "runs-test-game", Title: "Runs Test Game",
		Roles: []string{"second", "first"}, RoleLabels: map[string]string{"second": "2nd"}})
})

// digest names a checkpoint as run records do; the table shortens it.
const digest = "(sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef)"

func episode(idx int) game.Episode {
	start := time.Date(2026, 12, 7, 12, 0, idx, 0, time.UTC)
	return game.Episode{
		Setup:      game.Setup{Index: idx, Seed: uint64(idx + 1), Subject: fmt.Sprintf("w%d", idx)},
		StartedAt:  start,
		FinishedAt: start.Add(time.Second),
		Verdict:    game.Verdict{Outcome: "tie", DecidedAt: 1, Rule: "r", Judge: "j@1"},
		Turns:      []game.Turn{{N: 1, Role: "first", Text: "hello"}},
	}
}

// newStore makes a database with three runs: one complete, one stopped
// halfway and one whose lease this process holds.
func newStore(t *testing.T) (path string, ids []string) {
	t.Helper()
	registerTestGame()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "runs.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i, played := range []int{3, 1, 0} {
		r := &episodes.Run{Game: "runs-test-game", Judge: "j@1", Total: 3,
			CreatedAt: time.Date(2026, 12, 7, 12, i, 0, 0, time.UTC),
			Players:   map[string]string{"first": "builtin", "second": fmt.Sprintf("native:m%d.ckpt", i), "extra": "x " + digest}}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		for idx := range played {
			if err := s.Write(ctx, r.ID, episode(idx)); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, r.ID)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireRun(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

func TestRunText(t *testing.T) {
	path, ids := newStore(t)
	io, _, out, _ := cmdutil.Test()
	if err := Run(context.Background(), &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: path}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 runs, got:\n%s", out)
	}
	if !strings.HasPrefix(lines[0], "RUN ") || !strings.Contains(lines[0], "EPISODES") {
		t.Errorf("header = %q", lines[0])
	}
	// Newest first; the game's title, its roles in its order with their
	// labels, then other roles; progress and state.
	for i, want := range []struct{ id, players, progress, state string }{
		{ids[2], "2nd native:m2.ckpt, first builtin, extra x (sha256:0123456789ab…)", "0/3", "playing (pid "},
		{ids[1], "2nd native:m1.ckpt, first builtin, extra x (sha256:0123456789ab…)", "1/3", "stopped"},
		{ids[0], "2nd native:m0.ckpt, first builtin, extra x (sha256:0123456789ab…)", "3/3", "complete"},
	} {
		line := lines[i+1]
		for _, s := range []string{want.id, "Runs Test Game", want.players, want.progress, want.state} {
			if !strings.Contains(line, s) {
				t.Errorf("line %d = %q, want it to contain %q", i+1, line, s)
			}
		}
	}
}

func TestRunJSON(t *testing.T) {
	path, ids := newStore(t)
	io, _, out, _ := cmdutil.Test()
	if err := Run(context.Background(), &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: path, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var doc JSON
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	if doc.DB != path || len(doc.Runs) != 3 {
		t.Fatalf("doc = %+v", doc)
	}
	for i, want := range []struct {
		id          string
		done        int
		state       string
		holderIsSet bool
	}{{ids[2], 0, "playing", true}, {ids[1], 1, "stopped", false}, {ids[0], 3, "complete", false}} {
		r := doc.Runs[i]
		if r.Run != want.id || r.Done != want.done || r.Planned != 3 || r.State != want.state || (r.Holder != nil) != want.holderIsSet {
			t.Errorf("runs[%d] = %+v, want %+v", i, r, want)
		}
		if r.Game != "runs-test-game" || r.Players["first"] != "builtin" || r.Players["extra"] != "x "+digest || r.Created == "" {
			t.Errorf("runs[%d] = %+v", i, r)
		}
	}
}

func TestRunEmptyAndMissing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	s, err := episodes.Open(ctx, empty, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	io, _, out, _ := cmdutil.Test()
	if err := Run(ctx, &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: empty}); err != nil {
		t.Fatal(err)
	}
	if want := "holds no runs yet (play some with: spag selfplay --db " + empty; !strings.Contains(out.String(), want) {
		t.Errorf("out = %q, want %q", out, want)
	}

	out.Reset()
	if err := Run(ctx, &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: empty, JSON: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"runs": []`) {
		t.Errorf("empty --json = %s, want an empty list", out)
	}

	missing := filepath.Join(dir, "nosuch.db")
	err = Run(ctx, &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: missing})
	if !errors.As(err, new(cmdutil.UsageError)) || !strings.Contains(err.Error(), "no such database") {
		t.Errorf("missing db: err = %v, want a usage error saying no such database", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runs created %s (stat: %v); a reading command must not", missing, err)
	}
}
