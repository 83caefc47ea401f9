// Package spagjson is SPAG's episodes JSON, Adversarial Taboo's format in
// the SPAG reference code: a reader that holds one episode at a time
// ([Reader]), the import of a file as a run of the store ([ImportRun], on
// the store's generic [episodes.Store.ImportRun]) and the export of stored
// episodes back to the format ([Export]). It lives under taboo/ because
// it names Taboo's roles; the store knows no game.
package spagjson

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"sort"
	"strconv"
	"strings"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/safetext"
)

// SPAG roles, the only ones SPAG episodes JSON knows.
const (
	roleAttacker = "attacker"
	roleDefender = "defender"
)

// Episode is one element of a SPAG episodes JSON file:
//
//	{"target_word": str, "max_turns": int, "history": [{"role": "attacker"|"defender", "content": str}, ...]}
//
// max_turns may be missing: MaxTurns is then 0, which readers take as the
// game's default (5 for Taboo), and writing leaves the key out again.
//
// Keys the format does not define are kept verbatim in Extra, so that
// reading and writing a file loses nothing.
type Episode struct {
	TargetWord string
	MaxTurns   int
	History    []Message
	// Extra maps every other key to its JSON value; nil when none.
	Extra map[string]json.RawMessage
}

// Message is one utterance of a SPAG history.
type Message struct {
	Role    string // "attacker" or "defender"
	Content string
	// Extra maps every other key to its JSON value; nil when none.
	Extra map[string]json.RawMessage
}

// MaxTurns is the largest max_turns a SPAG episode may give: Taboo's
// (taboo.MaxMaxTurns), so that what an import accepts, rewards and judge
// can play back.
const MaxTurns = 1000

// Check reports the first value of e that spag cannot store and play back,
// naming its key: an empty target word or one holding a character that a
// reader cannot see as itself (invalid UTF-8, NUL and other controls,
// bidirectional overrides such as U+202E, zero-width and tag characters;
// the checks of --words files), or a max_turns outside 1..[MaxTurns]
// (0 means none given). Readers of SPAG files apply the same checks to
// each episode they parse, adding its position.
func (e Episode) Check() error {
	if err := checkSPAGWord(e.TargetWord); err != nil {
		return fmt.Errorf("target_word: %w", err)
	}
	if e.MaxTurns != 0 {
		if err := checkSPAGMaxTurns(e.MaxTurns); err != nil {
			return fmt.Errorf("max_turns: %w", err)
		}
	}
	return nil
}

func checkSPAGWord(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("want a word, got an empty string")
	}
	if err := safetext.CheckName(s); err != nil {
		return fmt.Errorf("%q %w; fix the word", s, err)
	}
	return nil
}

func checkSPAGMaxTurns(n int) error {
	if n < 1 || n > MaxTurns {
		return fmt.Errorf("want an integer from 1 to %d, got %d", MaxTurns, n)
	}
	return nil
}

// MarshalJSON writes the episode with its known keys first, then the extra
// keys in name order.
func (e Episode) MarshalJSON() ([]byte, error) {
	history := []byte("[")
	for i, m := range e.History {
		if i > 0 {
			history = append(history, ',')
		}
		b, err := m.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("history[%d]: %w", i, err)
		}
		history = append(history, b...)
	}
	history = append(history, ']')
	fields := []field{{"target_word", quote(e.TargetWord)}}
	if e.MaxTurns > 0 {
		fields = append(fields, field{"max_turns", []byte(strconv.Itoa(e.MaxTurns))})
	}
	return marshalObject(append(fields, field{"history", history}), e.Extra)
}

// MarshalJSON writes the message with its known keys first, then the extra
// keys in name order.
func (m Message) MarshalJSON() ([]byte, error) {
	return marshalObject([]field{
		{"role", quote(m.Role)},
		{"content", quote(m.Content)},
	}, m.Extra)
}

type field struct {
	key   string
	value []byte
}

