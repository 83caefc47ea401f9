package servers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/internal/spagtest"
)

// End-to-end runs of `spag selfplay` with model players against real Ollama
// servers serving a tiny random-weight model (internal/ollamatest). Each
// test starts its own server, so that killing one disturbs no other test.
// The model's output is gibberish: these tests check structure (counts,
// logprobs, determinism, errors, recovery), never wording.

// tinyModel is the model every test server serves.
const tinyModel = ollamatest.ModelName

// modelArgs are the model players' settings for quick games.
var modelArgs = []string{"--option", "num_predict=12", "--option", "temperature=0", "--max-turns", "3"}

// shortTemplates writes prompt templates of a few words into dir/tmpl and
// returns the --templates flag for them. The tiny model's tokenizer spells
// words letter by letter, so the built-in prompts (about 1,500 tokens) would
// make every call cost seconds of prompt evaluation on a CPU.
func shortTemplates(t *testing.T, dir string) []string {
	t.Helper()
	tmpl := filepath.Join(dir, "tmpl")
	spagtest.WriteFiles(t, tmpl, shortTemplateFiles)
	return []string{"--templates", tmpl}
}

// shortTemplateFiles are the templates of [shortTemplates].
var shortTemplateFiles = map[string]string{
	"attacker.tmpl": "Attacker. Word: {{.Target}}.",
	"defender.tmpl": "Defender. Guess.",
	"opening.tmpl":  "Go.",
}

// selfplayArgs builds a selfplay command line for model players in dir.
func selfplayArgs(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	out := append([]string{"selfplay"}, args...)
	out = append(out, modelArgs...)
	return append(out, shortTemplates(t, dir)...)
}

var openDB = spagtest.OpenDB

var queryInt = spagtest.QueryInt

func TestOllamaSelfplay20Games(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 4})
	dir := t.TempDir()
	player := "ollama:" + tinyModel + "@" + srv.URL
	r := spag(t, dir, selfplayArgs(t, dir, "--games", "20", "--concurrency", "8", "--attacker", player, "--defender", player)...)
	if r.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
	}
	s := stats(t, dir)
	if s.Episodes != 20 || s.Errored != 0 {
		t.Fatalf("stats %+v: want 20 episodes, none errored", s)
	}
	db := openDB(t, filepath.Join(dir, "spag.db"))
	turns := queryInt(t, db, `SELECT count(*) FROM turns`)
	if turns < 20 {
		t.Fatalf("%d turns for 20 episodes", turns)
	}
	// Every turn records its token counts and latency; every turn that
	// produced a token has its log-probabilities.
	if n := queryInt(t, db, `SELECT count(*) FROM turns WHERE prompt_tokens = 0 OR latency_ns <= 0`); n != 0 {
		t.Errorf("%d of %d turns lack prompt tokens or latency", n, turns)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM turns WHERE output_tokens > 1 AND (logprobs IS NULL OR json_array_length(logprobs) = 0)`); n != 0 {
		t.Errorf("%d of %d turns lack logprobs", n, turns)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM turns WHERE output_tokens > 12`); n != 0 {
		t.Errorf("%d turns exceed num_predict=12", n)
	}
	var cfg string
	db.QueryRow(`SELECT config FROM runs`).Scan(&cfg)
	if !strings.Contains(cfg, `"options":["num_predict=12","temperature=0"]`) {
		t.Errorf("run config does not record the options: %s", cfg)
	}
}

