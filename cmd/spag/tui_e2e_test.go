package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spag-go/spag/internal/spagtest"
)

// These tests run the terminal UI in a real terminal: the binary starts in
// a detached tmux session of 80×24 on a private tmux server, keys are sent
// with send-keys and the screen is read with capture-pane.

// tmuxTerm is one spag process in its own tmux server.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

// needTmux skips the test when tmux is missing, except in CI, where the
// test command installs it and a missing tmux is a failure.
func needTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required in CI: %v", err)
		}
		t.Skip("tmux not installed")
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// startTerm runs spag with args in dir inside a new 80×24 terminal. The
// shell prints the exit code as __EXIT=n when spag ends.
func startTerm(t *testing.T, dir string, env []string, args ...string) *tmuxTerm {
	t.Helper()
	needTmux(t)
	term := &tmuxTerm{t: t, socket: fmt.Sprintf("spag-e2e-%d-%s", os.Getpid(), unsafeName.ReplaceAllString(t.Name(), "-"))}
	quoted := []string{shellQuote(binary)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	script := fmt.Sprintf("cd %s && env %s %s; echo __EXIT=$?; sleep 600",
		shellQuote(dir), strings.Join(append([]string{"SPAG_LOG=" + shellQuote(filepath.Join(dir, "tui.log"))}, env...), " "),
		strings.Join(quoted, " "))
	term.tmux("new-session", "-d", "-x", "80", "-y", "24", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })
	return term
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (term *tmuxTerm) tmux(args ...string) string {
	term.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", term.socket, "-f", "/dev/null"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		term.t.Fatalf("tmux %v: %v: %s", args, err, errb.String())
	}
	return out.String()
}

// keys sends key names (Enter, Down, Escape, q...).
func (term *tmuxTerm) keys(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		term.tmux("send-keys", "-t", "0", k)
		// An escape followed at once by another key reads as alt+key.
		if k == "Escape" {
			time.Sleep(150 * time.Millisecond)
		}
	}
}

// typeText types text literally.
func (term *tmuxTerm) typeText(s string) {
	term.t.Helper()
	term.tmux("send-keys", "-t", "0", "-l", s)
}

func (term *tmuxTerm) screen() string {
	term.t.Helper()
	return term.tmux("capture-pane", "-p", "-t", "0")
}

