package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/spag-go/spag/internal/spagtest"
	"github.com/spag-go/spag/taboo/judgecmd"
)

// binary is the spag binary built once for the end-to-end tests, which run
// it as a user would: in a temporary directory, through its exit code,
// stdout and stderr.
var binary string

func TestMain(m *testing.M) { os.Exit(spagtest.Main(m, &binary)) }

// spag runs the binary in dir with args and returns what it did.
func spag(t *testing.T, dir string, args ...string) spagtest.Result {
	t.Helper()
	return spagtest.Run(t, binary, spagtest.HangBound, dir, args...)
}

// startWatched starts spag in dir and returns it with a scanner of its
// stderr, for tests that act on what it says while it runs.
func startWatched(t *testing.T, ctx context.Context, dir string, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	return spagtest.StartWatched(t, ctx, binary, dir, args...)
}

var mustJSON = spagtest.MustJSON

var (
	openDB   = spagtest.OpenDB
	queryInt = spagtest.QueryInt
)

type statsOut = spagtest.StatsOut

func stats(t *testing.T, dir string, args ...string) statsOut {
	t.Helper()
	return spagtest.Stats(t, binary, dir, args...)
}

var runIDPattern = regexp.MustCompile(`run (r[0-9]{8}-[0-9]{6}-[0-9a-f]+)`)

func TestSelfplayDefaultThenStatsAndReplay(t *testing.T) {
	dir := t.TempDir()
	// The default players (the shipped native model in both roles); fewer
	// games than the default 100 to keep the suite quick.
	r := spag(t, dir, "selfplay", "--games", "24")
	if r.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "episodes       24 (judged 24, errored 0)") || !strings.Contains(r.Stdout, "style=compact") {
		t.Errorf("summary:\n%s", r.Stdout)
	}
	s := stats(t, dir)
	for _, role := range []string{"attacker", "defender"} {
		if name := s.Players[role]; !strings.HasPrefix(name, "native (spag-taboo-small-v3 sha256:") {
			t.Errorf("stats names the %s %q, want the shipped native model", role, name)
		}
	}
	total := 0
	for _, o := range []string{"attacker_wins", "defender_wins", "tie", "attacker_broke_rules"} {
		if _, ok := s.Outcomes[o]; !ok {
			t.Errorf("outcomes lack %s: %v", o, s.Outcomes)
		}
		total += s.Outcomes[o]
	}
	if s.Episodes != 24 || total != 24 || s.Turns < 48 {
		t.Errorf("stats = %+v", s)
	}
	checkRecognisableGames(t, dir, s)
	// --turns: every game reaches the attacker's first turn, and the
	// utterances that ended a game are the episodes, one each.
	pt := stats(t, dir, "--turns")
	ended, utterances := 0, 0
	for _, c := range pt.PerTurn {
		utterances += c.Utterances
		for _, n := range c.Decided {
			ended += n
		}
	}
	if len(pt.PerTurn) == 0 || pt.PerTurn[0].Role != "attacker" || pt.PerTurn[0].Turn != 1 || pt.PerTurn[0].Utterances != 24 ||
		ended != 24 || utterances != s.Turns {
		t.Errorf("stats --turns: %d utterances (want %d), %d ended (want 24): %+v", utterances, s.Turns, ended, pt.PerTurn)
	}
	if txt := spag(t, dir, "stats", "--turns"); txt.Code != 0 || !strings.Contains(txt.Stdout, "per role and turn") {
		t.Errorf("stats --turns: exit %d\n%s%s", txt.Code, txt.Stdout, txt.Stderr)
	}
	list := spag(t, dir, "replay", "--limit", "3")
	if list.Code != 0 || strings.Count(list.Stdout, "\n") != 4 {
		t.Fatalf("replay list: exit %d\n%s%s", list.Code, list.Stdout, list.Stderr)
	}
	one := spag(t, dir, "replay", "--episode", "1")
	if one.Code != 0 || !strings.Contains(one.Stdout, "word: ") || !strings.Contains(one.Stdout, "verdict  ") {
		t.Errorf("replay --episode 1: exit %d\n%s%s", one.Code, one.Stdout, one.Stderr)
	}
}

