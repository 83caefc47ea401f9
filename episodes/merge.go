package episodes

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// MergeReport says what [Store.Merge] did.
type MergeReport struct {
	// Runs lists the runs the episodes went to, in the order first met.
	Runs []MergedRun
	// Episodes counts the episodes copied; Skipped those already present
	// (the same run and index, from another input or an earlier merge).
	Episodes, Skipped int
}

// MergedRun is one run of a merge's output and where it came from.
type MergedRun struct {
	ID string
	// Sources names each input run as "path:run ID".
	Sources []string
	// Shards lists the shards ("i/n") brought together; empty for a run
	// that was not sharded.
	Shards []string
	// Missing lists the shards of n that no input held, for a run this
	// merge created.
	Missing []string
}

// MergeInto merges the stores at paths into the database out as
// [Store.Merge] does, opening out (creating it when needed) only once the
// inputs have been read: a merge refused for its inputs makes no file, and
// an out that this merge created is removed when the merge then fails, so
// that a failed merge leaves no empty database behind.
func MergeInto(ctx context.Context, out string, paths []string) (MergeReport, error) {
	if _, err := readMergeInputs(ctx, out, paths); err != nil {
		return MergeReport{}, err
	}
	_, statErr := os.Stat(out)
	created := errors.Is(statErr, fs.ErrNotExist)
	s, err := Open(ctx, out, Options{})
	if err != nil {
		return MergeReport{}, err
	}
	rep, err := s.Merge(ctx, paths)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil && created {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(out + suffix) // best effort: the merge's error is what matters
		}
	}
	return rep, err
}

