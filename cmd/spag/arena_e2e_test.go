package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/spagtest"
)

type arenaOut struct {
	Game  string            `json:"game"`
	Runs  map[string]string `json:"runs"`
	Roles []struct {
		Role    string `json:"role"`
		WinRate struct {
			Wins, Games int
		} `json:"win_rate"`
		Baseline struct {
			Wins, Games int
		} `json:"baseline_win_rate"`
		Difference struct {
			Diff, Lo, Hi float64
			Known        bool
		} `json:"difference"`
	} `json:"roles"`
}

// TestArenaMeasuresAndResumes plays an arena of the built-in players, loses
// part of one pairing (as a kill would: the games never stored), resumes it
// with the run IDs the arena printed, and gets the same result with every
// game stored once.
func TestArenaMeasuresAndResumes(t *testing.T) {
	dir := t.TempDir()
	const games = 60
	x := spag(t, dir, "arena", "--a", "builtin:skill=0.9", "--b", "builtin:skill=0.2", "--games", "60", "--db", "a.db", "--json")
	if x.Code != 0 {
		t.Fatalf("arena: exit %d, stderr %q", x.Code, x.Stderr)
	}
	var first arenaOut
	mustJSON(t, x.Stdout, &first)
	if len(first.Runs) != 3 || len(first.Roles) != 2 || first.Roles[0].Role != "attacker" || first.Roles[1].Role != "defender" {
		t.Fatalf("arena result %+v", first)
	}
	for _, r := range first.Roles {
		if r.WinRate.Games != games || r.Baseline.Games != games || !r.Difference.Known {
			t.Errorf("%s: %+v; want %d games a side", r.Role, r, games)
		}
	}
	// The strong defender beats the weak baseline's defender.
	if d := first.Roles[1].Difference; d.Diff <= 0 {
		t.Errorf("skill 0.9 defends no better than skill 0.2: %+v", d)
	}
	ids := regexp.MustCompile(`run (r[0-9a-f-]+)`).FindAllStringSubmatch(x.Stderr, -1)
	if len(ids) != 3 {
		t.Fatalf("stderr names %d runs, want 3: %q", len(ids), x.Stderr)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM episodes WHERE run_id = ? AND idx >= 25`, ids[1][1]); err != nil {
		t.Fatal(err)
	}
	db.Close()

	resume := ids[0][1] + "," + ids[1][1] + "," + ids[2][1]
	y := spag(t, dir, "arena", "--db", "a.db", "--resume", resume, "--json")
	if y.Code != 0 {
		t.Fatalf("resumed arena: exit %d, stderr %q", y.Code, y.Stderr)
	}
	if !strings.Contains(y.Stderr, "35/35 100%") || strings.Count(y.Stderr, "0/0 ") != 2 {
		t.Errorf("resume should play only the 35 lost games: %q", y.Stderr)
	}
	var again arenaOut
	mustJSON(t, y.Stdout, &again)
	for i := range first.Roles {
		if first.Roles[i] != again.Roles[i] {
			t.Errorf("resumed arena measured %+v, first %+v (same seeds)", again.Roles[i], first.Roles[i])
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"arena", "--a", "builtin"}, "--a and --b are required"},
		{[]string{"arena", "--a", "builtin", "--b", "builtin", "--words", writeFile(t, dir, "one.txt", "zebra\n")}, "at least 2 words"},
		{[]string{"arena", "--db", "a.db", "--resume", ids[0][1]}, "3 run IDs"},
		{[]string{"arena", "--a", "builtin", "--b", "builtin", "--option", "temperature=0.5"}, `no player takes option "temperature"`},
	} {
		if z := spag(t, dir, tc.args...); z.Code != 2 || !strings.Contains(z.Stderr, tc.want) {
			t.Errorf("spag %v: exit %d, stderr %q; want a usage error saying %q", tc.args, z.Code, z.Stderr, tc.want)
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestArenaInterruptedInTheFirstPairingResumes sends SIGINT while the
// first pairing plays: the arena has recorded all three runs, prints the
// --resume command naming them, and spag runs shows them stopped.
func TestArenaInterruptedInTheFirstPairingResumes(t *testing.T) {
	dir := t.TempDir()
	w := spagtest.Watch(t, binary, dir, "arena", "--a", "builtin:skill=0.9", "--b", "builtin", "--games", "200000", "--words", "builtin", "--db", "a.db")
	runLine := regexp.MustCompile(`: run (r[0-9a-f-]+)`)
	// Interrupted as soon as the first pairing's run is named.
	w.WaitFor(t, "the first pairing's run is named", runLine.MatchString)
	if err := w.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	wantInterrupted(t, w.Wait(), w.Stderr())
	stderr := w.Stderr()
	var ids []string
	for _, m := range runLine.FindAllStringSubmatch(stderr, -1) {
		ids = append(ids, m[1])
	}
	if len(ids) != 3 {
		t.Fatalf("the interrupted arena named runs %v, want all three:\n%s", ids, stderr)
	}
	if want := "spag arena --db a.db --resume " + strings.Join(ids, ","); !strings.Contains(stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, stderr)
	}
	var listed struct {
		Runs []struct {
			Run, State string
		} `json:"runs"`
	}
	mustJSON(t, spag(t, dir, "runs", "--db", "a.db", "--json").Stdout, &listed)
	if len(listed.Runs) != 3 {
		t.Fatalf("spag runs lists %+v, want the arena's three runs", listed.Runs)
	}
	for _, r := range listed.Runs {
		if r.State != "stopped" {
			t.Errorf("run %s is %s, want stopped", r.Run, r.State)
		}
	}
}
