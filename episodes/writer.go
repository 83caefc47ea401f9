package episodes

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/spag-go/spag/game"
)

// pending is one episode on its way to the database, with its JSON columns
// already encoded by the goroutine that called Write: encoding in parallel
// there keeps the single writer goroutine free for SQLite.
type pending struct {
	runID     string
	ep        game.Episode
	logprobs  [][]byte // per turn; nil when the turn has none
	extra     []byte   // JSON object; nil when none
	turnExtra [][]byte // per turn; nil when no turn has any
	// dropLive says a live row may exist for the episode; it is deleted
	// in the transaction that stores the episode.
	dropLive bool
}

// request is what travels on the writer's queue: an episode, or a flush
// marker whose channel receives the writer's error once everything queued
// before it is committed.
type request struct {
	p     pending
	flush chan error
}

// writer is the Store's one writing goroutine and its bounded queue.
type writer struct {
	s     *Store
	queue chan request
	done  chan struct{} // closed when run returns

	// mu makes closing the queue safe: senders hold it for reading while
	// they send, Close takes it for writing to set closed, and only then
	// closes the queue, so no send can hit a closed channel.
	mu     sync.RWMutex
	closed bool

	errMu sync.Mutex
	err   error // the first write failure; sticky

	stmts stmts // prepared once on the write connection
}

// stmts are the statements that store an episode.
type stmts struct {
	insertEpisode *sql.Stmt
	findEpisode   *sql.Stmt
	deleteEpisode *sql.Stmt
	insertTurn    *sql.Stmt
}

