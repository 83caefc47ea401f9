package main

import (
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/taboo"
)

func TestShardSize(t *testing.T) {
	for _, tt := range []struct{ n, i, shards, want int }{
		{30, 0, 3, 10}, {31, 0, 3, 11}, {31, 1, 3, 10}, {31, 2, 3, 10}, {2, 2, 3, 0}, {0, 0, 1, 0}, {7, 0, 1, 7},
	} {
		count := 0
		for k := 0; k < tt.n; k++ {
			if k%tt.shards == tt.i {
				count++
			}
		}
		if got := shardSize(tt.n, tt.i, tt.shards); got != tt.want || got != count {
			t.Errorf("shardSize(%d, %d, %d) = %d, want %d (counted %d)", tt.n, tt.i, tt.shards, got, tt.want, count)
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
		i, n, err := parseShard(tt.in)
		if (err == nil) != tt.ok || tt.ok && (i != tt.i || n != tt.n) {
			t.Errorf("parseShard(%q) = %d, %d, %v", tt.in, i, n, err)
		}
	}
}

func TestSubjectsAreASeededShuffle(t *testing.T) {
	words := []string{"a", "b", "c", "d", "e"}
	one := subjects(words, 12, 7)
	if !slices.Equal(one, subjects(words, 12, 7)) {
		t.Error("same seed, different subjects")
	}
	if slices.Equal(one, subjects(words, 12, 8)) {
		t.Error("another seed gave the same order")
	}
	// Each pass over the list holds every word once.
	first := slices.Clone(one[:5])
	slices.Sort(first)
	if !slices.Equal(first, words) || !slices.Equal(one[5:10], one[:5]) {
		t.Errorf("subjects = %v", one)
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
		if got := defaultConcurrency(tt.players); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestDefaultStyleAndModelNames(t *testing.T) {
	for _, tc := range []struct {
		specs   []string
		style   string
		shipped []bool
	}{
		{[]string{"native", "native"}, taboo.StyleCompact, []bool{true, true}},
		{[]string{"native,temperature=0", "builtin"}, taboo.StyleCompact, []bool{true, false}},
		{[]string{"builtin,skill=0.9", "native:lr=3e-3.ckpt"}, taboo.StyleCompact, []bool{false, false}},
		{[]string{"builtin", "native:my.ckpt,top_k=5"}, taboo.StyleCompact, []bool{false, false}},
		{[]string{"builtin", "ollama:qwen3:0.6b"}, taboo.StyleChat, []bool{false, false}},
		{[]string{"nonsense:x", "builtin"}, taboo.StyleChat, []bool{false, false}},
	} {
		if got := defaultStyle(tc.specs...); got != tc.style {
			t.Errorf("defaultStyle(%q) = %q, want %q", tc.specs, got, tc.style)
		}
		for i, spec := range tc.specs {
			if got := usesDefaultModel(spec); got != tc.shipped[i] {
				t.Errorf("usesDefaultModel(%q) = %v", spec, got)
			}
			name := playerName(spec)
			prefix := spec
			if rest, ok := strings.CutPrefix(spec, "native:"); ok {
				// A checkpoint is recorded by its absolute path.
				abs, _ := filepath.Abs(rest)
				prefix = "native:" + abs
			}
			if want := tc.shipped[i]; strings.Contains(name, defaultmodel.Digest()) != want || !strings.HasPrefix(name, prefix) {
				t.Errorf("playerName(%q) = %q", spec, name)
			}
		}
	}
}
