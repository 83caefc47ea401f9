package wordnet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLine bounds one line of a database file; the longest WordNet 3.0 line
// is about 20 KB (a synset with hundreds of pointers).
const maxLine = 1 << 20

// scanLines calls fn with each line that is not part of the licence header
// (header lines start with two spaces) and its 1-based number.
func scanLines(r io.Reader, fn func(line string, n int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "  ") {
			continue
		}
		if err := fn(line, n); err != nil {
			return err
		}
	}
	return sc.Err()
}

// fields splits on single spaces and drops empty fields (lines end with
// two spaces).
type fieldReader struct {
	f   []string
	pos int
}

var errShort = errors.New("line ends early")

func (r *fieldReader) next() (string, error) {
	if r.pos >= len(r.f) {
		return "", errShort
	}
	s := r.f[r.pos]
	r.pos++
	return s, nil
}

// capFor bounds a slice capacity taken from a count in the file by the
// fields left (each item needs at least per fields), so a corrupt count
// cannot make us allocate gigabytes.
func (r *fieldReader) capFor(n, per int) int { return min(n, (len(r.f)-r.pos)/per) }

func (r *fieldReader) int(base int, what string) (int, error) {
	s, err := r.next()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	v, err := strconv.ParseInt(s, base, 32)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s %q is not a base-%d count", what, s, base)
	}
	return int(v), nil
}

// readData parses data.<pos>.
func (db *DB) readData(p POS) error {
	name := "data." + p.fileName()
	f, err := db.openFile(name)
	if err != nil {
		return err
	}
	defer f.Close()
	err = scanLines(f, func(line string, n int) error {
		s, err := parseSynset(line, p)
		if err != nil {
			return fmt.Errorf("wordnet: %s line %d: %w", name, n, err)
		}
		db.synsets[s.ID] = s
		return nil
	})
	if err != nil {
		return fmt.Errorf("wordnet: read %s: %w", name, err)
	}
	return nil
}

