package episodes

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/spag-go/spag/game"
)

// ErrNoEpisodes is returned for an import of no episodes (a file holding
// "[]"), which would make an empty run.
var ErrNoEpisodes = errors.New("no episodes to import (the file holds an empty array)")

// Imported is one episode for [Store.ImportRun] and [Store.Import], as an
// importer of an outside format gives it: its setup (Index is set by the
// store), turns, the keys of its own that the store has no column for, and
// its verdict, if it comes judged.
type Imported struct {
	Episode game.Episode
	// Extra is a JSON object, kept for the importer's exporter; nil when none.
	Extra json.RawMessage
	// TurnExtra is a JSON object per turn; nil when no turn has any.
	TurnExtra []json.RawMessage
	// Verdict, when not nil, is stored as the episode's own verdict and
	// in [Store.Verdicts]; its Judge must name the judge as name@version.
	// Nil stores the episode unjudged, for [Store.AddVerdict] later.
	Verdict *game.Verdict
}

// Import stores episodes in run runID, after its existing episodes, in
// one transaction. Do not import into a run that the writer is still
// writing.
func (s *Store) Import(ctx context.Context, runID string, eps iter.Seq2[*Imported, error]) error {
	if err := s.checkRun(ctx, runID); err != nil {
		return fmt.Errorf("episodes: import: %w", err)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("episodes: import into run %s: %w", runID, err)
	}
	defer tx.Rollback()
	var next int
	err = tx.QueryRowContext(ctx, `SELECT coalesce(max(idx) + 1, 0) FROM episodes WHERE run_id = ?`, runID).Scan(&next)
	if err != nil {
		return fmt.Errorf("episodes: import into run %s: %w", runID, err)
	}
	pull, stop := iter.Pull2(eps)
	defer stop()
	if _, _, err := s.importEpisodes(ctx, tx, runID, next, pull, -1); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("episodes: import into run %s: %w", runID, err)
	}
	return nil
}

// ImportRun creates run r and stores the episodes eps yields as its
// episodes 0, 1, ..., each with its verdict. The episodes are stored as
// they come, so that an importer streaming a file never holds it, and committed in chunks, so
// that other writers (a selfplay into the same database) are not locked
// out for the length of the import; until the end the run is staged,
// left out by every reader, and one short transaction then makes it
// visible, with r.Total set to the number of episodes and the run's
// subjects to theirs (r.Subjects is left as given).
//
// A failed, cancelled or killed import, or an error yielded by eps, leaves
// no visible run: neither an empty run that would become the latest one
// nor unjudged episodes. Its staged rows are removed by the next import
// into the database, once no live process holds them. ctx is checked
// between episodes. No
// episodes is an error wrapping [ErrNoEpisodes], and no run is made.
func (s *Store) ImportRun(ctx context.Context, r *Run, eps iter.Seq2[*Imported, error]) error {
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
			return fmt.Errorf("episodes: import into run %s: %w", r.ID, err)
		}
		var k int
		k, more, err = s.importEpisodes(ctx, tx, r.ID, n, next, chunk)
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
			return fmt.Errorf("episodes: import: drop empty staged run %s: %w", r.ID, err)
		}
		return fmt.Errorf("episodes: import: %w", ErrNoEpisodes)
	}
	// The run's subjects are made by SQLite from the stored episodes,
	// not gathered here: a million of them would be held twice.
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("episodes: import into run %s: %w", r.ID, err)
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
		return fmt.Errorf("episodes: import into run %s: %w", r.ID, err)
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
		return fmt.Errorf("episodes: import: %w", err)
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
		return fmt.Errorf("episodes: import into run %s: %w", r.ID, err)
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

// importEpisodes inserts at most limit episodes that next gives (no limit
// when limit < 0) into run runID, inside tx, the first at index start, and
// returns how many it inserted and whether next may have more.
func (s *Store) importEpisodes(ctx context.Context, tx *sql.Tx, runID string, start int, next func() (*Imported, error, bool), limit int) (n int, more bool, err error) {
	// When ctx ends, database/sql rolls tx back on its own and the
	// statement in flight reports that it was closed, not why: the
	// error then names the cancellation, so that callers see it.
	defer func() {
		if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("episodes: import into run %s: %w (%v)", runID, cerr, err)
		}
	}()
	st := s.w.stmts.in(ctx, tx)
	now := s.opts.Now().UnixNano()
	for ; limit < 0 || n < limit; n++ {
		if err := ctx.Err(); err != nil {
			return n, false, fmt.Errorf("episodes: import into run %s: %w", runID, err)
		}
		ep, err, ok := next()
		if !ok {
			return n, false, nil
		}
		if err != nil {
			return n, false, err
		}
		i := start + n
		p := pending{runID: runID, ep: ep.Episode, extra: ep.Extra}
		p.ep.Index = i
		for _, b := range ep.TurnExtra {
			p.turnExtra = append(p.turnExtra, b)
		}
		if ep.Verdict != nil {
			p.ep.Verdict = *ep.Verdict
			if p.ep.Verdict.Judge == "" {
				return n, false, fmt.Errorf("episodes: import episode %d: the verdict has no judge (want name@version)", i)
			}
		}
		if _, err := insertEpisode(ctx, st, &p); err != nil {
			return n, false, fmt.Errorf("episodes: import episode %d into run %s: %w", i, runID, err)
		}
		if ep.Verdict != nil {
			var id int64
			var errText string
			err := st.findEpisode.QueryRowContext(ctx, runID, p.ep.Index).Scan(&id, &errText)
			if err == nil {
				err = insertVerdict(ctx, tx, id, p.ep.Verdict, now)
			}
			if err != nil {
				return n, false, fmt.Errorf("episodes: import episode %d into run %s: %w", i, runID, err)
			}
		}
	}
	return n, true, nil
}
