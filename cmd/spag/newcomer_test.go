package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/rl/checkpoint"
)

// inProcess runs spag with args in this process and returns its exit code
// and output.
func inProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestNewcomerMismatches checks the small things a newcomer's walkthrough
// found wrong (issue 26 item 13), in process.
func TestNewcomerMismatches(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	store, err := episodes.Open(context.Background(), empty, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	ckpt := filepath.Join(dir, "v3.ckpt")
	c, err := defaultmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(ckpt, c); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
		not  string // in neither
	}{
		// A missing database and one without runs are both usage errors.
		{"stats on a missing database", []string{"stats", "--db", filepath.Join(dir, "none.db")}, 2, "no such database", ""},
		{"stats on an empty database", []string{"stats", "--db", empty}, 2, "holds no runs yet", ""},
		// The kernel as spag version and the docs name it.
		{"model info's kernel", []string{"model", "info", ckpt}, 0, "kernel      " + mat.Path() + " ", "mat-"},
		{"iterate's usage line", []string{"iterate", "--help"}, 0, "--steps S|--epochs E", ""},
		{"model info's examples", []string{"model", "info", "--help"}, 0, "spag model info v3.ckpt", ""},
		{"model init's examples", []string{"model", "init", "--help"}, 0, "--seed 1 --out tiny.ckpt\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := inProcess(t, tt.args...)
			both := stdout + stderr
			if code != tt.code || !strings.Contains(both, tt.want) || (tt.not != "" && strings.Contains(both, tt.not)) {
				t.Errorf("spag %v: exit %d, output %q; want exit %d with %q", tt.args, code, both, tt.code, tt.want)
			}
		})
	}
}

// TestReplayEpisodeSaysEachVerdictOnce shows an episode whose other
// judge's verdict is recorded (spag judge --record): that verdict is
// listed once, as recorded, not again as what the judge would say.
func TestReplayEpisodeSaysEachVerdictOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	if code, _, stderr := inProcess(t, "selfplay", "--games", "4", "--attacker", "builtin", "--defender", "builtin", "--db", db); code != 0 {
		t.Fatalf("selfplay: exit %d: %s", code, stderr)
	}
	if code, _, stderr := inProcess(t, "judge", "--rules", "spag", "--db", db, "--record"); code != 0 {
		t.Fatalf("judge --record: exit %d: %s", code, stderr)
	}
	for ep := 1; ep <= 4; ep++ {
		code, stdout, stderr := inProcess(t, "replay", "--db", db, "--episode", string(rune('0'+ep)))
		if code != 0 {
			t.Fatalf("replay --episode %d: exit %d: %s", ep, code, stderr)
		}
		if n := strings.Count(stdout, "spag@1") + strings.Count(stdout, "the spag judge"); n > 1 {
			t.Errorf("episode %d names the spag judge's verdict %d times:\n%s", ep, n, stdout)
		}
	}
}

// TestReplayPlayerByMeaning finds the runs of a player whatever spelling
// of its spec was typed: builtin,skill=0.9 the runs recorded as
// builtin:skill=0.9.
func TestReplayPlayerByMeaning(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	if code, _, stderr := inProcess(t, "selfplay", "--games", "3", "--attacker", "builtin:skill=0.9", "--defender", "builtin", "--db", db); code != 0 {
		t.Fatalf("selfplay: exit %d: %s", code, stderr)
	}
	for _, tt := range []struct {
		spec string
		rows int
	}{
		{"builtin:skill=0.9", 3},
		{"builtin,skill=0.9", 3},
		{"builtin,skill=0.5", 0},
	} {
		code, stdout, stderr := inProcess(t, "replay", "--db", db, "--player", tt.spec)
		if code != 0 {
			t.Fatalf("replay --player %s: exit %d: %s", tt.spec, code, stderr)
		}
		if n := len(regexp.MustCompile(`(?m)^\d+ +r\d`).FindAllString(stdout, -1)); n != tt.rows {
			t.Errorf("replay --player %s lists %d rows naming the player, want %d:\n%s", tt.spec, n, tt.rows, stdout)
		}
	}
}