// waitFor waits until the screen shows every text, and returns it. A
// terminal gives no notice of a change, so the screen is read again every
// 50 ms; the bound only catches a screen that never comes (a busy machine
// may take minutes to draw one).
func (term *tmuxTerm) waitFor(texts ...string) string {
	term.t.Helper()
	deadline := time.Now().Add(spagtest.HangBound)
	for {
		s := term.screen()
		missing := ""
		for _, text := range texts {
			if !strings.Contains(s, text) {
				missing = text
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("screen never showed %q; last screen:\n%s", missing, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var exitPattern = regexp.MustCompile(`__EXIT=(\d+)`)

// exitCode waits for spag to end and returns its exit code.
func (term *tmuxTerm) exitCode() int {
	term.t.Helper()
	s := term.waitFor("__EXIT=")
	code, _ := strconv.Atoi(exitPattern.FindStringSubmatch(s)[1])
	return code
}

func TestTUIWatchesSelfplayLive(t *testing.T) {
	dir := t.TempDir()
	term := startTerm(t, dir, []string{"NO_COLOR=1"}, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--tui", "--games", "200", "--concurrency", "4")
	s := term.waitFor("run finished", "200/200", "attacker wins", "defender wins", "games:")
	if !strings.Contains(s, "spag selfplay · ") || strings.Contains(s, "spag watch") {
		t.Errorf("the header does not name the command that runs:\n%s", s)
	}
	if !regexp.MustCompile(`attacker\s+builtin\s+busy 0 · \d+ turns`).MatchString(s) {
		t.Errorf("no load line for the attacker's backend:\n%s", s)
	}
	term.keys("Enter")
	s = term.waitFor("episode #", "verdict:")
	// Every decided game has evidence; a tie has none.
	if !strings.Contains(s, "»") && !strings.Contains(s, "verdict: tie") {
		t.Errorf("focused finished game shows no evidence mark:\n%s", s)
	}
	term.keys("h")
	term.waitFor("word hidden", "verdict hidden")
	term.keys("Escape")
	term.waitFor("games:")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, term.screen())
	}
	// The summary is printed once the UI has left the screen.
	term.waitFor("episodes       200 (judged 200, errored 0)")
	if st := stats(t, dir); st.Episodes != 200 {
		t.Errorf("stored %d episodes, want 200", st.Episodes)
	}
}

func TestTUIWatchesAPOLive(t *testing.T) {
	dir := t.TempDir()
	term := startTerm(t, dir, []string{"NO_COLOR=1"}, "apo", "--tui", "--samples", "2", "--concurrency", "4")
	term.waitFor("run finished", "120/120", "generator wins", "reward model wins", "outcomes  generator ", "games:")
	term.keys("Enter")
	term.waitFor("episode #", "query: ", "verdict:")
	term.keys("Escape")
	term.waitFor("games:")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, term.screen())
	}
	term.waitFor("episodes       120 (judged 120, errored 0)", "reward model wins")
}

func TestTUIWatchFollowsAnAPORun(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "apo", "--games", "20"); r.Code != 0 {
		t.Fatalf("apo: exit %d: %s", r.Code, r.Stderr)
	}
	term := startTerm(t, dir, []string{"NO_COLOR=1"}, "watch", "--db", "spag.db")
	s := term.waitFor("run complete", "20/20", "generator wins", "reward model wins")
	if strings.Contains(s, "attacker") {
		t.Errorf("the APO dashboard names Taboo roles:\n%s", s)
	}
	term.keys("Down", "Enter")
	term.waitFor("episode #", "query: ", "verdict:")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestTUIWatchFollowsTheDatabase(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "30"); r.Code != 0 {
		t.Fatalf("selfplay: exit %d: %s", r.Code, r.Stderr)
	}
	term := startTerm(t, dir, nil, "watch", "--db", "spag.db")
	term.waitFor("run complete", "30/30", "30 most recently stored")
	term.keys("Down", "Enter")
	term.waitFor("episode #", "verdict:")
	term.keys("Escape")
	term.waitFor("30/30")
	term.keys("Tab")
	term.waitFor("spag replay", "30 episodes")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestTUIWatchFollowsAnIterateLoop follows a real loop that another
// process runs. The loop is stopped (SIGSTOP) once round 2's self-play has
// begun its run, so that the screen can be checked in that stage whatever
// the machine's speed, then let go on to its end.
func TestTUIWatchFollowsAnIterateLoop(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), spagtest.HangBound)
	defer cancel()
	loop, sc := startWatched(t, ctx, dir, "iterate", "--rounds", "2", "--games", "6", "--eval-games", "4", "--steps", "2",
		"--batch-size", "2", "--out", "loop", "--db", "it.db", "--seed", "3", "--concurrency", "4")
	var said []string
	begun := false
	for !begun && sc.Scan() {
		said = append(said, sc.Text())
		begun = strings.Contains(sc.Text(), "round 2: self-play of")
	}
	if !begun {
		loop.Wait()
		t.Fatalf("the loop ended before round 2's self-play; it said:\n%s", strings.Join(said, "\n"))
	}
	if err := loop.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stop the loop: %v; it said:\n%s", err, strings.Join(said, "\n"))
	}
	stopped := true
	t.Cleanup(func() {
		if stopped { // the test failed while the loop was stopped
			loop.Process.Kill()
			loop.Wait()
		}
	})
	drained := make(chan struct{})
	go func() { // the loop must not block on a full pipe once it goes on
		defer close(drained)
		for sc.Scan() {
			said = append(said, sc.Text())
		}
	}()

	// Without --loop, watch follows the loop: the newest run is its own.
	term := startTerm(t, dir, []string{"NO_COLOR=1"}, "watch", "--db", "it.db", "--every", "100ms")
	s := term.waitFor("spag watch · loop l", "round 2/2 · ▸selfplay rewards", "round 2 selfplay · r", "games:")
	// Round 1's evaluation: the policy in both roles against the reference
	// (the shipped model, "native") and the builtin players.
	for _, row := range []string{`(?m)^1\s+native\s+\d+% \[\d+–\d+\] \d/4\s+\d+% \[\d+–\d+\] \d/4`, `(?m)^1\s+builtin\s+\d+% \[`} {
		if !regexp.MustCompile(row).MatchString(s) {
			t.Errorf("no row %s in the win-rate table:\n%s", row, s)
		}
	}
	if !regexp.MustCompile(`round opponent\s+attacker wins\s+defender wins`).MatchString(s) {
		t.Errorf("the table's head names no role:\n%s", s)
	}

	stopped = false
	if err := loop.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	s = term.waitFor("loop complete", "the loop has finished its rounds")
	if !regexp.MustCompile(`(?m)^2\s+builtin\s+\d+% \[`).MatchString(s) || !strings.Contains(s, "round 2/2 · selfplay ✓ rewards ✓ train ✓ eval ✓ plot ✓") {
		t.Errorf("the finished loop's screen:\n%s", s)
	}
	<-drained
	if err := loop.Wait(); err != nil {
		t.Fatalf("the loop: %v; it said:\n%s", err, strings.Join(said, "\n"))
	}
	term.keys("Tab")
	term.waitFor("spag replay", "episodes")
	term.keys("Tab")
	term.waitFor("loop complete")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, term.screen())
	}

	// The loop asked for by name; an unknown one is a usage error. (Each
	// subtest's terminal has a tmux server of its own.)
	t.Run("latest", func(t *testing.T) {
		term := startTerm(t, dir, []string{"NO_COLOR=1"}, "watch", "--db", "it.db", "--loop", "latest")
		term.waitFor("loop complete", "the loop has finished its rounds")
		term.keys("q")
		if code := term.exitCode(); code != 0 {
			t.Fatalf("exit %d:\n%s", code, term.screen())
		}
	})
	t.Run("unknown", func(t *testing.T) {
		term := startTerm(t, dir, nil, "watch", "--db", "it.db", "--loop", "l-nope")
		term.waitFor("--loop l-nope: no such loop")
		if code := term.exitCode(); code != 2 {
			t.Fatalf("exit %d, want 2", code)
		}
	})
}

