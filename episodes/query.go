package episodes

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/spag-go/spag/game"
)

// Record is an episode as stored.
type Record struct {
	// ID is the episode's key in the store, for [Store.Episode] and
	// [Store.AddVerdict].
	ID    int64
	RunID string
	game.Episode
	// Extra holds the keys of an imported episode that have no column of
	// their own (SPAG's max_turns among them), as a JSON object; nil when
	// there are none.
	Extra json.RawMessage
	// TurnExtra holds the same for each turn, index-aligned with Turns;
	// nil when no turn has any.
	TurnExtra []json.RawMessage
}

// Filter selects episodes. Zero fields match everything.
type Filter struct {
	RunID string
	// RunIDs, when not empty, keeps the episodes of these runs (one
	// game's runs of a database holding several).
	RunIDs  []string
	Outcome string
	Subject string
	// Player keeps the episodes of runs in which this player spec played,
	// as recorded or as given before the parenthesised model name and
	// digest that runs record ("native" matches "native (spag-taboo-small-v3
	// sha256:…)"); Role narrows that to one role. Role alone keeps the runs
	// that have a player in that role.
	Player string
	// Players, when not empty, keeps the episodes of runs in which a player
	// is recorded by one of these names exactly, as Player does for one
	// (Role narrows it too): the names of one player spec in its several
	// spellings, found by the caller.
	Players []string
	Role    string
	// DecidedAt keeps the episodes decided at this utterance.
	DecidedAt int
	// Errored, when not nil, keeps only errored (true) or only non-errored
	// (false) episodes.
	Errored *bool
	// AfterID keeps the episodes stored after the one with this ID (their
	// IDs are larger); 0 keeps all. A view that follows a run asks only for
	// what is new.
	AfterID int64
	// Limit caps the number of episodes (0: no cap); Offset skips the first
	// ones.
	Limit, Offset int
	// Turns loads each episode's turns; without it Turns is nil.
	Turns bool
	// NewestRunFirst orders the runs newest first (by creation time); the
	// episodes of a run stay in index order. The default is oldest first.
	NewestRunFirst bool
}

const episodeColumns = `e.id, e.run_id, e.idx, e.subject, e.seed, e.outcome, e.decided_at, e.rule,
	e.evidence_turn, e.evidence_start, e.evidence_end, e.evidence_text, e.judge,
	e.err, e.started_at, e.finished_at, e.extra`

func scanEpisode(sc scanner) (Record, error) {
	var (
		r                 Record
		seed              int64
		started, finished sql.NullInt64
		extra             sql.NullString
	)
	v := &r.Verdict
	err := sc.Scan(&r.ID, &r.RunID, &r.Index, &r.Subject, &seed, &v.Outcome, &v.DecidedAt, &v.Rule,
		&v.Evidence.Turn, &v.Evidence.Start, &v.Evidence.End, &v.Evidence.Text, &v.Judge,
		&r.Err, &started, &finished, &extra)
	if err != nil {
		return Record{}, err
	}
	r.Seed = uint64(seed)
	r.StartedAt = fromUnixNano(started)
	r.FinishedAt = fromUnixNano(finished)
	if extra.Valid {
		r.Extra = json.RawMessage(extra.String)
	}
	return r, nil
}

const sqlSelectTurns = `SELECT n, player, role, text, thinking, prompt_tokens, output_tokens, latency_ns, logprobs, extra
	FROM turns WHERE episode_id = ? ORDER BY n`

