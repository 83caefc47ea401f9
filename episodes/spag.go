package episodes

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"sort"
	"strconv"
	"strings"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/safetext"
)

// SPAG roles, the only ones SPAG episodes JSON knows.
const (
	roleAttacker = "attacker"
	roleDefender = "defender"
)

// SPAGEpisode is one element of a SPAG episodes JSON file:
//
//	{"target_word": str, "max_turns": int, "history": [{"role": "attacker"|"defender", "content": str}, ...]}
//
// max_turns may be missing: MaxTurns is then 0, which readers take as the
// game's default (5 for Taboo), and writing leaves the key out again.
//
// Keys the format does not define are kept verbatim in Extra, so that
// reading and writing a file loses nothing.
type SPAGEpisode struct {
	TargetWord string
	MaxTurns   int
	History    []SPAGMessage
	// Extra maps every other key to its JSON value; nil when none.
	Extra map[string]json.RawMessage
}

// SPAGMessage is one utterance of a SPAG history.
type SPAGMessage struct {
	Role    string // "attacker" or "defender"
	Content string
	// Extra maps every other key to its JSON value; nil when none.
	Extra map[string]json.RawMessage
}

// SPAGMaxTurns is the largest max_turns a SPAG episode may give: Taboo's
// (taboo.MaxMaxTurns), so that what an import accepts, rewards and judge
// can play back.
const SPAGMaxTurns = 1000

// Check reports the first value of e that spag cannot store and play back,
// naming its key: an empty target word or one holding a character that a
// reader cannot see as itself (invalid UTF-8, NUL and other controls,
// bidirectional overrides such as U+202E, zero-width and tag characters;
// the checks of --words files), or a max_turns outside 1..[SPAGMaxTurns]
// (0 means none given). Readers of SPAG files apply the same checks to
// each episode they parse, adding its position.
func (e SPAGEpisode) Check() error {
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
	if n < 1 || n > SPAGMaxTurns {
		return fmt.Errorf("want an integer from 1 to %d, got %d", SPAGMaxTurns, n)
	}
	return nil
}