// marshalObject writes known fields, then extra ones sorted by key. A key
// of extra that names a known field is an error: it would write the key
// twice.
func marshalObject(known []field, extra map[string]json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range known {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(quote(f.key))
		b.WriteByte(':')
		b.Write(f.value)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		for _, f := range known {
			if f.key == k {
				return nil, fmt.Errorf("extra key %q duplicates a field", k)
			}
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		b.Write(quote(k))
		b.WriteByte(':')
		if err := json.Compact(&b, extra[k]); err != nil {
			return nil, fmt.Errorf("extra key %q: %w", k, err)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// quote encodes s as a JSON string without escaping <, > and &, which keeps
// exported utterances readable.
func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Error is a problem in a SPAG episodes JSON file, with its position
// (1-based line and byte column) and the JSON path of the value at fault.
type Error struct {
	File   string
	Line   int
	Column int
	// Path is the value's path, "[3].history[1].role" for example; empty
	// for a syntax error.
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Column, e.Path, e.Msg)
}

// Read reads a whole SPAG episodes JSON file into memory; name is used
// in errors only. It is [Reader] collecting every episode, for small
// files and tests: commands stream with [Reader] instead, whose memory
// does not grow with the file. Errors are [*Error]s that give the
// position and say what was expected, for example
//
//	episodes.json:12:5: [2].history[3].role: want "attacker" or "defender", got "judge"
func Read(r io.Reader, name string) ([]Episode, error) {
	sr := NewReader(r, name)
	eps := []Episode{}
	for {
		ep, err := sr.Next(context.Background())
		if err == io.EOF {
			return eps, nil
		}
		if err != nil {
			return nil, err
		}
		eps = append(eps, ep)
	}
}

type spagParser struct {
	name string
	// pos gives the 1-based line and byte column of a file offset.
	pos func(off int64) (line, col int)
	// maxUtterance bounds the bytes of one history content.
	maxUtterance int
}

// errAt makes a *Error at byte offset off of the file.
func (p *spagParser) errAt(off int64, path, format string, args ...any) error {
	line, col := p.pos(off)
	return &Error{File: p.name, Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace returns the offset of the first byte at or after i that is not
// white space or a separator: where the next value or key begins.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
		default:
			return i
		}
	}
	return i
}

// describe names a JSON value for an error message.
func describe(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "a string"
		}
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "number " + string(v)
	}
}

