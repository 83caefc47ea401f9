package replay

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
	_ "github.com/spag-go/spag/taboo/taboobuiltin" // the builtin backend, whose specs --player matches by meaning
)

func TestNewCmdReplay(t *testing.T) {
	yes := true
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", want: Options{DB: "spag.db", Filter: episodes.Filter{Limit: 50, NewestRunFirst: true}}},
		{name: "filter", args: []string{"--db", "x.db", "--run", "r1", "--outcome", "tie", "--word", "sun", "--player", "builtin",
			"--decided-at", "3", "--errored", "yes", "--limit", "5", "--offset", "2"},
			want: Options{DB: "x.db", LimitSet: true, Filter: episodes.Filter{RunID: "r1", Outcome: "tie", Subject: "sun", Player: "builtin",
				DecidedAt: 3, Errored: &yes, Limit: 5, Offset: 2, NewestRunFirst: true}}},
		{name: "episode", args: []string{"--episode", "42"}, want: Options{DB: "spag.db", Episode: 42, Filter: episodes.Filter{Limit: 50, NewestRunFirst: true}}},
		{name: "errored maybe", args: []string{"--errored", "maybe"}, wantErr: `--errored "maybe": want yes or no`},
		{name: "argument", args: []string{"x"}, wantErr: `takes no arguments, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.Parse(t, NewCmdReplay, tt.args...)
			if cmdtest.Refused(t, err, tt.wantErr) {
				return
			}
			f, wf := got.Filter, tt.want.Filter
			if got.DB != tt.want.DB || got.Episode != tt.want.Episode || got.LimitSet != tt.want.LimitSet ||
				f.RunID != wf.RunID || f.Outcome != wf.Outcome || f.Subject != wf.Subject || f.Player != wf.Player ||
				f.DecidedAt != wf.DecidedAt || (f.Errored == nil) != (wf.Errored == nil) || f.Limit != wf.Limit || f.Offset != wf.Offset ||
				f.NewestRunFirst != wf.NewestRunFirst {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// newStore makes a database of one Taboo run judged by strict: episode 1
// the SPAG judge would decide otherwise ("Sunday" holds "sun" for it),
// episode 2 errored.
func newStore(t *testing.T) (path string, runID string, ids []int64) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "replay.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := &episodes.Run{Game: taboo.Name, Judge: "strict@1", Total: 2, MaxTurns: 5,
		Players: map[string]string{"attacker": "builtin", "defender": "builtin:skill=0.9"}}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	turns := []game.Turn{{N: 1, Role: "attacker", Text: "Every Sunday\x1b[2J morning"}, {N: 2, Role: "defender", Text: "I know the word! It is sun!"}}
	eps := []game.Episode{
		{Setup: game.Setup{Index: 0, Seed: 1, Subject: "sun"}, StartedAt: start, FinishedAt: start,
			Verdict: game.Verdict{Outcome: "defender_wins", DecidedAt: 2, Rule: "defender.correct_guess", Judge: "strict@1",
				Evidence: game.Evidence{Turn: 2, Start: 23, End: 26, Text: "sun"}}, Turns: turns},
		{Setup: game.Setup{Index: 1, Seed: 2, Subject: "moon"}, StartedAt: start, FinishedAt: start, Err: "model went away"},
	}
	for _, ep := range eps {
		if err := s.Write(ctx, r.ID, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Episodes(ctx, episodes.Filter{RunID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		ids = append(ids, rec.ID)
	}
	return path, r.ID, ids
}

func run(t *testing.T, opts Options) (string, error) {
	t.Helper()
	io, _, out, _ := cmdutil.Test()
	opts.IO, opts.OpenReader = io, cmdutil.OpenReader
	err := Run(context.Background(), &opts)
	return out.String(), err
}

func TestRunList(t *testing.T) {
	path, runID, _ := newStore(t)
	tests := []struct {
		name   string
		filter episodes.Filter
		want   []string
	}{
		{"all", episodes.Filter{}, []string{"ID       RUN", runID + "  0        sun   defender_wins  2        defender.correct_guess", "moon  errored"}},
		{"by outcome", episodes.Filter{Outcome: "defender_wins"}, []string{"sun"}},
		// The player by meaning: as typed, with a comma.
		{"by player", episodes.Filter{Player: "builtin,skill=0.9"}, []string{"sun", "moon"}},
		{"none", episodes.Filter{Subject: "star"}, []string{"(no episodes match)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, Options{DB: path, Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("list lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRunShowEpisode(t *testing.T) {
	path, runID, ids := newStore(t)
	out, err := run(t, Options{DB: path, Episode: ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"(run " + runID + ", #0)  word: sun",
		" 1 attacker Every Sunday␛[2J morning", // control sequences made visible
		" 2 defender I know the word! It is »sun«!",
		"verdict  defender_wins at utterance 2 (strict@1, rule defender.correct_guess)",
		"evidence utterance 2 bytes 23-26: »sun«",
		"the spag judge would say attacker_broke_rules at utterance 1",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("episode lacks %q:\n%s", w, out)
		}
	}

	// Once the SPAG judge's verdict is recorded, it is said once.
	ctx := context.Background()
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddVerdict(ctx, ids[0], game.Verdict{Outcome: "attacker_broke_rules", DecidedAt: 1, Rule: "attacker.said_target", Judge: "spag@1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, err = run(t, Options{DB: path, Episode: ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "attacker_broke_rules") != 1 || !strings.Contains(out, "recorded  spag@1: attacker_broke_rules at utterance 1") {
		t.Errorf("the recorded verdict is not said exactly once:\n%s", out)
	}

	out, err = run(t, Options{DB: path, Episode: ids[1]})
	if err != nil || !strings.Contains(out, "errored: model went away") {
		t.Errorf("errored episode: %v\n%s", err, out)
	}
}

func TestRunRefusals(t *testing.T) {
	path, _, _ := newStore(t)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown episode", Options{DB: path, Episode: 99}, "--episode 99: no such episode in " + path},
		{"unknown run", Options{DB: path, Filter: episodes.Filter{RunID: "nosuch"}}, "--run nosuch: no such run"},
		{"unknown outcome", Options{DB: path, Filter: episodes.Filter{Outcome: "draw"}}, `--outcome "draw": want one of`},
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

// TestColumnsPage: a list longer than a page keeps its columns aligned
// across pages while the rows stream.
func TestColumnsPage(t *testing.T) {
	var b strings.Builder
	c := &columns{w: &b}
	for i := range listPage + 1 {
		cell := "x"
		if i == 0 {
			cell = "wide cell"
		}
		if err := c.add(cell, "y"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != listPage+1 || lines[0] != "wide cell  y" || lines[listPage] != "x          y" {
		t.Errorf("first %q, last %q of %d lines", lines[0], lines[len(lines)-1], len(lines))
	}
}
