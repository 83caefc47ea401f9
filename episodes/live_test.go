package episodes

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

func TestLiveEpisodes(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{FlushInterval: 5 * time.Millisecond})
	run := createRun(t, s)
	apple := []game.Turn{{N: 1, Role: "attacker", Text: "A fruit."}, {N: 2, Role: "defender", Text: "Which one?"}}
	s.WriteLive(run.ID, 0, "apple", apple[:1])
	s.WriteLive(run.ID, 1, "pear", []game.Turn{{N: 1, Role: "attacker", Text: "Also a fruit."}})
	s.WriteLive(run.ID, 0, "apple", apple)

	watcher, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	waitLive := func(want map[int]int) []LiveEpisode {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			live, err := watcher.Live(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]int{}
			for _, e := range live {
				got[e.Index] = len(e.Turns)
			}
			if len(got) == len(want) && func() bool {
				for k, v := range want {
					if got[k] != v {
						return false
					}
				}
				return true
			}() {
				return live
			}
			if time.Now().After(deadline) {
				t.Fatalf("live episodes %v, want %v", got, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	live := waitLive(map[int]int{0: 2, 1: 1})
	if live[0].Subject != "apple" || live[0].Turns[1].Text != "Which one?" || live[0].UpdatedAt.IsZero() {
		t.Errorf("live[0] = %+v", live[0])
	}

	// Storing episode 0 removes its live row in the same transaction.
	ep := sampleEpisode(0, 2)
	if err := s.Write(ctx, run.ID, ep); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitLive(map[int]int{1: 1})
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM live_episodes WHERE idx = 0`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("live row of the stored episode: %d rows, %v", rows, err)
	}
}
