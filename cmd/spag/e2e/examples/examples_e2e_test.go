package examples

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spag-go/spag/internal/ollamatest"
	"github.com/spag-go/spag/internal/spagtest"
)

// The examples of the help texts, the README and the pages of docs/ are
// run as written, with sizes made small, so that a broken example fails
// the suite.
//
// An example is a line that starts with "spag " in a command's Example or
// in a code block of a page ("$ spag " too), with "\" continuations joined.
// The lines of one Example, or of one code block, run in order in a
// fresh copy of a prepared directory (the files and databases they name:
// spag.db and runs.db with a Taboo and an APO run, shard0.db to
// shard3.db with the four shards of one run, episodes.json,
// mywords.txt, mine.jsonl, alpaca.json, model.ckpt, sft.ckpt,
// round2.ckpt, model.gguf, and for the definitions task prefs.jsonl,
// heldout.jsonl, gen.ckpt and rm.ckpt, a scalar reward model), so a later
// line may use what an earlier one wrote. The
// sample run ID r20261126-151200-3fa9 becomes the ID of a run of the right
// game in the database the line names.
//
// Made small: --games N becomes --games 2 (--eval-games N too) (and selfplay and apo get
// --games 2 when they have no --games and do not --resume), --steps N and
// --epochs N become --steps 2 (--rm-steps and --gen-steps too), --size N
// becomes --size 100, --queries N becomes --queries 2, and an APO loop
// without --eval-queries gets --eval-queries 2.
//
// Not run here, by these markers alone: README synopses (a line with
// " [", optional parts such as [--run ID]); lines that need a terminal
// (spag play, spag watch, --tui), which tui_e2e_test.go runs in tmux;
// lines naming remote hosts (http://gpu1:8000/v1); lines running a trainer
// of examples/ by its repository path; and spag arena
// --resume with the three run IDs of an earlier arena.
// Lines that need a model server (ollama:, openai:, --ollama,
// --ollama-model) run against the real Ollama test server, with its tiny
// model in place of the named ones and --option max_tokens=8.

// sampleRunID is the run ID the help texts and the README use.
const sampleRunID = "r20261126-151200-3fa9"

type exampleBlock struct {
	source string   // where it is written, for messages
	lines  []string // commands, continuations joined
}

// helpExamples collects the Example lines of every command from its page
// in docs/cli, which cmd/spag's TestCommandDocsAreCurrent keeps equal to
// the command's help (this package runs the built binary and cannot reach
// the command tree itself).
func helpExamples(t *testing.T) []exampleBlock {
	t.Helper()
	pages, err := filepath.Glob("../../../../docs/cli/*.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "\n### Examples\n\n```\n"
	var out []exampleBlock
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		title := strings.Index(text, "\n## ")
		start := strings.Index(text, marker)
		if title < 0 || start < 0 {
			continue
		}
		name, _, _ := strings.Cut(text[title+len("\n## "):], "\n")
		body, _, _ := strings.Cut(text[start+len(marker):], "\n```")
		if lines := exampleLines(strings.Split(body, "\n")); len(lines) > 0 {
			out = append(out, exampleBlock{source: name + " --help", lines: lines})
		}
	}
	return out
}

// docPages are the pages whose code blocks are run: the README and every
// page of docs/ but the generated command pages of docs/cli (their
// examples are the help texts', run above).
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("../../../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../../../../README.md"}, pages...)
}

