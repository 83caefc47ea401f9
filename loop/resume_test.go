package loop_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/spag-go/spag/apo/apoloop"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/loop"
	"github.com/spag-go/spag/selfplay"
	"github.com/spag-go/spag/taboo/tabooloop"
)

// TestResumeHeld resumes one loop of each game twice at once, as two spag
// iterate --resume would: the second is refused while the first holds the
// loop, and takes it once the first has closed it.
func TestResumeHeld(t *testing.T) {
	for _, tt := range []struct {
		game   string
		config string
		resume func(ctx context.Context, s *selfplay.Session, rec *episodes.Loop) (io.Closer, error)
	}{
		{"taboo", `{"rounds": 1}`, func(ctx context.Context, s *selfplay.Session, rec *episodes.Loop) (io.Closer, error) {
			return tabooloop.Resume(ctx, &tabooloop.Env{Env: loop.Env{Session: s}}, rec)
		}},
		{"apo", `{"game": "apo", "rounds": 1}`, func(ctx context.Context, s *selfplay.Session, rec *episodes.Loop) (io.Closer, error) {
			return apoloop.Resume(ctx, &apoloop.Env{Session: s}, rec)
		}},
	} {
		t.Run(tt.game, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "loop.db")
			store, err := episodes.Open(ctx, path, episodes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rec := &episodes.Loop{Config: []byte(tt.config), CodeVersion: "test"}
			if err := store.CreateLoop(ctx, rec); err != nil {
				t.Fatal(err)
			}
			store.Close()
			var sessions [2]*selfplay.Session
			for i := range sessions {
				sessions[i] = &selfplay.Session{Path: path}
				defer sessions[i].Close()
			}
			first, err := tt.resume(ctx, sessions[0], rec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tt.resume(ctx, sessions[1], rec); !errors.Is(err, episodes.ErrBusy) {
				t.Fatalf("a second resume while the first runs: %v; want it refused (ErrBusy)", err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			again, err := tt.resume(ctx, sessions[1], rec)
			if err != nil {
				t.Fatalf("resume once the first has let go: %v", err)
			}
			again.Close()
		})
	}
}