// loadTurns fills r.Turns (and r.TurnExtra) with the prepared turns query.
func loadTurns(ctx context.Context, stmt *sql.Stmt, r *Record) error {
	rows, err := stmt.QueryContext(ctx, r.ID)
	if err != nil {
		return fmt.Errorf("turns of episode %d: %w", r.ID, err)
	}
	defer rows.Close()
	r.Turns = []game.Turn{}
	for rows.Next() {
		var (
			t               game.Turn
			latency         int64
			logprobs, extra sql.NullString
		)
		err := rows.Scan(&t.N, &t.Player, &t.Role, &t.Text, &t.Thinking,
			&t.Usage.PromptTokens, &t.Usage.OutputTokens, &latency, &logprobs, &extra)
		if err != nil {
			return fmt.Errorf("turns of episode %d: %w", r.ID, err)
		}
		t.Usage.Latency = time.Duration(latency)
		if logprobs.Valid {
			if err := json.Unmarshal([]byte(logprobs.String), &t.Logprobs); err != nil {
				return fmt.Errorf("episode %d turn %d: logprobs: %w", r.ID, t.N, err)
			}
		}
		if extra.Valid {
			if r.TurnExtra == nil {
				r.TurnExtra = make([]json.RawMessage, len(r.Turns), len(r.Turns)+1)
			}
			r.TurnExtra = append(r.TurnExtra, json.RawMessage(extra.String))
		} else if r.TurnExtra != nil {
			r.TurnExtra = append(r.TurnExtra, nil)
		}
		r.Turns = append(r.Turns, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("turns of episode %d: %w", r.ID, err)
	}
	return nil
}

// Episode returns one episode with its turns, or an error wrapping
// [ErrNotFound].
func (s *Store) Episode(ctx context.Context, id int64) (*Record, error) {
	// One read transaction, so the episode and its turns come from the
	// same snapshot even while the writer replaces an errored episode.
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("episodes: episode %d: %w", id, err)
	}
	defer tx.Rollback()
	r, err := scanEpisode(tx.QueryRowContext(ctx, `SELECT `+episodeColumns+` FROM episodes e WHERE e.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("episodes: episode %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("episodes: episode %d: %w", id, err)
	}
	stmt, err := tx.PrepareContext(ctx, sqlSelectTurns)
	if err != nil {
		return nil, fmt.Errorf("episodes: episode %d: %w", id, err)
	}
	defer stmt.Close()
	if err := loadTurns(ctx, stmt, &r); err != nil {
		return nil, fmt.Errorf("episodes: %w", err)
	}
	return &r, nil
}

// where turns a filter into SQL conditions on episodes e.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if f.RunID != "" {
		add("e.run_id = ?", f.RunID)
	}
	if len(f.RunIDs) > 0 {
		ids := make([]any, len(f.RunIDs))
		for i, id := range f.RunIDs {
			ids[i] = id
		}
		add("e.run_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
	}
	if f.AfterID > 0 {
		add("e.id > ?", f.AfterID)
	}
	if f.Outcome != "" {
		add("e.outcome = ?", f.Outcome)
	}
	if f.Subject != "" {
		add("e.subject = ?", f.Subject)
	}
	if f.DecidedAt != 0 {
		add("e.decided_at = ?", f.DecidedAt)
	}
	if f.Errored != nil {
		if *f.Errored {
			add("e.err <> ''")
		} else {
			add("e.err = ''")
		}
	}
	if len(f.Players) > 0 {
		in := strings.TrimSuffix(strings.Repeat("?, ", len(f.Players)), ", ")
		role, roleArgs := "", []any{}
		if f.Role != "" {
			role, roleArgs = " AND p.key = ?", []any{f.Role}
		}
		names := make([]any, len(f.Players))
		for i, n := range f.Players {
			names[i] = n
		}
		add(`EXISTS (SELECT 1 FROM runs r, json_each(r.players) p
			WHERE r.id = e.run_id`+role+` AND p.value IN (`+in+`))`, append(roleArgs, names...)...)
	}
	switch {
	case f.Player != "" && f.Role != "":
		add(`EXISTS (SELECT 1 FROM runs r, json_each(r.players) p
			WHERE r.id = e.run_id AND p.key = ? AND `+playerMatch+`)`, f.Role, f.Player, f.Player, f.Player)
	case f.Player != "":
		add(`EXISTS (SELECT 1 FROM runs r, json_each(r.players) p
			WHERE r.id = e.run_id AND `+playerMatch+`)`, f.Player, f.Player, f.Player)
	case f.Role != "":
		add(`EXISTS (SELECT 1 FROM runs r, json_each(r.players) p
			WHERE r.id = e.run_id AND p.key = ?)`, f.Role)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// playerMatch is the condition of [Filter.Player] on a run's player p: the
// recorded name, or the spec that starts it followed by " (".
const playerMatch = `(p.value = ? OR substr(p.value, 1, length(?) + 2) = ? || ' (')`

// Iter yields the episodes f selects, ordered by run ID (see
// [Filter.NewestRunFirst]), then index,
// streaming them so a whole store can be exported in constant memory. It
// reads one consistent snapshot; a long iteration keeps the write-ahead log
// from being reset until it ends. Stop early by breaking out of the loop.
func (s *Store) Iter(ctx context.Context, f Filter) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		fail := func(err error) { yield(Record{}, fmt.Errorf("episodes: list episodes: %w", err)) }
		tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			fail(err)
			return
		}
		defer tx.Rollback()
		where, args := s.where(f)
		limit := -1 // SQLite: no limit
		if f.Limit > 0 {
			limit = f.Limit
		}
		args = append(args, limit, max(f.Offset, 0))
		order := ` ORDER BY e.run_id, e.idx`
		if f.NewestRunFirst {
			order = ` ORDER BY (SELECT r.created_at FROM runs r WHERE r.id = e.run_id) DESC, e.run_id DESC, e.idx`
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+episodeColumns+` FROM episodes e`+where+order+` LIMIT ? OFFSET ?`, args...)
		if err != nil {
			fail(err)
			return
		}
		defer rows.Close()
		var turns *sql.Stmt
		if f.Turns {
			if turns, err = tx.PrepareContext(ctx, sqlSelectTurns); err != nil {
				fail(err)
				return
			}
			defer turns.Close()
		}
		for rows.Next() {
			r, err := scanEpisode(rows)
			if err == nil && turns != nil {
				err = loadTurns(ctx, turns, &r)
			}
			if err != nil {
				fail(err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			fail(err)
		}
	}
}

// Episodes returns the episodes f selects, ordered by run ID, then index.
// Prefer [Store.Iter] for large selections.
func (s *Store) Episodes(ctx context.Context, f Filter) ([]Record, error) {
	var out []Record
	for r, err := range s.Iter(ctx, f) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// DoneIndices returns the indices of the run's finished episodes: those a
// resumed run must not play again. Errored episodes are left out so that
// they are replayed.
func (s *Store) DoneIndices(ctx context.Context, runID string) (map[int]bool, error) {
	if err := s.checkRun(ctx, runID); err != nil {
		return nil, fmt.Errorf("episodes: done indices: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT idx FROM episodes WHERE run_id = ? AND err = ''`, runID)
	if err != nil {
		return nil, fmt.Errorf("episodes: done indices of run %s: %w", runID, err)
	}
	defer rows.Close()
	done := make(map[int]bool)
	for rows.Next() {
		var idx int
		if err := rows.Scan(&idx); err != nil {
			return nil, fmt.Errorf("episodes: done indices of run %s: %w", runID, err)
		}
		done[idx] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("episodes: done indices of run %s: %w", runID, err)
	}
	return done, nil
}

// Stats summarises the stored episodes of a run (or of the whole store).
type Stats struct {
	// Episodes counts stored episodes, errored ones included.
	Episodes int
	Errored  int
	// Outcomes counts the non-errored episodes by outcome; imported
	// episodes not yet judged count under "".
	Outcomes map[string]int
	// Rules counts the judged, non-errored episodes by the rule that
	// decided them (see package judge).
	Rules map[string]int
	// MeanDecidedAt is the mean utterance number at which the decided
	// (non-errored, DecidedAt > 0) episodes were decided; 0 when none.
	MeanDecidedAt float64
	// Turns and the token counts cover every stored turn.
	Turns        int
	PromptTokens int64
	OutputTokens int64
	// FirstStart and LastFinish bound the time the episodes were played;
	// zero when unknown (imported episodes).
	FirstStart, LastFinish time.Time
}

// Throughput is the number of stored episodes per second of wall-clock
// time between FirstStart and LastFinish; 0 when unknown.
func (st Stats) Throughput() float64 {
	d := st.LastFinish.Sub(st.FirstStart)
	if st.FirstStart.IsZero() || st.LastFinish.IsZero() || d <= 0 {
		return 0
	}
	return float64(st.Episodes) / d.Seconds()
}

// Stats summarises the episodes of run runID, or of every run when runID
// is empty. An unknown run gives an error wrapping [ErrNotFound].
func (s *Store) Stats(ctx context.Context, runID string) (Stats, error) {
	if runID != "" {
		if err := s.checkRun(ctx, runID); err != nil {
			return Stats{}, fmt.Errorf("episodes: stats: %w", err)
		}
	}
	st, err := s.stats(ctx, Filter{RunID: runID})
	if err != nil {
		return Stats{}, fmt.Errorf("episodes: stats of run %q: %w", runID, err)
	}
	return st, nil
}

// StatsOfRuns is [Store.Stats] over the episodes of the runs ids together
// (one game's runs in a database holding several games).
func (s *Store) StatsOfRuns(ctx context.Context, ids []string) (Stats, error) {
	if len(ids) == 0 {
		return Stats{Outcomes: map[string]int{}, Rules: map[string]int{}}, nil
	}
	st, err := s.stats(ctx, Filter{RunIDs: ids})
	if err != nil {
		return Stats{}, fmt.Errorf("episodes: stats of %d runs: %w", len(ids), err)
	}
	return st, nil
}

func (s *Store) stats(ctx context.Context, f Filter) (Stats, error) {
	wrap := func(err error) (Stats, error) { return Stats{}, err }
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrap(err)
	}
	defer tx.Rollback()
	where, args := s.where(f)

	var (
		st          Stats
		errored     sql.NullInt64
		mean        sql.NullFloat64
		first, last sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT count(*), sum(e.err <> ''),
		avg(CASE WHEN e.err = '' AND e.decided_at > 0 THEN e.decided_at END),
		min(e.started_at), max(e.finished_at)
		FROM episodes e`+where, args...).Scan(&st.Episodes, &errored, &mean, &first, &last)
	if err != nil {
		return wrap(err)
	}
	st.Errored = int(errored.Int64)
	st.MeanDecidedAt = mean.Float64
	st.FirstStart = fromUnixNano(first)
	st.LastFinish = fromUnixNano(last)

	// Episodes that failed to play have neither outcome nor rule.
	played := where + andOrWhere(where) + `e.err = ''`
	if st.Outcomes, err = countBy(ctx, tx, "e.outcome", played, args); err != nil {
		return wrap(err)
	}
	if st.Rules, err = countBy(ctx, tx, "e.rule", played+` AND e.rule <> ''`, args); err != nil {
		return wrap(err)
	}

	var prompt, output sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT count(*), sum(t.prompt_tokens), sum(t.output_tokens)
		FROM turns t JOIN episodes e ON e.id = t.episode_id`+where, args...).Scan(&st.Turns, &prompt, &output)
	if err != nil {
		return wrap(err)
	}
	st.PromptTokens = prompt.Int64
	st.OutputTokens = output.Int64
	return st, nil
}