// readmeExamples collects the spag lines of each code block of the
// Markdown page at path.
func readmeExamples(t *testing.T, path string) []exampleBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []exampleBlock
	var block []string
	in, start, n := false, 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if in {
				if lines := exampleLines(block); len(lines) > 0 {
					out = append(out, exampleBlock{source: fmt.Sprintf("%s:%d", strings.TrimPrefix(path, "../../../../"), start), lines: lines})
				}
				block = nil
			}
			in, start = !in, n+1
			continue
		}
		if in {
			block = append(block, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// exampleLines joins continuations and keeps the lines that run spag.
func exampleLines(raw []string) []string {
	var out []string
	for i := 0; i < len(raw); i++ {
		line := strings.TrimSpace(raw[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(raw) {
			i++
			line = strings.TrimSpace(strings.TrimSuffix(line, `\`)) + " " + strings.TrimSpace(raw[i])
		}
		line = strings.TrimPrefix(line, "$ ")
		if strings.HasPrefix(line, "spag ") || line == "spag" {
			out = append(out, stripComment(line))
		}
	}
	return out
}

// stripComment drops a trailing shell comment (" # ...").
func stripComment(line string) string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// urlHost finds the host of each URL in a line.
var urlHost = regexp.MustCompile(`https?://([^/:,\s"]+)`)

// remoteHost reports whether line names a server other than this machine
// (a docs page's cluster of gpu1, gpu2, ...); the test server is local.
func remoteHost(line string) bool {
	for _, m := range urlHost.FindAllStringSubmatch(line, -1) {
		if m[1] != "127.0.0.1" && m[1] != "localhost" {
			return true
		}
	}
	return false
}

// skipReason says why a line is not run here, by the markers of the
// comment above; "" runs it.
func skipReason(line string) string {
	switch {
	case strings.Contains(line, " ["):
		return "a synopsis, not an example"
	case strings.HasPrefix(line, "spag play"), strings.HasPrefix(line, "spag watch"), strings.Contains(line, "--tui"):
		return "needs a terminal (tui_e2e_test.go runs it in tmux)"
	case strings.Contains(line, "examples/torch/"), strings.Contains(line, "examples/trl/"):
		return "runs a trainer of the repository's examples/ by its path (TestIterateTorchTrainer runs the PyTorch one)"
	case remoteHost(line):
		return "names the hosts of a cluster, which this machine cannot reach"
	case arenaResume.MatchString(line):
		return "resumes the three runs of an earlier arena by their IDs (arena's own tests resume one)"
	}
	return ""
}

func needsServer(line string) bool {
	return strings.Contains(line, "ollama:") || strings.Contains(line, "openai:") || strings.Contains(line, "--ollama")
}

var (
	gamesFlag  = regexp.MustCompile(`--(eval-)?games \d+`)
	stepsFlag  = regexp.MustCompile(`--(rm-|gen-)?(steps|epochs) \d+`)
	queryFlag  = regexp.MustCompile(`--queries \d+`)
	sizeFlag   = regexp.MustCompile(`--size \d+`)
	listFlag   = regexp.MustCompile(`--list-size \d+`)
	dbFlag     = regexp.MustCompile(`--db (\S+)`)
	ollamaSpec = regexp.MustCompile(`ollama:[A-Za-z0-9._/-]+(:[A-Za-z0-9._-]+)?`)
	openaiSpec = regexp.MustCompile(`openai:[^@\s]+@http://127\.0\.0\.1:8000/v1`)
	ollamaName = regexp.MustCompile(`--ollama-model (llama2-tiny)`)
	// arenaResume is spag arena --resume A,B,C: IDs no fixture can have.
	arenaResume = regexp.MustCompile(`^spag arena .*--resume r[0-9-a-f]+,`)
)

// smaller rewrites one command of a line (one side of "&&") to small sizes.
func smaller(cmd string) string {
	cmd = gamesFlag.ReplaceAllString(cmd, "--${1}games 2")
	cmd = stepsFlag.ReplaceAllString(cmd, "--${1}steps 2")
	cmd = queryFlag.ReplaceAllString(cmd, "--queries 2")
	if strings.Contains(cmd, "--game apo") && !strings.Contains(cmd, "--eval-queries") {
		cmd += " --eval-queries 2"
	}
	cmd = sizeFlag.ReplaceAllString(cmd, "--size 100")
	cmd = listFlag.ReplaceAllString(cmd, "--list-size 10")
	fields := strings.Fields(cmd)
	if len(fields) >= 2 && fields[0] == "spag" && (fields[1] == "selfplay" || fields[1] == "apo" && (len(fields) == 2 || strings.HasPrefix(fields[2], "-"))) &&
		!strings.Contains(cmd, "--games") && !strings.Contains(cmd, "--resume") {
		// Before a pipe or redirection, if any.
		cut := len(cmd)
		if i := strings.IndexAny(cmd, "|<>"); i >= 0 {
			cut = i
		}
		cmd = strings.TrimSpace(cmd[:cut]) + " --games 2 " + cmd[cut:]
	}
	return strings.TrimSpace(cmd)
}

// runIDs maps each database of the fixture to its Taboo and APO run.
type runIDs map[string]map[bool]string

func (ids runIDs) substitute(cmd string) string {
	if !strings.Contains(cmd, sampleRunID) {
		return cmd
	}
	db := "spag.db"
	if m := dbFlag.FindStringSubmatch(cmd); m != nil {
		db = m[1]
	}
	return strings.ReplaceAll(cmd, sampleRunID, ids[db][strings.HasPrefix(cmd, "spag apo")])
}

// exampleFixture prepares the directory every block starts from.
func exampleFixture(t *testing.T) (string, runIDs) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mywords.txt", "apple\nriver\ncloud\n")
	write("mine.jsonl", "{\"query\": \"Why rain?\", \"gold\": \"Clouds cool.\"}\n{\"query\": \"Sun hot?\", \"gold\": \"Yes, very.\"}\n")
	write("alpaca.json", `[{"query": "Say hi.", "target": "hi"}]`)
	for _, d := range []string{"taboo", "players/scripted", "apo/definitions"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ids := runIDs{}
	for _, db := range []string{"spag.db", "runs.db"} {
		ids[db] = map[bool]string{}
		// The APO run first: commands without --run read the latest, and
		// most examples are about Taboo.
		for _, args := range [][]string{
			{"apo", "--games", "4", "--db", db},
			{"selfplay", "--attacker", "builtin", "--defender", "builtin", "--games", "50", "--db", db},
		} {
			r := spag(t, dir, args...)
			m := runIDPattern.FindStringSubmatch(r.Stderr)
			if r.Code != 0 || m == nil {
				t.Fatalf("fixture: spag %v: exit %d\n%s", args, r.Code, r.Stderr)
			}
			ids[db][args[0] == "apo"] = m[1]
		}
	}
	// Four shards of one run, for the merge examples, played as the
	// README's shard example plays them once made small.
	for i := range 4 {
		args := []string{"selfplay", "--games", "2", "--shard", fmt.Sprintf("%d/4", i), "--db", fmt.Sprintf("shard%d.db", i)}
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("fixture: spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	for _, args := range [][]string{
		{"episodes", "export", "--db", "spag.db", "--run", ids["spag.db"][false], "--out", "episodes.json"},
		{"episodes", "export", "--db", "spag.db", "--run", ids["spag.db"][false], "--out", "spag_episodes.json"},
		{"rewards", "--db", "spag.db", "--out", "fixture-train.json"},
		{"model", "init", "--preset", "tiny", "--seed", "1", "--corpus", "fixture-train.json", "--out", "model.ckpt"},
		{"train", "--objective", "sft", "--data", "fixture-train.json", "--init", "model.ckpt", "--steps", "2", "--out", "sft.ckpt"},
		{"model", "export", "--ckpt", "model.ckpt", "--gguf", "model.gguf"},
		{"model", "init", "--preset", "tiny", "--seed", "2", "--corpus", "fixture-train.json", "--out", "round2.ckpt"},
		{"apo", "preferences", "--out", "prefs.jsonl"},
		{"apo", "preferences", "--prompts", "definitions:heldout", "--out", "heldout.jsonl"},
		{"apo", "gold", "--out", "fixture-gold.json"},
		// No KL penalty: with one, the trainer first scores all 4,000
		// gold glosses with the reference (12 CPU seconds of the
		// fixture's 25), and the examples use gen.ckpt only as a generator.
		{"train", "--objective", "sft", "--beta", "0", "--data", "fixture-gold.json", "--init", "model.ckpt", "--steps", "2", "--out", "gen.ckpt"},
		{"train", "--objective", "apo", "--score", "scalar", "--data", "prefs.jsonl", "--init", "model.ckpt", "--steps", "2", "--out", "rm.ckpt"},
	} {
		if r := spag(t, dir, args...); r.Code != 0 {
			t.Fatalf("fixture: spag %v: exit %d\n%s", args, r.Code, r.Stderr)
		}
	}
	return dir, ids
}

// copyDir copies the fixture's files (no subdirectories but empty ones).
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	cmd := exec.Command("cp", "-a", from+"/.", to)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v\n%s", err, out)
	}
	return to
}

// runExample runs one line in dir with bash, the spag under test first on
// PATH; it returns the combined output and whether it succeeded.
// It logs the CPU seconds the line used (go test -v shows them), which
// say where the test's time goes whatever else the machine runs.
func runExample(t *testing.T, dir, line string, env []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), spagtest.HangBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PATH="+filepath.Dir(binary)+":"+os.Getenv("PATH")), env...)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil {
		// bash's usage includes that of the commands it waited for.
		t.Logf("%.2f CPU seconds: %s", (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), line)
	}
	return string(out), err
}

func TestHelpAndREADMEExamplesRun(t *testing.T) {
	blocks := helpExamples(t)
	for _, page := range docPages(t) {
		blocks = append(blocks, readmeExamples(t, page)...)
	}
	if len(blocks) < 20 {
		t.Fatalf("only %d example blocks found; is the parser broken?", len(blocks))
	}
	fixture, ids := exampleFixture(t)
	var server []exampleBlock
	for _, b := range blocks {
		if slicesAny(b.lines, needsServer) {
			server = append(server, b)
			continue
		}
		t.Run(b.source, func(t *testing.T) { runBlock(t, b, fixture, ids, nil) })
	}
	// The model-server examples share one real Ollama server: exports
	// first, since others use the models they create.
	sort.SliceStable(server, func(i, j int) bool {
		return strings.Contains(strings.Join(server[i].lines, " "), "model export") &&
			!strings.Contains(strings.Join(server[j].lines, " "), "model export")
	})
	t.Run("model server", func(t *testing.T) {
		srv := ollamatest.Shared(t)
		env := []string{"OLLAMA_HOST=" + srv.URL}
		for _, b := range server {
			t.Run(b.source, func(t *testing.T) {
				for i, line := range b.lines {
					b.lines[i] = onTestServer(line, srv.URL)
				}
				runBlock(t, b, fixture, ids, env)
			})
		}
	})
}

func slicesAny(lines []string, f func(string) bool) bool {
	for _, l := range lines {
		if f(l) {
			return true
		}
	}
	return false
}

// onTestServer points a model-server line at the test server's tiny model.
func onTestServer(line, url string) string {
	line = ollamaSpec.ReplaceAllString(line, "ollama:"+ollamatest.ModelName)
	line = openaiSpec.ReplaceAllString(line, "openai:"+ollamatest.ModelName+"@"+url+"/v1")
	line = ollamaName.ReplaceAllString(line, "--ollama-model "+ollamatest.ModelName)
	if needsServer(line) && !strings.Contains(line, "--resume") && (strings.HasPrefix(line, "spag selfplay") ||
		strings.HasPrefix(line, "spag apo ") && strings.HasPrefix(strings.Fields(line)[2], "-")) {
		// A random-weight model talks until its cap.
		line += " --option max_tokens=8"
	}
	return line
}

func runBlock(t *testing.T, b exampleBlock, fixture string, ids runIDs, env []string) {
	dir := copyDir(t, fixture)
	for _, line := range b.lines {
		if why := skipReason(line); why != "" {
			t.Logf("not run (%s): %s", why, line)
			continue
		}
		var parts []string
		for _, c := range strings.Split(line, "&&") {
			parts = append(parts, ids.substitute(smaller(strings.TrimSpace(c))))
		}
		cmd := strings.Join(parts, " && ")
		out, err := runExample(t, dir, cmd, env)
		if err != nil {
			t.Errorf("%s: example %q (run as %q) failed: %v\n%s", b.source, line, cmd, err, tail(out, 3000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestExampleRewrites pins the rewriting rules the example test relies on.
func TestExampleRewrites(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"spag selfplay", "spag selfplay --games 2"},
		{"spag selfplay --games 100000 --db x.db", "spag selfplay --games 2 --db x.db"},
		{"spag apo", "spag apo --games 2"},
		{"spag apo items --out items.jsonl", "spag apo items --out items.jsonl"},
		{"spag selfplay --db runs.db --resume r1", "spag selfplay --db runs.db --resume r1"},
		{"spag train --epochs 4 --out rm.ckpt", "spag train --steps 2 --out rm.ckpt"},
		{"spag iterate --game apo --queries 1000 --rm-steps 200 --gen-steps 50 --out l", "spag iterate --game apo --queries 2 --rm-steps 2 --gen-steps 2 --out l --eval-queries 2"},
		{"spag iterate --game apo --eval-queries 9 --out l", "spag iterate --game apo --eval-queries 9 --out l"},
		{"spag stats --json | jq .outcomes", "spag stats --json | jq .outcomes"},
	} {
		if got := smaller(tt.in); got != tt.want {
			t.Errorf("smaller(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := exampleLines([]string{"  spag words build --size 5 \\", "    --out w.txt   # a comment", "apt-get install x", "$ spag judge f.json"})
	if want := []string{"spag words build --size 5 --out w.txt", "spag judge f.json"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("exampleLines = %q, want %q", got, want)
	}
	ids := runIDs{"runs.db": {false: "rT", true: "rA"}, "spag.db": {false: "sT", true: "sA"}}
	if got := ids.substitute("spag apo --db runs.db --resume " + sampleRunID); got != "spag apo --db runs.db --resume rA" {
		t.Errorf("substitute: %q", got)
	}
	if got := ids.substitute("spag judge --rules spag --run " + sampleRunID); got != "spag judge --rules spag --run sT" {
		t.Errorf("substitute: %q", got)
	}
}