// Merge copies the runs and episodes of the stores at paths into s, each
// episode exactly once, with its turns (log-probabilities and kept keys
// included) and every verdict recorded on it.
//
// Shards of one run, the runs played with --shard i/n, the same n and
// the same seed, become one unsharded run: a new run with the shards'
// configuration, whose episodes keep their indices. Shards that differ in
// anything else (game, judge, players, turns, subjects, configuration) are
// refused with the difference named, before anything is written. A run
// that is not a shard is copied under its own ID; if s already holds that
// ID, the two must agree and the missing episodes are added. A finished
// episode wins over an errored one with the same index.
//
// The inputs are only read. Everything is written in one transaction:
// a failed, interrupted or killed merge leaves s as it was. SQLite
// attaches at most [MaxMergeInputs] databases at once; merge more in
// steps.
func (s *Store) Merge(ctx context.Context, paths []string) (MergeReport, error) {
	var rep MergeReport
	inputs, err := readMergeInputs(ctx, s.path, paths)
	if err != nil {
		return rep, err
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("episodes: merge: %w", err)
	}
	defer conn.Close()
	// Every input is attached before the one transaction begins, since
	// SQLite cannot attach inside one.
	for i, in := range inputs {
		abs, err := filepath.Abs(in.path)
		if err != nil {
			return rep, fmt.Errorf("episodes: merge: %w", err)
		}
		u := url.URL{Path: abs}
		if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS `+srcSchema(i), "file:"+u.EscapedPath()+"?mode=ro"); err != nil {
			return rep, fmt.Errorf("episodes: merge: attach %s: %w", in.path, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE `+srcSchema(i))
	}
	// BEGIN IMMEDIATE (the writer's DSN): the plan reads the output's
	// runs under the write lock, so that a concurrent merge of the same
	// inputs sees this one's runs and episodes, not the output before it.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("episodes: merge: %w", err)
	}
	defer tx.Rollback()
	plan, err := planMerge(ctx, tx, inputs)
	if err != nil {
		return rep, err
	}
	if s.afterMergePlan != nil {
		s.afterMergePlan()
	}
	for _, t := range plan.order {
		if t.create != nil && !t.made {
			if err := s.createRun(ctx, tx, t.create); err != nil {
				return rep, fmt.Errorf("episodes: merge: %w", err)
			}
			t.id, t.made = t.create.ID, true
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS merge_map (src INTEGER PRIMARY KEY, dst INTEGER NOT NULL)`); err != nil {
		return rep, fmt.Errorf("episodes: merge: %w", err)
	}
	for i, in := range plan.inputs {
		n, skipped, err := s.mergeInput(ctx, tx, srcSchema(i), &plan, in)
		if err != nil {
			return rep, fmt.Errorf("episodes: merge %s: %w", in.path, err)
		}
		rep.Episodes += n
		rep.Skipped += skipped
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.merge_map`); err != nil {
		return rep, fmt.Errorf("episodes: merge: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return rep, fmt.Errorf("episodes: merge: %w", err)
	}
	s.runsMu.Lock()
	for _, t := range plan.targets {
		s.knownRuns[t.id] = true
	}
	s.runsMu.Unlock()
	seen := map[*mergeTarget]bool{}
	for _, t := range plan.order {
		if seen[t] {
			continue
		}
		seen[t] = true
		rep.Runs = append(rep.Runs, MergedRun{ID: t.id, Sources: t.sources, Shards: t.shards, Missing: t.missing()})
	}
	return rep, nil
}

// MaxMergeInputs is how many databases one [Store.Merge] reads: SQLite's
// limit on attached databases.
const MaxMergeInputs = 10

func srcSchema(i int) string { return "src" + strconv.Itoa(i) }

type mergeInput struct {
	path string
	runs []Run // with subjects
}

// mergeTarget is a run of the output: an existing or copied run (create
// nil or holding its own ID) or the run the shards of one run become.
type mergeTarget struct {
	id      string
	create  *Run // to create; nil when s already holds the run
	sources []string
	shards  []string
	n       int // shards of the whole run; 0 when not sharded
	// whole marks the new run that shards become (create holds it).
	whole bool
	made  bool
	sum   int // the shards' totals together
}

func (t *mergeTarget) missing() []string {
	if !t.whole {
		return nil // merged into a run made by an earlier merge, which may hold the rest
	}
	var out []string
	for i := range t.n {
		sh := fmt.Sprintf("%d/%d", i, t.n)
		if !slices.Contains(t.shards, sh) {
			out = append(out, sh)
		}
	}
	return out
}

type mergePlan struct {
	inputs  []mergeInput
	targets map[string]*mergeTarget // by "path\x00run ID"
	order   []*mergeTarget
}

// readMergeInputs checks the input paths (out is the output's) and reads
// every input's runs; the inputs are only read.
func readMergeInputs(ctx context.Context, out string, paths []string) ([]mergeInput, error) {
	if len(paths) == 0 {
		return nil, errors.New("episodes: merge: no input databases")
	}
	if len(paths) > MaxMergeInputs {
		return nil, fmt.Errorf("episodes: merge: %d input databases, at most %d at once; merge them in steps (the output of one merge is an input of the next)", len(paths), MaxMergeInputs)
	}
	out, _ = filepath.Abs(out)
	seenPath := map[string]bool{}
	var inputs []mergeInput
	for _, p := range paths {
		abs, _ := filepath.Abs(p)
		if abs == out {
			return nil, fmt.Errorf("episodes: merge: %s is the output database; name it once, as the output", p)
		}
		if seenPath[abs] {
			return nil, fmt.Errorf("episodes: merge: %s is named twice", p)
		}
		seenPath[abs] = true
		in, err := OpenReadOnly(ctx, p, Options{})
		if err != nil {
			return nil, fmt.Errorf("episodes: merge: %w", err)
		}
		runs, err := in.Runs(ctx)
		in.Close()
		if err != nil {
			return nil, fmt.Errorf("episodes: merge %s: %w", p, err)
		}
		inputs = append(inputs, mergeInput{path: p, runs: runs})
	}
	return inputs, nil
}

// planMerge decides where every input run goes, refusing conflicts before
// anything is written. It reads the output's runs through tx, the merge's
// write transaction.
//
// An episode is identified by its run and its index: a run that is not a
// shard by its ID; the shards of one run (same seed, n and settings) and
// the unsharded run they were merged into, in the output or in an input
// (an earlier merge's output), by those settings, so that they all go to
// one run, where an index already present is skipped. Re-merging any
// overlap of earlier merges and their shards thus adds nothing.
func planMerge(ctx context.Context, tx *sql.Tx, inputs []mergeInput) (mergePlan, error) {
	plan := mergePlan{inputs: inputs, targets: map[string]*mergeTarget{}}
	outRuns, err := queryRuns(ctx, tx, runColumns, ` WHERE staging = 0`) // main is migrated: it has the column
	if err != nil {
		return plan, fmt.Errorf("episodes: merge: %w", err)
	}
	type shardKey struct {
		n    int
		seed uint64
	}
	type first struct {
		path string
		run  *Run
	}
	shardsOf := map[shardKey]*mergeTarget{}
	firstOf := map[shardKey]first{}
	byID := map[string]*mergeTarget{}
	firstByID := map[string]first{}
	// byRunID is the target of run r (not a shard), read from path.
	byRunID := func(path string, r *Run) (*mergeTarget, error) {
		if f, ok := firstByID[r.ID]; ok {
			if d := runDifference(f.run, r); d != "" {
				return nil, fmt.Errorf("episodes: merge: run %s in %s and in %s differs in %s", r.ID, path, f.path, d)
			}
			return byID[r.ID], nil
		}
		t := &mergeTarget{id: r.ID}
		if i := slices.IndexFunc(outRuns, func(o Run) bool { return o.ID == r.ID }); i >= 0 {
			if d := runDifference(&outRuns[i], r); d != "" {
				return nil, fmt.Errorf("episodes: merge: run %s in %s differs from the output's in %s", r.ID, path, d)
			}
		} else {
			c := *r
			t.create = &c
		}
		byID[r.ID], firstByID[r.ID] = t, first{path, r}
		return t, nil
	}
	for _, in := range plan.inputs {
		for i := range in.runs {
			r := &in.runs[i]
			src := in.path + ":" + r.ID
			var t *mergeTarget
			if n, ok := shardCount(r.Shard); ok {
				k := shardKey{n, r.Seed}
				if f, ok := firstOf[k]; ok {
					if d := runDifference(f.run, r); d != "" {
						return plan, fmt.Errorf("episodes: merge: %s (shard %s) and %s:%s (shard %s) are shards of one run (seed %d, %d shards) but differ in %s; merge them separately",
							src, r.Shard, f.path, f.run.ID, f.run.Shard, r.Seed, n, d)
					}
					t = shardsOf[k]
				} else {
					if prev := mergedBefore(outRuns, r); prev != nil {
						// An earlier merge of shards of this run: add to it.
						t = &mergeTarget{n: n, id: prev.ID}
					} else if path, whole := mergedInInput(plan.inputs, r); whole != nil {
						// An input holds an earlier merge of this run: its
						// shards go where that run goes.
						if t, err = byRunID(path, whole); err != nil {
							return plan, err
						}
					} else {
						whole := *r
						whole.ID, whole.Shard, whole.Total = "", "", 0
						whole.Config = withoutShard(r.Config)
						t = &mergeTarget{n: n, create: &whole, whole: true}
					}
					shardsOf[k], firstOf[k] = t, first{in.path, r}
				}
				if !slices.Contains(t.shards, r.Shard) {
					t.shards = append(t.shards, r.Shard)
					if t.whole {
						// The whole run's plan when the shards record it
						// (every shard stores all subjects), else what the
						// shards planned together.
						t.sum += r.Total
						t.create.Total = max(t.sum, len(r.Subjects))
					}
				}
				if t.whole && r.CreatedAt.Before(t.create.CreatedAt) {
					t.create.CreatedAt = r.CreatedAt
				}
			} else if t, err = byRunID(in.path, r); err != nil {
				return plan, err
			}
			t.sources = append(t.sources, src)
			plan.targets[in.path+"\x00"+r.ID] = t
			plan.order = append(plan.order, t)
		}
	}
	return plan, nil
}

// mergedInInput returns an unsharded run of inputs that shard r was
// merged into before (see [mergedBefore]), with its input's path.
func mergedInInput(inputs []mergeInput, r *Run) (string, *Run) {
	for _, in := range inputs {
		if prev := mergedBefore(in.runs, r); prev != nil {
			return in.path, prev
		}
	}
	return "", nil
}

// mergedBefore returns the unsharded run of runs that shard r was merged
// into before, if any: the same seed and configuration, no shard.
func mergedBefore(runs []Run, r *Run) *Run {
	for i := range runs {
		if runs[i].Shard == "" && runs[i].Seed == r.Seed && runDifference(&runs[i], r) == "" {
			return &runs[i]
		}
	}
	return nil
}

// shardCount returns n of a shard "i/n".
func shardCount(shard string) (int, bool) {
	_, ns, ok := strings.Cut(shard, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(ns)
	return n, err == nil && n > 0
}

// runDifference names the first field in which two runs that should be
// the same differ, ignoring their IDs, creation times, shards and totals;
// empty when they agree.
func runDifference(a, b *Run) string {
	switch {
	case a.Game != b.Game:
		return fmt.Sprintf("game (%q vs %q)", a.Game, b.Game)
	case a.Judge != b.Judge:
		return fmt.Sprintf("judge (%s vs %s)", a.Judge, b.Judge)
	case a.Seed != b.Seed:
		return fmt.Sprintf("seed (%d vs %d)", a.Seed, b.Seed)
	case a.MaxTurns != b.MaxTurns:
		return fmt.Sprintf("max turns (%d vs %d)", a.MaxTurns, b.MaxTurns)
	case !reflect.DeepEqual(a.Players, b.Players):
		return fmt.Sprintf("players (%v vs %v)", a.Players, b.Players)
	case a.CodeVersion != b.CodeVersion:
		return fmt.Sprintf("code version (%s vs %s)", a.CodeVersion, b.CodeVersion)
	case !slices.Equal(a.Subjects, b.Subjects):
		return "subjects (the words of the episodes)"
	}
	if d := configDifference(withoutShard(a.Config), withoutShard(b.Config)); d != "" {
		return d
	}
	return ""
}

// configDifference names the first top-level key in which two JSON
// configurations differ.
func configDifference(a, b json.RawMessage) string {
	if bytes.Equal(a, b) {
		return ""
	}
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return "configuration"
	}
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		va, vb := ma[k], mb[k]
		var ca, cb bytes.Buffer
		json.Compact(&ca, va)
		json.Compact(&cb, vb)
		if !bytes.Equal(ca.Bytes(), cb.Bytes()) {
			show := func(v []byte) string {
				if len(v) == 0 {
					return "absent"
				}
				return string(v)
			}
			return fmt.Sprintf("configuration key %q (%s vs %s)", k, show(ca.Bytes()), show(cb.Bytes()))
		}
	}
	return ""
}