// transcripts returns every stored utterance of the database's only run, in
// episode and turn order.
func transcripts(t *testing.T, path string) string {
	t.Helper()
	rows, err := openDB(t, path).Query(`SELECT e.idx, t.n, t.text, t.output_tokens FROM turns t JOIN episodes e ON e.id = t.episode_id ORDER BY e.idx, t.n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var idx, n, tokens int
		var text string
		if err := rows.Scan(&idx, &n, &text, &tokens); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d|%d|%d|%q\n", idx, n, tokens, text)
	}
	return b.String()
}

func TestOllamaSelfplayIsDeterministic(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 4})
	dir := t.TempDir()
	player := "ollama:" + tinyModel + "@" + srv.URL
	for _, db := range []string{"a.db", "b.db"} {
		args := selfplayArgs(t, dir, "--games", "6", "--seed", "11", "--concurrency", "4", "--db", db,
			"--attacker", player, "--defender", player)
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
		}
	}
	a, b := transcripts(t, filepath.Join(dir, "a.db")), transcripts(t, filepath.Join(dir, "b.db"))
	if a == "" || a != b {
		t.Errorf("same seed and temperature 0 gave different transcripts:\n%s\n---\n%s", a, b)
	}
}

func TestOpenAIBackendSelfplay(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 4})
	dir := t.TempDir()
	r := spag(t, dir, append([]string{"selfplay", "--games", "4", "--max-turns", "2",
		"--attacker", "openai:" + tinyModel + "@" + srv.URL + "/v1,max_tokens=10,temperature=0",
		"--defender", "ollama:" + tinyModel + "@" + srv.URL + ",num_predict=10"}, shortTemplates(t, dir)...)...)
	if r.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
	}
	if s := stats(t, dir); s.Episodes != 4 || s.Errored != 0 {
		t.Fatalf("stats %+v", s)
	}
	db := openDB(t, filepath.Join(dir, "spag.db"))
	if n := queryInt(t, db, `SELECT count(*) FROM turns WHERE role = 'attacker' AND (prompt_tokens = 0 OR logprobs IS NULL)`); n != 0 {
		t.Errorf("%d attacker turns through /v1 lack token counts or logprobs", n)
	}
}

func TestOllamaMissingModel(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{})
	dir := t.TempDir()
	r := spag(t, dir, "selfplay", "--games", "3", "--attacker", "ollama:"+tinyModel+"@"+srv.URL,
		"--defender", "ollama:ghost:7b@"+srv.URL)
	want := `model "ghost:7b" not found on ` + srv.URL + ` (pull it with: ollama pull ghost:7b)`
	if r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and %s", r.Code, r.Stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "spag.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a database was written: %v", err)
	}
}

func TestOllamaServerKilledMidRunThenResume(t *testing.T) {
	srv := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 2})
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "spag.db")
	player := "ollama:" + tinyModel + "@" + srv.URL
	// Few retries, so that games in flight while the server is down error
	// (and are replayed by --resume) rather than wait for it.
	w := spagtest.Watch(t, binary, dir, selfplayArgs(t, dir, "--games", "40", "--concurrency", "2", "--attacker", player, "--defender", player,
		"--option", "retries=2")...)
	before := w.WaitForRows(t, dbPath, "episodes", 3)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	// The outage lasts long enough for the games in flight to use up their
	// two retries: its length, not a wait for something to happen.
	time.Sleep(2 * time.Second)
	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := w.Result(t)
	// The games in flight when the server died errored: the run says so
	// and how to play them (exit 1); those that finished are stored.
	if r.Code != 0 && (r.Code != 1 || !strings.Contains(r.Stderr, "episodes errored") || !strings.Contains(r.Stderr, "--resume")) {
		t.Fatalf("selfplay with a server crash: exit %d; want 0, or 1 naming the errored episodes and the resume command\n%s", r.Code, r.Stderr)
	}
	m := runIDPattern.FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("no run ID in:\n%s", r.Stderr)
	}
	s := stats(t, dir)
	if s.Episodes != 40 || s.Errored == 0 {
		t.Fatalf("after the crash: %+v; want 40 episodes stored, some errored (the games in flight)", s)
	}
	if s.Episodes-s.Errored < before {
		t.Errorf("%d finished episodes, %d were stored before the crash", s.Episodes-s.Errored, before)
	}
	if r := spag(t, dir, "selfplay", "--resume", m[1]); r.Code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.Code, r.Stderr)
	}
	s = stats(t, dir)
	db := openDB(t, dbPath)
	if s.Episodes != 40 || s.Errored != 0 || queryInt(t, db, `SELECT count(DISTINCT idx) FROM episodes`) != 40 {
		t.Errorf("after resume: %+v; want each of the 40 episodes exactly once, none errored", s)
	}
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
}

func TestOllamaPoolSurvivesLosingAServer(t *testing.T) {
	a := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 2})
	b := ollamatest.Fresh(t, ollamatest.Options{NumParallel: 2})
	dir := t.TempDir()
	player := "ollama:" + tinyModel + "@" + a.URL + "," + b.URL
	w := spagtest.Watch(t, binary, dir, selfplayArgs(t, dir, "--games", "30", "--concurrency", "4", "--attacker", player, "--defender", player)...)
	w.WaitForRows(t, filepath.Join(dir, "spag.db"), "episodes", 3)
	if err := b.Kill(); err != nil {
		t.Fatal(err)
	}
	r := w.Result(t)
	if r.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
	}
	if s := stats(t, dir); s.Episodes != 30 || s.Errored != 0 {
		t.Errorf("stats %+v: the run should complete on the surviving server", s)
	}
}
