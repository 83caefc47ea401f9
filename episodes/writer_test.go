package episodes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

// commitLog collects what OnCommit reports.
type commitLog struct {
	mu      sync.Mutex
	batches int
	indices []int
}

func (c *commitLog) onCommit(eps []game.Episode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches++
	for _, ep := range eps {
		c.indices = append(c.indices, ep.Index)
	}
}

func (c *commitLog) counts() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[int]int{}
	for _, i := range c.indices {
		m[i]++
	}
	return m
}

func TestWriteIsDurableForAnotherStore(t *testing.T) {
	ctx := context.Background()
	var log commitLog
	s, path := openTest(t, Options{BatchSize: 16, OnCommit: log.onCommit})
	run := createRun(t, s)
	const n = 100
	want := make([]game.Episode, n)
	for i := range n {
		want[i] = sampleEpisode(i, 1+i%10)
		if err := s.Write(ctx, run.ID, want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	counts := log.counts()
	for i := range n {
		if counts[i] != 1 {
			t.Errorf("episode %d reported %d times by OnCommit, want 1", i, counts[i])
		}
	}
	if log.batches < n/16 {
		t.Errorf("%d commits for %d episodes in batches of 16: not batched", log.batches, n)
	}

	// A second store on the same file, while the first is still open.
	other, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	recs, err := other.Episodes(ctx, Filter{RunID: run.ID, Turns: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("second store sees %d episodes, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.RunID != run.ID {
			t.Errorf("episode %d has run %q", i, r.RunID)
		}
		sameEpisode(t, r.Episode, want[i])
		one, err := other.Episode(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEpisode(t, one.Episode, want[i])
	}
}

func TestWriteCommitsWithoutFlush(t *testing.T) {
	committed := make(chan []game.Episode, 1)
	s, _ := openTest(t, Options{FlushInterval: 5 * time.Millisecond, OnCommit: func(eps []game.Episode) { committed <- eps }})
	run := createRun(t, s)
	if err := s.Write(context.Background(), run.ID, sampleEpisode(0, 2)); err != nil {
		t.Fatal(err)
	}
	select {
	case eps := <-committed:
		if len(eps) != 1 || eps[0].Index != 0 {
			t.Errorf("OnCommit got %d episodes", len(eps))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a lone episode was not committed after the flush interval")
	}
}

// TestRewriteSemantics checks exactly-once storage of finished episodes:
// an errored episode is replaced by a rewrite, a finished one is kept.
func TestRewriteSemantics(t *testing.T) {
	finished := func(text string) game.Episode {
		ep := sampleEpisode(7, 2)
		ep.Turns[0].Text = text
		return ep
	}
	errored := func(text string) game.Episode {
		ep := sampleEpisode(7, 1)
		ep.Turns[0].Text = text
		ep.Verdict = game.Verdict{}
		ep.Err = "model call failed: " + text
		return ep
	}
	tests := []struct {
		name          string
		first, second game.Episode
		wantStored    string // Turns[0].Text of the stored episode
		wantReports   int    // OnCommit reports of index 7
		wantDone      bool
	}{
		{"errored then finished", errored("a"), finished("b"), "b", 2, true},
		{"errored then errored", errored("a"), errored("b"), "b", 2, false},
		{"finished then errored", finished("a"), errored("b"), "a", 1, true},
		{"finished then finished", finished("a"), finished("b"), "a", 1, true},
	}
	for _, tt := range tests {
		for _, sameBatch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/same batch %v", tt.name, sameBatch), func(t *testing.T) {
				ctx := context.Background()
				var log commitLog
				s, _ := openTest(t, Options{OnCommit: log.onCommit})
				run := createRun(t, s)
				if err := s.Write(ctx, run.ID, tt.first); err != nil {
					t.Fatal(err)
				}
				if !sameBatch {
					if err := s.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					recs, err := s.Episodes(ctx, Filter{RunID: run.ID})
					if err != nil || len(recs) != 1 {
						t.Fatalf("after first write: %v, %v", recs, err)
					}
					if err := s.AddVerdict(ctx, recs[0].ID, game.Verdict{Outcome: "tie", Judge: "spag@1"}); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Write(ctx, run.ID, tt.second); err != nil {
					t.Fatal(err)
				}
				if err := s.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				recs, err := s.Episodes(ctx, Filter{RunID: run.ID, Turns: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != 1 {
					t.Fatalf("%d episodes stored, want 1", len(recs))
				}
				want := tt.first
				if tt.wantStored == tt.second.Turns[0].Text {
					want = tt.second
				}
				sameEpisode(t, recs[0].Episode, want)
				if got := log.counts()[7]; got != tt.wantReports {
					t.Errorf("OnCommit reported the episode %d times, want %d", got, tt.wantReports)
				}
				done, err := s.DoneIndices(ctx, run.ID)
				if err != nil {
					t.Fatal(err)
				}
				if done[7] != tt.wantDone || len(done) > 1 {
					t.Errorf("DoneIndices = %v, want 7 done: %v", done, tt.wantDone)
				}
				vs, err := s.Verdicts(ctx, recs[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				replaced := tt.wantStored == tt.second.Turns[0].Text
				if wantVerdicts := !sameBatch && !replaced; (len(vs) == 1) != wantVerdicts {
					t.Errorf("%d verdicts after the rewrite, want verdicts kept: %v", len(vs), wantVerdicts)
				}
			})
		}
	}
}

// TestBackpressure fills a tiny queue behind slow commits: Write must
// block (and honour its context) instead of buffering, and every episode
// must be stored and reported exactly once.
func TestBackpressure(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	var (
		log       commitLog
		committed atomic.Int64
	)
	const queue, batch = 2, 3
	s, _ := openTest(t, Options{
		QueueSize: queue, BatchSize: batch, FlushInterval: time.Millisecond,
		OnCommit: func(eps []game.Episode) {
			committed.Add(int64(len(eps)))
			<-release // slow commits: the writer waits here until released
			log.onCommit(eps)
		},
	})
	run := createRun(t, s)

	// The writer takes a batch and blocks in OnCommit; the queue fills
	// behind it; then Write blocks until its context ends.
	first := 0
	for ; ; first++ {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := s.Write(short, run.ID, sampleEpisode(first, 2))
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Write on a full queue: %v, want context.DeadlineExceeded", err)
			}
			break
		}
		if first > queue+batch {
			t.Fatalf("%d writes accepted while the writer was blocked; want at most queue+batch = %d", first+1, queue+batch)
		}
	}
	if first < queue+1 {
		t.Fatalf("Write blocked after %d episodes, before the queue (%d) was full", first, queue)
	}
	timedOut := first
	close(release)

	// Many producers against slow commits: the number of episodes accepted
	// but not yet committed never exceeds the queue and one batch.
	const producers, each = 4, 40
	var accepted atomic.Int64
	accepted.Store(int64(first))
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				idx := 100 + p*each + i
				if err := s.Write(ctx, run.ID, sampleEpisode(idx, 2)); err != nil {
					t.Error(err)
					return
				}
				if inFlight := accepted.Add(1) - committed.Load(); inFlight > queue+batch {
					t.Errorf("%d episodes accepted but not committed, more than queue+batch = %d", inFlight, queue+batch)
				}
				time.Sleep(time.Duration(i%3) * 100 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	counts := log.counts()
	recs, err := s.Episodes(ctx, Filter{RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := first + producers*each
	if len(recs) != want || len(counts) != want {
		t.Fatalf("%d episodes stored, %d reported, want %d", len(recs), len(counts), want)
	}
	for idx, n := range counts {
		if n != 1 {
			t.Errorf("episode %d reported %d times", idx, n)
		}
	}
	if _, ok := counts[timedOut]; ok {
		t.Error("the episode whose Write timed out was stored")
	}
}

// TestReadersDuringWrites runs queries while producers write; with -race it
// also checks the store's synchronisation.
func TestReadersDuringWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{BatchSize: 8, FlushInterval: time.Millisecond})
	run := createRun(t, s)
	const producers, each, turns = 2, 150, 4
	stop := make(chan struct{})
	var writers, readers sync.WaitGroup
	for p := range producers {
		writers.Go(func() {
			for i := range each {
				if err := s.Write(ctx, run.ID, sampleEpisode(p*each+i, turns)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var reads atomic.Int64
	for range 3 {
		readers.Go(func() {
			seen := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				recs, err := s.Episodes(ctx, Filter{RunID: run.ID, Turns: true})
				if err != nil {
					t.Error(err)
					return
				}
				if len(recs) < seen {
					t.Errorf("episodes went from %d to %d", seen, len(recs))
				}
				seen = len(recs)
				for _, r := range recs {
					if len(r.Turns) != turns {
						t.Errorf("episode %d seen with %d of its %d turns", r.Index, len(r.Turns), turns)
						return
					}
				}
				st, err := s.Stats(ctx, run.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if st.Turns != st.Episodes*turns {
					t.Errorf("stats: %d turns for %d episodes", st.Turns, st.Episodes)
				}
				reads.Add(1)
			}
		})
	}
	writers.Wait()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	readers.Wait()
	st, err := s.Stats(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Episodes != producers*each {
		t.Errorf("%d episodes stored, want %d", st.Episodes, producers*each)
	}
	if reads.Load() == 0 {
		t.Error("no read completed during the writes")
	}
}

// TestWriteFailureIsSticky makes one episode fail inside SQLite: the others
// of its batch must still be stored, and the failure must come out of
// Flush, Write and Close.
func TestWriteFailureIsSticky(t *testing.T) {
	ctx := context.Background()
	var log commitLog
	s, _ := openTest(t, Options{OnCommit: log.onCommit})
	run := createRun(t, s)
	_, err := s.wdb.ExecContext(ctx, `CREATE TRIGGER boom BEFORE INSERT ON turns WHEN NEW.text = 'boom'
		BEGIN SELECT RAISE(ABORT, 'boom trigger fired'); END`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ep := sampleEpisode(i, 2)
		if i == 2 {
			ep.Turns[1].Text = "boom"
		}
		if err := s.Write(ctx, run.ID, ep); err != nil {
			t.Fatal(err)
		}
	}
	err = s.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "boom trigger fired") || !strings.Contains(err.Error(), "episode 2") {
		t.Fatalf("Flush: %v, want the trigger's error naming episode 2", err)
	}
	if got := log.counts(); len(got) != 4 || got[2] != 0 {
		t.Errorf("reported %v, want episodes 0, 1, 3, 4", got)
	}
	done, _ := s.DoneIndices(ctx, run.ID)
	if len(done) != 4 || done[2] {
		t.Errorf("stored %v, want episodes 0, 1, 3, 4", done)
	}
	if err := s.Write(ctx, run.ID, sampleEpisode(9, 1)); err == nil {
		t.Error("Write after a failed commit succeeded")
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Close: %v, want the write failure", err)
	}
}

func TestWriteRejects(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t, Options{})
	run := createRun(t, s)
	badTurns := sampleEpisode(0, 3)
	badTurns.Turns[2].N = 2
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		run   string
		ep    game.Episode
		is    error
		match string
	}{
		{"unknown run", ctx, "r-nope", sampleEpisode(0, 1), ErrNotFound, "r-nope"},
		{"turn numbers", ctx, run.ID, badTurns, nil, "turn numbers"},
		{"negative index", ctx, run.ID, sampleEpisode(-1, 1), nil, "negative index"},
		{"cancelled context", cancelled, run.ID, sampleEpisode(0, 1), context.Canceled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Write(tt.ctx, tt.run, tt.ep)
			if err == nil {
				t.Fatal("Write succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.match) {
				t.Errorf("error %v does not mention %q", err, tt.match)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, run.ID, sampleEpisode(0, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := s.Flush(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseCommitsQueued(t *testing.T) {
	ctx := context.Background()
	var log commitLog
	path := t.TempDir() + "/spag.db"
	s, err := Open(ctx, path, Options{FlushInterval: time.Hour, OnCommit: log.onCommit})
	if err != nil {
		t.Fatal(err)
	}
	run := createRun(t, s)
	for i := range 10 {
		if err := s.Write(ctx, run.ID, sampleEpisode(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(log.counts()) != 10 {
		t.Errorf("Close committed %d of 10 queued episodes", len(log.counts()))
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if done, _ := s.DoneIndices(ctx, run.ID); len(done) != 10 {
		t.Errorf("%d episodes stored after Close, want 10", len(done))
	}
}