// andOrWhere continues a WHERE clause built by Filter.where.
func andOrWhere(where string) string {
	if where == "" {
		return " WHERE "
	}
	return " AND "
}

// Verdict is a verdict given to a stored episode after it was played, by
// another judge or another version of the run's judge.
type Verdict struct {
	EpisodeID int64
	game.Verdict
	CreatedAt time.Time
}

// splitJudge splits "name@version" at its last '@'.
func splitJudge(judge string) (name, version string) {
	if i := strings.LastIndexByte(judge, '@'); i >= 0 {
		return judge[:i], judge[i+1:]
	}
	return judge, ""
}

// AddVerdict stores a verdict on episode episodeID, replacing the one the
// same judge and version gave before. v.Judge ("name@version") is required.
// An episode stored without a verdict (an import) also takes v as its own.
// An unknown episode gives an error wrapping [ErrNotFound].
func (s *Store) AddVerdict(ctx context.Context, episodeID int64, v game.Verdict) error {
	return s.AddVerdicts(ctx, []Verdict{{EpisodeID: episodeID, Verdict: v}})
}

// AddVerdicts is [Store.AddVerdict] for many episodes in one transaction:
// all are stored or none. Re-judging a large store in batches of a few
// hundred is far faster than one transaction per episode, and each
// committed batch survives an interrupt. CreatedAt is ignored.
func (s *Store) AddVerdicts(ctx context.Context, vs []Verdict) error {
	for _, v := range vs {
		if v.Judge == "" {
			return fmt.Errorf("episodes: add verdict to episode %d: the verdict has no judge (want name@version)", v.EpisodeID)
		}
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("episodes: add verdicts: %w", err)
	}
	defer tx.Rollback()
	now := s.opts.Now().UnixNano()
	for _, v := range vs {
		if err := addVerdict(ctx, tx, v.EpisodeID, v.Verdict, now); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("episodes: add verdicts: %w", err)
	}
	return nil
}

