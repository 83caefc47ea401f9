package aporun_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	_ "github.com/spag-go/spag/apo/apobuiltin" // registers "builtin" for APO
	"github.com/spag-go/spag/apo/aporun"
	"github.com/spag-go/spag/apo/definitions"
	"github.com/spag-go/spag/apo/revdict"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/selfplay"
)

var items = []apo.Item{
	{Query: "How often should I water a cactus?", Gold: "Only when the soil has dried out, every two to four weeks in summer."},
	{Query: "Why is the sky blue?", Gold: "Air scatters blue sunlight more than red, so blue light reaches us from every direction."},
	{Query: "How do I boil an egg?", Gold: "Lower it into boiling water for seven to nine minutes, then cool it in cold water."},
}

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tt := range []struct {
		name    string
		in      aporun.Config
		games   int
		prompts string
	}{
		{name: "every query samples times", in: aporun.Config{Samples: 4}, games: 12, prompts: apo.ItemsBuiltin},
		{name: "chosen games stay", in: aporun.Config{Prompts: "mine.jsonl", Samples: 2, Games: 5}, games: 5, prompts: filepath.Join(dir, "mine.jsonl")},
		{name: "blank prompts are the built-in ones", in: aporun.Config{Prompts: " ", Samples: 1}, games: 3, prompts: apo.ItemsBuiltin},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			if err := c.Prepare(items); err != nil {
				t.Fatal(err)
			}
			if c.Games != tt.games || c.Prompts != tt.prompts || c.CodeVersion == "" || c.GoVersion == "" {
				t.Errorf("prepared %+v; want games %d, prompts %q and the versions", c, tt.games, tt.prompts)
			}
		})
	}
}

func newConfig() aporun.Config {
	return aporun.Config{Prompts: apo.ItemsBuiltin, MaxResponseBytes: apo.DefaultMaxResponseBytes,
		Generator: "builtin", RewardModel: "builtin", Seed: 5, Samples: 2, Games: 6}
}

