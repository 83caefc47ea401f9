package selfplay_test

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
)

func TestShardSize(t *testing.T) {
	for _, tt := range []struct{ n, i, shards, want int }{
		{30, 0, 3, 10}, {31, 0, 3, 11}, {31, 1, 3, 10}, {31, 2, 3, 10}, {2, 2, 3, 0}, {0, 0, 1, 0}, {7, 0, 1, 7},
	} {
		count := 0
		sh := selfplay.Shard{I: tt.i, N: tt.shards}
		for k := range tt.n {
			if sh.Has(k) {
				count++
			}
		}
		if got := sh.Size(tt.n); got != tt.want || got != count {
			t.Errorf("Shard{%d, %d}.Size(%d) = %d, want %d (counted %d)", tt.i, tt.shards, tt.n, got, tt.want, count)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		i, n int
		ok   bool
	}{
		{"", 0, 1, true}, {"0/4", 0, 4, true}, {"3/4", 3, 4, true},
		{"4/4", 0, 0, false}, {"-1/4", 0, 0, false}, {"1/0", 0, 0, false}, {"1", 0, 0, false}, {"a/b", 0, 0, false},
	} {
		sh, err := selfplay.ParseShard(tt.in)
		if (err == nil) != tt.ok || tt.ok && (sh.I != tt.i || sh.N != tt.n) {
			t.Errorf("ParseShard(%q) = %+v, %v", tt.in, sh, err)
		}
		if tt.ok && tt.in != "" && sh.String() != tt.in {
			t.Errorf("ParseShard(%q).String() = %q", tt.in, sh.String())
		}
	}
}

func all(s selfplay.Subjects) []string {
	out := make([]string, s.Len())
	for i := range out {
		out[i] = s.At(i)
	}
	return out
}

func TestSubjectsAreASeededShuffle(t *testing.T) {
	words := []string{"a", "b", "c", "d", "e"}
	shuffle := func(games, repeats int, seed uint64) *selfplay.Shuffled {
		s, err := selfplay.Shuffle(words, games, repeats, seed)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	one := all(shuffle(12, 1, 7))
	if !slices.Equal(one, all(shuffle(12, 1, 7))) || shuffle(12, 1, 7).Digest() != shuffle(12, 1, 7).Digest() {
		t.Error("same seed, different subjects or digest")
	}
	if slices.Equal(one, all(shuffle(12, 1, 8))) || shuffle(12, 1, 8).Digest() == shuffle(12, 1, 7).Digest() {
		t.Error("another seed gave the same order or digest")
	}
	if shuffle(13, 1, 7).Digest() == shuffle(12, 1, 7).Digest() {
		t.Error("another size gave the same digest")
	}
	// Each pass over the list holds every word once.
	first := slices.Clone(one[:5])
	slices.Sort(first)
	if !slices.Equal(first, words) || !slices.Equal(one[5:10], one[:5]) {
		t.Errorf("subjects = %v", one)
	}
	// Repeats play each word that many times in a row, in the same order.
	rep := all(shuffle(12, 3, 7))
	for i, w := range rep {
		if w != one[i/3] {
			t.Fatalf("repeated subjects = %v, want each of %v three times", rep, one[:4])
		}
	}
	if _, err := selfplay.Shuffle(nil, 3, 1, 1); err == nil {
		t.Error("an empty list gave subjects")
	}
}

// TestShuffleHoldsOnlyTheList plans a hundred million episodes: the
// subjects are computed, not stored.
func TestShuffleHoldsOnlyTheList(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, err := selfplay.Shuffle([]string{"x", "y", "z"}, 100_000_000, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	last := s.At(99_999_999)
	runtime.ReadMemStats(&after)
	if s.Len() != 100_000_000 || last == "" {
		t.Fatalf("Len() = %d, last subject %q", s.Len(), last)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("planning 1e8 subjects allocated %d bytes", grew)
	}
}

type slotsPlayer int

func (s *slotsPlayer) Capacity() int { return int(*s) }
func (s *slotsPlayer) Play(context.Context, game.Request) (game.Reply, error) {
	return game.Reply{}, nil
}

func TestDefaultConcurrency(t *testing.T) {
	a, b := slotsPlayer(12), slotsPlayer(20)
	unlimited := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) { return game.Reply{}, nil })
	floor := max(8, runtime.GOMAXPROCS(0))
	for _, tt := range []struct {
		name    string
		players []game.Player
		want    int
	}{
		{"two pools", []game.Player{&a, &b}, max(32, floor)},
		{"one player for both roles", []game.Player{&b, &b}, max(20, floor)},
		{"no limits", []game.Player{unlimited, unlimited}, floor},
	} {
		if got := selfplay.DefaultConcurrency(tt.players); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func tabooPlan(t *testing.T, games int) *selfplay.Plan {
	t.Helper()
	g, err := taboo.New(taboo.Params{MaxTurns: 2, Judge: judge.NewStrict(), Style: taboo.StyleChat})
	if err != nil {
		t.Fatal(err)
	}
	talk := game.PlayerFunc(func(context.Context, game.Request) (game.Reply, error) {
		return game.Reply{Text: "Think of something round."}, nil
	})
	subjects, err := selfplay.Shuffle([]string{"zebra", "violin", "kettle"}, games, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	return &selfplay.Plan{Game: g, Players: []game.Player{talk, talk}, Subjects: subjects, Seed: 3,
		Names: map[string]string{"attacker": "talk", "defender": "talk"}, Judge: "strict@1", MaxTurns: 2, Config: []byte(`{}`)}
}

// TestOneProcessPlaysARun: a second session resuming a run that another
// session holds is refused with the holder named, and can take it up once
// the first is closed.
func TestOneProcessPlaysARun(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lease.db")
	plan := tabooPlan(t, 6)
	first := &selfplay.Session{Path: path}
	run, pending, err := first.Begin(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pending.Len() != 6 {
		t.Fatalf("pending %d, want 6", pending.Len())
	}
	second := &selfplay.Session{Path: path}
	defer second.Close()
	stored, err := second.Resume(ctx, run.ID, taboo.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := second.Begin(ctx, plan, stored); !errors.Is(err, episodes.ErrRunBusy) || !strings.Contains(err.Error(), "process") {
		t.Fatalf("second Begin while the first holds the run: %v; want ErrRunBusy naming the holder", err)
	}
	res, err := first.Play(ctx, run, plan, pending, selfplay.Options{})
	if err != nil || !res.Complete() || res.Played != 6 {
		t.Fatalf("Play = %+v, %v", res, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	_, again, err := second.Begin(ctx, plan, stored)
	if err != nil {
		t.Fatalf("Begin after the holder closed: %v", err)
	}
	if again.Len() != 0 {
		t.Errorf("a finished run has %d episodes pending", again.Len())
	}
}
