package loops

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/spagtest"
	"github.com/spag-go/spag/players/native/defaultmodel"
)

// startUntil runs spag in dir and kills it with SIGKILL as soon as a line
// of its stderr contains marker: a crash at that stage, wherever in the
// stage the kill lands. It fails the test if spag ends before the marker.
func startUntil(t *testing.T, dir, marker string, args ...string) {
	t.Helper()
	if _, ended := startUntilAny(t, dir, []string{marker}, args...); ended {
		t.Fatalf("spag %v ended before %q", args, marker)
	}
}

// startUntilAny runs spag in dir and kills it with SIGKILL as soon as a
// line of its stderr contains one of markers, which it returns; ended is
// true when spag ended on its own first (then it must have succeeded).
func startUntilAny(t *testing.T, dir string, markers []string, args ...string) (hit string, ended bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), spagtest.HangBound)
	defer cancel()
	cmd, sc := startWatched(t, ctx, dir, args...)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		for _, m := range markers {
			if strings.Contains(sc.Text(), m) {
				cmd.Process.Kill()
				go func() { // drain, so that Wait does not block on the pipe
					for sc.Scan() {
					}
				}()
				cmd.Wait()
				return m, false
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("spag %v: %v before any of %q; stderr:\n%s", args, err, markers, strings.Join(seen, "\n"))
	}
	return "", true
}

// TestIterateBadInput refuses, as usage errors naming the flag or the
// file, every setting that a Taboo loop would otherwise find bad only
// after its self-play, and leaves no output directory and no database.
func TestIterateBadInput(t *testing.T) {
	dir := t.TempDir()
	var ckpt bytes.Buffer
	if _, err := defaultmodel.WriteTo(&ckpt); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"cut.ckpt": ckpt.Bytes()[:ckpt.Len()/2],
		"sft.json": []byte("[{\"query\": \"q\", \"target\": \"t\"},\n {\"query\": 1}]"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loop := []string{"iterate", "--rounds", "1", "--games", "2", "--eval-games", "2", "--steps", "1", "--out", "l"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--lr", "-1"}, "--lr: must be a positive number (got -1)"},
		{[]string{"--beta", "-1"}, "--beta: must be 0 or more (got -1)"},
		{[]string{"--clip-range", "-1"}, "--clip-range: must be a positive number (got -1)"},
		{[]string{"--batch-size", "0"}, "--batch-size: must be at least 1 (got 0)"},
		{[]string{"--opponent", "nosuch"}, `--opponent "nosuch": unknown backend "nosuch"`},
		{[]string{"--init", "cut.ckpt"}, "--init: read checkpoint header " + filepath.Join(dir, "cut.ckpt")},
		{[]string{"--sft", "sft.json"}, filepath.Join(dir, "sft.json") + ":2"},
		// Each player once, though the loop's runs seat them many times.
		{[]string{"--option", "num_ctx=4096"}, `no player takes option "num_ctx" (players: --attacker native, --defender native, --attacker builtin, --defender builtin)`},
	} {
		args := append(append([]string{}, loop...), tc.args...)
		if r := spag(t, dir, args...); r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("spag %v: exit %d, stderr %q; want a usage error containing %q", args, r.Code, r.Stderr, tc.want)
		}
		refusedLeftNothing(t, dir, args)
	}
}

// TestIterateResumeWhileRunning resumes a loop while the process that
// started it still runs it: the resume is refused at once, naming that
// process, and the database keeps the one loop's rounds.
func TestIterateResumeWhileRunning(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), spagtest.HangBound)
	defer cancel()
	first, sc := startWatched(t, ctx, dir, "iterate", "--rounds", "1", "--games", "200", "--eval-games", "2", "--steps", "1",
		"--out", "loop", "--db", "it.db", "--concurrency", "1")
	defer func() {
		first.Process.Kill()
		go func() { // drain, so that Wait does not block on the pipe
			for sc.Scan() {
			}
		}()
		first.Wait()
	}()
	for sc.Scan() && !strings.Contains(sc.Text(), "round 1: self-play of") {
	}
	r := spag(t, dir, "iterate", "--db", "it.db", "--resume", "latest")
	if want := fmt.Sprintf("is in use by process %d", first.Process.Pid); r.Code != 1 || !strings.Contains(r.Stderr, want) {
		t.Fatalf("resume while the loop runs: exit %d, stderr %q; want exit 1 naming the running process (%q)", r.Code, r.Stderr, want)
	}
}