// parseSynset parses one data line:
//
//	offset lex_filenum ss_type w_cnt word lex_id ... p_cnt ptr... [frames] | gloss
func parseSynset(line string, p POS) (*Synset, error) {
	body, gloss, ok := strings.Cut(line, " | ")
	if !ok {
		body, gloss, ok = strings.Cut(line, "|")
		if !ok {
			return nil, errors.New(`no " | " before the gloss`)
		}
	}
	r := fieldReader{f: strings.Fields(body)}
	off, err := r.int(10, "synset offset")
	if err != nil {
		return nil, err
	}
	lexFile, err := r.int(10, "lexicographer file number")
	if err != nil {
		return nil, err
	}
	typ, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("synset type: %w", err)
	}
	if len(typ) != 1 || POS(typ[0]).filePOS() != p {
		return nil, fmt.Errorf("synset type %q does not belong in the %s file", typ, p)
	}
	s := &Synset{
		ID:      SynsetID{POS: p, Offset: uint32(off)},
		Type:    POS(typ[0]),
		LexFile: lexFile,
		Gloss:   strings.TrimSpace(gloss),
	}
	wn, err := r.int(16, "word count")
	if err != nil {
		return nil, err
	}
	s.Words = make([]Word, 0, r.capFor(wn, 2))
	for i := 0; i < wn; i++ {
		lemma, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("word %d: %w", i+1, err)
		}
		id, err := r.int(16, "lex_id")
		if err != nil {
			return nil, fmt.Errorf("word %d: %w", i+1, err)
		}
		w := Word{Lemma: lemma, LexID: id}
		if j := strings.IndexByte(lemma, '('); j > 0 && strings.HasSuffix(lemma, ")") {
			w.Lemma, w.Marker = lemma[:j], lemma[j+1:len(lemma)-1]
		}
		s.Words = append(s.Words, w)
	}
	pn, err := r.int(10, "pointer count")
	if err != nil {
		return nil, err
	}
	s.Pointers = make([]Pointer, 0, r.capFor(pn, 4))
	for i := 0; i < pn; i++ {
		ptr, err := parsePointer(&r)
		if err != nil {
			return nil, fmt.Errorf("pointer %d: %w", i+1, err)
		}
		s.Pointers = append(s.Pointers, ptr)
	}
	// Verb frames follow; spag has no use for them, but a malformed count
	// still means a malformed line.
	if p == Verb && r.pos < len(r.f) {
		if _, err := r.int(10, "frame count"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func parsePointer(r *fieldReader) (Pointer, error) {
	sym, err := r.next()
	if err != nil {
		return Pointer{}, err
	}
	off, err := r.int(10, "target offset")
	if err != nil {
		return Pointer{}, err
	}
	pos, err := r.next()
	if err != nil {
		return Pointer{}, err
	}
	if len(pos) != 1 || POS(pos[0]).filePOS().fileName() == "" {
		return Pointer{}, fmt.Errorf("target part of speech %q is not n, v, a, s or r", pos)
	}
	st, err := r.next()
	if err != nil {
		return Pointer{}, err
	}
	v, err := strconv.ParseUint(st, 16, 16)
	if err != nil || len(st) != 4 {
		return Pointer{}, fmt.Errorf("source/target %q is not four hex digits", st)
	}
	return Pointer{
		Kind:       pointerKinds[sym],
		Symbol:     sym,
		Target:     SynsetID{POS: POS(pos[0]).filePOS(), Offset: uint32(off)},
		Source:     int(v >> 8),
		TargetWord: int(v & 0xff),
	}, nil
}

// readIndex parses index.<pos>:
//
//	lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
func (db *DB) readIndex(p POS) error {
	name := "index." + p.fileName()
	f, err := db.openFile(name)
	if err != nil {
		return err
	}
	defer f.Close()
	m := make(map[string]*IndexEntry, 120000)
	err = scanLines(f, func(line string, n int) error {
		e, err := parseIndex(line, p)
		if err != nil {
			return fmt.Errorf("wordnet: %s line %d: %w", name, n, err)
		}
		for _, id := range e.Synsets {
			if _, ok := db.synsets[id]; !ok {
				return fmt.Errorf("wordnet: %s line %d: synset %s of %q is not in data.%s", name, n, id, e.Lemma, p.fileName())
			}
		}
		m[e.Lemma] = e
		return nil
	})
	if err != nil {
		return fmt.Errorf("wordnet: read %s: %w", name, err)
	}
	db.index[p] = m
	return nil
}

func parseIndex(line string, p POS) (*IndexEntry, error) {
	r := fieldReader{f: strings.Fields(line)}
	lemma, _ := r.next()
	pos, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("part of speech: %w", err)
	}
	if len(pos) != 1 || POS(pos[0]) != p {
		return nil, fmt.Errorf("part of speech %q does not belong in the %s index", pos, p)
	}
	nSyn, err := r.int(10, "synset count")
	if err != nil {
		return nil, err
	}
	nPtr, err := r.int(10, "pointer count")
	if err != nil {
		return nil, err
	}
	e := &IndexEntry{Lemma: lemma, POS: p, Pointers: make([]string, 0, r.capFor(nPtr, 1)), Synsets: make([]SynsetID, 0, r.capFor(nSyn, 1))}
	for i := 0; i < nPtr; i++ {
		s, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("pointer symbol %d: %w", i+1, err)
		}
		e.Pointers = append(e.Pointers, s)
	}
	if _, err := r.int(10, "sense count"); err != nil {
		return nil, err
	}
	if e.TagSenseCount, err = r.int(10, "tagged sense count"); err != nil {
		return nil, err
	}
	for i := 0; i < nSyn; i++ {
		off, err := r.int(10, "synset offset")
		if err != nil {
			return nil, fmt.Errorf("sense %d: %w", i+1, err)
		}
		e.Synsets = append(e.Synsets, SynsetID{POS: p, Offset: uint32(off)})
	}
	return e, nil
}

// readCounts parses cntlist.rev ("sense_key sense_number tag_cnt") and
// stores each count on its word. A sense key names a lemma and a part of
// speech, so only that lemma's few synsets are searched for it.
func (db *DB) readCounts() error {
	const name = "cntlist.rev"
	f, err := db.openFile(name)
	if err != nil {
		return err
	}
	defer f.Close()
	err = scanLines(f, func(line string, n int) error {
		r := fieldReader{f: strings.Fields(line)}
		key, _ := r.next()
		if _, err := r.int(10, "sense number"); err != nil {
			return fmt.Errorf("wordnet: %s line %d: %w", name, n, err)
		}
		cnt, err := r.int(10, "tag count")
		if err != nil {
			return fmt.Errorf("wordnet: %s line %d: %w", name, n, err)
		}
		if s, w, ok := db.senseByKey(key); ok {
			s.Words[w].Count += cnt
		} else {
			db.unmatched++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wordnet: read %s: %w", name, err)
	}
	return nil
}

// senseByKey finds the synset and word a sense key names.
func (db *DB) senseByKey(key string) (*Synset, int, bool) {
	lemma, rest, ok := strings.Cut(key, "%")
	if !ok || rest == "" {
		return nil, 0, false
	}
	var pos POS
	switch rest[0] {
	case '1':
		pos = Noun
	case '2':
		pos = Verb
	case '3', '5':
		pos = Adj
	case '4':
		pos = Adv
	default:
		return nil, 0, false
	}
	e := db.index[pos][lemma]
	if e == nil {
		return nil, 0, false
	}
	for _, id := range e.Synsets {
		s := db.synsets[id]
		if w := s.wordIndex(lemma); w >= 0 && db.SenseKey(s, w) == key {
			return s, w, true
		}
	}
	return nil, 0, false
}
