package rl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (run go test -update after checking the change):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// exportSamples are self-play samples and one SFT item, as an export holds
// them.
func exportSamples() []Sample {
	prov := Provenance{Judge: "strict@1", Run: "run-42"}
	return []Sample{
		{
			Query:    "You attack. Target <violin> & co.\n\nGo.",
			Messages: []game.Message{{Role: "system", Content: "You attack. Target <violin> & co."}, {Role: "user", Content: "Go."}},
			Target:   "Which instrument sings highest in a quartet?",
			Reward:   4.0 / 9, Weight: 2.0 / 3, Role: "attacker", Provenance: prov,
		},
		{
			Query:    "You defend.\n\nWhich instrument sings highest in a quartet?",
			Messages: []game.Message{{Role: "system", Content: "You defend."}, {Role: "user", Content: "Which instrument sings highest in a quartet?"}},
			Target:   "I know the word! It is violin!",
			Reward:   1, Weight: 2, Role: "defender", Provenance: prov,
		},
		{Query: "Name a colour.", Target: "Blue — «bleu».", Reward: 1, Weight: 1, Type: TypeSFT},
	}
}

func TestWriteSPAGTraining(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSPAGTraining(&b, exportSamples()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "spag_training.golden.json", b.Bytes())

	// The file is a plain JSON array; SFT items have no reward.
	var items []map[string]any
	if err := json.Unmarshal(b.Bytes(), &items); err != nil {
		t.Fatalf("output is not a JSON array: %v", err)
	}
	if len(items) != 3 {
		t.Fatalf("%d items, want 3", len(items))
	}
	wantKeys := []string{"judge", "query", "reward", "role", "run", "target", "weight"}
	if got := keys(items[0]); !reflect.DeepEqual(got, wantKeys) {
		t.Fatalf("self-play item keys %q, want %q", got, wantKeys)
	}
	if got := keys(items[2]); !reflect.DeepEqual(got, []string{"query", "target", "type", "weight"}) {
		t.Fatalf("sft item keys %q", got)
	}
	if items[2]["type"] != "sft" || items[2]["weight"] != 1.0 {
		t.Fatalf("sft item %v", items[2])
	}
	if !strings.Contains(b.String(), "<violin> & co.") {
		t.Fatal("HTML characters were escaped")
	}

	// Round trip through the reader, which trainers use.
	back, err := ReadSPAGTraining(&b, "out.json")
	if err != nil {
		t.Fatal(err)
	}
	want := exportSamples()
	for i := range want {
		want[i].Messages = nil // the SPAG format keeps the flat query only
	}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip\n%+v\nwant\n%+v", back, want)
	}
}

func TestWriteSPAGTrainingEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSPAGTraining(&b, nil); err != nil {
		t.Fatal(err)
	}
	if b.String() != "[]\n" {
		t.Fatalf("empty export %q", b.String())
	}
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestWriteChatJSONL(t *testing.T) {
	samples := exportSamples()
	// Spare capacity in the caller's slice must not be written to.
	spare := make([]game.Message, 2, 8)
	copy(spare, samples[0].Messages)
	samples[0].Messages = spare

	var b bytes.Buffer
	if err := WriteChatJSONL(&b, samples); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "chat.golden.jsonl", b.Bytes())
	if got := spare[:3][2]; got != (game.Message{}) {
		t.Fatalf("WriteChatJSONL wrote %+v into the caller's slice", got)
	}

	sc := bufio.NewScanner(&b)
	n := 0
	for sc.Scan() {
		var line struct {
			Messages []game.Message `json:"messages"`
			Reward   float64        `json:"reward"`
			Weight   float64        `json:"weight"`
			Type     string         `json:"type"`
			Judge    string         `json:"judge"`
			Run      string         `json:"run"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		s := samples[n]
		last := line.Messages[len(line.Messages)-1]
		if last.Role != "assistant" || last.Content != s.Target {
			t.Fatalf("line %d ends with %+v, want the target as assistant", n+1, last)
		}
		if line.Reward != s.Reward || line.Weight != s.Weight || line.Type != s.Type || line.Judge != s.Judge || line.Run != s.Run {
			t.Fatalf("line %d = %+v, sample %+v", n+1, line, s)
		}
		if s.Messages == nil && (len(line.Messages) != 2 || line.Messages[0] != (game.Message{Role: "user", Content: s.Query})) {
			t.Fatalf("line %d: a sample without chat messages gives %+v", n+1, line.Messages)
		}
		n++
	}
	if n != len(samples) {
		t.Fatalf("%d lines, want %d", n, len(samples))
	}
}

func TestWriteProvenanceRequired(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Sample)
		want string
	}{
		{"no judge", func(s *Sample) { s.Judge = "" }, "sample 1: no judge in its provenance"},
		{"no run", func(s *Sample) { s.Run = "" }, "sample 1: no run in its provenance"},
		{"bad type", func(s *Sample) { s.Type = "rlhf" }, `sample 1: unknown type "rlhf"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			samples := exportSamples()
			tc.edit(&samples[1])
			if err := WriteSPAGTraining(&bytes.Buffer{}, samples); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteSPAGTraining error %v, want %q", err, tc.want)
			}
			if err := WriteChatJSONL(&bytes.Buffer{}, samples); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteChatJSONL error %v, want %q", err, tc.want)
			}
		})
	}
	// SFT items need no provenance.
	sft := []Sample{{Query: "q", Target: "t", Reward: 1, Weight: 1, Type: TypeSFT}}
	if err := WriteSPAGTraining(&bytes.Buffer{}, sft); err != nil {
		t.Fatal(err)
	}
}