// TestIterateFromTheShippedModelSurvivesKills runs a two-round loop from
// the shipped model, killed with SIGKILL in each stage of the first round
// and in the second round's self-play, resumed each time: the loop ends
// with every game played exactly once, every stage done, and a report
// whose plot is a real image. Every run, also those begun after a resume,
// plays with the settings the loop was started with (--max-turns 3).
func TestIterateFromTheShippedModelSurvivesKills(t *testing.T) {
	dir := t.TempDir()
	start := []string{"iterate", "--rounds", "2", "--games", "6", "--eval-games", "4", "--steps", "2", "--batch-size", "2",
		"--out", "loop", "--db", "it.db", "--seed", "3", "--concurrency", "4", "--max-turns", "3"}
	resume := []string{"iterate", "--db", "it.db", "--resume", "latest", "--concurrency", "4"}
	startUntil(t, dir, "round 1: self-play of", start...)
	for _, marker := range []string{"round 1: self-play of", "round 1: training", "round 1: arena of", "round 2: self-play of"} {
		startUntil(t, dir, marker, resume...)
	}
	if r := spag(t, dir, append(resume, "--max-turns", "5")...); r.Code != 2 || !strings.Contains(r.Stderr, "drop --max-turns") {
		t.Errorf("resume with --max-turns: exit %d, stderr %q; want a usage error", r.Code, r.Stderr)
	}
	x := spag(t, dir, resume...)
	if x.Code != 0 {
		t.Fatalf("last resume: exit %d, stderr %q", x.Code, x.Stderr)
	}
	if !strings.Contains(x.Stdout, "attacker") || !strings.Contains(x.Stdout, "builtin") {
		t.Errorf("the loop's table names no role or opponent: %q", x.Stdout)
	}

	db, err := sql.Open("sqlite3", filepath.Join(dir, "it.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
	var others int
	if err := db.QueryRow(`SELECT count(*) FROM runs WHERE json_extract(config, '$.max_turns') IS NOT 3`).Scan(&others); err != nil || others != 0 {
		t.Errorf("%d runs were not played with the loop's --max-turns 3 (%v)", others, err)
	}
	// --seed 3 is the loop's seed (it was once dropped: every loop ran
	// with seed 0), and round 1's self-play plays from a seed derived
	// from it.
	var seed int
	if err := db.QueryRow(`SELECT json_extract(config, '$.seed') FROM loops`).Scan(&seed); err != nil || seed != 3 {
		t.Errorf("the loop records seed %d (%v); want --seed 3", seed, err)
	}
	var stages string
	if err := db.QueryRow(`SELECT group_concat(stage) FROM (SELECT stage FROM loop_rounds ORDER BY round)`).Scan(&stages); err != nil || stages != "done,done" {
		t.Fatalf("round stages %q, %v; want done,done", stages, err)
	}
	// Every run the loop recorded holds each of its episodes exactly once:
	// 6 self-play games a round, 4 a pairing (3 pairings × 2 opponents).
	totals := finishedRunSizes(t, db)
	if totals[6] != 2 || totals[4] != 12 {
		t.Errorf("finished runs by size %v; want 2 self-play runs of 6 and 12 arena runs of 4", totals)
	}
	for _, round := range []string{"round-1", "round-2"} {
		if _, err := os.Stat(filepath.Join(dir, "loop", round, "policy.ckpt")); err != nil {
			t.Errorf("%s: %v", round, err)
		}
	}

	// report makes no directory (like go build -o): the page's is made here.
	if err := os.Mkdir(filepath.Join(dir, "page"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := spag(t, dir, "report", "--db", "it.db", "--out", "page/report.md")
	if r.Code != 0 {
		t.Fatalf("report: exit %d, stderr %q", r.Code, r.Stderr)
	}
	page, err := os.ReadFile(filepath.Join(dir, "page", "report.md"))
	if err != nil || !strings.Contains(string(page), "winrates.png") {
		t.Fatalf("report page %q, %v", page, err)
	}
	f, err := os.Open(filepath.Join(dir, "page", "winrates.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dy() < 200 {
		t.Errorf("plot is %dx%d", b.Dx(), b.Dy())
	}
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("plot has %d colours: blank", len(colours))
	}
}

// finishedRunSizes counts the finished runs of db by their number of
// games, and fails the test for a run that stores an episode twice or is
// partly played (a run not begun counts nowhere).
func finishedRunSizes(t *testing.T, db *sql.DB) map[int]int {
	t.Helper()
	rows, err := db.Query(`SELECT r.id, r.total, count(e.idx), count(DISTINCT e.idx) FROM runs r LEFT JOIN episodes e ON e.run_id = r.id AND e.err = '' GROUP BY r.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	totals := map[int]int{}
	for rows.Next() {
		var id string
		var total, n, distinct int
		if err := rows.Scan(&id, &total, &n, &distinct); err != nil {
			t.Fatal(err)
		}
		switch {
		case n != distinct:
			t.Errorf("run %s stores %d episodes for %d indices", id, n, distinct)
		case n == total:
			totals[total]++
		case n != 0:
			t.Errorf("run %s: %d of %d episodes played", id, n, total)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return totals
}