// object walks a JSON object whose text starts at file offset base and
// calls fn with each key, its value and the value's offset. Duplicate keys
// are an error: the format has no meaning for them.
func (p *spagParser) object(raw json.RawMessage, base int64, path string, fn func(key string, val json.RawMessage, off int64) error) error {
	if len(raw) == 0 || raw[0] != '{' {
		return p.errAt(base, path, "want an object, got %s", describe(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return p.errAt(base, path, "invalid JSON: %v", err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		keyOff := base + int64(skipSpace(raw, int(dec.InputOffset())))
		tok, err := dec.Token()
		if err != nil {
			return p.errAt(keyOff, path, "invalid JSON: %v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return p.errAt(keyOff, path, "duplicate key %q", key)
		}
		seen[key] = true
		valOff := base + int64(skipSpace(raw, int(dec.InputOffset())))
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return p.errAt(valOff, path, "invalid JSON: %v", err)
		}
		if err := fn(key, val, valOff); err != nil {
			return err
		}
	}
	return nil
}

// array walks a JSON array like object walks an object; want describes the
// expected value for the error when raw is not an array.
func (p *spagParser) array(raw json.RawMessage, base int64, path, want string, fn func(i int, val json.RawMessage, off int64) error) error {
	if len(raw) == 0 || raw[0] != '[' {
		return p.errAt(base, path, "want %s, got %s", want, describe(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return p.errAt(base, path, "invalid JSON: %v", err)
	}
	for i := 0; dec.More(); i++ {
		off := base + int64(skipSpace(raw, int(dec.InputOffset())))
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return p.errAt(off, path, "invalid JSON: %v", err)
		}
		if err := fn(i, val, off); err != nil {
			return err
		}
	}
	return nil
}

func (p *spagParser) str(val json.RawMessage, off int64, path string) (string, error) {
	var s string
	if len(val) == 0 || val[0] != '"' || json.Unmarshal(val, &s) != nil {
		return "", p.errAt(off, path, "want a string, got %s", describe(val))
	}
	return s, nil
}

func (p *spagParser) episode(path string, raw json.RawMessage, off int64) (Episode, error) {
	var ep Episode
	var haveWord, haveHistory bool
	err := p.object(raw, off, path, func(key string, val json.RawMessage, voff int64) error {
		kpath := path + "." + key
		switch key {
		case "target_word":
			s, err := p.str(val, voff, kpath)
			if err != nil {
				return err
			}
			if err := checkSPAGWord(s); err != nil {
				return p.errAt(voff, kpath, "%v", err)
			}
			ep.TargetWord, haveWord = s, true
		case "max_turns":
			n, err := strconv.Atoi(string(val))
			if err != nil || checkSPAGMaxTurns(n) != nil {
				return p.errAt(voff, kpath, "want an integer from 1 to %d, got %s", MaxTurns, describe(val))
			}
			ep.MaxTurns = n
		case "history":
			ep.History = []Message{}
			err := p.array(val, voff, kpath, "an array of messages", func(i int, v json.RawMessage, o int64) error {
				m, err := p.message(fmt.Sprintf("%s[%d]", kpath, i), v, o)
				ep.History = append(ep.History, m)
				return err
			})
			if err != nil {
				return err
			}
			haveHistory = true
		default:
			if ep.Extra == nil {
				ep.Extra = make(map[string]json.RawMessage)
			}
			ep.Extra[key] = val
		}
		return nil
	})
	if err != nil {
		return ep, err
	}
	for _, k := range []struct {
		have bool
		key  string
	}{{haveWord, "target_word"}, {haveHistory, "history"}} {
		if !k.have {
			return ep, p.errAt(off, path, "missing key %q", k.key)
		}
	}
	return ep, nil
}

func (p *spagParser) message(path string, raw json.RawMessage, off int64) (Message, error) {
	var m Message
	var haveRole, haveContent bool
	err := p.object(raw, off, path, func(key string, val json.RawMessage, voff int64) error {
		kpath := path + "." + key
		switch key {
		case "role":
			s, err := p.str(val, voff, kpath)
			if err != nil || (s != roleAttacker && s != roleDefender) {
				return p.errAt(voff, kpath, "want %q or %q, got %s", roleAttacker, roleDefender, describe(val))
			}
			m.Role, haveRole = s, true
		case "content":
			s, err := p.str(val, voff, kpath)
			if err != nil {
				return err
			}
			if len(s) > p.maxUtterance {
				return p.errAt(voff, kpath, "utterance of %s, over the limit of %s per utterance", sizeOf(len(s)), sizeOf(p.maxUtterance))
			}
			m.Content, haveContent = s, true
		default:
			if m.Extra == nil {
				m.Extra = make(map[string]json.RawMessage)
			}
			m.Extra[key] = val
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	if !haveRole {
		return m, p.errAt(off, path, `missing key "role"`)
	}
	if !haveContent {
		return m, p.errAt(off, path, `missing key "content"`)
	}
	return m, nil
}

// spagWriter streams a SPAG episodes JSON array, one indented episode at a
// time.
type spagWriter struct {
	w   *bufio.Writer
	n   int
	buf bytes.Buffer
}

func newSPAGWriter(w io.Writer) *spagWriter { return &spagWriter{w: bufio.NewWriter(w)} }

func (sw *spagWriter) add(ep Episode) error {
	b, err := ep.MarshalJSON()
	if err != nil {
		return err
	}
	sw.buf.Reset()
	if err := json.Indent(&sw.buf, b, "  ", "  "); err != nil {
		return err
	}
	sep := ",\n  "
	if sw.n == 0 {
		sep = "[\n  "
	}
	sw.n++
	sw.w.WriteString(sep)
	_, err = sw.w.Write(sw.buf.Bytes())
	return err
}

func (sw *spagWriter) close() error {
	if sw.n == 0 {
		sw.w.WriteString("[]\n")
	} else {
		sw.w.WriteString("\n]\n")
	}
	return sw.w.Flush()
}

// Write writes episodes as a SPAG episodes JSON array, extra keys
// included.
func Write(w io.Writer, eps []Episode) error {
	sw := newSPAGWriter(w)
	for i, ep := range eps {
		if err := sw.add(ep); err != nil {
			return fmt.Errorf("write SPAG episode %d: %w", i, err)
		}
	}
	if err := sw.close(); err != nil {
		return fmt.Errorf("write SPAG episodes: %w", err)
	}
	return nil
}

// spagMaxTurnsKey is the extra key under which an imported episode keeps
// its max_turns, which has no column (runs have one max_turns; a SPAG file
// has one per episode).
const spagMaxTurnsKey = "max_turns"

// Import stores SPAG episodes in run runID, after its existing episodes,
// in one transaction. History becomes turns (attacker is player 0,
// defender player 1); max_turns and unknown keys go to the episode's extra
// keys so that [Export] can write the file back. The episodes are stored
// unjudged (empty outcome): judge them and record the result with
// [episodes.Store.AddVerdict], or use [ImportRun], which does both at once.
// Do not import into a run that the writer is still writing.
func Import(ctx context.Context, s *episodes.Store, runID string, eps []Episode) error {
	return s.Import(ctx, runID, imported(Episodes(eps), nil))
}

// ImportRun creates run r and stores the SPAG episodes eps yields as its
// episodes 0, 1, ..., each with the verdict that verdict gives it (nil
// stores them unjudged), with [episodes.Store.ImportRun]: a [Reader]'s
// file is stored as it is read, in chunks, and a failed, cancelled or
// killed import leaves no visible run. A verdict's Judge must name the
// judge as name@version. No episodes is an error wrapping
// [episodes.ErrNoEpisodes], and no run is made.
func ImportRun(ctx context.Context, s *episodes.Store, r *episodes.Run, eps iter.Seq2[*Episode, error], verdict func(i int, ep *Episode) game.Verdict) error {
	return s.ImportRun(ctx, r, imported(eps, verdict))
}

// imported gives the store's form of each episode eps yields; i counts
// from 0, as the episodes of a new run do.
func imported(eps iter.Seq2[*Episode, error], verdict func(i int, ep *Episode) game.Verdict) iter.Seq2[*episodes.Imported, error] {
	return func(yield func(*episodes.Imported, error) bool) {
		i := 0
		for ep, err := range eps {
			if err != nil {
				yield(nil, err)
				return
			}
			imp, err := toImported(*ep)
			if err != nil {
				yield(nil, fmt.Errorf("spagjson: import SPAG episode %d: %w", i, err))
				return
			}
			if verdict != nil {
				v := verdict(i, ep)
				imp.Verdict = &v
			}
			if !yield(imp, nil) {
				return
			}
			i++
		}
	}
}

// Episodes yields the episodes of a slice, for [ImportRun].
func Episodes(eps []Episode) iter.Seq2[*Episode, error] {
	return func(yield func(*Episode, error) bool) {
		for i := range eps {
			if !yield(&eps[i], nil) {
				return
			}
		}
	}
}

// All yields the episodes Next returns, then stops at io.EOF; an error is
// yielded once, as the last pair.
func (sr *Reader) All(ctx context.Context) iter.Seq2[*Episode, error] {
	return func(yield func(*Episode, error) bool) {
		for {
			ep, err := sr.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&ep, nil) {
				return
			}
		}
	}
}

func toImported(se Episode) (*episodes.Imported, error) {
	imp := &episodes.Imported{Episode: game.Episode{Setup: game.Setup{Subject: se.TargetWord}}}
	for j, m := range se.History {
		player := 0
		switch m.Role {
		case roleAttacker:
		case roleDefender:
			player = 1
		default:
			return nil, fmt.Errorf("history[%d].role: want %q or %q, got %q", j, roleAttacker, roleDefender, m.Role)
		}
		imp.Episode.Turns = append(imp.Episode.Turns, game.Turn{N: j + 1, Player: player, Role: m.Role, Text: m.Content})
		if len(m.Extra) > 0 {
			b, err := json.Marshal(m.Extra)
			if err != nil {
				return nil, fmt.Errorf("history[%d]: extra keys: %w", j, err)
			}
			if imp.TurnExtra == nil {
				imp.TurnExtra = make([]json.RawMessage, len(se.History))
			}
			imp.TurnExtra[j] = b
		}
	}
	extra := make(map[string]json.RawMessage, len(se.Extra)+1)
	for k, v := range se.Extra {
		extra[k] = v
	}
	if se.MaxTurns > 0 {
		// Without one the episode is exported with its run's max_turns.
		extra[spagMaxTurnsKey] = json.RawMessage(strconv.Itoa(se.MaxTurns))
	}
	b, err := json.Marshal(extra)
	if err != nil {
		return nil, fmt.Errorf("extra keys: %w", err)
	}
	imp.Extra = b
	return imp, nil
}

// Export writes the episodes f selects (turns always included) as a
// SPAG episodes JSON array, with the keys preserved on import. An episode
// without a stored max_turns gets its run's. Failed episodes are exported
// too unless f.Errored says otherwise; episodes with roles other than
// attacker and defender cannot be written and give an error.
func Export(ctx context.Context, s *episodes.Store, f episodes.Filter, w io.Writer) error {
	return export(ctx, s, f, w, false)
}

// ProvenanceKey is the key [ExportWithProvenance] adds to each
// judged episode: {"run", "judge", "outcome", "decided_at"}.
const ProvenanceKey = "spag_provenance"

// ExportWithProvenance is [Export] with one more key on every
// judged episode, [ProvenanceKey], naming the run that played it and the
// judge (name@version) that decided it, so that an exported file can be
// traced to its source. A key of that name kept from an import wins.
func ExportWithProvenance(ctx context.Context, s *episodes.Store, f episodes.Filter, w io.Writer) error {
	return export(ctx, s, f, w, true)
}

type provenance struct {
	Run       string `json:"run"`
	Judge     string `json:"judge"`
	Outcome   string `json:"outcome"`
	DecidedAt int    `json:"decided_at"`
}

func export(ctx context.Context, s *episodes.Store, f episodes.Filter, w io.Writer, withProvenance bool) error {
	f.Turns = true
	// Runs are few; reading them first keeps the loop below from querying
	// while Iter holds its snapshot.
	all, err := s.RunInfos(ctx)
	if err != nil {
		return fmt.Errorf("spagjson: export SPAG: %w", err)
	}
	maxTurns := make(map[string]int, len(all))
	for _, r := range all {
		maxTurns[r.ID] = r.MaxTurns
	}
	sw := newSPAGWriter(w)
	for r, err := range s.Iter(ctx, f) {
		if err != nil {
			return fmt.Errorf("spagjson: export SPAG: %w", err)
		}
		se, err := toSPAG(&r, maxTurns[r.RunID])
		if err == nil && withProvenance && r.Verdict.Outcome != "" {
			if _, kept := se.Extra[ProvenanceKey]; !kept {
				var raw []byte
				raw, err = json.Marshal(provenance{Run: r.RunID, Judge: r.Verdict.Judge, Outcome: r.Verdict.Outcome, DecidedAt: r.Verdict.DecidedAt})
				if se.Extra == nil {
					se.Extra = map[string]json.RawMessage{}
				}
				se.Extra[ProvenanceKey] = raw
			}
		}
		if err == nil {
			err = sw.add(se)
		}
		if err != nil {
			return fmt.Errorf("spagjson: export SPAG: run %s episode %d: %w", r.RunID, r.Index, err)
		}
	}
	if err := sw.close(); err != nil {
		return fmt.Errorf("spagjson: export SPAG: %w", err)
	}
	return nil
}

func toSPAG(r *episodes.Record, maxTurns int) (Episode, error) {
	se := Episode{TargetWord: r.Subject, MaxTurns: maxTurns, History: []Message{}}
	if len(r.Extra) > 0 {
		if err := json.Unmarshal(r.Extra, &se.Extra); err != nil {
			return se, fmt.Errorf("extra keys: %w", err)
		}
		if v, ok := se.Extra[spagMaxTurnsKey]; ok {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return se, fmt.Errorf("stored max_turns %s: %w", v, err)
			}
			se.MaxTurns = n
			delete(se.Extra, spagMaxTurnsKey)
		}
		if len(se.Extra) == 0 {
			se.Extra = nil
		}
	}
	for i, t := range r.Turns {
		if t.Role != roleAttacker && t.Role != roleDefender {
			return se, fmt.Errorf("turn %d has role %q; SPAG episodes know only %q and %q", t.N, t.Role, roleAttacker, roleDefender)
		}
		m := Message{Role: t.Role, Content: t.Text}
		if i < len(r.TurnExtra) && len(r.TurnExtra[i]) > 0 {
			if err := json.Unmarshal(r.TurnExtra[i], &m.Extra); err != nil {
				return se, fmt.Errorf("turn %d: extra keys: %w", t.N, err)
			}
		}
		se.History = append(se.History, m)
	}
	return se, nil
}
