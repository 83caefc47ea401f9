package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/internal/spagtest"
	"github.com/spag-go/spag/rl/objective"
)

// TestAPOBuiltinRunStatsReplayItems plays the APO game with the built-in
// players through the binary and reads the run back with every command
// that should understand it.
func TestAPOBuiltinRunStatsReplayItems(t *testing.T) {
	dir := t.TempDir()
	r := spag(t, dir, "apo", "--samples", "3", "--db", "apo.db")
	if r.Code != 0 {
		t.Fatalf("apo: exit %d\n%s", r.Code, r.Stderr)
	}
	m := runIDPattern.FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("no run ID in:\n%s", r.Stderr)
	}
	for _, want := range []string{"generator wins", "reward model wins", "apo.gold_preferred"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Stdout)
		}
	}
	items, err := apo.BuiltinItems()
	if err != nil {
		t.Fatal(err)
	}
	games := 3 * len(items)
	sr := spag(t, dir, "stats", "--db", "apo.db", "--json")
	if sr.Code != 0 {
		t.Fatalf("stats: exit %d\n%s", sr.Code, sr.Stderr)
	}
	var s struct {
		statsOut
		Game           string          `json:"game"`
		GeneratorWin   *struct{}       `json:"generator_win_rate"`
		RewardModelWin *struct{}       `json:"reward_model_win_rate"`
		AttackerWin    json.RawMessage `json:"attacker_win_rate"`
	}
	mustJSON(t, sr.Stdout, &s)
	if s.Episodes != games || s.Errored != 0 || s.Turns != 2*games {
		t.Errorf("stats: %d episodes (%d errored), %d turns; want %d, 0, %d", s.Episodes, s.Errored, s.Turns, games, 2*games)
	}
	if !strings.HasPrefix(s.Game, "apo@1 items=") || s.GeneratorWin == nil || s.RewardModelWin == nil || s.AttackerWin != nil {
		t.Errorf("stats JSON is not an APO summary:\n%s", sr.Stdout)
	}
	if s.Players["generator"] != "builtin" || s.Players["reward_model"] != "builtin" {
		t.Errorf("players %v", s.Players)
	}
	if s.Outcomes[apo.GeneratorWins] == 0 || s.Outcomes[apo.RewardModelWins] == 0 || s.Outcomes[apo.RewardModelWins]+s.Outcomes[apo.GeneratorWins]+s.Outcomes[apo.Tie] != games {
		t.Errorf("outcomes %v", s.Outcomes)
	}

	// One episode shown turn by turn: the query, both turns, the verdict
	// with its evidence, and no Taboo judge's second opinion.
	rp := spag(t, dir, "replay", "--db", "apo.db", "--episode", "1")
	if rp.Code != 0 {
		t.Fatalf("replay: exit %d\n%s", rp.Code, rp.Stderr)
	}
	for _, want := range []string{"query: ", "generator", "reward_model", "verdict  ", "apo@1", "evidence utterance 2"} {
		if !strings.Contains(rp.Stdout, want) {
			t.Errorf("replay lacks %q:\n%s", want, rp.Stdout)
		}
	}
	if strings.Contains(rp.Stdout, "judge would say") || strings.Contains(rp.Stdout, "target word") {
		t.Errorf("replay treats an APO episode as Taboo:\n%s", rp.Stdout)
	}

	// Reward-model items: one per query, gold first, three samples each,
	// ready for the APO objective.
	ir := spag(t, dir, "apo", "items", "--db", "apo.db", "--out", "items.jsonl")
	if ir.Code != 0 {
		t.Fatalf("apo items: exit %d\n%s", ir.Code, ir.Stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "items.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != len(items) {
		t.Fatalf("%d items for %d queries", len(lines), len(items))
	}
	gold := map[string]string{}
	for _, it := range items {
		gold[it.Query] = it.Gold
	}
	var rmItems []objective.RMItem
	var scores [][]float64
	for _, line := range lines {
		var it apo.TrainingItem
		mustJSON(t, line, &it)
		if len(it.Responses) != 4 || it.Responses[0] != gold[it.Query] || !it.Adversarial || len(it.GoldRatings) != 3 {
			t.Fatalf("item %+v", it)
		}
		// The objective scores each response once; the gold response's
		// score is its mean rating across the three episodes.
		sc := []float64{(*it.GoldRatings[0] + *it.GoldRatings[1] + *it.GoldRatings[2]) / 3}
		for _, r := range it.SampleRatings {
			sc = append(sc, *r)
		}
		rmItems = append(rmItems, objective.RMItem{Prefs: it.Prefs, Adversarial: it.Adversarial})
		scores = append(scores, sc)
	}
	loss, _, err := objective.APO(rmItems, scores, objective.DefaultAPO())
	if err != nil || math.IsNaN(loss) || loss <= 0 {
		t.Errorf("APO loss on the run's items: %v, %v", loss, err)
	}
	if !strings.Contains(ir.Stderr, "0 of them with unreadable ratings") || !strings.Contains(ir.Stderr, "left out 0 errored") {
		t.Errorf("items summary: %s", ir.Stderr)
	}

	// Taboo-only commands refuse the APO run clearly.
	for _, args := range [][]string{
		{"selfplay", "--db", "apo.db", "--resume", m[1]},
		{"rewards", "--db", "apo.db", "--run", m[1], "--out", "-"},
		{"judge", "--db", "apo.db", "--run", m[1]},
	} {
		if x := spag(t, dir, args...); x.Code != 2 || !strings.Contains(x.Stderr, "APO") {
			t.Errorf("spag %v: exit %d, stderr %q; want a usage error naming the APO run", args, x.Code, x.Stderr)
		}
	}
	// A Taboo run beside it: --all reports each game's runs apart, and
	// SPAG's export format takes the Taboo episodes only.
	if x := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "5", "--db", "apo.db"); x.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", x.Code, x.Stderr)
	}
	if x := spag(t, dir, "stats", "--db", "apo.db", "--all"); x.Code != 0 || !strings.Contains(x.Stdout, "game           APO (") ||
		!strings.Contains(x.Stdout, "game           Adversarial Taboo (1 run)") {
		t.Errorf("stats --all on a mixed database: exit %d, %s%s", x.Code, x.Stdout, x.Stderr)
	}
	ex := spag(t, dir, "episodes", "export", "--db", "apo.db")
	var exported []map[string]any
	if ex.Code != 0 {
		t.Fatalf("episodes export: exit %d\n%s", ex.Code, ex.Stderr)
	}
	mustJSON(t, ex.Stdout, &exported)
	if len(exported) != 5 {
		t.Errorf("SPAG export of a mixed database holds %d episodes, want the 5 Taboo ones", len(exported))
	}
	if x := spag(t, dir, "episodes", "export", "--db", "apo.db", "--run", m[1]); x.Code != 2 || !strings.Contains(x.Stderr, "is a run of APO") {
		t.Errorf("SPAG export of an APO run: exit %d, %s", x.Code, x.Stderr)
	}
	// Resuming a finished run plays nothing and keeps every episode once.
	rr := spag(t, dir, "apo", "--db", "apo.db", "--resume", m[1])
	if rr.Code != 0 || !strings.Contains(rr.Stderr, "0 episodes to play (APO") {
		t.Errorf("resume of a finished run: exit %d\n%s", rr.Code, rr.Stderr)
	}
}

