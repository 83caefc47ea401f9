package rl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spag-go/spag/game"
)

// The SPAG training format is a JSON array that SPAG's trainer reads
// directly. Self-play items are
//
//	{"query", "target", "reward", "weight", "role", "judge", "run"}
//
// and supervised items
//
//	{"query", "target", "type": "sft", "weight": 1}
//
// Provenance is written per item ("judge" and "run"), not in a header:
// the file stays the plain array SPAG's trainer expects (it ignores
// unknown keys), and items keep their origin when files are concatenated,
// as SPAG's script does with self-play and SFT data.

// spagItem is one item of a SPAG training file as written.
type spagItem struct {
	Query  string   `json:"query"`
	Target string   `json:"target"`
	Reward *float64 `json:"reward,omitempty"` // absent for SFT items
	Weight float64  `json:"weight"`
	Role   string   `json:"role,omitempty"`
	Type   string   `json:"type,omitempty"`
	Provenance
}

// checkSample validates a sample before export: numbers must be finite and
// self-play samples must say which judge and run produced them.
func checkSample(i int, s *Sample) error {
	if math.IsNaN(s.Reward) || math.IsInf(s.Reward, 0) || math.IsNaN(s.Weight) || math.IsInf(s.Weight, 0) {
		return fmt.Errorf("sample %d: reward %v and weight %v must be finite numbers", i, s.Reward, s.Weight)
	}
	switch s.Type {
	case "":
		if s.Judge == "" {
			return fmt.Errorf("sample %d: no judge in its provenance (set Episode.Judge to the judge's name@version, e.g. strict@1)", i)
		}
		if s.Run == "" {
			return fmt.Errorf("sample %d: no run in its provenance (set Episode.Run to the run that played the episode)", i)
		}
	case TypeSFT:
	default:
		return fmt.Errorf("sample %d: unknown type %q (want empty for self-play or %q)", i, s.Type, TypeSFT)
	}
	return nil
}

// newEncoder encodes JSON without HTML escaping, so that text such as
// "<word>" stays readable, as SPAG's files (ensure_ascii=False) do.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// WriteSPAGTraining writes samples, in the order given, as a SPAG training
// file: a JSON array indented by two spaces (SPAG's script puts the SFT
// items last). Self-play samples must carry their provenance (judge and
// run); SFT items are written without a reward.
func WriteSPAGTraining(w io.Writer, samples []Sample) error {
	return writeAll(NewSPAGTrainingWriter(w), samples)
}

// sampleWriter is what the two format writers share.
type sampleWriter interface {
	Write(s *Sample) error
	Close() error
}

func writeAll(sw sampleWriter, samples []Sample) error {
	for i := range samples {
		if err := sw.Write(&samples[i]); err != nil {
			return err
		}
	}
	return sw.Close()
}

// SPAGTrainingWriter writes a SPAG training file one sample at a time, as
// [WriteSPAGTraining] writes a slice, so that a dataset need not be held in
// memory. Close writes the end of the array; it does not close the
// underlying writer. Not safe for concurrent use.
type SPAGTrainingWriter struct {
	bw   *bufio.Writer
	item bytes.Buffer
	enc  *json.Encoder
	n    int
}

// NewSPAGTrainingWriter starts a SPAG training file on w.
func NewSPAGTrainingWriter(w io.Writer) *SPAGTrainingWriter {
	sw := &SPAGTrainingWriter{bw: bufio.NewWriter(w)}
	sw.enc = newEncoder(&sw.item)
	sw.enc.SetIndent("  ", "  ")
	sw.bw.WriteString("[")
	return sw
}

// Write adds one sample.
func (sw *SPAGTrainingWriter) Write(s *Sample) error {
	i := sw.n
	if err := checkSample(i, s); err != nil {
		return fmt.Errorf("write spag training: %w", err)
	}
	it := spagItem{Query: s.Query, Target: s.Target, Weight: s.Weight, Role: s.Role, Type: s.Type, Provenance: s.Provenance}
	if s.Type != TypeSFT {
		it.Reward = &s.Reward
	}
	sw.item.Reset()
	if err := sw.enc.Encode(it); err != nil {
		return fmt.Errorf("write spag training: sample %d: %w", i, err)
	}
	if i > 0 {
		sw.bw.WriteString(",")
	}
	sw.bw.WriteString("\n  ")
	if _, err := sw.bw.Write(bytes.TrimRight(sw.item.Bytes(), "\n")); err != nil {
		return fmt.Errorf("write spag training: %w", err)
	}
	sw.n++
	return nil
}

// Close ends the array and flushes it.
func (sw *SPAGTrainingWriter) Close() error {
	if sw.n > 0 {
		sw.bw.WriteString("\n")
	}
	sw.bw.WriteString("]\n")
	if err := sw.bw.Flush(); err != nil {
		return fmt.Errorf("write spag training: %w", err)
	}
	return nil
}

