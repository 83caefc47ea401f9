package iterate_test

import (
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/eval"
	"github.com/spag-go/spag/iterate"
	"github.com/spag-go/spag/taboo/tabooloop"
)

// svgText is an SVG file's content with its character references
// resolved, to look for the texts it draws.
func svgText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return html.UnescapeString(string(data))
}

// TestReportChartsRoundZero: the page of a stored Taboo loop draws round
// 0 against the frozen reference, which the loop starts from (the
// reference against itself, round 1's baseline games), names it as the
// frozen reference rather than by its bare spec, says that the loop did
// not measure round 0 against its other opponents, and names the loop.
// A loop whose reference is not its starting policy has no round 0.
func TestReportChartsRoundZero(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ref       string
		wantTexts []string
		notTexts  []string
	}{
		{"reference is the start", "", []string{"0 (start)", "vs the frozen reference (native) (n = 10)",
			"Round 0 against the frozen reference is the reference against itself (round 1's baseline games)",
			"not measured for: vs builtin."}, []string{"vs native"}},
		{"another reference", "other.ckpt", []string{"0 (start)", "vs builtin"},
			[]string{"Round 0 against the frozen reference is"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := episodes.Open(ctx, filepath.Join(dir, "r.db"), episodes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			init := filepath.Join(dir, "init.ckpt")
			cfg := tabooloop.Config{Rounds: 1, Games: 4, EvalGames: 10, Init: init, InitSpec: "native", Opponents: []string{"builtin"}, Out: dir}
			refSpec := "native"
			if tt.ref != "" {
				cfg.Ref = filepath.Join(dir, tt.ref)
				refSpec = "native:" + cfg.Ref
			}
			raw, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			rec := &episodes.Loop{Config: raw}
			if err := store.CreateLoop(ctx, rec); err != nil {
				t.Fatal(err)
			}
			st := tabooloop.RoundState{Results: []eval.RoundResult{
				{Round: 1, Opponent: refSpec, Role: "attacker", Wins: 7, Games: 10, BaselineWins: 6, BaselineGames: 10},
				{Round: 1, Opponent: refSpec, Role: "defender", Wins: 3, Games: 10, BaselineWins: 4, BaselineGames: 10},
				{Round: 1, Opponent: "builtin", Role: "attacker", Wins: 3, Games: 10, BaselineWins: 4, BaselineGames: 10},
				{Round: 1, Opponent: "builtin", Role: "defender", Wins: 2, Games: 10, BaselineWins: 4, BaselineGames: 10},
			}}
			state, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.SaveRound(ctx, rec.ID, episodes.Round{Round: 1, Stage: tabooloop.StageDone, State: state}); err != nil {
				t.Fatal(err)
			}
			if err := iterate.WriteReportFile(ctx, filepath.Join(dir, "report.md"), store, iterate.ReportOptions{Loop: rec.ID, Dir: dir}); err != nil {
				t.Fatal(err)
			}
			texts := svgText(t, filepath.Join(dir, "winrates.svg"))
			for _, want := range append(tt.wantTexts, "loop "+rec.ID) {
				if !strings.Contains(texts, want) {
					t.Errorf("winrates.svg has no text %q:\n%s", want, texts)
				}
			}
			for _, not := range tt.notTexts {
				if strings.Contains(texts, not) {
					t.Errorf("winrates.svg has text %q:\n%s", not, texts)
				}
			}
		})
	}
}
