package spagjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
)

// sameJSON fails unless a and b are the same JSON value, whatever the
// white space and key order.
func sameJSON(t *testing.T, a, b []byte) {
	t.Helper()
	parse := func(doc []byte) (any, error) {
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber() // compare numbers as written, whatever their size
		var v any
		err := dec.Decode(&v)
		return v, err
	}
	va, err := parse(a)
	if err != nil {
		t.Fatalf("first document: %v", err)
	}
	vb, err := parse(b)
	if err != nil {
		t.Fatalf("second document: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(va, vb) {
		t.Errorf("documents differ:\n%s\n---\n%s", a, b)
	}
}

func TestSPAGRoundTrip(t *testing.T) {
	in, err := os.ReadFile("testdata/spag_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	eps, err := Read(bytes.NewReader(in), "spag_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 3 || eps[1].TargetWord != "résumé" || eps[0].History[0].Extra["model"] == nil ||
		string(eps[0].Extra["meta"]) == "" || eps[2].History == nil {
		t.Fatalf("read %+v", eps)
	}
	var out bytes.Buffer
	if err := Write(&out, eps); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, in, out.Bytes())
	// Numbers in extra keys are kept as written, not re-formatted.
	if !bytes.Contains(out.Bytes(), []byte("-12.50")) || !bytes.Contains(out.Bytes(), []byte("1e-3")) {
		t.Errorf("extra numbers re-formatted:\n%s", out.Bytes())
	}

	// Through the store and back.
	ctx := context.Background()
	s, _ := openTest(t)
	run := &episodes.Run{Game: "taboo", Judge: "spag@1", MaxTurns: 5}
	if err := s.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := Import(ctx, s, run.ID, eps); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Export(ctx, s, episodes.Filter{RunID: run.ID}, &out); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, in, out.Bytes())

	// Judging an imported episode makes the verdict its own; the export
	// with provenance then names run and judge, and keeps the rest as is.
	recs, err := s.Episodes(ctx, episodes.Filter{RunID: run.ID})
	if err != nil || recs[0].Verdict.Outcome != "" {
		t.Fatalf("imported episode should be unjudged: %+v, %v", recs[0].Verdict, err)
	}
	v := game.Verdict{Outcome: "tie", DecidedAt: 2, Rule: "max_turns", Judge: "spag@1"}
	if err := s.AddVerdict(ctx, recs[0].ID, v); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Episode(ctx, recs[0].ID); err != nil || got.Verdict != v {
		t.Fatalf("episode verdict after AddVerdict = %+v, %v; want %+v", got.Verdict, err, v)
	}
	out.Reset()
	if err := ExportWithProvenance(ctx, s, episodes.Filter{RunID: run.ID}, &out); err != nil {
		t.Fatal(err)
	}
	var withProv []map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &withProv); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, []byte(`{"run":"`+run.ID+`","judge":"spag@1","outcome":"tie","decided_at":2}`), withProv[0][ProvenanceKey])
	if _, ok := withProv[1][ProvenanceKey]; ok {
		t.Error("an unjudged episode got provenance")
	}

	// A second import appends after the first.
	if err := Import(ctx, s, run.ID, eps[:1]); err != nil {
		t.Fatal(err)
	}
	recs, err = s.Episodes(ctx, episodes.Filter{RunID: run.ID, Turns: true})
	if err != nil || len(recs) != 4 || recs[3].Index != 3 || recs[3].Subject != "apple" {
		t.Fatalf("after second import: %d episodes, %v", len(recs), err)
	}
	if recs[0].Turns[1].Player != 1 || recs[0].Turns[1].N != 2 || recs[0].TurnExtra[1] != nil || recs[0].TurnExtra[0] == nil {
		t.Errorf("imported turns %+v extra %q", recs[0].Turns, recs[0].TurnExtra)
	}
}

func TestExportSPAGOfPlayedEpisodes(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	run := createRun(t, s)
	ep := sampleEpisode(0, 2)
	if err := s.Write(ctx, run.ID, ep); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Export(ctx, s, episodes.Filter{RunID: run.ID}, &out); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal([]map[string]any{{
		"target_word": ep.Subject, "max_turns": run.MaxTurns, "history": []map[string]string{
			{"role": "attacker", "content": ep.Turns[0].Text},
			{"role": "defender", "content": ep.Turns[1].Text},
		},
	}})
	sameJSON(t, want, out.Bytes())
	if !bytes.Contains(out.Bytes(), []byte("<&>")) {
		t.Errorf("export escapes HTML characters:\n%s", out.Bytes())
	}

	// A game with other roles cannot be written as SPAG episodes.
	apo := sampleEpisode(1, 1)
	apo.Turns[0].Role = "generator"
	if err := s.Write(ctx, run.ID, apo); err != nil {
		t.Fatal(err)
	}
	s.Flush(ctx)
	if err := Export(ctx, s, episodes.Filter{RunID: run.ID}, &out); err == nil || !strings.Contains(err.Error(), `"generator"`) {
		t.Errorf("ExportSPAG of a generator turn: %v", err)
	}
}

func TestReadSPAGErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad role", `[
  {"target_word": "apple", "max_turns": 5, "history": [
    {"role": "attacker", "content": "hi"},
    {"role": "judge", "content": "no"}]}
]`, `episodes.json:4:14: [0].history[1].role: want "attacker" or "defender", got "judge"`},
		{"role not a string", `[{"target_word": "a", "max_turns": 1, "history": [{"role": 3, "content": ""}]}]`,
			`episodes.json:1:60: [0].history[0].role: want "attacker" or "defender", got number 3`},
		{"syntax", "[\n  {\"target_word\": \"apple\",}\n]",
			`episodes.json:2:27: invalid JSON: invalid character '}' looking for beginning of object key string`},
		{"truncated", "[\n  {\"target_word\": \"apple\"",
			`episodes.json:2:26: invalid JSON: unexpected end of JSON input`},
		{"not an array", `{"target_word": "apple"}`, `episodes.json:1:1: want a JSON array of episodes, got an object`},
		{"episode not an object", "[\n  1,\n  [2]\n]", `episodes.json:2:3: [0]: want an object, got number 1`},
		{"missing history", `[{"target_word": "apple", "max_turns": 5}]`, `episodes.json:1:2: [0]: missing key "history"`},
		{"missing content", `[{"target_word": "w", "max_turns": 5, "history": [{"role": "defender"}]}]`,
			`episodes.json:1:51: [0].history[0]: missing key "content"`},
		{"max_turns not an integer", `[{"target_word": "w", "max_turns": 2.5, "history": []}]`,
			`episodes.json:1:36: [0].max_turns: want an integer from 1 to 1000, got number 2.5`},
		{"max_turns zero", `[{"target_word": "w", "max_turns": 0, "history": []}]`,
			`episodes.json:1:36: [0].max_turns: want an integer from 1 to 1000, got number 0`},
		{"max_turns past taboo's bound", `[{"target_word": "w", "max_turns": 1000000000000, "history": []}]`,
			`episodes.json:1:36: [0].max_turns: want an integer from 1 to 1000, got number 1000000000000`},
		{"NUL in the word", `[{"target_word": "app\u0000le", "history": []}]`,
			`episodes.json:1:18: [0].target_word: "app\x00le" contains the control character U+0000; fix the word`},
		{"bidi override in the word", `[{"target_word": "ab\u202ecd", "history": []}]`,
			`episodes.json:1:18: [0].target_word: "ab\u202ecd" contains the invisible character U+202E; fix the word`},
		{"invalid UTF-8 in the word", "[{\"target_word\": \"br\xffdge\", \"history\": []}]",
			`episodes.json:1:18: [0].target_word: "br�dge" contains invalid UTF-8 (or U+FFFD, which a decoder leaves in its place); fix the word`},
		{"empty word", `[{"target_word": " ", "max_turns": 1, "history": []}]`,
			`episodes.json:1:18: [0].target_word: want a word, got an empty string`},
		{"word not a string", `[{"target_word": null, "max_turns": 1, "history": []}]`,
			`episodes.json:1:18: [0].target_word: want a string, got null`},
		{"history not an array", `[{"target_word": "w", "max_turns": 1, "history": "x"}]`,
			`episodes.json:1:50: [0].history: want an array of messages, got "x"`},
		{"duplicate key", `[{"target_word": "w", "target_word": "v", "max_turns": 1, "history": []}]`,
			`episodes.json:1:23: [0]: duplicate key "target_word"`},
		{"trailing data", `[] []`, `episodes.json:1:4: invalid JSON: invalid character '[' after top-level value`},
		{"empty file", ``, `episodes.json:1:1: invalid JSON: unexpected end of JSON input`},
		{"second episode, CRLF", "[{\"target_word\": \"w\", \"max_turns\": 1, \"history\": []},\r\n {\"target_word\": \"v\", \"max_turns\": true, \"history\": []}]",
			`episodes.json:2:36: [1].max_turns: want an integer from 1 to 1000, got a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), "episodes.json")
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error\n %s\nwant\n %s", err, tt.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("error is a %T, want *Error", err)
			}
		})
	}
}