// MarshalJSON writes the episode with its known keys first, then the extra
// keys in name order.
func (e SPAGEpisode) MarshalJSON() ([]byte, error) {
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
func (m SPAGMessage) MarshalJSON() ([]byte, error) {
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

// SPAGError is a problem in a SPAG episodes JSON file, with its position
// (1-based line and byte column) and the JSON path of the value at fault.
type SPAGError struct {
	File   string
	Line   int
	Column int
	// Path is the value's path, "[3].history[1].role" for example; empty
	// for a syntax error.
	Path string
	Msg  string
}

func (e *SPAGError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Column, e.Path, e.Msg)
}

// ReadSPAG reads a whole SPAG episodes JSON file into memory; name is used
// in errors only. It is [SPAGReader] collecting every episode, for small
// files and tests: commands stream with [SPAGReader] instead, whose memory
// does not grow with the file. Errors are [*SPAGError]s that give the
// position and say what was expected, for example
//
//	episodes.json:12:5: [2].history[3].role: want "attacker" or "defender", got "judge"
func ReadSPAG(r io.Reader, name string) ([]SPAGEpisode, error) {
	sr := NewSPAGReader(r, name)
	eps := []SPAGEpisode{}
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

// errAt makes a *SPAGError at byte offset off of the file.
func (p *spagParser) errAt(off int64, path, format string, args ...any) error {
	line, col := p.pos(off)
	return &SPAGError{File: p.name, Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...)}
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

func (p *spagParser) episode(path string, raw json.RawMessage, off int64) (SPAGEpisode, error) {
	var ep SPAGEpisode
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
				return p.errAt(voff, kpath, "want an integer from 1 to %d, got %s", SPAGMaxTurns, describe(val))
			}
			ep.MaxTurns = n
		case "history":
			ep.History = []SPAGMessage{}
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

func (p *spagParser) message(path string, raw json.RawMessage, off int64) (SPAGMessage, error) {
	var m SPAGMessage
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

func (sw *spagWriter) add(ep SPAGEpisode) error {
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

// WriteSPAG writes episodes as a SPAG episodes JSON array, extra keys
// included.
func WriteSPAG(w io.Writer, eps []SPAGEpisode) error {
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

// ErrNoEpisodes is returned for an import of no episodes (a file holding
// "[]"), which would make an empty run.
var ErrNoEpisodes = errors.New("no episodes to import (the file holds an empty array)")

// spagMaxTurnsKey is the extra key under which an imported episode keeps
// its max_turns, which has no column (runs have one max_turns; a SPAG file
// has one per episode).
const spagMaxTurnsKey = "max_turns"

// ImportSPAG stores SPAG episodes in run runID, after its existing
// episodes, in one transaction. History becomes turns (attacker is player
// 0, defender player 1); max_turns and unknown keys go to Extra and
// TurnExtra so [Store.ExportSPAG] can write the file back. The episodes
// are stored unjudged (empty outcome): judge them and record the result
// with [Store.AddVerdict], or use [Store.ImportSPAGRun], which does both
// at once. Do not import into a run that the writer is still writing.
func (s *Store) ImportSPAG(ctx context.Context, runID string, eps []SPAGEpisode) error {
	if err := s.checkRun(ctx, runID); err != nil {
		return fmt.Errorf("episodes: import SPAG: %w", err)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("episodes: import SPAG into run %s: %w", runID, err)
	}
	defer tx.Rollback()
	var next int
	err = tx.QueryRowContext(ctx, `SELECT coalesce(max(idx) + 1, 0) FROM episodes WHERE run_id = ?`, runID).Scan(&next)
	if err != nil {
		return fmt.Errorf("episodes: import SPAG into run %s: %w", runID, err)
	}
	pull, stop := iter.Pull2(SPAGEpisodes(eps))
	defer stop()
	if _, _, err := s.importSPAG(ctx, tx, runID, next, pull, -1, nil); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("episodes: import SPAG into run %s: %w", runID, err)
	}
	return nil
}

// SPAGEpisodes yields the episodes of a slice, for [Store.ImportSPAGRun].
func SPAGEpisodes(eps []SPAGEpisode) iter.Seq2[*SPAGEpisode, error] {
	return func(yield func(*SPAGEpisode, error) bool) {
		for i := range eps {
			if !yield(&eps[i], nil) {
				return
			}
		}
	}
}

// All yields the episodes Next returns, then stops at io.EOF; an error is
// yielded once, as the last pair.
func (sr *SPAGReader) All(ctx context.Context) iter.Seq2[*SPAGEpisode, error] {
	return func(yield func(*SPAGEpisode, error) bool) {
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

// ImportSPAGRun creates run r and stores the episodes eps yields as its
// episodes 0, 1, ..., each with the verdict that verdict gives it (nil
// stores them unjudged). The episodes are stored as they come, so a
// [SPAGReader]'s file is never in memory, and committed in chunks, so
// that other writers (a selfplay into the same database) are not locked
// out for the length of the import; until the end the run is staged,
// left out by every reader, and one short transaction then makes it
// visible, with r.Total set to the number of episodes and the run's
// subjects to theirs (r.Subjects is left as given).
//
// A failed, cancelled or killed import, or an error yielded by eps, leaves
// no visible run: neither an empty run that would become the latest one
// nor unjudged episodes. Its staged rows are removed by the next import
// into the database, once no live process holds them. A verdict's Judge
// must name the judge as name@version; it is recorded as the episode's own
// verdict and in [Store.Verdicts]. ctx is checked between episodes. No
// episodes is an error wrapping [ErrNoEpisodes], and no run is made.
func (s *Store) ImportSPAGRun(ctx context.Context, r *Run, eps iter.Seq2[*SPAGEpisode, error], verdict func(i int, ep *SPAGEpisode) game.Verdict) error {
	if err := s.dropDeadStaging(ctx); err != nil {
		return err
	}
	next, stop := iter.Pull2(eps)
	defer stop()
	if err := s.stageRun(ctx, r); err != nil {
		return err
	}
	// On failure the staged rows stay for the next import to remove:
	// deleting a large staged run here would hold up an interrupted
	// command. Giving up the lease lets the next import do it at once.
	staged := true
	defer func() {
		if staged {
			s.release(leaseKey{leaseRun, r.ID})
		}
	}()
	chunk := s.importChunk
	if chunk <= 0 {
		chunk = defaultImportChunk
	}
	n := 0
	for more := true; more; {
		tx, err := s.wdb.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("episodes: import SPAG into run %s: %w", r.ID, err)
		}
		var k int
		k, more, err = s.importSPAG(ctx, tx, r.ID, n, next, chunk, verdict)
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return err
		}
		n += k
		if s.afterImportChunk != nil {
			s.afterImportChunk(n)
		}
	}
	if n == 0 {
		// An empty run would become the latest one that stats and replay
		// show: none is made. The staged row holds nothing; it goes now.
		if _, err := s.wdb.ExecContext(ctx, `DELETE FROM runs WHERE id = ? AND staging = 1`, r.ID); err != nil {
			return fmt.Errorf("episodes: import SPAG: drop empty staged run %s: %w", r.ID, err)
		}
		return fmt.Errorf("episodes: import SPAG: %w", ErrNoEpisodes)
	}
	// The run's subjects are made by SQLite from the stored episodes,
	// not gathered here: a million of them would be held twice.
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("episodes: import SPAG into run %s: %w", r.ID, err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `UPDATE runs SET total = ?, staging = 0,
		subjects = (SELECT json_group_array(subject ORDER BY idx) FROM episodes WHERE run_id = ?)
		WHERE id = ?`, n, r.ID, r.ID)
	if err == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM leases WHERE run_id = ?`, r.ID)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("episodes: import SPAG into run %s: %w", r.ID, err)
	}
	staged = false
	s.leases.mu.Lock()
	delete(s.leases.held, leaseKey{leaseRun, r.ID})
	s.leases.mu.Unlock()
	r.Total = n
	s.runsMu.Lock()
	s.knownRuns[r.ID] = true
	s.runsMu.Unlock()
	return nil
}

// defaultImportChunk is the number of episodes an import commits at once:
// a few hundred milliseconds of writing, well within another writer's
// busy timeout.
const defaultImportChunk = 1000

// stageRun creates run r as staged, with this process's lease on it, in
// one transaction: a staged run without a live holder is one to remove.
func (s *Store) stageRun(ctx context.Context, r *Run) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("episodes: import SPAG: %w", err)
	}
	defer tx.Rollback()
	if err := s.createRun(ctx, tx, r); err != nil {
		return err
	}
	me := self()
	_, err = tx.ExecContext(ctx, `UPDATE runs SET staging = 1 WHERE id = ?`, r.ID)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO leases (run_id, host, pid, started, acquired_at) VALUES (?, ?, ?, ?, ?)`,
			r.ID, me.host, me.pid, me.started, s.opts.Now().UnixNano())
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("episodes: import SPAG into run %s: %w", r.ID, err)
	}
	s.leases.mu.Lock()
	if s.leases.held == nil {
		s.leases.held = map[leaseKey]bool{}
	}
	s.leases.held[leaseKey{leaseRun, r.ID}] = true
	s.leases.mu.Unlock()
	return nil
}

// dropDeadStaging removes the staged runs that no live process holds
// (imports that failed or were killed), a chunk of episodes per
// transaction, so that other writers get their turn.
func (s *Store) dropDeadStaging(ctx context.Context) error {
	rows, err := s.wdb.QueryContext(ctx, `SELECT r.id, l.host, l.pid, l.started FROM runs r
		LEFT JOIN leases l ON l.run_id = r.id WHERE r.staging = 1`)
	if err != nil {
		return fmt.Errorf("episodes: find staged runs: %w", err)
	}
	me := self()
	var dead []string
	for rows.Next() {
		var id string
		var host sql.NullString
		var pid, started sql.NullInt64
		if err := rows.Scan(&id, &host, &pid, &started); err != nil {
			rows.Close()
			return fmt.Errorf("episodes: find staged runs: %w", err)
		}
		h := holder{host: host.String, pid: int(pid.Int64), started: started.Int64}
		if !host.Valid || (h.host == me.host && h != me && h.gone()) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("episodes: find staged runs: %w", err)
	}
	for _, id := range dead {
		for {
			res, err := s.wdb.ExecContext(ctx, `DELETE FROM episodes WHERE id IN
				(SELECT id FROM episodes WHERE run_id = ? LIMIT ?)`, id, defaultImportChunk)
			if err != nil {
				return fmt.Errorf("episodes: remove staged run %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				break
			}
		}
		if _, err := s.wdb.ExecContext(ctx, `DELETE FROM runs WHERE id = ? AND staging = 1`, id); err != nil {
			return fmt.Errorf("episodes: remove staged run %s: %w", id, err)
		}
	}
	return nil
}

// importSPAG inserts at most limit episodes that next gives (no limit
// when limit < 0) into run runID, inside tx, the first at index start, and
// returns how many it inserted and whether next may have more.
func (s *Store) importSPAG(ctx context.Context, tx *sql.Tx, runID string, start int, next func() (*SPAGEpisode, error, bool), limit int, verdict func(i int, ep *SPAGEpisode) game.Verdict) (n int, more bool, err error) {
	// When ctx ends, database/sql rolls tx back on its own and the
	// statement in flight reports that it was closed, not why: the
	// error then names the cancellation, so that callers see it.
	defer func() {
		if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("episodes: import SPAG into run %s: %w (%v)", runID, cerr, err)
		}
	}()
	st := s.w.stmts.in(ctx, tx)
	now := s.opts.Now().UnixNano()
	for ; limit < 0 || n < limit; n++ {
		if err := ctx.Err(); err != nil {
			return n, false, fmt.Errorf("episodes: import SPAG into run %s: %w", runID, err)
		}
		ep, err, ok := next()
		if !ok {
			return n, false, nil
		}
		if err != nil {
			return n, false, err
		}
		i := start + n
		p, err := spagPending(runID, i, *ep)
		if err != nil {
			return n, false, fmt.Errorf("episodes: import SPAG episode %d: %w", i, err)
		}
		if verdict != nil {
			p.ep.Verdict = verdict(i, ep)
			if p.ep.Verdict.Judge == "" {
				return n, false, fmt.Errorf("episodes: import SPAG episode %d: the verdict has no judge (want name@version)", i)
			}
		}
		if _, err := insertEpisode(ctx, st, &p); err != nil {
			return n, false, fmt.Errorf("episodes: import SPAG episode %d into run %s: %w", i, runID, err)
		}
		if verdict != nil {
			var id int64
			var errText string
			err := st.findEpisode.QueryRowContext(ctx, runID, p.ep.Index).Scan(&id, &errText)
			if err == nil {
				err = insertVerdict(ctx, tx, id, p.ep.Verdict, now)
			}
			if err != nil {
				return n, false, fmt.Errorf("episodes: import SPAG episode %d into run %s: %w", i, runID, err)
			}
		}
	}
	return n, true, nil
}

func spagPending(runID string, idx int, se SPAGEpisode) (pending, error) {
	ep := game.Episode{Setup: game.Setup{Index: idx, Subject: se.TargetWord}}
	p := pending{runID: runID}
	for j, m := range se.History {
		player := 0
		switch m.Role {
		case roleAttacker:
		case roleDefender:
			player = 1
		default:
			return pending{}, fmt.Errorf("history[%d].role: want %q or %q, got %q", j, roleAttacker, roleDefender, m.Role)
		}
		ep.Turns = append(ep.Turns, game.Turn{N: j + 1, Player: player, Role: m.Role, Text: m.Content})
		if len(m.Extra) > 0 {
			b, err := json.Marshal(m.Extra)
			if err != nil {
				return pending{}, fmt.Errorf("history[%d]: extra keys: %w", j, err)
			}
			if p.turnExtra == nil {
				p.turnExtra = make([][]byte, len(se.History))
			}
			p.turnExtra[j] = b
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
		return pending{}, fmt.Errorf("extra keys: %w", err)
	}
	p.extra = b
	p.ep = ep
	return p, nil
}

// ExportSPAG writes the episodes f selects (turns always included) as a
// SPAG episodes JSON array, with the keys preserved on import. An episode
// without a stored max_turns gets its run's. Failed episodes are exported
// too unless f.Errored says otherwise; episodes with roles other than
// attacker and defender cannot be written and give an error.
func (s *Store) ExportSPAG(ctx context.Context, f Filter, w io.Writer) error {
	return s.exportSPAG(ctx, f, w, false)
}

// ProvenanceKey is the key [Store.ExportSPAGWithProvenance] adds to each
// judged episode: {"run", "judge", "outcome", "decided_at"}.
const ProvenanceKey = "spag_provenance"

// ExportSPAGWithProvenance is [Store.ExportSPAG] with one more key on every
// judged episode, [ProvenanceKey], naming the run that played it and the
// judge (name@version) that decided it, so that an exported file can be
// traced to its source. A key of that name kept from an import wins.
func (s *Store) ExportSPAGWithProvenance(ctx context.Context, f Filter, w io.Writer) error {
	return s.exportSPAG(ctx, f, w, true)
}

type provenance struct {
	Run       string `json:"run"`
	Judge     string `json:"judge"`
	Outcome   string `json:"outcome"`
	DecidedAt int    `json:"decided_at"`
}

func (s *Store) exportSPAG(ctx context.Context, f Filter, w io.Writer, withProvenance bool) error {
	f.Turns = true
	// Runs are few; reading them first keeps the loop below from querying
	// while Iter holds its snapshot.
	all, err := s.RunInfos(ctx)
	if err != nil {
		return fmt.Errorf("episodes: export SPAG: %w", err)
	}
	maxTurns := make(map[string]int, len(all))
	for _, r := range all {
		maxTurns[r.ID] = r.MaxTurns
	}
	sw := newSPAGWriter(w)
	for r, err := range s.Iter(ctx, f) {
		if err != nil {
			return fmt.Errorf("episodes: export SPAG: %w", err)
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
			return fmt.Errorf("episodes: export SPAG: run %s episode %d: %w", r.RunID, r.Index, err)
		}
	}
	if err := sw.close(); err != nil {
		return fmt.Errorf("episodes: export SPAG: %w", err)
	}
	return nil
}

func toSPAG(r *Record, maxTurns int) (SPAGEpisode, error) {
	se := SPAGEpisode{TargetWord: r.Subject, MaxTurns: maxTurns, History: []SPAGMessage{}}
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
		m := SPAGMessage{Role: t.Role, Content: t.Text}
		if i < len(r.TurnExtra) && len(r.TurnExtra[i]) > 0 {
			if err := json.Unmarshal(r.TurnExtra[i], &m.Extra); err != nil {
				return se, fmt.Errorf("turn %d: extra keys: %w", t.N, err)
			}
		}
		se.History = append(se.History, m)
	}
	return se, nil
}

// ExportJSONL writes the episodes f selects (turns always included) as JSON
// Lines, one full episode a line in the form of [JSON].
func (s *Store) ExportJSONL(ctx context.Context, f Filter, w io.Writer) error {
	f.Turns = true
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for r, err := range s.Iter(ctx, f) {
		if err != nil {
			return fmt.Errorf("episodes: export JSONL: %w", err)
		}
		if err := enc.Encode(NewJSON(&r)); err != nil {
			return fmt.Errorf("episodes: export JSONL: run %s episode %d: %w", r.RunID, r.Index, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("episodes: export JSONL: %w", err)
	}
	return nil
}
