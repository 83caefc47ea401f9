package loops

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIterateZeroSumWithAPopulation is a smoke test of a two-round loop
// from the shipped model with the zerosum objective and opponents drawn
// from a population: the loop's record holds the objective, the rule's
// settings, the mixture and the built-in opponent as not held out; round
// 2 plays one run per opponent and learner role, each run with the
// players its plan names; its data holds only the learning policy's turns
// (a sample's run tells whose turns they were) and the running mean goes
// from round 1 to round 2. Bad flags are usage errors that record no loop.
func TestIterateZeroSumWithAPopulation(t *testing.T) {
	dir := t.TempDir()
	r := spag(t, dir, "iterate", "--rounds", "2", "--games", "12", "--eval-games", "2", "--steps", "2", "--max-turns", "1",
		"--objective", "zerosum", "--credit", "decisive", "--baseline-decay", "0.25", "--opponents", "self=0.5,ref=0.25,builtin=0.25",
		"--opponent", "builtin", "--out", "loop", "--db", "it.db", "--seed", "3")
	if r.Code != 0 {
		t.Fatalf("iterate: exit %d\n%s", r.Code, r.Stderr)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "it.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw string
	if err := db.QueryRow(`SELECT config FROM loops`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Train struct {
			Objective string
			ZeroSum   *struct{ Beta float64 } `json:"zerosum"`
		}
		ZeroSum *struct {
			Credit        string
			BaselineDecay float64 `json:"baseline_decay"`
		} `json:"zerosum"`
		Population []struct {
			Name   string
			Weight float64
		}
		NotHeldOut []string `json:"not_held_out"`
	}
	mustJSON(t, raw, &cfg)
	if cfg.Train.Objective != "zerosum" || cfg.Train.ZeroSum == nil || cfg.Train.ZeroSum.Beta != 0.1 || cfg.ZeroSum == nil ||
		cfg.ZeroSum.Credit != "decisive" || cfg.ZeroSum.BaselineDecay != 0.25 || len(cfg.Population) != 3 ||
		strings.Join(cfg.NotHeldOut, ",") != "builtin" {
		t.Errorf("loop record %s", raw)
	}

	type state struct {
		Plan []struct {
			Key, Attacker, Defender, Learner string
			Games                            int
		}
		SelfplayRuns map[string]string `json:"selfplay_runs"`
		Data         string
		ZeroSum      *struct{ Baseline map[string]float64 } `json:"zerosum"`
	}
	var rounds [2]state
	for i := range rounds {
		if err := db.QueryRow(`SELECT state FROM loop_rounds WHERE round = ?`, i+1).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		mustJSON(t, raw, &rounds[i])
		if rounds[i].ZeroSum == nil || len(rounds[i].ZeroSum.Baseline) != 2 {
			t.Fatalf("round %d records no running mean: %s", i+1, raw)
		}
	}
	if rounds[0].ZeroSum.Baseline["attacker"] == rounds[1].ZeroSum.Baseline["attacker"] {
		t.Errorf("the attacker's running mean did not move from round 1 to 2: %v", rounds[1].ZeroSum.Baseline)
	}
	st := rounds[1]
	learner := map[string]string{} // run -> learner role ("" both)
	games := 0
	keys := map[string]bool{}
	for _, p := range st.Plan {
		keys[p.Key] = true
		games += p.Games
		run := st.SelfplayRuns[p.Key]
		learner[run] = p.Learner
		var players string
		if err := db.QueryRow(`SELECT players FROM runs WHERE id = ?`, run).Scan(&players); err != nil {
			t.Fatalf("run %s of %s: %v", run, p.Key, err)
		}
		var pl map[string]string
		mustJSON(t, players, &pl)
		// A run records a model's player with its weights' digest.
		is := func(recorded, spec string) bool { return recorded == spec || strings.HasPrefix(recorded, spec+" (") }
		if !is(pl["attacker"], p.Attacker) || !is(pl["defender"], p.Defender) {
			t.Errorf("run %s (%s) played %v, its plan says %s against %s", run, p.Key, pl, p.Attacker, p.Defender)
		}
	}
	if games != 12 || !keys["self"] || !keys["ref/attacker"] {
		t.Errorf("round 2's plan %+v: want 12 games, self-play and the initial model as an opponent", st.Plan)
	}
	data, err := os.ReadFile(st.Data)
	if err != nil {
		t.Fatal(err)
	}
	var samples []struct {
		Role, Run string
		Weight    float64
	}
	mustJSON(t, string(data), &samples)
	opponentRuns := 0
	for _, s := range samples {
		l, ok := learner[s.Run]
		if !ok || (l != "" && s.Role != l) || s.Weight != 1 {
			t.Errorf("sample of %s in run %s (learner %q, weight %v): not the learning policy's", s.Role, s.Run, l, s.Weight)
		}
		if l != "" {
			opponentRuns++
		}
	}
	if len(samples) == 0 || opponentRuns == 0 {
		t.Errorf("%d samples, %d of them from games against opponents; want some of both", len(samples), opponentRuns)
	}

	// The report's role balance counts the zero-sum samples.
	if r := spag(t, dir, "report", "--db", "it.db", "--out", "report.md"); r.Code != 0 {
		t.Fatalf("report: exit %d\n%s", r.Code, r.Stderr)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "| 2 | attacker |") {
		t.Errorf("the report has no training samples of round 2:\n%s", page)
	}

	for _, tc := range []struct{ args []string }{
		{[]string{"--opponents", "self=0.5,league=0.5"}},
		{[]string{"--opponents", "self=-1"}},
		{[]string{"--objective", "zerosum", "--credit", "first"}},
		{[]string{"--objective", "zerosum", "--loser-reward", "-1"}},
		{[]string{"--objective", "zerosum", "--baseline-per", "game"}},
		{[]string{"--baseline-per", "turn"}},
		{[]string{"--credit", "all"}},
		{[]string{"--objective", "var"}},
	} {
		args := append([]string{"iterate", "--rounds", "1", "--games", "2", "--steps", "1", "--out", "bad", "--db", "bad.db"}, tc.args...)
		r := spag(t, dir, args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.args[len(tc.args)-2]) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming %s", tc.args, r.Code, r.Stderr, tc.args[len(tc.args)-2])
		}
		if _, err := os.Stat(filepath.Join(dir, "bad.db")); err == nil {
			var n int
			bad, _ := sql.Open("sqlite3", filepath.Join(dir, "bad.db"))
			bad.QueryRow(`SELECT COUNT(*) FROM loops`).Scan(&n)
			bad.Close()
			if n > 0 {
				t.Fatalf("%v recorded a loop", tc.args)
			}
		}
	}
}