// withoutShard drops the top-level "shard" and "games" keys of a JSON
// configuration object, which differ between the shards of one run (the
// shard's own part and count); anything else is returned as is.
func withoutShard(config json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if len(config) == 0 || json.Unmarshal(config, &m) != nil {
		return config
	}
	if _, ok := m["shard"]; !ok {
		return config
	}
	delete(m, "shard")
	b, err := json.Marshal(m)
	if err != nil {
		return config
	}
	return b
}

// mergeInput copies the episodes of one input, attached as schema src,
// inside tx.
func (s *Store) mergeInput(ctx context.Context, tx *sql.Tx, src string, plan *mergePlan, in mergeInput) (copied, skipped int, err error) {
	for _, r := range in.runs {
		dst := plan.targets[in.path+"\x00"+r.ID].id
		var total, before int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+src+`.episodes WHERE run_id = ?`, r.ID).Scan(&total); err != nil {
			return 0, 0, err
		}
		// A finished episode replaces an errored one of the same index.
		if _, err := tx.ExecContext(ctx, `DELETE FROM main.episodes WHERE run_id = ? AND err <> '' AND idx IN
			(SELECT idx FROM `+src+`.episodes WHERE run_id = ? AND err = '')`, dst, r.ID); err != nil {
			return 0, 0, err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM main.episodes`).Scan(&before); err != nil {
			return 0, 0, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO main.episodes
			(run_id, idx, subject, seed, outcome, decided_at, rule, evidence_turn, evidence_start, evidence_end,
			 evidence_text, judge, err, started_at, finished_at, extra)
			SELECT ?, idx, subject, seed, outcome, decided_at, rule, evidence_turn, evidence_start, evidence_end,
			 evidence_text, judge, err, started_at, finished_at, extra
			FROM `+src+`.episodes WHERE run_id = ? ORDER BY idx
			ON CONFLICT (run_id, idx) DO NOTHING`, dst, r.ID)
		if err != nil {
			return 0, 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, 0, err
		}
		copied += int(n)
		skipped += int(total - n)
		// New episodes have IDs above every earlier one: map each copied
		// episode's input ID to its new one, then copy what hangs on it.
		steps := []struct {
			q    string
			args []any
		}{
			{`DELETE FROM temp.merge_map`, nil},
			{`INSERT INTO temp.merge_map (src, dst) SELECT s.id, m.id FROM ` + src + `.episodes s
				JOIN main.episodes m ON m.run_id = ? AND m.idx = s.idx
				WHERE s.run_id = ? AND m.id > ?`, []any{dst, r.ID, before}},
			{`INSERT INTO main.turns (episode_id, n, player, role, text, thinking, prompt_tokens, output_tokens, latency_ns, logprobs, extra)
				SELECT mm.dst, t.n, t.player, t.role, t.text, t.thinking, t.prompt_tokens, t.output_tokens, t.latency_ns, t.logprobs, t.extra
				FROM ` + src + `.turns t JOIN temp.merge_map mm ON mm.src = t.episode_id`, nil},
			{`INSERT OR REPLACE INTO main.verdicts (episode_id, judge, version, outcome, decided_at, rule,
				evidence_turn, evidence_start, evidence_end, evidence_text, created_at)
				SELECT mm.dst, v.judge, v.version, v.outcome, v.decided_at, v.rule,
				v.evidence_turn, v.evidence_start, v.evidence_end, v.evidence_text, v.created_at
				FROM ` + src + `.verdicts v JOIN temp.merge_map mm ON mm.src = v.episode_id`, nil},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return 0, 0, err
			}
		}
	}
	return copied, skipped, nil
}
