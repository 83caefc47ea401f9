package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func TestNewCmdStats(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", want: Options{DB: "spag.db"}},
		{name: "run and json", args: []string{"--db", "x.db", "--run", "r1", "--json"}, want: Options{DB: "x.db", RunID: "r1", JSON: true}},
		{name: "all", args: []string{"--all"}, want: Options{DB: "spag.db", All: true}},
		{name: "all and run", args: []string{"--all", "--run", "r1"}, wantErr: "--all and --run exclude each other"},
		{name: "argument", args: []string{"r1"}, wantErr: `takes no arguments, got "r1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.Parse(t, NewCmdStats, tt.args...)
			if cmdtest.Refused(t, err, tt.wantErr) {
				return
			}
			if got.DB != tt.want.DB || got.RunID != tt.want.RunID || got.All != tt.want.All || got.JSON != tt.want.JSON {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// Two games of this test's own: a summary cannot add up their outcomes.
var registerTestGames = sync.OnceFunc(func() {
	for _, g := range []struct{ name, title, r1, r2 string }{{"stats-duel", "Stats Duel", "red", "blue"}, {"stats-race", "Stats Race", "hare", "tortoise"}} {
		game.Games.Register(&game.Description{Name: g.name, Title: g.title, Subject: "word", Roles: []string{g.r1, g.r2},
			Outcomes: []game.Outcome{
				{Name: g.r1 + "_wins", Label: g.r1, Winner: g.r1, Loser: g.r2},
				{Name: g.r2 + "_wins", Label: g.r2, Winner: g.r2, Loser: g.r1},
				{Name: "tie", Label: "tie"},
			}})
	}
})

// newStore makes a database of two Stats Duel runs (red wins 2 of 3, then
// blue wins 1 of 1) and, newest, one Stats Race run (the tortoise wins 2).
func newStore(t *testing.T) (path string, ids []string) { return newRuns(t, 3) }

// newRuns makes the first n runs of [newStore].
func newRuns(t *testing.T, n int) (path string, ids []string) {
	t.Helper()
	registerTestGames()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "stats.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, r := range []struct {
		game     string
		players  map[string]string
		outcomes []string
	}{
		{"stats-duel", map[string]string{"red": "builtin", "blue": "builtin"}, []string{"red_wins", "red_wins", "blue_wins"}},
		{"stats-duel", map[string]string{"red": "builtin", "blue": "builtin"}, []string{"blue_wins"}},
		{"stats-race", map[string]string{"hare": "builtin", "tortoise": "builtin"}, []string{"tortoise_wins", "tortoise_wins"}},
	}[:n] {
		run := &episodes.Run{Game: r.game, Judge: "j@1", Total: len(r.outcomes), Players: r.players,
			CreatedAt: time.Date(2026, 12, 7, 12, i, 0, 0, time.UTC)}
		if err := s.CreateRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		for idx, o := range r.outcomes {
			start := time.Date(2026, 12, 7, 12, i, idx, 0, time.UTC)
			ep := game.Episode{Setup: game.Setup{Index: idx, Seed: uint64(idx + 1), Subject: fmt.Sprintf("w%d", idx)},
				StartedAt: start, FinishedAt: start.Add(time.Second),
				Verdict: game.Verdict{Outcome: o, DecidedAt: 1, Rule: "r", Judge: "j@1"},
				Turns:   []game.Turn{{N: 1, Role: "red", Text: "hello"}}}
			if err := s.Write(ctx, run.ID, ep); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, run.ID)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

func run(t *testing.T, opts Options) (string, error) {
	t.Helper()
	io, _, out, _ := cmdutil.Test()
	opts.IO, opts.OpenReader = io, cmdutil.OpenReader
	err := Run(context.Background(), &opts)
	return out.String(), err
}

func TestRunText(t *testing.T) {
	path, ids := newStore(t)
	tests := []struct {
		name string
		opts Options
		want []string
		not  []string
	}{
		{"latest run", Options{DB: path}, []string{"run            " + ids[2], "game           stats-race", "tortoise wins  100.0%"}, []string{"red wins"}},
		{"one run", Options{DB: path, RunID: ids[0]}, []string{"run            " + ids[0], "red wins        66.7%", "blue wins       33.3%"}, []string{"tortoise"}},
		// Issue 26 item 5: a database of two games is summarised game by
		// game, each of its runs together.
		{"all of two games", Options{DB: path, All: true}, []string{"all runs in    " + path,
			"game           Stats Duel (2 runs)\nepisodes       4 (judged 4, errored 0)", "red wins        50.0%", "blue wins       50.0%",
			"game           Stats Race (1 run)\nepisodes       2 (judged 2, errored 0)", "tortoise wins  100.0%"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

type rate struct {
	Wins, Games int
	Rate        float64
	Lo, Hi      *float64
}

func TestRunJSON(t *testing.T) {
	path, ids := newStore(t)
	out, err := run(t, Options{DB: path, RunID: ids[0], JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	var one struct {
		Run     string `json:"run"`
		Game    string `json:"game"`
		Turns   int    `json:"turns"`
		RedWin  rate   `json:"red_win_rate"`
		Episode int    `json:"episodes"`
	}
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if one.Run != ids[0] || one.Game != "stats-duel" || one.Turns != 3 || one.Episode != 3 ||
		one.RedWin.Wins != 2 || one.RedWin.Games != 3 || one.RedWin.Lo == nil || one.RedWin.Hi == nil {
		t.Errorf("stats --run --json = %+v\n%s", one, out)
	}

	out, err = run(t, Options{DB: path, All: true, JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	var all struct {
		Turns int       `json:"turns"`
		Runs  []RunJSON `json:"runs"`
		Games []struct {
			Game     string   `json:"game"`
			Runs     []string `json:"runs"`
			Episodes int      `json:"episodes"`
			Turns    int      `json:"turns"`
			Red      *rate    `json:"red_win_rate"`
			Tortoise *rate    `json:"tortoise_win_rate"`
		} `json:"games"`
		Episodes *int `json:"episodes"`
	}
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if all.Turns != 6 || len(all.Runs) != 3 || len(all.Games) != 2 || all.Episodes != nil {
		t.Fatalf("stats --all --json = %+v\n%s", all, out)
	}
	duel, race := all.Games[0], all.Games[1]
	if duel.Game != "stats-duel" || len(duel.Runs) != 2 || duel.Episodes != 4 || duel.Turns != 4 || duel.Red == nil || duel.Red.Wins != 2 || duel.Red.Games != 4 {
		t.Errorf("games[0] = %+v", duel)
	}
	if race.Game != "stats-race" || len(race.Runs) != 1 || race.Runs[0] != ids[2] || race.Episodes != 2 || race.Tortoise == nil || race.Tortoise.Wins != 2 {
		t.Errorf("games[1] = %+v", race)
	}
}

// A database of one game keeps the one summary of --all it always had.
func TestRunAllOneGame(t *testing.T) {
	path, _ := newRuns(t, 2)
	out, err := run(t, Options{DB: path, All: true, JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatal(err)
	}
	if _, ok := all["games"]; ok || string(all["episodes"]) != "4" {
		t.Errorf("--all of one game = %s, want one summary of its 4 episodes", out)
	}
}

func TestRunRefusals(t *testing.T) {
	path, _ := newStore(t)
	ctx := context.Background()
	empty := filepath.Join(t.TempDir(), "empty.db")
	s, err := episodes.Open(ctx, empty, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown run", Options{DB: path, RunID: "nosuch"}, "--run nosuch: no such run in " + path + " (spag runs --db " + path + " lists its runs)"},
		{"no runs", Options{DB: empty}, "holds no runs yet"},
		{"no database", Options{DB: filepath.Join(t.TempDir(), "nosuch.db")}, "no such database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Errorf("err = %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}