func TestReadSFT(t *testing.T) {
	want := []Sample{
		{Query: "Name a colour.", Target: "Blue.", Reward: 1, Weight: 1, Type: TypeSFT},
		{Query: "Add 2 and 2.", Target: "4", Reward: 1, Weight: 1, Type: TypeSFT},
	}
	tests := []struct{ name, in string }{
		{"array", `[{"query": "Name a colour.", "target": "Blue."}, {"query": "Add 2 and 2.", "target": "4"}]`},
		{"aliases and extra keys", `[{"prompt": "Name a colour.", "answer": "Blue.", "id": 7}, {"query": "Add 2 and 2.", "target": "4", "weight": 9, "type": "x"}]`},
		{"JSON Lines", "{\"query\": \"Name a colour.\", \"target\": \"Blue.\"}\n\n{\"query\": \"Add 2 and 2.\", \"target\": \"4\"}\n"},
		{"byte-order mark and space", "\ufeff \n [{\"query\": \"Name a colour.\", \"target\": \"Blue.\"},\n{\"query\": \"Add 2 and 2.\", \"target\": \"4\"}]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSFT(strings.NewReader(tc.in), "sft.json")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ReadSFT = %+v, want %+v", got, want)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"missing target", "[\n  {\"query\": \"a\", \"target\": \"b\"},\n  {\"query\": \"c\"}\n]", `sft.json:3: item 2: missing "target" (each item needs "query" and "target")`},
		{"missing query", `[{"target": "b"}]`, `sft.json:1: item 1: missing "query"`},
		{"target not a string", "[\n{\"query\": \"a\", \"target\": 5}]", `sft.json:2: item 1: "target" is a number, want a string`},
		{"not an object", "[\n\n[1, 2]]", "sft.json:3: item 1: is an array, want an object"},
		{"null item", "[null]", "sft.json:1: item 1: is null, want an object"},
		{"syntax error", "[\n{\"query\": \"a\",\n \"target\": }\n]", "sft.json:3: invalid JSON"},
		{"unterminated", "[\n{\"query\": \"a\", \"target\": \"b\"}", "sft.json:2: invalid JSON: unexpected end of file"},
		{"data after the array", "[]\n[]", "sft.json:1: data after the closing ]"},
		{"JSON Lines syntax error", "{\"query\": \"a\", \"target\": \"b\"}\n\n{\"query\": \n", "sft.json:3: item 2: invalid JSON"},
		{"JSON Lines missing target", "{\"query\": \"a\", \"target\": \"b\"}\n{\"query\": \"c\"}\n", `sft.json:2: item 2: missing "target"`},
		{"empty file", "  \n", "sft.json: no SFT items"},
		{"empty array", "[]", "sft.json: no SFT items"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSFT(strings.NewReader(tc.in), "sft.json")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("ReadSFT error %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestReadSPAGTraining(t *testing.T) {
	in := `[
  {"query": "q1", "target": "t1", "reward": 0.25, "weight": 2, "role": "defender", "judge": "spag@1", "run": "r"},
  {"prompt": "q2", "answer": "t2", "type": "sample"},
  {"query": "q3", "target": "t3", "type": "sft", "weight": 1}
]`
	got, err := ReadSPAGTraining(strings.NewReader(in), "train.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{
		{Query: "q1", Target: "t1", Reward: 0.25, Weight: 2, Role: "defender", Provenance: Provenance{Judge: "spag@1", Run: "r"}},
		{Query: "q2", Target: "t2", Reward: 1, Weight: 1},
		{Query: "q3", Target: "t3", Reward: 1, Weight: 1, Type: TypeSFT},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadSPAGTraining =\n%+v\nwant\n%+v", got, want)
	}
	empty, err := ReadSPAGTraining(strings.NewReader("[]"), "train.json")
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty file: %v %v", empty, err)
	}

	bad := []struct{ in, want string }{
		{`[{"query": "q", "target": "t", "type": "ppo"}]`, `train.json:1: item 1: unknown "type" "ppo" (leave it out for self-play items, or use "sft")`},
		{`[{"query": "q", "target": "t", "reward": "high"}]`, `train.json:1: item 1: "reward" is a string, want a number`},
		{"[\n{\"query\": \"q\", \"target\": \"t\", \"weight\": null}]", `train.json:2: item 1: "weight" is null, want a number`},
		{`[{"query": "q", "target": "t", "role": 1}]`, `train.json:1: item 1: "role" is a number, want a string`},
	}
	for _, tc := range bad {
		if _, err := ReadSPAGTraining(strings.NewReader(tc.in), "train.json"); err == nil || err.Error() != tc.want {
			t.Errorf("ReadSPAGTraining(%s) error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzReadSPAGTraining checks that the reader never panics, names the file
// in every error, and that what it accepts survives a write and a read.
func FuzzReadSPAGTraining(f *testing.F) {
	f.Add(`[{"query": "q", "target": "t", "reward": 0.5, "weight": 1, "role": "attacker", "judge": "j", "run": "r"}]`)
	f.Add(`{"prompt": "q", "answer": "t", "type": "sft"}` + "\n")
	f.Add(`[{"query": "q"}, 1, null]`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, in string) {
		samples, err := ReadSPAGTraining(strings.NewReader(in), "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		// Give self-play items provenance so they can be written.
		for i := range samples {
			if samples[i].Type == "" {
				samples[i].Judge, samples[i].Run = "j", "r"
			}
		}
		var b bytes.Buffer
		if err := WriteSPAGTraining(&b, samples); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		back, err := ReadSPAGTraining(&b, "again.json")
		if err != nil {
			t.Fatalf("read what was written: %v\n%s", err, b.String())
		}
		for i := range back {
			// SFT items are written without a reward and read back as 1.
			if samples[i].Type == TypeSFT {
				samples[i].Reward = 1
			}
		}
		if !reflect.DeepEqual(back, samples) && !(len(back) == 0 && len(samples) == 0) {
			t.Fatalf("round trip\n%+v\nwant\n%+v", back, samples)
		}
	})
}

func TestReadCorpus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		name, path string
		want       []string
		err        string
	}{
		{name: "training JSON gives queries and targets", path: write("train.json", `[{"query": "q1", "target": "t1", "reward": 1, "weight": 1, "role": "attacker"}]`),
			want: []string{"q1", "t1"}},
		{name: "plain text gives lines", path: write("notes.txt", "first line\n  second  \n"), want: []string{"first line", "  second  "}},
		{name: "broken JSON names the file", path: write("bad.json", `[{"query": 1}]`), err: "bad.json"},
		{name: "a missing file", path: filepath.Join(dir, "gone.txt"), err: "read corpus"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCorpus(tt.path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ReadCorpus: %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ReadCorpus = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