// hostileSPAG is a SPAG episodes file whose model output tries to clear
// the screen, set the window title, emit a hyperlink and ring the bell.
const hostileSPAG = `[
  {"target_word": "apple", "max_turns": 2, "history": [
    {"role": "attacker", "content": "Hint:\u001b[2J\u001b[H\u001b]0;pwned\u0007 see \u001b]8;;http://evil.example\u001b\\here\u001b]8;;\u001b\\ \u009b31m red end"},
    {"role": "defender", "content": "I know the word! It is apple!"}
  ]}
]`

func TestTUIReplayShowsHostileOutputSafely(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hostile.json"), []byte(hostileSPAG), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := spag(t, dir, "episodes", "import", "--rules", "strict", "hostile.json"); r.Code != 0 {
		t.Fatalf("import: exit %d: %s", r.Code, r.Stderr)
	}
	term := startTerm(t, dir, nil, "replay")
	term.waitFor("spag replay", "1 episodes", "apple")
	term.keys("Enter")
	s := term.waitFor("episode 1 ", "␛[2J", "␛]0;pwned␇", "<U+009B>", "defender_wins")
	if first := strings.SplitN(s, "\n", 2)[0]; !strings.HasPrefix(first, "episode 1 ") {
		t.Errorf("the header is gone (was the screen cleared or the cursor moved?):\n%s", s)
	}
	if title := term.tmux("display-message", "-p", "-t", "0", "#{pane_title}"); strings.Contains(title, "pwned") {
		t.Errorf("model output set the terminal title to %q", title)
	}
	if !strings.Contains(s, "»I know the word! It is apple«") {
		t.Errorf("evidence not marked:\n%s", s)
	}
	term.keys("Left")
	term.waitFor("turn 1/2")
	term.keys("a", "m")
	term.waitFor("exported to episode-1.md")
	md, err := os.ReadFile(filepath.Join(dir, "episode-1.md"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(md, "\x1b\x07") || !bytes.Contains(md, []byte("defender_wins")) {
		t.Errorf("markdown export:\n%s", md)
	}
	term.keys("Escape")
	term.waitFor("1 episodes")
	term.keys("?")
	term.waitFor("keys", "open the episode")
	term.keys("Escape")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestTUIPlayAgainstTheBuiltinPlayer(t *testing.T) {
	dir := t.TempDir()
	term := startTerm(t, dir, nil, "play", "--as", "defender", "--against", "builtin", "--word", "apple", "--seed", "3")
	term.waitFor("you are the defender", "Guess once with")
	term.typeText("Is it a fruit?")
	term.keys("Enter")
	term.waitFor("2  defender  Is it a fruit?", "Guess once with")
	term.typeText("I know the word! It is apple!")
	term.keys("Enter")
	term.waitFor("You win!", "defender_wins", "word was: apple")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, term.screen())
	}
	term.waitFor("game stored as run")
	st := stats(t, dir)
	if st.Episodes != 1 || st.Outcomes["defender_wins"] != 1 || st.Players["defender"] != "human" || st.Players["attacker"] != "builtin" {
		t.Errorf("stats = %+v", st)
	}
}

func TestTUIPlayQuitEarlyStoresNothing(t *testing.T) {
	dir := t.TempDir()
	term := startTerm(t, dir, nil, "play", "--as", "attacker", "--word", "apple", "--seed", "1")
	term.waitFor("you are the attacker", "word: apple", "Make the defender say the word")
	term.keys("C-c")
	if code := term.exitCode(); code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, term.screen())
	}
	term.waitFor("nothing was stored")
	// Not even an empty database (or run, which stats would report as the
	// latest).
	if _, err := os.Stat(filepath.Join(dir, "spag.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an abandoned game left spag.db: %v", err)
	}
}

func TestTUICommandsNeedATerminal(t *testing.T) {
	dir := t.TempDir()
	if r := spag(t, dir, "selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "3"); r.Code != 0 {
		t.Fatalf("selfplay: exit %d: %s", r.Code, r.Stderr)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"watch", []string{"watch"}, "watch needs a terminal"},
		{"play", []string{"play", "--as", "defender"}, "play needs a terminal"},
		{"play without a role", []string{"play"}, "--as is required"},
		{"play with a bad role", []string{"play", "--as", "judge"}, `--as "judge"`},
		{"selfplay --tui", []string{"selfplay", "--tui", "--games", "2"}, "--tui needs a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := spag(t, dir, tt.args...)
			if r.Code != 2 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.Code, r.Stderr, tt.want)
			}
		})
	}
	// Without a terminal, replay keeps printing text.
	r := spag(t, dir, "replay")
	if r.Code != 0 || !strings.Contains(r.Stdout, "ID") || !strings.Contains(r.Stdout, "OUTCOME") {
		t.Errorf("replay to a pipe: exit %d\n%s", r.Code, r.Stdout)
	}
}