// TestSPAGEpisodeCheck: the checks a reader applies to each parsed
// episode, and the bound they share with Taboo.
func TestSPAGEpisodeCheck(t *testing.T) {
	if MaxTurns != taboo.MaxMaxTurns {
		t.Errorf("MaxTurns = %d, taboo.MaxMaxTurns = %d: an import would accept what rewards refuses", MaxTurns, taboo.MaxMaxTurns)
	}
	tests := []struct {
		ep   Episode
		want string
	}{
		{Episode{TargetWord: "apple"}, ""},
		{Episode{TargetWord: "apple", MaxTurns: 1000}, ""},
		{Episode{TargetWord: "apple", MaxTurns: 1001}, "max_turns: want an integer from 1 to 1000, got 1001"},
		{Episode{TargetWord: "apple", MaxTurns: -1}, "max_turns: want an integer from 1 to 1000, got -1"},
		{Episode{TargetWord: ""}, "target_word: want a word"},
		{Episode{TargetWord: "x\U000E0041"}, "target_word: \"x\\U000e0041\" contains the invisible character U+E0041"},
	}
	for _, tt := range tests {
		err := tt.ep.Check()
		if (err == nil) != (tt.want == "") || err != nil && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%+v.Check() = %v, want %q", tt.ep, err, tt.want)
		}
	}
}

func TestReadSPAGEmpty(t *testing.T) {
	eps, err := Read(strings.NewReader(" [ ] \n"), "empty.json")
	if err != nil || eps == nil || len(eps) != 0 {
		t.Fatalf("Read([]) = %v, %v", eps, err)
	}
	var out bytes.Buffer
	if err := Write(&out, eps); err != nil || out.String() != "[]\n" {
		t.Errorf("Write of nothing = %q, %v", out.String(), err)
	}
}

func FuzzReadSPAG(f *testing.F) {
	sample, err := os.ReadFile("testdata/spag_sample.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(`[{"target_word": "w", "max_turns": 1, "history": [{"role": "attacker", "content": "x", "k": {}}]}]`))
	f.Add([]byte(`[{"target_word": 1}]`))
	f.Add([]byte("[\n{\"a\":[1,{\"b\":\"\\u00e9\"}]}\n]"))
	f.Fuzz(func(t *testing.T, in []byte) {
		eps, err := Read(bytes.NewReader(in), "fuzz.json")
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("error %v is not a positioned *Error", err)
			}
			return
		}
		// What was read writes back to the same JSON value, and reads
		// again into the same episodes.
		var out bytes.Buffer
		if err := Write(&out, eps); err != nil {
			t.Fatal(err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), "again.json")
		if err != nil {
			t.Fatalf("reading what was written: %v\n%s", err, out.Bytes())
		}
		var out2 bytes.Buffer
		if err := Write(&out2, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("write is not stable:\n%s\n---\n%s", out.Bytes(), out2.Bytes())
		}
		sameJSON(t, in, out.Bytes())
	})
}

// TestSPAGWithoutMaxTurns: max_turns is optional (the judge takes the
// default of 5); an episode without it reads, imports and writes back
// without one.
func TestSPAGWithoutMaxTurns(t *testing.T) {
	in := `[{"target_word": "apple", "history": [{"role": "attacker", "content": "a fruit"}]}]`
	eps, err := Read(strings.NewReader(in), "episodes.json")
	if err != nil {
		t.Fatal(err)
	}
	if eps[0].MaxTurns != 0 {
		t.Errorf("MaxTurns %d, want 0 (absent)", eps[0].MaxTurns)
	}
	var out bytes.Buffer
	if err := Write(&out, eps); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, []byte(in), out.Bytes())

	ctx := context.Background()
	s, _ := openTest(t)
	run := &episodes.Run{Game: "taboo", Judge: "spag@1", MaxTurns: 3}
	if err := s.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := Import(ctx, s, run.ID, eps); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Export(ctx, s, episodes.Filter{RunID: run.ID}, &out); err != nil {
		t.Fatal(err)
	}
	// The store has no max_turns of its own for it: the run's is written.
	sameJSON(t, []byte(`[{"target_word": "apple", "max_turns": 3, "history": [{"role": "attacker", "content": "a fruit"}]}]`), out.Bytes())
}