func addVerdict(ctx context.Context, tx *sql.Tx, episodeID int64, v game.Verdict, now int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM episodes WHERE id = ?`, episodeID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("episodes: add verdict: episode %d: %w", episodeID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("episodes: add verdict to episode %d: %w", episodeID, err)
	}
	if err := insertVerdict(ctx, tx, episodeID, v, now); err != nil {
		return fmt.Errorf("episodes: add verdict to episode %d: %w", episodeID, err)
	}
	// An episode stored unjudged (imported) takes its first verdict as its
	// own, so that stats, filters and exports see it.
	_, err = tx.ExecContext(ctx, `UPDATE episodes SET outcome = ?, decided_at = ?, rule = ?,
		evidence_turn = ?, evidence_start = ?, evidence_end = ?, evidence_text = ?, judge = ?
		WHERE id = ? AND outcome = '' AND err = ''`,
		v.Outcome, v.DecidedAt, v.Rule, v.Evidence.Turn, v.Evidence.Start, v.Evidence.End, v.Evidence.Text, v.Judge, episodeID)
	if err != nil {
		return fmt.Errorf("episodes: add verdict to episode %d: %w", episodeID, err)
	}
	return nil
}

// insertVerdict stores v on episode episodeID, replacing the verdict of
// the same judge and version; created is the time in Unix nanoseconds.
func insertVerdict(ctx context.Context, db execer, episodeID int64, v game.Verdict, created int64) error {
	name, version := splitJudge(v.Judge)
	_, err := db.ExecContext(ctx, `INSERT OR REPLACE INTO verdicts
		(episode_id, judge, version, outcome, decided_at, rule, evidence_turn, evidence_start, evidence_end, evidence_text, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		episodeID, name, version, v.Outcome, v.DecidedAt, v.Rule,
		v.Evidence.Turn, v.Evidence.Start, v.Evidence.End, v.Evidence.Text, created)
	return err
}