// chatLine is one line of a chat JSONL file.
type chatLine struct {
	Messages []game.Message `json:"messages"`
	Reward   float64        `json:"reward"`
	Weight   float64        `json:"weight"`
	Role     string         `json:"role,omitempty"`
	Type     string         `json:"type,omitempty"`
	Provenance
}

// WriteChatJSONL writes samples for common chat trainers, one JSON object a
// line: {"messages": [...the prompt..., {"role": "assistant", "content":
// target}], "reward": x, "weight": y}, plus "role", "type" ("sft" for
// supervised samples) and the provenance fields "judge" and "run". A sample
// without chat messages (read from a SPAG or SFT file) gets its query as
// one user message.
func WriteChatJSONL(w io.Writer, samples []Sample) error {
	return writeAll(NewChatJSONLWriter(w), samples)
}

// ChatJSONLWriter writes chat JSON Lines one sample at a time, as
// [WriteChatJSONL] writes a slice. Close flushes; it does not close the
// underlying writer. Not safe for concurrent use.
type ChatJSONLWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewChatJSONLWriter starts chat JSON Lines on w.
func NewChatJSONLWriter(w io.Writer) *ChatJSONLWriter {
	bw := bufio.NewWriter(w)
	return &ChatJSONLWriter{bw: bw, enc: newEncoder(bw)}
}

// Write adds one sample.
func (cw *ChatJSONLWriter) Write(s *Sample) error {
	i := cw.n
	if err := checkSample(i, s); err != nil {
		return fmt.Errorf("write chat jsonl: %w", err)
	}
	// A fresh slice: appending to s.Messages could write into the
	// caller's spare capacity.
	msgs := make([]game.Message, 0, len(s.Messages)+2)
	if len(s.Messages) > 0 {
		msgs = append(msgs, s.Messages...)
	} else {
		msgs = append(msgs, game.Message{Role: "user", Content: s.Query})
	}
	msgs = append(msgs, game.Message{Role: "assistant", Content: s.Target})
	line := chatLine{Messages: msgs, Reward: s.Reward, Weight: s.Weight, Role: s.Role, Type: s.Type, Provenance: s.Provenance}
	if err := cw.enc.Encode(line); err != nil {
		return fmt.Errorf("write chat jsonl: sample %d: %w", i, err)
	}
	cw.n++
	return nil
}

// Close flushes what is buffered.
func (cw *ChatJSONLWriter) Close() error {
	if err := cw.bw.Flush(); err != nil {
		return fmt.Errorf("write chat jsonl: %w", err)
	}
	return nil
}