func TestSameSeedSameGames(t *testing.T) {
	dir := t.TempDir()
	export := func(db string) string {
		if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--db", db, "--games", "40", "--seed", "7", "--concurrency", "8"); r.Code != 0 {
			t.Fatalf("selfplay: %s", r.Stderr)
		}
		r := spag(t, dir, "episodes", "export", "--db", db, "--format", "spag", "--provenance=false")
		if r.Code != 0 {
			t.Fatalf("export: %s", r.Stderr)
		}
		return r.Stdout
	}
	a, b := export("a.db"), export("b.db")
	if a != b {
		t.Error("two runs with the same seed exported different episodes")
	}
	if !strings.Contains(a, `"target_word"`) {
		t.Errorf("export is not SPAG JSON: %.200s", a)
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("empty.txt", "# nothing here\n\n")
	write("dups.txt", "apple\npear\napple\n")
	write("multi.txt", "apple\nice cream\n")
	write("bad.json", "[\n {\"target_word\": \"dog\", \"max_turns\": 5,\n  \"history\": [ {\"role\": \"attacker\", \"content\": 12} ]}\n]\n")
	write("garbage.db", strings.Repeat("this is not sqlite\n", 200))
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown backend", []string{"selfplay", "--attacker", "gpt9:big"}, 2, []string{`unknown backend "gpt9"`, "builtin"}},
		{"max turns zero", []string{"selfplay", "--max-turns", "0"}, 2, []string{"--max-turns must be at least 1"}},
		{"bad skill", []string{"selfplay", "--defender", "builtin:skill=2"}, 2, []string{"skill must be a number from 0 to 1"}},
		{"unknown judge", []string{"selfplay", "--judge", "lenient"}, 2, []string{"--judge", "lenient", "strict"}},
		{"empty word list", []string{"selfplay", "--words", "empty.txt"}, 2, []string{"empty.txt", "no words"}},
		{"duplicate word", []string{"selfplay", "--words", "dups.txt"}, 2, []string{"dups.txt:3", "apple"}},
		{"multi-word line", []string{"selfplay", "--words", "multi.txt"}, 2, []string{"multi.txt:2"}},
		{"missing word file", []string{"selfplay", "--words", "nope.txt"}, 2, []string{"nope.txt"}},
		{"bad shard", []string{"selfplay", "--shard", "4/4"}, 2, []string{"--shard", "0 <= i < n"}},
		{"malformed json", []string{"judge", "--rules", "spag", "bad.json"}, 1, []string{"bad.json:3:", "content"}},
		{"corrupt database", []string{"selfplay", "--db", "garbage.db", "--games", "1"}, 1, []string{"garbage.db"}},
		{"unwritable path", []string{"selfplay", "--db", "/proc/nope/x.db", "--games", "1"}, 1, []string{"/proc/nope/x.db"}},
		{"stats without db", []string{"stats", "--db", "missing.db"}, 2, []string{"missing.db", "no such database"}},
		{"unknown flag", []string{"selfplay", "--gmaes", "3"}, 2, []string{"--gmaes"}},
		{"bad errored filter", []string{"replay", "--db", "existing.db", "--errored", "maybe"}, 2, []string{"--errored", "yes or no"}},
		{"unknown command", []string{"selfpaly"}, 2, []string{"selfpaly"}},
		{"zero games", []string{"selfplay", "--games", "0"}, 2, []string{"--games must be at least 1"}},
		{"zero apo games", []string{"apo", "--games", "0"}, 2, []string{"--games must be at least 1"}},
		{"negative turn timeout", []string{"selfplay", "--turn-timeout", "-1s"}, 2, []string{"--turn-timeout"}},
		{"resume without database", []string{"selfplay", "--db", "r.db", "--resume", "r1"}, 2, []string{"r1", "r.db"}},
		{"resume unknown run", []string{"selfplay", "--db", "existing.db", "--resume", "r1"}, 2, []string{"r1", "no such run"}},
	}
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--db", "existing.db", "--games", "1"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := spag(t, dir, tt.args...)
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.Code, tt.code, r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "garbage.db")); err != nil {
		t.Errorf("the corrupt database must be left alone: %v", err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "2"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "spag.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := spag(t, dir, "stats")
	if r.Code != 1 || !strings.Contains(r.Stderr, "999") || !strings.Contains(r.Stderr, "upgrade spag") {
		t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestShardsPartitionTheRun(t *testing.T) {
	dir := t.TempDir()
	indices := map[int]string{}
	for i := 0; i < 3; i++ {
		db := fmt.Sprintf("s%d.db", i)
		if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--db", db, "--games", "30", "--seed", "3", "--shard", fmt.Sprintf("%d/3", i)); r.Code != 0 {
			t.Fatal(r.Stderr)
		}
		r := spag(t, dir, "episodes", "export", "--db", db, "--format", "jsonl")
		for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			var ep struct {
				Index int `json:"index"`
			}
			mustJSON(t, line, &ep)
			if prev, dup := indices[ep.Index]; dup {
				t.Errorf("episode %d played by %s and %s", ep.Index, prev, db)
			}
			indices[ep.Index] = db
		}
	}
	if len(indices) != 30 {
		t.Errorf("shards played %d distinct episodes, want 30", len(indices))
	}
}

// TestKillMinus9ThenResume kills a run with SIGKILL while it writes, then
// resumes it: every episode of the run is stored exactly once and the
// database is intact.
func TestKillMinus9ThenResume(t *testing.T) {
	killThenResume(t, 20000, "selfplay", "--attacker", "builtin", "--defender", "builtin")
}

// TestAPOKillMinus9ThenResume is the same for the APO game, whose
// built-in players are faster: a longer run, so the kill comes first.
func TestAPOKillMinus9ThenResume(t *testing.T) {
	killThenResume(t, 60000, "apo")
}

// killThenResume starts a long run of a play command (selfplay or apo) with
// the given flags, kills it with SIGKILL once episodes are stored, resumes
// it and checks that each episode is stored exactly once.
func killThenResume(t *testing.T, games int, command string, flags ...string) {
	dir := t.TempDir()
	args := append([]string{command, "--games", fmt.Sprint(games), "--concurrency", "8"}, flags...)
	w := spagtest.Watch(t, binary, dir, args...)
	dbPath := filepath.Join(dir, "spag.db")
	before := w.WaitForRows(t, dbPath, "episodes", 501)
	if err := w.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w.Wait()
	stderr := w.Stderr()
	m := runIDPattern.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no run ID in stderr: %q", stderr)
	}
	after := countEpisodes(t, dbPath)
	if after < before {
		t.Fatalf("episodes went from %d to %d across the kill", before, after)
	}
	if after >= games {
		t.Fatalf("the run finished (%d episodes) before the kill; make it longer", after)
	}
	r := spag(t, dir, command, "--resume", m[1], "--json")
	if r.Code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stderr, fmt.Sprintf("%d episodes to play", games-after)) {
		t.Errorf("resume should play exactly the %d missing episodes:\n%s", games-after, r.Stderr)
	}
	s := stats(t, dir, "--run", m[1])
	if s.Episodes != games {
		t.Errorf("run holds %d episodes after resume, want %d", s.Episodes, games)
	}
	db, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var distinct, integrity string
	if err := db.QueryRow("SELECT COUNT(DISTINCT idx) || '/' || COUNT(*) FROM episodes").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d/%d", games, games); distinct != want {
		t.Errorf("distinct/total episodes = %s, want %s", distinct, want)
	}
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check = %q, %v", integrity, err)
	}
}