func TestAPOBadInput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "train.json"), []byte("[\n  {\"query\": \"q\", \"target\": \"t\"}\n]\n"), 0o644)
	bad := filepath.Join(dir, "mine.jsonl")
	os.WriteFile(bad, []byte("{\"query\": \"q\", \"gold\": \"g\"}\n{\"query\": \"r\"}\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"apo", "--prompts", bad}, bad + `:2: empty "gold"`},
		{[]string{"apo", "--prompts", filepath.Join(dir, "missing.jsonl")}, "missing.jsonl"},
		{[]string{"apo", "--generator", "builtin:speed=3"}, `unknown option "speed"`},
		{[]string{"apo", "--reward-model", "builtin:skill=0.5"}, `unknown option "skill"`},
		{[]string{"apo", "--generator", "builtin:skill=2"}, "skill must be a number from 0 to 1"},
		{[]string{"apo", "--samples", "0"}, "--samples must be at least 1"},
		{[]string{"apo", "--resume", "r1", "--samples", "2"}, "drop --samples"},
		{[]string{"apo", "rewards", "--format", "csv"}, `--format "csv": want spag or chat`},
		{[]string{"apo", "items"}, "no such database"},
		{[]string{"apo", "--generator", "likelihood:rm.ckpt"}, "it can only be the --reward-model"},
		{[]string{"apo", "--reward-model", "likelihood"}, "name the checkpoint"},
		{[]string{"apo", "--generator", "builtin:skill=NaN"}, "skill must be a number from 0 to 1"},
		{[]string{"train", "--objective", "sft", "--apo-mu", "0.5", "--data", "train.json", "--init", "x.ckpt", "--steps", "1", "--out", "y.ckpt"}, "--apo-mu applies to --objective apo only"},
	}
	for _, tt := range tests {
		r := spag(t, dir, tt.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tt.want) {
			t.Errorf("spag %v: exit %d, stderr %q; want exit 2 with %q", tt.args, r.Code, r.Stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "spag.db")); err == nil {
		t.Error("bad input created a database")
	}
	// A data file in the wrong format fails like any bad training data.
	r := spag(t, dir, "train", "--objective", "apo", "--data", "train.json", "--init", "x.ckpt", "--steps", "1", "--out", "y.ckpt", "--db", "")
	if r.Code != 1 || !strings.Contains(r.Stderr, "train.json:1: ") || !strings.Contains(r.Stderr, "spag apo items") {
		t.Errorf("train --objective apo on SPAG JSON: exit %d, %s", r.Code, r.Stderr)
	}
}

// shortAPOItems writes two tiny items: the test model spells words letter
// by letter, so long gold answers would make every call slow.
func shortAPOItems(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "short.jsonl")
	if err := os.WriteFile(path, []byte("{\"query\": \"Why rain?\", \"gold\": \"Clouds cool.\"}\n{\"query\": \"Sun hot?\", \"gold\": \"Yes, very.\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAPOWithOllama plays the APO game with both roles on a real Ollama
// server: every turn is a real model call with its usage and
// log-probabilities stored, and every episode is judged.
func TestAPOWithOllama(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 2})
	dir := t.TempDir()
	player := "ollama:" + ollamatest.ModelName + "@" + srv.URL
	r := spag(t, dir, "apo", "--prompts", shortAPOItems(t, dir), "--samples", "2", "--generator", player, "--reward-model", player,
		"--max-response-bytes", "60", "--option", "num_predict=12", "--option", "temperature=0")
	if r.Code != 0 {
		t.Fatalf("apo: exit %d\n%s", r.Code, r.Stderr)
	}
	s := stats(t, dir)
	if s.Episodes != 4 || s.Errored != 0 {
		t.Fatalf("stats %+v: want 4 episodes, none errored", s)
	}
	judged := 0
	for _, n := range s.Outcomes {
		judged += n
	}
	if judged != 4 {
		t.Errorf("outcomes %v: want 4 judged episodes", s.Outcomes)
	}
	db := openDB(t, filepath.Join(dir, "spag.db"))
	if n := queryInt(t, db, `SELECT count(*) FROM turns WHERE prompt_tokens = 0 OR latency_ns <= 0`); n != 0 {
		t.Errorf("%d turns lack prompt tokens or latency", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM turns WHERE role = 'reward_model'`); n != 4 {
		t.Errorf("%d reward-model turns, want 4", n)
	}
}

// TestAPOWithShippedNativeGenerator lets the shipped in-process model
// generate (it was trained on Taboo, so its answers are poor, but they must
// be stored and rated).
func TestAPOWithShippedNativeGenerator(t *testing.T) {
	dir := t.TempDir()
	r := spag(t, dir, "apo", "--prompts", shortAPOItems(t, dir), "--samples", "3", "--generator", "native", "--option", "num_predict=24")
	if r.Code != 0 {
		t.Fatalf("apo: exit %d\n%s", r.Code, r.Stderr)
	}
	s := stats(t, dir)
	if s.Episodes != 6 || s.Errored != 0 || s.Outcomes[apo.RewardModelBrokeRules] != 0 {
		t.Fatalf("stats %+v: want 6 rated episodes", s)
	}
	if !strings.Contains(s.Players["generator"], "spag-taboo-small-v3 sha256:") {
		t.Errorf("generator recorded as %q", s.Players["generator"])
	}
}

// TestAPOGeneratorRewardsTrain closes the generator's loop: APO games, the
// generator's reward-weighted samples, and a few SPAG-objective training
// steps of a tiny native model on them.
func TestAPOGeneratorRewardsTrain(t *testing.T) {
	dir := t.TempDir()
	steps := [][]string{
		{"apo", "--samples", "2", "--generator", "builtin:skill=0.8"},
		{"apo", "rewards", "--out", "gen.json"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "gen.json", "--out", "tiny.ckpt"},
		{"train", "--objective", "spag", "--data", "gen.json", "--init", "tiny.ckpt", "--steps", "3", "--batch-size", "8", "--warmup", "0", "--out", "gen.ckpt"},
	}
	var outs []spagtest.Result
	for _, args := range steps {
		r := spag(t, dir, args...)
		if r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
		outs = append(outs, r)
	}
	items, _ := apo.BuiltinItems()
	if want := fmt.Sprintf("%d samples; left out 0 episodes", 2*len(items)); !strings.Contains(outs[1].Stderr, want) {
		t.Errorf("apo rewards: %s (want %q)", outs[1].Stderr, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "gen.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []struct {
		Query  string  `json:"query"`
		Target string  `json:"target"`
		Reward float64 `json:"reward"`
		Role   string  `json:"role"`
		Judge  string  `json:"judge"`
	}
	mustJSON(t, string(raw), &samples)
	positive := 0
	for _, s := range samples {
		if s.Role != "generator" || s.Judge != "apo@1" || s.Target == "" || !strings.Contains(s.Query, "Answer the question") {
			t.Fatalf("sample %+v", s)
		}
		if s.Reward > 0 {
			positive++
		}
	}
	// The built-in reward model prefers the gold answers most of the time,
	// but not always: rewards of both signs.
	if positive == 0 || positive == len(samples) {
		t.Errorf("%d of %d rewards positive", positive, len(samples))
	}
	if _, err := os.Stat(filepath.Join(dir, "gen.ckpt")); err != nil {
		t.Errorf("training wrote no checkpoint: %v", err)
	}

	// Rejection sampling: one supervised item per query, its best answer,
	// which imitation training reads.
	bestReward := map[string]float64{}
	for _, s := range samples {
		if r, ok := bestReward[s.Query]; !ok || s.Reward > r {
			bestReward[s.Query] = s.Reward
		}
	}
	for _, args := range [][]string{
		{"apo", "rewards", "--best-of", "--out", "best.json"},
		{"train", "--objective", "sft", "--data", "best.json", "--init", "tiny.ckpt", "--steps", "2", "--batch-size", "8", "--warmup", "0", "--out", "best.ckpt"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		} else if args[1] == "rewards" && !strings.Contains(r.Stderr, fmt.Sprintf("%d samples, the best of each query's (%d rated answers)", len(items), len(samples))) {
			t.Errorf("apo rewards --best-of: %s", r.Stderr)
		}
	}
	raw, err = os.ReadFile(filepath.Join(dir, "best.json"))
	if err != nil {
		t.Fatal(err)
	}
	var best []struct {
		Query, Target, Type string
	}
	mustJSON(t, string(raw), &best)
	if len(best) != len(items) {
		t.Fatalf("--best-of kept %d items, want one per query (%d)", len(best), len(items))
	}
	for _, b := range best {
		chosen := false
		for _, s := range samples {
			chosen = chosen || (s.Query == b.Query && s.Target == b.Target && s.Reward == bestReward[s.Query])
		}
		if b.Type != "sft" || !chosen {
			t.Errorf("--best-of item %+v: want a supervised item holding its query's best-rated answer", b)
		}
	}
}

// TestAPORewardModelTrainAndPlay closes the reward model's loop: games with
// the built-in players, their reward-model items, a few steps of the APO
// objective on a tiny native model, and new games (another seed, so new
// generated answers) in which that model is the reward model.
// rewardModelItems plays games with the built-in players on 12 queries
// (sub.jsonl), exports their reward-model items (items.jsonl) and draws a
// tiny model (tiny.ckpt), in a new directory.
func rewardModelItems(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	items, err := apo.BuiltinItems()
	if err != nil {
		t.Fatal(err)
	}
	var sub strings.Builder
	for _, it := range items[:12] {
		line, _ := json.Marshal(it)
		sub.Write(append(line, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, "sub.jsonl"), []byte(sub.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"apo", "--prompts", "sub.jsonl", "--samples", "2", "--db", "a.db"},
		{"apo", "items", "--db", "a.db", "--out", "items.jsonl"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "items.jsonl", "--out", "tiny.ckpt"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	return dir
}

func TestAPORewardModelTrainAndPlay(t *testing.T) {
	dir := rewardModelItems(t)
	steps := [][]string{
		{"train", "--objective", "apo", "--data", "items.jsonl", "--init", "tiny.ckpt", "--steps", "12", "--batch-size", "4",
			"--lr", "3e-3", "--warmup", "0", "--out", "rm.ckpt", "--db", "", "--metrics", "m.jsonl"},
	}
	for _, args := range steps {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "m.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var accs []float64
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m struct {
			Acc *float64 `json:"pref_accuracy"`
		}
		mustJSON(t, line, &m)
		if m.Acc == nil {
			t.Fatalf("metrics line without pref_accuracy: %s", line)
		}
		accs = append(accs, *m.Acc)
	}
	goldRate := func(rm string) float64 { return goldPreferred(t, dir, rm) }
	untrained, trained := goldRate("likelihood:tiny.ckpt"), goldRate("likelihood:rm.ckpt")
	// The run names the checkpoint by its absolute path and digest, so a
	// resume notices a retrained file.
	if s := stats(t, dir, "--db", "eval-likelihood-rm.ckpt.db"); !strings.HasPrefix(s.Players["reward_model"], "likelihood:"+dir) ||
		!strings.Contains(s.Players["reward_model"], "rm.ckpt (sha256:") {
		t.Errorf("reward model recorded as %q", s.Players["reward_model"])
	}
	t.Logf("training accuracy by step %v; gold preferred: untrained %.2f, trained %.2f", accs, untrained, trained)
	if !(trained >= 0.9 && trained > untrained) {
		t.Errorf("gold preferred by the trained reward model %.2f, by the untrained one %.2f", trained, untrained)
	}
}

// TestAPODefinitions plays the definitions task's held-out queries, reads
// the run back into reward-model items, writes the task's preference
// items (the same bytes for the same seed) and trains a reward model on
// them for two steps, so the format is the one spag train reads.
func TestAPODefinitions(t *testing.T) {
	dir := t.TempDir()
	held, err := apo.Items(apo.ItemsDefinitionsHeldOut)
	if err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{"apo", "--prompts", "definitions:heldout", "--games", "6", "--db", "d.db"},
		{"apo", "items", "--db", "d.db", "--out", "items.jsonl"},
		{"apo", "preferences", "--prompts", "definitions:heldout", "--seed", "3", "--out", "p1.jsonl"},
		{"apo", "preferences", "--prompts", "definitions:heldout", "--seed", "3", "--out", "p2.jsonl"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "p1.jsonl", "--out", "tiny.ckpt"},
		{"train", "--objective", "apo", "--data", "p1.jsonl", "--init", "tiny.ckpt", "--steps", "2", "--batch-size", "4",
			"--warmup", "0", "--out", "rm.ckpt", "--db", ""},
	}
	var outs []spagtest.Result
	for _, args := range steps {
		r := spag(t, dir, args...)
		if r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
		outs = append(outs, r)
	}
	if s := stats(t, dir, "--db", "d.db"); s.Episodes != 6 || s.Errored != 0 {
		t.Errorf("stats %+v: want 6 episodes", s)
	}
	queries := map[string]string{}
	for _, it := range held {
		queries[it.Query] = it.Gold
	}
	raw, err := os.ReadFile(filepath.Join(dir, "items.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var it apo.TrainingItem
		mustJSON(t, line, &it)
		if gold, ok := queries[it.Query]; !ok || it.Responses[0] != gold {
			t.Errorf("item %q with gold %q is not a held-out word's", it.Query, it.Responses[0])
		}
	}
	p1, err1 := os.ReadFile(filepath.Join(dir, "p1.jsonl"))
	p2, err2 := os.ReadFile(filepath.Join(dir, "p2.jsonl"))
	if err1 != nil || err2 != nil || len(p1) == 0 || string(p1) != string(p2) {
		t.Errorf("two preference files of the same seed differ (%v, %v)", err1, err2)
	}
	if want := fmt.Sprintf("definitions:heldout: %d words, ", len(held)); !strings.Contains(outs[2].Stderr, want) {
		t.Errorf("preferences stderr %q lacks %q", outs[2].Stderr, want)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"apo", "preferences", "--prompts", "builtin"}, "need the definitions task"},
		{[]string{"apo", "preferences", "--hard", "0", "--easy", "0"}, "at least one of them positive"},
		{[]string{"apo", "preferences", "--easy", "-1"}, "zero or more"},
	} {
		if r := spag(t, dir, tt.args...); r.Code != 2 || !strings.Contains(r.Stderr, tt.want) {
			t.Errorf("spag %v: exit %d, %q; want exit 2 with %q", tt.args, r.Code, r.Stderr, tt.want)
		}
	}
}

// goldPreferred plays the APO game on sub.jsonl in dir (seed 9) with the
// reward model rm and returns the rate at which it preferred the gold answer.
func goldPreferred(t *testing.T, dir, rm string) float64 {
	t.Helper()
	db := "eval-" + strings.ReplaceAll(rm, ":", "-") + ".db"
	r := spag(t, dir, "apo", "--prompts", "sub.jsonl", "--samples", "2", "--seed", "9", "--reward-model", rm, "--db", db, "--json")
	if r.Code != 0 {
		t.Fatalf("apo with %s: exit %d\n%s", rm, r.Code, r.Stderr)
	}
	var s struct {
		Episodes int `json:"episodes"`
		Gold     struct {
			Rate float64 `json:"rate"`
		} `json:"reward_model_win_rate"`
	}
	mustJSON(t, r.Stdout, &s)
	if s.Episodes != 24 {
		t.Fatalf("%d episodes with %s", s.Episodes, rm)
	}
	return s.Gold.Rate
}

// TestAPOGold writes a generator's imitation data: one supervised item per
// word of the split, the generator's prompt for it and its gloss.
func TestAPOGold(t *testing.T) {
	dir := t.TempDir()
	r := spag(t, dir, "apo", "gold", "--prompts", "definitions:heldout", "--out", "gold.json")
	if r.Code != 0 || !strings.Contains(r.Stderr, "definitions:heldout: 479 gold answers") {
		t.Fatalf("apo gold: exit %d\n%s", r.Code, r.Stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "gold.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gold []struct{ Query, Target, Type, Role string }
	mustJSON(t, string(raw), &gold)
	items, err := apo.Items("definitions:heldout")
	if err != nil {
		t.Fatal(err)
	}
	if len(gold) != len(items) {
		t.Fatalf("%d items, want %d", len(gold), len(items))
	}
	for i, g := range gold {
		if g.Type != "sft" || g.Role != "generator" || g.Target != items[i].Gold || !strings.HasSuffix(g.Query, items[i].Query) {
			t.Fatalf("item %d: %+v, want the generator's prompt for %q and the gold %q", i, g, items[i].Query, items[i].Gold)
		}
	}
	if r := spag(t, dir, "apo", "gold", "--prompts", "missing.jsonl"); r.Code != 2 || !strings.Contains(r.Stderr, "--prompts: open missing.jsonl") {
		t.Errorf("apo gold of a missing file: exit %d, %q", r.Code, r.Stderr)
	}

	// The yardstick of a definitions run: the built-in generator's answers
	// say nothing of the word (README: 0%); a run of the built-in queries
	// has no word to find.
	for _, args := range [][]string{
		{"apo", "--prompts", "definitions:heldout", "--db", "defs.db"},
		{"apo", "--db", "builtin.db"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	y := spag(t, dir, "apo", "yardstick", "--db", "defs.db")
	if y.Code != 0 || !strings.Contains(y.Stdout, ": 479 answers\ntop-1 0.0% (0/479; 95% interval 0.0% - 0.8%)\ntop-5 0.0% (0/479;") {
		t.Errorf("apo yardstick: exit %d\n%s%s", y.Code, y.Stdout, y.Stderr)
	}
	if y := spag(t, dir, "apo", "yardstick", "--db", "builtin.db"); y.Code != 2 || !strings.Contains(y.Stderr, "is not one of the definitions task") {
		t.Errorf("apo yardstick of the built-in queries: exit %d, %q", y.Code, y.Stderr)
	}
}