// TestImportSPAGRunIsAtomic imports a file as a new run, judged, and
// interrupts another import half-way: the first leaves a run whose every
// episode is judged, the second leaves nothing, not even an empty run that
// would become the latest.
func TestImportSPAGRunIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	eps := make([]Episode, 50)
	for i := range eps {
		eps[i] = Episode{TargetWord: "word", MaxTurns: 5, History: []Message{
			{Role: "attacker", Content: "hint"}, {Role: "defender", Content: "guess"}}}
	}
	verdict := func(i int, ep *Episode) game.Verdict {
		return game.Verdict{Outcome: "tie", DecidedAt: len(ep.History), Rule: "max_turns", Judge: "strict@1"}
	}
	done := &episodes.Run{Game: "taboo(imported=a.json)", Judge: "strict@1", Total: len(eps)}
	if err := ImportRun(ctx, s, done, Episodes(eps), verdict); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, done.ID)
	if err != nil || st.Episodes != len(eps) || st.Outcomes["tie"] != len(eps) {
		t.Fatalf("imported run: %+v, %v; want %d judged episodes", st, err, len(eps))
	}
	// Total and subjects come from the episodes as they were stored.
	if full, err := s.Run(ctx, done.ID); err != nil || full.Total != len(eps) || len(full.Subjects) != len(eps) || full.Subjects[49] != "word" || done.Total != len(eps) {
		t.Errorf("imported run %+v, %v; want total and subjects of %d episodes", full, err, len(eps))
	}
	recs, err := s.Episodes(ctx, episodes.Filter{RunID: done.ID, Limit: 1})
	if err != nil || len(recs) != 1 {
		t.Fatal(recs, err)
	}
	if vs, err := s.Verdicts(ctx, recs[0].ID); err != nil || len(vs) != 1 || vs[0].Judge != "strict@1" {
		t.Errorf("verdicts of an imported episode: %+v, %v", vs, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cut := &episodes.Run{Game: "taboo(imported=b.json)", Judge: "strict@1", Total: len(eps)}
	err = ImportRun(cctx, s, cut, Episodes(eps), func(i int, ep *Episode) game.Verdict {
		if i == 20 {
			cancel() // as a first Ctrl-C would, half-way
		}
		return verdict(i, ep)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import: %v, want context.Canceled", err)
	}
	// A file whose third episode is bad is read and stored as it goes;
	// the error leaves nothing either.
	bad := NewReader(strings.NewReader(`[{"target_word": "a", "history": []}, {"target_word": "b", "history": []}, {"target_word": 3}]`), "bad.json")
	err = ImportRun(ctx, s, &episodes.Run{Game: "taboo(imported=bad.json)", Judge: "strict@1"}, bad.All(ctx), verdict)
	var se *Error
	if !errors.As(err, &se) || se.Path != "[2].target_word" {
		t.Fatalf("import of a bad file: %v, want the file's error", err)
	}
	runs, err := s.Runs(ctx)
	if err != nil || len(runs) != 1 || runs[0].ID != done.ID {
		t.Errorf("runs after an interrupted import: %v, %v; want only %s", runs, err, done.ID)
	}
	if all, err := s.Stats(ctx, ""); err != nil || all.Episodes != len(eps) {
		t.Errorf("store holds %d episodes (%v), want %d", all.Episodes, err, len(eps))
	}
	if latest, err := s.LatestRun(ctx); err != nil || latest.ID != done.ID {
		t.Errorf("latest run %v, %v; want %s", latest, err, done.ID)
	}
	if err := ImportRun(ctx, s, &episodes.Run{Judge: "x"}, Episodes(eps[:1]), func(int, *Episode) game.Verdict { return game.Verdict{} }); err == nil {
		t.Error("a verdict without a judge was stored")
	}
	// An empty file makes no empty run to pass for the latest.
	err = ImportRun(ctx, s, &episodes.Run{Game: "taboo(imported=empty.json)", Judge: "strict@1"}, Episodes(nil), verdict)
	if !errors.Is(err, episodes.ErrNoEpisodes) {
		t.Errorf("import of no episodes: %v, want episodes.ErrNoEpisodes", err)
	}
	if runs, err := s.Runs(ctx); err != nil || len(runs) != 1 {
		t.Errorf("runs after an empty import: %v, %v; want only %s", runs, err, done.ID)
	}
}