func countEpisodes(t *testing.T, path string) int {
	t.Helper()
	return countRows(t, path, "episodes")
}

// countRows counts the rows of table in the database at path: 0 while the
// database or the table does not exist yet.
var countRows = spagtest.CountRows

// TestInterruptDrainsAndResumes sends one SIGINT: the run finishes the games
// in flight, exits 130 and prints the resume command, which completes it.
func TestInterruptDrainsAndResumes(t *testing.T) {
	dir := t.TempDir()
	const games = 20000
	w := spagtest.Watch(t, binary, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", fmt.Sprint(games))
	dbPath := filepath.Join(dir, "spag.db")
	w.WaitForRows(t, dbPath, "episodes", 200)
	w.Cmd.Process.Signal(os.Interrupt)
	err := w.Wait()
	stderr := w.Stderr()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit = %v, want 130; stderr: %s", err, stderr)
	}
	m := regexp.MustCompile(`spag selfplay --db spag.db --resume (\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no resume command in stderr: %s", stderr)
	}
	stored := countEpisodes(t, dbPath)
	if stored >= games {
		t.Fatalf("all %d games finished before the interrupt", stored)
	}
	if r := spag(t, dir, "selfplay", "--resume", m[1]); r.Code != 0 {
		t.Fatalf("resume: %s", r.Stderr)
	}
	if s := stats(t, dir, "--run", m[1]); s.Episodes != games {
		t.Errorf("after resume: %d episodes, want %d", s.Episodes, games)
	}
}

type syncBuffer = spagtest.SyncBuffer

const spagEpisodesJSON = `[
 {"target_word": "sun", "max_turns": 5, "source": "hand-written",
  "history": [{"role": "attacker", "content": "Think of Sunday mornings."},
              {"role": "defender", "content": "I know the word! It is sun!"}]},
 {"target_word": "dog", "max_turns": 5,
  "history": [{"role": "attacker", "content": "A pet that barks."},
              {"role": "defender", "content": "I know the word! It is the dog!", "note": 1}]},
 {"target_word": "water", "max_turns": 5,
  "history": [{"role": "attacker", "content": "You drink it."},
              {"role": "defender", "content": "I know the word! It is something like water"}]},
 {"target_word": "car", "max_turns": 1,
  "history": [{"role": "attacker", "content": "Wheels."},
              {"role": "defender", "content": "Hmm."},
              {"role": "attacker", "content": "Drive it."},
              {"role": "defender", "content": "I know the word! It is car!"}]}
]`

func TestJudgeRewardsImportExport(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "eps.json"), []byte(spagEpisodesJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	// The SPAG judge's verdicts, quirks included: "Sunday" mentions "sun";
	// "the dog" is a correct guess; "something like water" is too far from
	// "It"; utterances beyond 2*max_turns are ignored.
	r := spag(t, dir, "judge", "--rules", "spag", "eps.json")
	if r.Code != 0 {
		t.Fatalf("judge: %s", r.Stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		var l judgecmd.VerdictLine
		mustJSON(t, line, &l)
		v := l.Verdict
		got = append(got, fmt.Sprintf("%d %s %s %d %s", l.Index, l.Subject, v.Outcome, v.DecidedAt, v.Evidence.Text))
	}
	want := []string{
		"0 sun attacker_broke_rules 1 Sun",
		"1 dog defender_wins 2 I know the word! It is the dog",
		"2 water attacker_wins 2 I know the word! It is some",
		"3 car tie 2 ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spag verdicts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	strict := spag(t, dir, "judge", "--rules", "strict", "--spag-names", "eps.json")
	var first judgecmd.VerdictLine
	mustJSON(t, strings.SplitN(strict.Stdout, "\n", 2)[0], &first)
	if first.Verdict.Outcome != "defender wins" {
		t.Errorf("strict judge on Sunday/sun: %+v, want defender wins", first)
	}

	// Rewards with the SPAG rule: two won episodes, one sample each.
	r = spag(t, dir, "rewards", "--rules", "spag", "--in", "eps.json", "--out", "train.json")
	if r.Code != 0 {
		t.Fatalf("rewards: %s", r.Stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "train.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []struct {
		Query, Target, Role, Judge, Run string
		Reward, Weight                  float64
	}
	mustJSON(t, string(raw), &samples)
	if len(samples) != 2 {
		t.Fatalf("got %d samples, want 2: %s", len(samples), raw)
	}
	if s := samples[0]; s.Role != "defender" || s.Target != "I know the word! It is the dog!" || s.Reward != 1 || s.Weight != 1 || s.Judge != "spag@1" || s.Run != "file:eps.json" || s.Query == "" {
		t.Errorf("sample 0 = %+v", s)
	}
	if s := samples[1]; s.Role != "attacker" || s.Target != "You drink it." || s.Reward != 1 || s.Weight != 1 {
		t.Errorf("sample 1 = %+v", s)
	}
	if strings.Contains(samples[0].Query, "dog") {
		t.Errorf("the defender's query must not contain the target word: %q", samples[0].Query)
	}

	// Import, then export without provenance: the same file comes back.
	r = spag(t, dir, "episodes", "import", "--rules", "spag", "eps.json")
	if r.Code != 0 || !strings.Contains(r.Stdout, "imported 4 episodes") {
		t.Fatalf("import: %s%s", r.Stdout, r.Stderr)
	}
	r = spag(t, dir, "episodes", "export", "--provenance=false")
	var in, out any
	mustJSON(t, spagEpisodesJSON, &in)
	mustJSON(t, r.Stdout, &out)
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the file:\n%s", r.Stdout)
	}
	s := stats(t, dir)
	if s.Outcomes["defender_wins"] != 1 || s.Outcomes["attacker_broke_rules"] != 1 || s.Outcomes["tie"] != 1 {
		t.Errorf("imported episodes judged: %v", s.Outcomes)
	}
	// Re-judging the stored episodes with the other judge lists the
	// episodes it decides differently.
	r = spag(t, dir, "judge", "--rules", "strict", "--db", "spag.db", "--record")
	if r.Code != 0 || !strings.Contains(r.Stderr, "4 episodes re-judged by strict@1") {
		t.Fatalf("judge --db: exit %d\n%s", r.Code, r.Stderr)
	}
	var diff struct {
		TargetWord string `json:"subject"`
		Stored     struct{ Outcome string }
		Rejudged   struct{ Outcome, Judge string }
	}
	mustJSON(t, strings.SplitN(r.Stdout, "\n", 2)[0], &diff)
	if diff.TargetWord != "sun" || diff.Stored.Outcome != "attacker_broke_rules" || diff.Rejudged.Outcome != "defender_wins" || diff.Rejudged.Judge != "strict@1" {
		t.Errorf("first difference = %+v", diff)
	}
	if r := spag(t, dir, "replay", "--episode", "1"); !strings.Contains(r.Stdout, "recorded  strict@1: defender_wins at utterance 2") {
		t.Errorf("replay does not show the recorded verdict:\n%s%s", r.Stdout, r.Stderr)
	}
	r = spag(t, dir, "episodes", "export")
	if !strings.Contains(r.Stdout, `"spag_provenance"`) || !strings.Contains(r.Stdout, `"judge": "spag@1"`) {
		t.Errorf("export lacks provenance:\n%.600s", r.Stdout)
	}
}

// checkRecognisableGames checks that the stored run is Adversarial Taboo
// played by a language model, not noise: defenders make guess statements,
// attackers mostly keep the word to themselves, and utterances are short
// printable sentences of real words. A model with random weights fails
// every one of these.
func checkRecognisableGames(t *testing.T, dir string, s statsOut) {
	t.Helper()
	if s.GuessRate == nil || s.GuessRate.Rate < 0.1 {
		t.Errorf("guess rate %+v: defenders should guess in some games", s.GuessRate)
	}
	if s.RuleBreakRate.Rate > 0.3 {
		t.Errorf("rule-break rate %.2f: attackers should mostly keep the word to themselves", s.RuleBreakRate.Rate)
	}
	r := spag(t, dir, "episodes", "export", "--format", "jsonl")
	if r.Code != 0 {
		t.Fatalf("export: %d %s", r.Code, r.Stderr)
	}
	words := map[string]bool{}
	for _, w := range strings.Fields("a an the it is of to and in that you what your can me give another hint clue think word") {
		words[w] = true
	}
	var utterances, sentences, common int
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		var ep struct {
			Turns []struct {
				Text string `json:"text"`
			} `json:"turns"`
		}
		mustJSON(t, line, &ep)
		for _, tn := range ep.Turns {
			utterances++
			fields := strings.Fields(tn.Text)
			printable := strings.IndexFunc(tn.Text, func(r rune) bool { return r < ' ' || r > '~' }) < 0
			if printable && len(fields) >= 2 && len(fields) <= 40 {
				sentences++
			}
			for _, f := range fields {
				if words[strings.ToLower(strings.Trim(f, ".,?!\"'"))] {
					common++
					break
				}
			}
		}
	}
	if utterances == 0 || float64(sentences) < 0.9*float64(utterances) || float64(common) < 0.6*float64(utterances) {
		t.Errorf("%d utterances: %d short printable sentences, %d with common English words", utterances, sentences, common)
	}
}

// TestResumeRefusesAnotherShippedModel resumes a run of the shipped model
// whose stored player names another digest, as a run started by another
// spag build would: the resume is refused before any game is played.
func TestResumeRefusesAnotherShippedModel(t *testing.T) {
	dir := t.TempDir()
	r := spag(t, dir, "selfplay", "--games", "2", "--max-turns", "1")
	if r.Code != 0 {
		t.Fatalf("selfplay: exit %d\n%s", r.Code, r.Stderr)
	}
	m := runIDPattern.FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("no run ID in stderr: %q", r.Stderr)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "spag.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE runs SET players = json_set(players, '$.defender', 'native (spag-taboo-small-v0 sha256:00)') WHERE id = ?`, m[1])
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r = spag(t, dir, "selfplay", "--resume", m[1])
	if r.Code != 1 || !strings.Contains(r.Stderr, "spag-taboo-small-v0") || !strings.Contains(r.Stderr, "start a new run") {
		t.Fatalf("resume with another model: exit %d\n%s", r.Code, r.Stderr)
	}
}