func TestPlan(t *testing.T) {
	ctx := context.Background()
	c := newConfig()
	plan, err := c.Plan(ctx, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Game != plan.Game.String() || c.SubjectsDigest == "" || plan.Subjects.Len() != 6 || plan.MaxTurns != 1 {
		t.Fatalf("new run's configuration %+v, plan of %d subjects", c, plan.Subjects.Len())
	}
	if plan.Subjects.At(0) != plan.Subjects.At(1) {
		t.Errorf("subjects %q, %q: a query's samples are played in a row", plan.Subjects.At(0), plan.Subjects.At(1))
	}
	run := plan.Record()
	run.ID = "r1"
	for _, tt := range []struct {
		name  string
		edit  func(*aporun.Config)
		items []apo.Item
		err   string
		check func(error) bool
	}{
		{name: "resumed as stored", items: items},
		{name: "queries edited since", items: items[:2], err: "its words or queries changed"},
		{name: "bad spec names its flag", edit: func(c *aporun.Config) { c.RewardModel = "nonsense:x" }, items: items,
			err: `--reward-model "nonsense:x"`, check: func(err error) bool { return errors.Is(err, players.ErrUsage) }},
		{name: "negative answer limit", edit: func(c *aporun.Config) { c.MaxResponseBytes = -1 }, items: items,
			err: "MaxResponseBytes -1 is negative", check: func(err error) bool { var se *selfplay.SettingError; return errors.As(err, &se) && se.Setting == "" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c aporun.Config
			if err := selfplay.StoredConfig(run, &c); err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(&c)
			}
			p, err := c.Plan(ctx, tt.items, run)
			if tt.err == "" && tt.check == nil {
				if err != nil {
					t.Fatal(err)
				}
				if err := selfplay.CheckResumable(run, p); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || tt.check != nil && !tt.check(err) {
				t.Fatalf("Plan: %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

// TestReadPlayedRun plays a run into a real database and reads it back.
func TestReadPlayedRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "queries.jsonl")
	var lines []string
	for _, it := range items {
		lines = append(lines, `{"query": "`+it.Query+`", "gold": "`+it.Gold+`"}`)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o666); err != nil {
		t.Fatal(err)
	}
	c := newConfig()
	c.Prompts = path
	plan, err := c.Plan(ctx, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	session := &selfplay.Session{Path: filepath.Join(dir, "apo.db")}
	defer session.Close()
	run, pending, err := session.Begin(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := session.Play(ctx, run, plan, pending, selfplay.Options{}); err != nil || !res.Complete() {
		t.Fatalf("Play = %+v, %v", res, err)
	}
	store, err := session.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := aporun.Read(ctx, store, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Rated) != 6 || stored.Errored != 0 || stored.Game.String() != c.Game {
		t.Fatalf("read %d rated, %d errored episodes of %s", len(stored.Rated), stored.Errored, stored.Game)
	}
	for i, ep := range stored.Rated {
		if ep.Index != i {
			t.Fatalf("episode %d read as index %d: want index order", i, ep.Index)
		}
	}
	samples, unreadable, empty, err := stored.GeneratorSamples()
	if err != nil || len(samples)+unreadable+empty != 6 {
		t.Fatalf("GeneratorSamples = %d samples, %d unreadable, %d empty, %v", len(samples), unreadable, empty, err)
	}
	for _, s := range samples {
		if s.Role != apo.Generator || s.Provenance.Run != run.ID || s.Target == "" || s.Query == "" {
			t.Errorf("sample %+v", s)
		}
	}

	// The run's items are edited: its gold answers are no longer known.
	if err := os.WriteFile(path, []byte(lines[0]), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := aporun.Read(ctx, store, run); err == nil || !strings.Contains(err.Error(), "the gold responses would not match") {
		t.Fatalf("Read after the items changed: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := aporun.Read(ctx, store, run); err == nil || !strings.Contains(err.Error(), "its --prompts") {
		t.Fatalf("Read without the items file: %v", err)
	}
}

func TestLatest(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		games []string // runs in order of creation
		want  int      // index of the latest APO run, -1 for none
	}{
		{name: "an empty database", want: -1},
		{name: "Taboo runs only", games: []string{"taboo@1(max_turns=5)"}, want: -1},
		{name: "a Taboo run after two APO runs", games: []string{"apo@1(items=a)", "apo@1(items=b)", "taboo@1(max_turns=5)"}, want: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store, err := episodes.Open(ctx, filepath.Join(t.TempDir(), "l.db"), episodes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			var ids []string
			for _, g := range tt.games {
				r := &episodes.Run{Game: g, Judge: "x@1", Config: []byte(`{}`), Total: 1}
				if err := store.CreateRun(ctx, r); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, r.ID)
			}
			run, err := aporun.Latest(ctx, store)
			if tt.want < 0 {
				if !errors.Is(err, episodes.ErrNotFound) {
					t.Fatalf("Latest = %+v, %v; want ErrNotFound", run, err)
				}
				return
			}
			if err != nil || run.ID != ids[tt.want] {
				t.Fatalf("Latest = %+v, %v; want run %s", run, err, ids[tt.want])
			}
		})
	}
}

// TestBestOfEach checks rejection sampling: per query the highest reward
// wins (the first of equals), queries keep their first order, and the
// chosen samples become supervised ones.
func TestBestOfEach(t *testing.T) {
	s := func(q, target string, reward float64) rl.Sample {
		return rl.Sample{Query: q, Target: target, Reward: reward, Weight: 1, Role: apo.Generator, Provenance: rl.Provenance{Judge: "apo@1", Run: "r1"}}
	}
	best := func(q, target string, reward float64) rl.Sample {
		b := s(q, target, reward)
		b.Type = rl.TypeSFT
		return b
	}
	for _, tt := range []struct {
		name string
		in   []rl.Sample
		want []rl.Sample
	}{
		{"none", nil, nil},
		{"one sample", []rl.Sample{s("q1", "a", -2)}, []rl.Sample{best("q1", "a", -2)}},
		{"best of four, queries interleaved", []rl.Sample{
			s("q1", "a", -2), s("q2", "x", 0), s("q1", "b", 1.5), s("q2", "y", -1), s("q1", "c", 0.5), s("q1", "d", 1.5),
		}, []rl.Sample{best("q1", "b", 1.5), best("q2", "x", 0)}},
		{"all equal: the first", []rl.Sample{s("q1", "a", 0), s("q1", "b", 0)}, []rl.Sample{best("q1", "a", 0)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := aporun.BestOfEach(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BestOfEach = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestYardstick ranks a run's answers with a reverse dictionary: a good
// definition finds its word, a vague one does not, and a query outside
// the definitions task is an error naming the episode.
func TestYardstick(t *testing.T) {
	ix, err := revdict.New([]string{"dog", "wolf", "river"}, []string{
		"a domesticated carnivorous mammal that barks",
		"a wild carnivorous mammal that hunts in packs",
		"a large natural stream of water",
	})
	if err != nil {
		t.Fatal(err)
	}
	run := &episodes.Run{ID: "r1"}
	rated := func(word, answer string) apo.Rated {
		return apo.Rated{Query: definitions.Query(word), Sample: answer}
	}
	for _, tt := range []struct {
		name    string
		rated   []apo.Rated
		want    revdict.Rates
		wantErr string
	}{
		{"none", nil, revdict.Rates{}, ""},
		{"good and vague answers", []apo.Rated{
			rated("dog", "a mammal that barks"), rated("river", "a stream of water"), rated("wolf", "something"),
		}, revdict.Rates{N: 3, Top1: 2, Top5: 3}, ""},
		{"another task's query", []apo.Rated{rated("dog", "barks"), {Index: 7, Query: "What is a dog?", Sample: "barks"}}, revdict.Rates{}, `run r1 episode 7: query "What is a dog?" is not one of the definitions task`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&aporun.Stored{Run: run, Rated: tt.rated}).Yardstick(ix)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Yardstick: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Yardstick = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