// Verdicts lists the verdicts added to an episode with AddVerdict, ordered
// by judge and version. The verdict of the run's own judge is the Record's.
func (s *Store) Verdicts(ctx context.Context, episodeID int64) ([]Verdict, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT judge, version, outcome, decided_at, rule,
		evidence_turn, evidence_start, evidence_end, evidence_text, created_at
		FROM verdicts WHERE episode_id = ? ORDER BY judge, version`, episodeID)
	if err != nil {
		return nil, fmt.Errorf("episodes: verdicts of episode %d: %w", episodeID, err)
	}
	defer rows.Close()
	var out []Verdict
	for rows.Next() {
		var (
			v             = Verdict{EpisodeID: episodeID}
			name, version string
			created       int64
		)
		err := rows.Scan(&name, &version, &v.Outcome, &v.DecidedAt, &v.Rule,
			&v.Evidence.Turn, &v.Evidence.Start, &v.Evidence.End, &v.Evidence.Text, &created)
		if err != nil {
			return nil, fmt.Errorf("episodes: verdicts of episode %d: %w", episodeID, err)
		}
		v.Judge = name
		if version != "" {
			v.Judge += "@" + version
		}
		v.CreatedAt = time.Unix(0, created).UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("episodes: verdicts of episode %d: %w", episodeID, err)
	}
	return out, nil
}

// countBy counts the episodes matching where by the value of column.
func countBy(ctx context.Context, tx *sql.Tx, column, where string, args []any) (map[string]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+column+`, count(*) FROM episodes e`+where+` GROUP BY `+column, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make(map[string]int)
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return nil, err
		}
		counts[key] = n
	}
	return counts, rows.Err()
}