// TestErroredRunExitsOneWithTheReason plays a run whose every model call
// fails (a fault-injecting server beside the real ones in the Ollama
// tests): the run must exit 1, say how many episodes errored and why, and
// print the command that plays them again.
func TestErroredRunExitsOneWithTheReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/models") {
			fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model"}]}`)
			return
		}
		http.Error(w, `{"error":{"message":"the GPU caught fire"}}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	dir := t.TempDir()
	x := spag(t, dir, "selfplay", "--games", "3", "--db", "e.db", "--attacker", "openai:m@"+srv.URL+",retries=1", "--defender", "builtin")
	if x.Code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", x.Code, x.Stderr)
	}
	for _, want := range []string{"3 of 3 episodes errored", "GPU caught fire", "spag selfplay --db e.db --resume r"} {
		if !strings.Contains(x.Stderr, want) {
			t.Errorf("stderr %q does not say %q", x.Stderr, want)
		}
	}
	if !strings.Contains(x.Stdout, "errored 3") {
		t.Errorf("summary %q does not count the errored episodes", x.Stdout)
	}
}

// TestMergeShards plays a run in three shards, merges them into one run
// that stats reports whole, and refuses a shard played with another
// configuration, naming the difference.
func TestMergeShards(t *testing.T) {
	dir := t.TempDir()
	var ins []string
	for i := 0; i < 3; i++ {
		db := fmt.Sprintf("s%d.db", i)
		if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--db", db, "--games", "30", "--seed", "3", "--shard", fmt.Sprintf("%d/3", i)); r.Code != 0 {
			t.Fatal(r.Stderr)
		}
		ins = append(ins, db)
	}
	r := spag(t, dir, append([]string{"episodes", "merge", "all.db"}, ins...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "from shards 0/3, 1/3, 2/3") || !strings.Contains(r.Stdout, "merged 30 episodes") {
		t.Fatalf("merge: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if s := stats(t, dir, "--db", "all.db"); s.Episodes != 30 {
		t.Errorf("merged run has %d episodes, want 30", s.Episodes)
	}
	if r := spag(t, dir, "episodes", "merge", "all.db", "s1.db"); r.Code != 0 || !strings.Contains(r.Stdout, "merged 0 episodes") {
		t.Errorf("merging a shard again: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--db", "odd.db", "--games", "30", "--seed", "3", "--shard", "0/3", "--judge", "spag"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	r = spag(t, dir, "episodes", "merge", "other.db", "s1.db", "odd.db")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "differ in") || !strings.Contains(r.Stderr, "spag@") {
		t.Errorf("merging a shard of another configuration: exit %d\n%s", r.Code, r.Stderr)
	}
	// A failed merge leaves no new output, as a missing input does not.
	for _, args := range [][]string{{"episodes", "merge", "m.db", "nosuch.db"}, {"episodes", "merge", "other.db", "s1.db", "odd.db"}} {
		if r := spag(t, dir, args...); r.Code != exitFailure {
			t.Errorf("spag %v: exit %d, want 1", args, r.Code)
		}
		if _, err := os.Stat(filepath.Join(dir, args[2])); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("spag %v left %s: %v", args, args[2], err)
		}
	}
}

// TestLockedDatabaseFailsWithTheResumeHint: another process holds the
// database's write lock past the busy timeout while a run plays; the run
// must fail (exit 1) and say how to resume it.
func TestLockedDatabaseFailsWithTheResumeHint(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), spagtest.HangBound)
	defer cancel()
	cmd, sc := startWatched(t, ctx, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "100000000", "--db", "l.db")
	var lines []string
	for sc.Scan() && !strings.Contains(sc.Text(), "episodes to play") {
		lines = append(lines, sc.Text())
	}
	// The run has begun: take the write lock and keep it until spag ends.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "l.db")+"?_txlock=immediate&_busy_timeout=60000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`CREATE TABLE lock_holder (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	err = cmd.Wait()
	tx.Rollback()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("spag ended with %v; want exit 1\n%s", err, strings.Join(lines, "\n"))
	}
	out := strings.Join(lines, "\n")
	if !strings.Contains(out, "resume with: spag selfplay --db l.db --resume r") {
		t.Errorf("the failure does not say how to resume:\n%s", out)
	}
}
