// Package taboorun makes runs of Adversarial Taboo: the configuration a
// run stores ([Config], from which it resumes as it started), the game and
// the players that configuration names, and the [selfplay.Plan] that plays
// it. Every command that plays Taboo (selfplay, arena, iterate's rounds,
// play) builds its runs here, so that they record and resume alike.
//
// It knows no flags: errors about a setting are [*selfplay.SettingError]s
// naming the setting, and players' errors name the spec's flag as
// [players.Env] carries it.
package taboorun

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/version"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/players"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo"
)

// Config is everything needed to reproduce (or resume) a Taboo run; it is
// stored with the run as JSON, and its field names are that format.
type Config struct {
	// Game is the game string (taboo.Game.String) the run plays; [Config.Plan]
	// sets it for a new run.
	Game     string `json:"game"`
	MaxTurns int    `json:"max_turns"`
	// Judge is a judge name (judge.ByName).
	Judge string `json:"judge"`
	// Style is the prompt style; Templates a directory of templates
	// replacing the built-in ones.
	Style     string `json:"style"`
	Templates string `json:"templates,omitempty"`
	// TemplateSum stays empty: the game string names the templates by
	// digest. It is kept so that stored configurations keep their keys.
	TemplateSum string `json:"templates_sha256"`
	// Attacker and Defender are the players' specs.
	Attacker string `json:"attacker"`
	Defender string `json:"defender"`
	Seed     uint64 `json:"seed"`
	// Words is the word source (taboo.Words).
	Words string `json:"words"`
	// SubjectsDigest names the words, seed and sizes the run's subjects
	// were drawn from (see selfplay.Draw).
	SubjectsDigest string `json:"subjects_sha256,omitempty"`
	Games          int    `json:"games"`
	// Shard is the part of the run this process plays (selfplay.ParseShard).
	Shard string `json:"shard,omitempty"`
	// Options are key=value settings for every player whose backend takes
	// the key (see players.OpenAll).
	Options     []string `json:"options,omitempty"`
	CodeVersion string   `json:"code_version"`
	GoVersion   string   `json:"go_version"`
}

// DefaultGames is the number of games of a new run on a built-in word
// list; a run on a word file plays each word once.
const DefaultGames = 100

// Prepare completes the configuration of a new run whose word source
// c.Words holds words: the number of games when it is 0 (see
// [DefaultGames]), the prompt style when it is empty (see [DefaultStyle]),
// the word source as the run records it (a file by its absolute path, so
// that the run resumes from any directory) and the versions of the code.
func (c *Config) Prepare(words []string) error {
	if c.Games == 0 {
		c.Games = DefaultGames
		if !strings.HasPrefix(c.Words, taboo.WordsBuiltin) {
			c.Games = len(words)
		}
	}
	if c.Style == "" {
		c.Style = DefaultStyle(c.Attacker, c.Defender)
	}
	source, err := taboo.WordSource(c.Words)
	if err != nil {
		return &selfplay.SettingError{Setting: "words", Err: err}
	}
	c.Words = source
	c.CodeVersion, c.GoVersion = version.Code(), runtime.Version()
	return nil
}

// DefaultStyle is the prompt style for players with these specs when none
// is chosen: compact when one is native (native models are small, with
// short contexts, and the shipped one was trained on it), chat otherwise.
// A spec that does not parse counts as not native; opening the player
// reports it.
func DefaultStyle(specs ...string) string {
	for _, raw := range specs {
		if spec, err := players.Parse(raw); err == nil && spec.Backend == "native" {
			return taboo.StyleCompact
		}
	}
	return taboo.StyleChat
}

// NewGame makes the game the configuration names: its judge, templates,
// prompt style and turns.
func (c *Config) NewGame() (*taboo.Game, error) {
	j, err := judge.ByName(c.Judge)
	if err != nil {
		return nil, &selfplay.SettingError{Setting: "judge", Err: err}
	}
	var tmpl *taboo.Templates
	if c.Templates != "" {
		if tmpl, err = taboo.LoadTemplates(c.Templates); err != nil {
			return nil, &selfplay.SettingError{Setting: "templates", Err: err}
		}
	}
	g, err := taboo.New(taboo.Params{MaxTurns: c.MaxTurns, Judge: j, Style: c.Style, Templates: tmpl})
	if err != nil {
		return nil, &selfplay.SettingError{Err: err}
	}
	return g, nil
}

// Plan makes the plan of a run of the configuration: the game, the
// subjects drawn from words (the list c.Words names) and the two players
// (opened, which loads files but waits on no server: see
// selfplay.Preflight). run is the stored run when resuming, nil for a new
// run; for a new run Plan records the game and the subjects' digest in c,
// which the plan carries as the run's configuration.
func (c *Config) Plan(ctx context.Context, words []string, run *episodes.Run) (*selfplay.Plan, error) {
	g, err := c.NewGame()
	if err != nil {
		return nil, err
	}
	shard, err := selfplay.ParseShard(c.Shard)
	if err != nil {
		return nil, fmt.Errorf("stored %w", err)
	}
	subjects, digest, err := selfplay.Draw(words, c.Games, 1, c.Seed, run, c.SubjectsDigest)
	if err != nil {
		return nil, err
	}
	c.SubjectsDigest = digest
	if run == nil {
		c.Game = g.String()
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	ps, names, err := players.OpenRoles(ctx, []string{c.Attacker, c.Defender}, seatEnvs(g), c.Options)
	if err != nil {
		return nil, err
	}
	return &selfplay.Plan{Game: g, Players: ps, Names: names, Subjects: subjects, Seed: c.Seed, Shard: shard,
		Judge: taboo.JudgeID(g.Judge()), MaxTurns: c.MaxTurns, Config: raw, CodeVersion: c.CodeVersion}, nil
}

// seatEnvs are the environments of a run's attacker and defender.
func seatEnvs(g *taboo.Game) []players.Env {
	return []players.Env{
		{Flag: "attacker", Game: taboo.Name, Role: judge.Attacker, Judge: g.Judge()},
		{Flag: "defender", Game: taboo.Name, Role: judge.Defender, Judge: g.Judge()},
	}
}

// ShareOptions prepares c for one of several runs that share one set of
// --option settings, such as an arena's pairings: it checks c.Options
// against every player of all (each as attacker and as defender) and
// keeps in c.Options those that c's own two players take. A setting that
// none of all takes is a usage error; one that only other runs' players
// take is left out of this run, and of what it records.
func (c *Config) ShareOptions(all []string) error {
	if len(c.Options) == 0 {
		return nil
	}
	if err := c.CheckOptions(all); err != nil {
		return err
	}
	g, err := c.NewGame()
	if err != nil {
		return err
	}
	c.Options, err = players.TakenOptions([]string{c.Attacker, c.Defender}, seatEnvs(g), c.Options)
	return err
}

// CheckOptions checks c.Options against every player of all, each as
// attacker and as defender: a setting that none of them takes is a usage
// error naming --option. Commands that play several runs with one set of
// settings (an arena, a loop) call it before they record anything, so that
// a setting no run can use is refused at once rather than in a later run.
func (c *Config) CheckOptions(all []string) error {
	if len(c.Options) == 0 {
		return nil
	}
	g, err := c.NewGame()
	if err != nil {
		return err
	}
	envs := seatEnvs(g)
	var specs []string
	var allEnvs []players.Env
	for _, p := range all {
		specs = append(specs, p, p)
		allEnvs = append(allEnvs, envs...)
	}
	return players.CheckOptions(specs, allEnvs, c.Options)
}
