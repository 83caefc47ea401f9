package judgecmd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	episodescmd "github.com/spag-go/spag/command/episodes"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
	"github.com/spag-go/spag/taboo/rejudge"
)

// execute runs cmd with args in process on test streams and stdin.
func executeJudge(t *testing.T, newCmd func(*cmdutil.Factory) any, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	c := newCmd(cmdutil.New(io, nil)).(interface {
		SetArgs([]string)
		Execute() error
	})
	c.SetArgs(args)
	err = c.Execute()
	return out.String(), errOut.String(), err
}

func judgeCmd(f *cmdutil.Factory) any {
	c := NewCmdJudge(f, nil)
	c.SilenceUsage, c.SilenceErrors = true, true
	return c
}

func TestNewCmdJudge(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    JudgeOptions
		wantErr string
	}{
		{name: "file", args: []string{"eps.json"}, want: JudgeOptions{File: "eps.json"}},
		{name: "db", args: []string{"--db", "x.db", "--run", "r1", "--record", "--rules", "spag"}, want: JudgeOptions{DB: "x.db", RunID: "r1", Record: true}},
		{name: "no file", wantErr: "takes 1 argument(s), got 0"},
		{name: "db and file", args: []string{"--db", "x.db", "eps.json"}, wantErr: `takes no arguments, got "eps.json"`},
		{name: "run without db", args: []string{"--run", "r1", "eps.json"}, wantErr: "--run and --record need --db"},
		{name: "unknown rules", args: []string{"--rules", "lax", "eps.json"}, wantErr: `--rules: unknown judge "lax"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.Parse(t, NewCmdJudge, tt.args...)
			if cmdtest.Refused(t, err, tt.wantErr) {
				return
			}
			if got.File != tt.want.File || got.DB != tt.want.DB || got.RunID != tt.want.RunID || got.Record != tt.want.Record || got.Judge == nil {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

const spagFile = `[{"target_word": "sun", "history": [{"role": "attacker", "content": "It rises: Sun"}]},
 {"target_word": "dog", "max_turns": 3, "history": [{"role": "attacker", "content": "It barks"}, {"role": "defender", "content": "I know the word! It is dog!"}]}]`

// TestJudgeFileLines: each line carries its verdict as an object, as
// every other output does (issue 26 item 11).
func TestJudgeFileLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eps.json")
	if err := os.WriteFile(path, []byte(spagFile), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"file", "", []string{"--rules", "spag", path}, []string{
			`{"index":0,"subject":"sun","verdict":{"outcome":"attacker_broke_rules","decided_at":1,"rule":"attacker.said_target","evidence":{"turn":1,"start":10,"end":13,"text":"Sun"},"judge":"spag@1"}}`,
			`{"index":1,"subject":"dog","verdict":{"outcome":"defender_wins","decided_at":2,"rule":"defender.correct_guess","evidence":{"turn":2,"start":0,"end":26,"text":"I know the word! It is dog"},"judge":"spag@1"}}`}},
		{"stdin with SPAG's names", spagFile, []string{"--spag-names", "-"}, []string{
			`"index":0,"subject":"sun","verdict":{"outcome":"attacker breaks the rules"`, `"judge":"strict@1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := executeJudge(t, judgeCmd, tt.stdin, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s:\n%s", w, out)
				}
			}
		})
	}
	if _, _, err := executeJudge(t, judgeCmd, "", filepath.Join(t.TempDir(), "nosuch.json")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

var registerOtherGame = sync.OnceFunc(func() {
	game.Games.Register(&game.Description{Name: "judge-test-other", Title: "Other Game", Roles: []string{"a", "b"}})
})

// newStore makes a database of a Taboo run judged by strict whose first
// episode the SPAG judge decides otherwise, and a run of another game.
func newStore(t *testing.T) (path, taboRun, otherRun string) {
	t.Helper()
	registerOtherGame()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "judge.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		run *episodes.Run
		eps []game.Episode
	}{
		{&episodes.Run{Game: taboo.Name, Judge: "strict@1", Total: 2, MaxTurns: 5, Players: map[string]string{"attacker": "builtin", "defender": "builtin"}},
			[]game.Episode{
				{Setup: game.Setup{Index: 0, Subject: "sun"}, StartedAt: start, FinishedAt: start,
					Turns:   []game.Turn{{N: 1, Role: "attacker", Text: "Every Sunday"}, {N: 2, Role: "defender", Text: "I know the word! It is sun!"}},
					Verdict: game.Verdict{Outcome: "defender_wins", DecidedAt: 2, Rule: "defender.correct_guess", Judge: "strict@1"}},
				{Setup: game.Setup{Index: 1, Subject: "dog"}, StartedAt: start, FinishedAt: start,
					Turns:   []game.Turn{{N: 1, Role: "attacker", Text: "It barks"}, {N: 2, Role: "defender", Text: "I know the word! It is dog!"}},
					Verdict: game.Verdict{Outcome: "defender_wins", DecidedAt: 2, Rule: "defender.correct_guess", Judge: "strict@1"}},
			}},
		{&episodes.Run{Game: "judge-test-other", Judge: "o@1", Total: 1, Players: map[string]string{"a": "x", "b": "y"}},
			[]game.Episode{{Setup: game.Setup{Index: 0, Subject: "q"}, StartedAt: start, FinishedAt: start,
				Turns: []game.Turn{{N: 1, Role: "a", Text: "sun"}}, Verdict: game.Verdict{Outcome: "a_wins", DecidedAt: 1, Judge: "o@1"}}}},
	} {
		if err := s.CreateRun(ctx, r.run); err != nil {
			t.Fatal(err)
		}
		for _, ep := range r.eps {
			if err := s.Write(ctx, r.run.ID, ep); err != nil {
				t.Fatal(err)
			}
		}
		if taboRun == "" {
			taboRun = r.run.ID
		} else {
			otherRun = r.run.ID
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return path, taboRun, otherRun
}

func TestJudgeStored(t *testing.T) {
	path, tabooRun, otherRun := newStore(t)
	out, errOut, err := executeJudge(t, judgeCmd, "", "--rules", "spag", "--db", path, "--record")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var l rejudge.Line
	if len(lines) != 1 {
		t.Fatalf("want one episode that differs, got:\n%s", out)
	}
	if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
		t.Fatal(err)
	}
	if l.RunID != tabooRun || l.Subject != "sun" || l.Stored.Outcome != "defender_wins" || l.Rejudged.Outcome != "attacker_broke_rules" || l.Rejudged.Judge != "spag@1" {
		t.Errorf("line = %+v", l)
	}
	for _, w := range []string{"2 episodes re-judged by spag@1: 1 differ from the stored verdict", "1 Other Game episodes skipped"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	// --record stored both new verdicts beside the old ones.
	s, err := episodes.OpenReadOnly(context.Background(), path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.Episodes(context.Background(), episodes.Filter{RunID: tabooRun})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		vs, err := s.Verdicts(context.Background(), rec.ID)
		if err != nil || len(vs) != 1 || vs[0].Judge != "spag@1" {
			t.Errorf("episode %d: verdicts %+v (%v), want spag@1's", rec.ID, vs, err)
		}
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown run", []string{"--db", path, "--run", "nosuch"}, "--run nosuch: no such run in " + path},
		{"another game's run", []string{"--db", path, "--run", otherRun}, "--run " + otherRun + " is a run of Other Game"},
		{"no database", []string{"--db", filepath.Join(t.TempDir(), "nosuch.db"), "--record"}, "no such database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := executeJudge(t, judgeCmd, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, new(cmdutil.UsageError)) {
				t.Errorf("err = %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}

func episodesCmd(f *cmdutil.Factory) any {
	c := episodescmd.NewCmdEpisodes(f)
	c.SilenceUsage, c.SilenceErrors = true, true
	return c
}

// TestImportExport: a SPAG file imported as a judged run comes back whole
// from export --format spag, which holds Taboo's episodes only.
func TestImportExport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "eps.json")
	if err := os.WriteFile(file, []byte(spagFile), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "i.db")
	out, _, err := executeJudge(t, episodesCmd, "", "import", "--db", db, "--rules", "spag", file)
	if err != nil || !strings.Contains(out, "imported 2 episodes as run ") || !strings.Contains(out, "judged by spag@1") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, _, err = executeJudge(t, episodesCmd, "", "export", "--db", db, "--provenance=false")
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 || got[0]["target_word"] != "sun" || got[1]["max_turns"] != 3.0 {
		t.Errorf("export: %v\n%s", err, out)
	}

	for _, tt := range []struct {
		name, file, rules, want string
		usage                   bool
	}{
		{"empty file", "empty.json", "strict", "nothing was imported", false},
		{"unknown rules", "eps.json", "lax", `--rules: unknown judge "lax"`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "empty.json"), []byte("[]"), 0o644); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(t.TempDir(), "x.db")
			_, _, err := executeJudge(t, episodesCmd, "", "import", "--db", db, "--rules", tt.rules, filepath.Join(dir, tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, new(cmdutil.UsageError)) != tt.usage {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused import made %s", db)
			}
		})
	}
}
