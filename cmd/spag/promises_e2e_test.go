package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/mat"
)

// These tests hold spag to what its README and help texts promise, one
// finding of a new user's first hour at a time.

// TestPlayerSpecsAsDocumented: the grammar BACKEND[:ARG][,key=value...]
// as the README writes it, --option routed to the players that take it, and
// a native:CKPT player recorded by absolute path and digest, so that a
// resumed run finds it from anywhere and refuses overwritten weights.
func TestPlayerSpecsAsDocumented(t *testing.T) {
	dir := t.TempDir()
	r := spag(t, dir, "selfplay", "--attacker", "native,temperature=0", "--defender", "builtin,skill=0.9",
		"--games", "2", "--max-turns", "1", "--db", "a.db")
	if r.Code != 0 {
		t.Fatalf("native,temperature=0 vs builtin,skill=0.9: exit %d\n%s", r.Code, r.Stderr)
	}
	// replay --player finds a run by the spec as given, though runs record
	// the shipped model's name and digest after it.
	if r := spag(t, dir, "replay", "--db", "a.db", "--player", "native,temperature=0"); r.Code != 0 || strings.Count(r.Stdout, "\n") != 3 {
		t.Errorf("replay --player native,temperature=0: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}

	// An option only model servers know goes to no native player; with
	// no player taking it, the error names --option.
	r = spag(t, dir, "selfplay", "--attacker", "native", "--defender", "builtin", "--option", "num_ctx=4096", "--games", "1", "--db", "b.db")
	if r.Code != 2 || !strings.Contains(r.Stderr, `--option "num_ctx=4096"`) || !strings.Contains(r.Stderr, "no player") {
		t.Errorf("--option num_ctx with no server player: exit %d\n%s", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); err == nil {
		t.Error("a refused run created its database")
	}

	// A checkpoint whose name holds "=": the part after "native:" is a path.
	if r := spag(t, dir, "model", "init", "--preset", "tiny", "--seed", "1", "--out", "lr=3e-3.ckpt"); r.Code != 0 {
		t.Fatalf("model init: %s", r.Stderr)
	}
	r = spag(t, dir, "selfplay", "--attacker", "native:lr=3e-3.ckpt,top_k=5", "--defender", "builtin", "--games", "2", "--max-turns", "1", "--db", "c.db")
	if r.Code != 0 {
		t.Fatalf("native:lr=3e-3.ckpt: exit %d\n%s", r.Code, r.Stderr)
	}
	m := runIDPattern.FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("no run ID in:\n%s", r.Stderr)
	}
	runID := m[1]
	abs := filepath.Join(dir, "lr=3e-3.ckpt")
	s := stats(t, dir, "--db", "c.db")
	if name := s.Players["attacker"]; !strings.HasPrefix(name, "native:"+abs+",top_k=5 (sha256:") {
		t.Errorf("the checkpoint player is recorded as %q, want its absolute path and digest", name)
	}
	// Resuming from another directory finds the same file.
	sub := filepath.Join(dir, "elsewhere")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := spag(t, sub, "selfplay", "--db", "../c.db", "--resume", runID); r.Code != 0 {
		t.Errorf("resume from another directory: exit %d\n%s", r.Code, r.Stderr)
	}
	// Overwritten weights are refused.
	if r := spag(t, dir, "model", "init", "--preset", "tiny", "--seed", "2", "--out", "lr=3e-3.ckpt"); r.Code != 0 {
		t.Fatalf("model init: %s", r.Stderr)
	}
	if r := spag(t, dir, "selfplay", "--db", "c.db", "--resume", runID); r.Code == 0 || !strings.Contains(r.Stderr, "would now be played with native:"+abs) {
		t.Errorf("resume with overwritten weights: exit %d\n%s", r.Code, r.Stderr)
	}
	// native:temperature=0 names a file; the error says how to write the option.
	r = spag(t, dir, "selfplay", "--attacker", "native:temperature=0", "--games", "1", "--db", "d.db")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--attacker") || !strings.Contains(r.Stderr, "native,temperature=0") {
		t.Errorf("native:temperature=0: exit %d\n%s", r.Code, r.Stderr)
	}
}

// TestOneRuleForUnknownRunsAndOutcomes: every command that selects episodes
// refuses a --run the database lacks and an --outcome no game has.
func TestOneRuleForUnknownRunsAndOutcomes(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "2"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	for _, args := range [][]string{
		{"replay", "--run", "r-x"},
		{"episodes", "export", "--run", "r-x"},
		{"episodes", "export", "--format", "jsonl", "--run", "r-x"},
		{"stats", "--run", "r-x"},
		{"judge", "--db", "spag.db", "--run", "r-x"},
		{"words", "check", "--run", "r-x"},
	} {
		if r := spag(t, dir, args...); r.Code != 2 || !strings.Contains(r.Stderr, "no such run") {
			t.Errorf("spag %v: exit %d\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
	}
	for _, args := range [][]string{{"replay", "--outcome", "bogus"}, {"episodes", "export", "--outcome", "bogus"}} {
		if r := spag(t, dir, args...); r.Code != 2 || !strings.Contains(r.Stderr, `--outcome "bogus"`) || !strings.Contains(r.Stderr, "attacker_wins") {
			t.Errorf("spag %v: exit %d\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
	}
}

func TestReplayListsTheNewestRunFirst(t *testing.T) {
	dir := t.TempDir()
	var ids []string
	for range 2 {
		r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "2")
		m := runIDPattern.FindStringSubmatch(r.Stderr)
		if r.Code != 0 || m == nil {
			t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
		}
		ids = append(ids, m[1])
	}
	r := spag(t, dir, "replay")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if r.Code != 0 || len(lines) != 5 {
		t.Fatalf("replay: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for i, want := range []string{ids[1], ids[1], ids[0], ids[0]} {
		if f := strings.Fields(lines[i+1]); f[1] != want {
			t.Errorf("line %d is of run %s, want %s (newest run first):\n%s", i+1, f[1], want, r.Stdout)
		}
	}
	if strings.Fields(lines[1])[2] != "0" || strings.Fields(lines[2])[2] != "1" {
		t.Errorf("a run's episodes are not in order:\n%s", r.Stdout)
	}
}

func TestJudgeDBCountsOnlyTabooEpisodes(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "apo", "--games", "3"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	r := spag(t, dir, "judge", "--db", "spag.db")
	if r.Code != 0 || !strings.Contains(r.Stderr, "0 episodes re-judged") || !strings.Contains(r.Stderr, "3 APO episodes skipped") {
		t.Errorf("judge --db on APO episodes: exit %d\n%s", r.Code, r.Stderr)
	}
}

// TestOneJSONVocabulary: the judge's lines and the exports name an
// episode's parts alike: subject, and evidence by turn.
func TestOneJSONVocabulary(t *testing.T) {
	dir := t.TempDir()
	// max_turns is optional, as judge --help says.
	file := `[{"target_word": "sun", "history": [{"role": "attacker", "content": "It rises: Sun"}]}]`
	if err := os.WriteFile(filepath.Join(dir, "eps.json"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	r := spag(t, dir, "judge", "--rules", "spag", "eps.json")
	want := `{"index":0,"subject":"sun","verdict":{"outcome":"attacker_broke_rules","decided_at":1,"rule":"attacker.said_target","evidence":{"turn":1,"start":10,"end":13,"text":"Sun"},"judge":"spag@1"}}`
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != want {
		t.Errorf("judge FILE: exit %d\n%s%s\nwant %s", r.Code, r.Stdout, r.Stderr, want)
	}
	if r := spag(t, dir, "episodes", "import", "eps.json"); r.Code != 0 {
		t.Fatalf("import without max_turns: exit %d\n%s", r.Code, r.Stderr)
	}
	r = spag(t, dir, "episodes", "export", "--format", "jsonl")
	for _, key := range []string{`"id":`, `"run_id":`, `"index":0`, `"subject":"sun"`, `"evidence":{"turn":1,`, `"err":""`} {
		if !strings.Contains(r.Stdout, key) {
			t.Errorf("export --format jsonl lacks %s:\n%s", key, r.Stdout)
		}
	}
}

func TestSmallerPromises(t *testing.T) {
	dir := t.TempDir()
	// spag version and --version; runs record a code version, not "(devel)".
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if r := spag(t, dir, args...); r.Code != 0 || !strings.HasPrefix(r.Stdout, "spag ") || strings.Contains(r.Stdout, "(devel)") {
			t.Errorf("spag %v: exit %d\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
	}
	// spag version names the matrix kernel in use.
	if r := spag(t, dir, "version"); !strings.Contains(r.Stdout, "\nmatrix kernel "+mat.Path()+"\n") {
		t.Errorf("spag version does not name the matrix kernel %s:\n%s", mat.Path(), r.Stdout)
	}
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "1"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "spag.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var code string
	if err := db.QueryRow(`SELECT code_version FROM runs`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	version := strings.SplitN(spag(t, dir, "version").Stdout, "\n", 2)[0]
	if code == "(devel)" || "spag "+code != version {
		t.Errorf("run records code version %q; spag version says %q", code, version)
	}

	// A usage error points to the help of the command that was run.
	if r := spag(t, dir, "selfplay", "--gmaes", "3"); r.Code != 2 || !strings.Contains(r.Stderr, "Run 'spag selfplay --help'") {
		t.Errorf("usage hint: %s", r.Stderr)
	}
	// A templates directory that is not there is named.
	if r := spag(t, dir, "selfplay", "--templates", "nodir", "--games", "1"); r.Code != 2 || !strings.Contains(r.Stderr, "nodir") || strings.Contains(r.Stderr, "open .") {
		t.Errorf("--templates nodir: exit %d\n%s", r.Code, r.Stderr)
	}
	// stats --all --json keeps each run's players, judge and game.
	var all struct {
		Runs []struct {
			Run, Game, Judge string
			Players          map[string]string
		}
	}
	r := spag(t, dir, "stats", "--all", "--json")
	mustJSON(t, r.Stdout, &all)
	if len(all.Runs) != 1 || all.Runs[0].Players["attacker"] != "builtin" || all.Runs[0].Judge == "" || !strings.HasPrefix(all.Runs[0].Game, "taboo") {
		t.Errorf("stats --all --json runs = %+v", all.Runs)
	}
	// --vocab-size is the size of the vocabulary.
	if err := os.WriteFile(filepath.Join(dir, "corpus.txt"), []byte("the quick brown fox jumps over the lazy dog 0123456789 ÀÉÎÕÜ çñß\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := spag(t, dir, "model", "init", "--preset", "tiny", "--corpus", "corpus.txt", "--vocab-size", "300", "--out", "v.ckpt"); r.Code != 0 || !strings.Contains(r.Stdout, "vocabulary 300\n") {
		t.Errorf("--vocab-size 300: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}
