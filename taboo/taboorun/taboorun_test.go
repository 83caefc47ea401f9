package taboorun_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/players"
	_ "github.com/spag-go/spag/players/native" // registers "native"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
	_ "github.com/spag-go/spag/taboo/taboobuiltin" // registers "builtin" for Taboo
	"github.com/spag-go/spag/taboo/taboorun"
)

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	three := []string{"apple", "river", "cloud"}
	for _, tt := range []struct {
		name string
		in   taboorun.Config
		// want are the fields Prepare decides.
		games        int
		style, words string
	}{
		{name: "built-in list plays the default", in: taboorun.Config{Words: taboo.WordsBuiltin, Attacker: "builtin", Defender: "builtin"},
			games: taboorun.DefaultGames, style: taboo.StyleChat, words: taboo.WordsBuiltin},
		{name: "a file plays each word once", in: taboorun.Config{Words: "mine.txt", Attacker: "builtin", Defender: "native"},
			games: 3, style: taboo.StyleCompact, words: filepath.Join(dir, "mine.txt")},
		{name: "chosen settings stay", in: taboorun.Config{Words: taboo.WordsTrain, Games: 7, Style: taboo.StyleTranscript, Attacker: "native"},
			games: 7, style: taboo.StyleTranscript, words: taboo.WordsTrain},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			if err := c.Prepare(three); err != nil {
				t.Fatal(err)
			}
			if c.Games != tt.games || c.Style != tt.style || c.Words != tt.words || c.CodeVersion == "" || c.GoVersion == "" {
				t.Errorf("prepared %+v; want games %d, style %q, words %q and the versions", c, tt.games, tt.style, tt.words)
			}
		})
	}
}

func TestDefaultStyle(t *testing.T) {
	for _, tt := range []struct {
		specs []string
		style string
	}{
		{[]string{"native", "native"}, taboo.StyleCompact},
		{[]string{"native,temperature=0", "builtin"}, taboo.StyleCompact},
		{[]string{"builtin", "native:my.ckpt,top_k=5"}, taboo.StyleCompact},
		{[]string{"builtin", "ollama:qwen3:0.6b"}, taboo.StyleChat},
		{[]string{"nonsense:x", "builtin"}, taboo.StyleChat},
		{nil, taboo.StyleChat},
	} {
		if got := taboorun.DefaultStyle(tt.specs...); got != tt.style {
			t.Errorf("DefaultStyle(%q) = %q, want %q", tt.specs, got, tt.style)
		}
	}
}

func TestNewGameNamesTheSetting(t *testing.T) {
	for _, tt := range []struct {
		name    string
		c       taboorun.Config
		setting string
		err     string
	}{
		{name: "judge", c: taboorun.Config{MaxTurns: 5, Judge: "lenient"}, setting: "judge", err: `unknown judge "lenient"`},
		{name: "templates", c: taboorun.Config{MaxTurns: 5, Judge: "strict", Templates: "no-such-dir"}, setting: "templates", err: "no-such-dir"},
		{name: "style", c: taboorun.Config{MaxTurns: 5, Judge: "strict", Style: "poem"}, err: `unknown prompt style "poem"`},
		{name: "turns", c: taboorun.Config{MaxTurns: 0, Judge: "strict"}, err: "max turns must be at least 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.NewGame()
			var se *selfplay.SettingError
			if !errors.As(err, &se) || se.Setting != tt.setting || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("NewGame: %v; want a setting error for %q containing %q", err, tt.setting, tt.err)
			}
		})
	}
}

func newConfig(words ...string) taboorun.Config {
	return taboorun.Config{MaxTurns: 3, Judge: "strict", Attacker: "builtin", Defender: "builtin,skill=0.2",
		Words: taboo.WordsBuiltin, Games: 2 * len(words), Seed: 9}
}