// ReadSPAGTraining reads a SPAG training file (a JSON array, or JSON Lines
// with one item a line, as SPAG's loader accepts) for a trainer. As in
// SPAG's trainer, "prompt" may stand for "query" and "answer" for
// "target", and a missing "reward" or "weight" is 1; unknown keys are
// ignored. "type" must be absent, "sample" or "sft". Errors name the file,
// the line and the item.
func ReadSPAGTraining(r io.Reader, name string) ([]Sample, error) {
	var samples []Sample
	err := readItems(r, name, func(it item) error {
		s, err := it.sample()
		if err != nil {
			return err
		}
		if s.Type != TypeSFT {
			if s.Role, err = it.optionalString("role"); err != nil {
				return err
			}
		}
		samples = append(samples, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return samples, nil
}

// ReadSFT reads supervised data to mix into self-play samples: a JSON array
// (or JSON Lines) of {"query", "target"} objects ("prompt" and "answer" are
// accepted too, other keys ignored). Every item becomes a sample of type
// [TypeSFT] with weight 1 and reward 1, whatever the file says. An empty
// file is an error.
func ReadSFT(r io.Reader, name string) ([]Sample, error) {
	var samples []Sample
	err := readItems(r, name, func(it item) error {
		q, t, err := it.queryTarget()
		if err != nil {
			return err
		}
		samples = append(samples, Sample{Query: q, Target: t, Reward: 1, Weight: 1, Type: TypeSFT})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s: no SFT items (want a JSON array of {\"query\": ..., \"target\": ...} objects)", name)
	}
	return samples, nil
}

// item is one object of a dataset file, with where it was found.
type item struct {
	index  int // 1-based
	fields map[string]json.RawMessage
}

// errorf reports a problem with the item; readItems adds the file and line.
func (it item) errorf(format string, args ...any) error {
	return fmt.Errorf("item %d: %s", it.index, fmt.Sprintf(format, args...))
}

// lookup returns the first of keys present.
func (it item) lookup(keys ...string) (string, json.RawMessage, bool) {
	for _, k := range keys {
		if v, ok := it.fields[k]; ok {
			return k, v, true
		}
	}
	return "", nil, false
}

func (it item) str(key string, raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || string(bytes.TrimSpace(raw)) == "null" {
		return "", it.errorf("%q is %s, want a string", key, jsonKind(raw))
	}
	return s, nil
}

func (it item) optionalString(key string) (string, error) {
	raw, ok := it.fields[key]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	return it.str(key, raw)
}

// queryTarget returns the item's query and target, which must be strings.
func (it item) queryTarget() (string, string, error) {
	qk, qraw, ok := it.lookup("query", "prompt")
	if !ok {
		return "", "", it.errorf(`missing "query" (each item needs "query" and "target")`)
	}
	tk, traw, ok := it.lookup("target", "answer")
	if !ok {
		return "", "", it.errorf(`missing "target" (each item needs "query" and "target")`)
	}
	q, err := it.str(qk, qraw)
	if err != nil {
		return "", "", err
	}
	t, err := it.str(tk, traw)
	if err != nil {
		return "", "", err
	}
	return q, t, nil
}

// number returns a finite number field, or def when it is absent.
func (it item) number(key string, def float64) (float64, error) {
	raw, ok := it.fields[key]
	if !ok {
		return def, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || string(bytes.TrimSpace(raw)) == "null" {
		return 0, it.errorf("%q is %s, want a number", key, jsonKind(raw))
	}
	return f, nil
}

// sample decodes a SPAG training item.
func (it item) sample() (Sample, error) {
	var s Sample
	var err error
	if s.Query, s.Target, err = it.queryTarget(); err != nil {
		return s, err
	}
	typ, err := it.optionalString("type")
	if err != nil {
		return s, err
	}
	switch typ {
	case "", "sample":
	case TypeSFT:
		s.Type = TypeSFT
	default:
		return s, it.errorf(`unknown "type" %q (leave it out for self-play items, or use "sft")`, typ)
	}
	if s.Reward, err = it.number("reward", 1); err != nil {
		return s, err
	}
	if s.Weight, err = it.number("weight", 1); err != nil {
		return s, err
	}
	if s.Judge, err = it.optionalString("judge"); err != nil {
		return s, err
	}
	if s.Run, err = it.optionalString("run"); err != nil {
		return s, err
	}
	return s, nil
}

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// readItems calls fn for each object of a JSON array or of JSON Lines
// (chosen by the first character), adding "name:line: " to every error.
func readItems(r io.Reader, name string, fn func(item) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	body := bytes.TrimLeft(data, " \t\r\n")
	if len(body) == 0 {
		return nil
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	at := func(off int64, err error) error { return fmt.Errorf("%s:%d: %w", name, lineAt(off), err) }
	// syntax turns a decoding error into one that names the line.
	syntax := func(base int64, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return at(base+se.Offset, fmt.Errorf("invalid JSON: %v", se))
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%s:%d: invalid JSON: unexpected end of file", name, lineAt(int64(len(data))))
		}
		return at(base, err)
	}
	object := func(index int, raw json.RawMessage) (item, error) {
		it := item{index: index}
		if err := json.Unmarshal(raw, &it.fields); err != nil || it.fields == nil {
			return it, it.errorf("is %s, want an object", jsonKind(raw))
		}
		return it, nil
	}

	if body[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil { // the '['
			return syntax(0, err)
		}
		for index := 1; dec.More(); index++ {
			// The item starts after the separating comma and white space.
			start := dec.InputOffset()
			start += int64(len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n,")))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return syntax(0, err)
			}
			it, err := object(index, raw)
			if err == nil {
				err = fn(it)
			}
			if err != nil {
				return at(start, err)
			}
		}
		if _, err := dec.Token(); err != nil { // the ']'
			return syntax(0, err)
		}
		if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
			return at(dec.InputOffset(), errors.New("data after the closing ]; a file holds one JSON array"))
		}
		return nil
	}

	// JSON Lines: one object a line, blank lines skipped.
	index := 0
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		index++
		var raw json.RawMessage
		if err := json.Unmarshal(line, &raw); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				err = fmt.Errorf("invalid JSON: %v", se)
			}
			return fmt.Errorf("%s:%d: item %d: %w (JSON Lines: one object a line)", name, n+1, index, err)
		}
		it, err := object(index, raw)
		if err == nil {
			err = fn(it)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n+1, err)
		}
	}
	return nil
}

// ReadCorpus reads texts to train a tokenizer on: the queries and targets
// of a SPAG training JSON file when path ends in .json, otherwise the lines
// of a plain text file, one text a line.
func ReadCorpus(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	defer f.Close()
	var texts []string
	if strings.HasSuffix(path, ".json") {
		samples, err := ReadSPAGTraining(f, path)
		if err != nil {
			return nil, err
		}
		for _, s := range samples {
			texts = append(texts, s.Query, s.Target)
		}
		return texts, nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		texts = append(texts, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corpus %s: %w", path, err)
	}
	return texts, nil
}