const (
	sqlInsertEpisode = `INSERT INTO episodes
		(run_id, idx, subject, seed, outcome, decided_at, rule,
		 evidence_turn, evidence_start, evidence_end, evidence_text, judge,
		 err, started_at, finished_at, extra)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, idx) DO NOTHING`
	sqlFindEpisode   = `SELECT id, err FROM episodes WHERE run_id = ? AND idx = ?`
	sqlDeleteEpisode = `DELETE FROM episodes WHERE id = ?`
	sqlInsertTurn    = `INSERT INTO turns
		(episode_id, n, player, role, text, thinking, prompt_tokens, output_tokens, latency_ns, logprobs, extra)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

func prepareStmts(ctx context.Context, db *sql.DB) (stmts, error) {
	var st stmts
	var err error
	prep := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = db.PrepareContext(ctx, q)
		}
	}
	prep(&st.insertEpisode, sqlInsertEpisode)
	prep(&st.findEpisode, sqlFindEpisode)
	prep(&st.deleteEpisode, sqlDeleteEpisode)
	prep(&st.insertTurn, sqlInsertTurn)
	if err != nil {
		st.close()
		return stmts{}, fmt.Errorf("prepare: %w", err)
	}
	return st, nil
}

func (st stmts) close() {
	for _, s := range []*sql.Stmt{st.insertEpisode, st.findEpisode, st.deleteEpisode, st.insertTurn} {
		if s != nil {
			s.Close()
		}
	}
}

// in binds the statements to a transaction; on the single write
// connection this reuses the prepared statements rather than re-preparing.
func (st stmts) in(ctx context.Context, tx *sql.Tx) stmts {
	return stmts{
		insertEpisode: tx.StmtContext(ctx, st.insertEpisode),
		findEpisode:   tx.StmtContext(ctx, st.findEpisode),
		deleteEpisode: tx.StmtContext(ctx, st.deleteEpisode),
		insertTurn:    tx.StmtContext(ctx, st.insertTurn),
	}
}

func startWriter(ctx context.Context, s *Store) (*writer, error) {
	st, err := prepareStmts(ctx, s.wdb)
	if err != nil {
		return nil, err
	}
	w := &writer{
		s:     s,
		queue: make(chan request, s.opts.QueueSize),
		done:  make(chan struct{}),
		stmts: st,
	}
	go w.run()
	return w, nil
}

// Write queues ep of run runID for the writer goroutine and returns once it
// is queued, not committed: it counts as stored when [Options.OnCommit]
// reports it (or once [Store.Flush] returns nil). Write blocks while the
// queue is full, which is how a slow disk slows the producers down instead
// of growing memory, and returns ctx's error if ctx ends first.
//
// The store takes ownership of ep: the caller must not modify it, its turns
// or their log-probabilities afterwards.
//
// Rewriting an episode (the same run and Index) follows one rule: a
// finished episode is stored exactly once. Rewriting an errored episode
// replaces it, turns and verdicts included (the replay after a resume);
// rewriting a finished one is ignored, whatever the new value, and is not
// reported to OnCommit.
//
// Write returns an error wrapping [ErrNotFound] for an unknown run,
// [ErrClosed] after Close, and the writer's first failure once a commit
// has failed.
func (s *Store) Write(ctx context.Context, runID string, ep game.Episode) error {
	if err := s.w.failure(); err != nil {
		return fmt.Errorf("episodes: write refused, an earlier write failed: %w", err)
	}
	if ep.Index < 0 {
		return fmt.Errorf("episodes: write run %s episode %d: negative index", runID, ep.Index)
	}
	p := pending{runID: runID, ep: ep}
	last := 0
	for i, t := range ep.Turns {
		if t.N <= last {
			return fmt.Errorf("episodes: write run %s episode %d: turn %d has number %d; turn numbers must start at 1 and increase",
				runID, ep.Index, i, t.N)
		}
		last = t.N
		if len(t.Logprobs) > 0 {
			if p.logprobs == nil {
				p.logprobs = make([][]byte, len(ep.Turns))
			}
			b, err := json.Marshal(t.Logprobs)
			if err != nil {
				return fmt.Errorf("episodes: write run %s episode %d turn %d: logprobs: %w", runID, ep.Index, t.N, err)
			}
			p.logprobs[i] = b
		}
	}
	if err := s.checkRun(ctx, runID); err != nil {
		return fmt.Errorf("episodes: write episode %d: %w", ep.Index, err)
	}
	// A finished episode is no longer in flight, even while it waits in
	// the queue.
	p.dropLive = s.live.finished(runID, ep.Index)
	return s.w.send(ctx, "queue episode", request{p: p})
}

// Flush waits until everything queued before it is committed, then returns
// the writer's first failure, if any.
func (s *Store) Flush(ctx context.Context) error {
	ch := make(chan error, 1)
	if err := s.w.send(ctx, "flush", request{flush: ch}); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return fmt.Errorf("episodes: flush: %w", ctx.Err())
	}
}

func (w *writer) send(ctx context.Context, op string, req request) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	// A select with a free slot and a done context picks either; an
	// already cancelled caller must not have its episode queued.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("episodes: %s: %w", op, err)
	}
	select {
	case w.queue <- req:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("episodes: %s: %w", op, ctx.Err())
	}
}

func (w *writer) failure() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

func (w *writer) fail(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// close commits what is queued, stops the goroutine and returns the first
// failure.
func (w *writer) close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	close(w.queue)
	<-w.done
	w.stmts.close()
	return w.failure()
}

// run batches queued episodes into transactions: a batch is committed when
// it reaches BatchSize, when its first episode has waited FlushInterval,
// at a flush marker, and when the queue closes.
func (w *writer) run() {
	defer close(w.done)
	opts := w.s.opts
	batch := make([]pending, 0, opts.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	// Live turns are written at most once per flush interval.
	liveTimer := time.NewTimer(time.Hour)
	liveTimer.Stop()
	defer liveTimer.Stop()
	liveArmed := false
	commit := func() {
		w.commit(batch)
		clear(batch) // drop references to the committed episodes
		batch = batch[:0]
		timer.Stop()
	}
	for {
		var tick <-chan time.Time
		if len(batch) > 0 {
			tick = timer.C
		}
		select {
		case req, ok := <-w.queue:
			switch {
			case !ok:
				commit()
				return
			case req.flush != nil:
				commit()
				req.flush <- w.failure()
			default:
				batch = append(batch, req.p)
				if len(batch) == 1 {
					timer.Reset(opts.FlushInterval)
				}
				if len(batch) >= opts.BatchSize {
					commit()
				}
			}
		case <-tick:
			commit()
		case <-w.s.live.kick:
			if !liveArmed {
				liveArmed = true
				liveTimer.Reset(opts.FlushInterval)
			}
		case <-liveTimer.C:
			liveArmed = false
			// Live rows are progress for watchers, not data: a failure
			// here must not fail the store.
			_ = w.s.writeLive(context.Background())
		}
	}
}

// locked reports an error of a database locked by another connection or
// process past the busy timeout.
func locked(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// commit stores a batch in one transaction and reports it. If the
// transaction fails, each episode is retried in a transaction of its own so
// that one bad episode does not take the others with it; every failure is
// kept as the sticky error.
func (w *writer) commit(batch []pending) {
	if len(batch) == 0 {
		return
	}
	// The writer's own context: a caller's cancelled context must not
	// abort a commit of episodes that other callers queued.
	ctx := context.Background()
	stored, err := w.s.insertTx(ctx, w.stmts, batch)
	if err != nil {
		if len(batch) == 1 || locked(err) {
			// A lock held past the busy timeout would make every retry
			// wait as long again: fail the batch at once.
			w.fail(err)
		} else {
			stored = stored[:0]
			for i := range batch {
				one, err := w.s.insertTx(ctx, w.stmts, batch[i:i+1])
				if err != nil {
					w.fail(err)
					continue
				}
				stored = append(stored, one...)
			}
		}
	}
	if len(stored) > 0 && w.s.opts.OnCommit != nil {
		w.s.opts.OnCommit(stored)
	}
}

// insertTx stores episodes in one transaction and returns those it stored
// (rewrites of finished episodes are left out).
func (s *Store) insertTx(ctx context.Context, base stmts, batch []pending) ([]game.Episode, error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("episodes: %s: begin: %w", s.path, err)
	}
	defer tx.Rollback()
	st := base.in(ctx, tx)
	stored := make([]game.Episode, 0, len(batch))
	for i := range batch {
		ok, err := insertEpisode(ctx, st, &batch[i])
		if err == nil && batch[i].dropLive {
			_, err = tx.ExecContext(ctx, `DELETE FROM live_episodes WHERE run_id = ? AND idx = ?`, batch[i].runID, batch[i].ep.Index)
		}
		if err != nil {
			return nil, fmt.Errorf("episodes: %s: write run %s episode %d: %w", s.path, batch[i].runID, batch[i].ep.Index, err)
		}
		if ok {
			stored = append(stored, batch[i].ep)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("episodes: %s: commit: %w", s.path, err)
	}
	return stored, nil
}

// insertEpisode stores one episode and its turns inside a transaction. It
// reports false when the (run, index) already holds a finished episode,
// which is kept; an errored one is deleted (its turns and verdicts go with
// it through ON DELETE CASCADE) and replaced.
func insertEpisode(ctx context.Context, st stmts, p *pending) (bool, error) {
	ep := &p.ep
	v := &ep.Verdict
	var extra sql.NullString
	if p.extra != nil {
		extra = sql.NullString{String: string(p.extra), Valid: true}
	}
	args := []any{
		p.runID, ep.Index, ep.Subject, int64(ep.Seed), v.Outcome, v.DecidedAt, v.Rule,
		v.Evidence.Turn, v.Evidence.Start, v.Evidence.End, v.Evidence.Text, v.Judge,
		ep.Err, unixNano(ep.StartedAt), unixNano(ep.FinishedAt), extra,
	}
	res, err := st.insertEpisode.ExecContext(ctx, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 { // (run, index) is taken
		var (
			id      int64
			errText string
		)
		if err := st.findEpisode.QueryRowContext(ctx, p.runID, ep.Index).Scan(&id, &errText); err != nil {
			return false, fmt.Errorf("find existing: %w", err)
		}
		if errText == "" {
			return false, nil
		}
		if _, err := st.deleteEpisode.ExecContext(ctx, id); err != nil {
			return false, fmt.Errorf("replace errored: %w", err)
		}
		if res, err = st.insertEpisode.ExecContext(ctx, args...); err != nil {
			return false, err
		}
		if n, err = res.RowsAffected(); err != nil || n != 1 {
			return false, errors.Join(errors.New("replace errored: insert did not happen"), err)
		}
	}
	id, err := res.LastInsertId()
	if err != nil {
		return false, err
	}
	for i := range ep.Turns {
		t := &ep.Turns[i]
		var logprobs, textra sql.NullString
		if p.logprobs != nil && p.logprobs[i] != nil {
			logprobs = sql.NullString{String: string(p.logprobs[i]), Valid: true}
		}
		if p.turnExtra != nil && p.turnExtra[i] != nil {
			textra = sql.NullString{String: string(p.turnExtra[i]), Valid: true}
		}
		_, err := st.insertTurn.ExecContext(ctx, id, t.N, t.Player, t.Role, t.Text, t.Thinking,
			t.Usage.PromptTokens, t.Usage.OutputTokens, int64(t.Usage.Latency), logprobs, textra)
		if err != nil {
			return false, fmt.Errorf("turn %d: %w", t.N, err)
		}
	}
	return true, nil
}