func TestPlan(t *testing.T) {
	ctx := context.Background()
	words := []string{"apple", "river", "cloud"}
	c := newConfig(words...)
	plan, err := c.Plan(ctx, words, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Game == "" || c.Game != plan.Game.String() || c.SubjectsDigest == "" || plan.Subjects.Len() != 6 {
		t.Fatalf("new run's configuration %+v, plan of %d subjects", c, plan.Subjects.Len())
	}
	if plan.Names["attacker"] != "builtin" || plan.Names["defender"] != "builtin,skill=0.2" || !strings.HasPrefix(plan.Judge, "strict") {
		t.Errorf("plan names %v, judge %q", plan.Names, plan.Judge)
	}
	var stored taboorun.Config
	if err := selfplay.StoredConfig(&episodes.Run{Config: plan.Config}, &stored); err != nil || !reflect.DeepEqual(stored, c) {
		t.Errorf("plan carries %+v, %v; want %+v", stored, err, c)
	}
	run := &episodes.Run{ID: "r1", Game: c.Game, Players: plan.Names, Config: plan.Config}
	for _, tt := range []struct {
		name  string
		c     taboorun.Config
		words []string
		err   string
		check func(error) bool
	}{
		{name: "resumed as stored", c: c, words: words},
		{name: "words edited since", c: c, words: words[:2], err: "its words or queries changed"},
		{name: "bad spec names its flag", c: func() taboorun.Config { d := c; d.Defender = "nonsense:x"; return d }(), words: words,
			err: `--defender "nonsense:x"`, check: func(err error) bool { return errors.Is(err, players.ErrUsage) }},
		{name: "stored shard", c: func() taboorun.Config { d := c; d.Shard = "3/2"; return d }(), words: words, err: "stored shard"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			p, err := c.Plan(ctx, tt.words, run)
			if tt.err == "" {
				if err != nil || p.Game.String() != run.Game || selfplay.CheckResumable(run, p) != nil {
					t.Fatalf("resumed plan: %v, %v", err, selfplay.CheckResumable(run, p))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || tt.check != nil && !tt.check(err) {
				t.Fatalf("Plan: %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestPlanRecordsCheckpointsByDigest(t *testing.T) {
	ctx := context.Background()
	c := newConfig("apple", "river")
	c.Attacker = "native"
	plan, err := c.Plan(ctx, []string{"apple", "river"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Names["attacker"], players.Name("native"); got != want || !strings.Contains(got, "sha256:") {
		t.Errorf("the shipped model is recorded as %q, want %q", got, want)
	}
	if _, err := os.Stat(c.Words); err == nil {
		t.Errorf("a built-in source %q is no file", c.Words)
	}
}

// TestShareOptions checks how an arena's pairings share --option settings:
// each run keeps those its own players take, and only a setting no player
// of the arena takes is refused.
func TestShareOptions(t *testing.T) {
	// A loop's runs seat one player many times; errors name each once.
	arena := []string{"native", "builtin", "native:m.ckpt", "builtin"}
	for _, tt := range []struct {
		name               string
		attacker, defender string
		options            []string
		want               []string
		err                string
	}{
		{name: "the model's setting goes to its runs", attacker: "native", defender: "builtin",
			options: []string{"temperature=0.5", "skill=0.9"}, want: []string{"temperature=0.5", "skill=0.9"}},
		{name: "the baseline against itself leaves it out", attacker: "builtin", defender: "builtin",
			options: []string{"temperature=0.5", "skill=0.9"}, want: []string{"skill=0.9"}},
		{name: "a setting no player takes", attacker: "builtin", defender: "builtin",
			options: []string{"num_ctx=4096"}, err: `no player takes option "num_ctx" (players: --attacker native, --defender native, --attacker builtin, --defender builtin);`},
		{name: "not key=value", attacker: "native", defender: "builtin",
			options: []string{"temperature"}, err: "want key=value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := taboorun.Config{Judge: "strict", MaxTurns: 5, Attacker: tt.attacker, Defender: tt.defender, Options: tt.options}
			err := c.ShareOptions(arena)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ShareOptions: %v, want an error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Options, tt.want) {
				t.Errorf("options %q, want %q", c.Options, tt.want)
			}
		})
	}
}
