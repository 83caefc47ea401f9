package watch

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/tui"
)

func TestNewCmdWatch(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		noTTY   bool
		want    Options
		wantErr string
	}{
		{name: "defaults", want: Options{DB: "spag.db", Every: time.Second}},
		{name: "run", args: []string{"--db", "x.db", "--run", "r1", "--every", "250ms"}, want: Options{DB: "x.db", RunID: "r1", Every: 250 * time.Millisecond}},
		{name: "loop", args: []string{"--loop", "latest"}, want: Options{DB: "spag.db", LoopID: "latest", Every: time.Second}},
		{name: "no terminal", noTTY: true, wantErr: "watch needs a terminal; use spag stats --db spag.db for a text summary"},
		{name: "every zero", args: []string{"--every", "0s"}, wantErr: "--every must be positive (got 0s)"},
		{name: "run and loop", args: []string{"--run", "r1", "--loop", "l1"}, wantErr: "--run and --loop exclude each other"},
		{name: "argument", args: []string{"x"}, wantErr: `takes no arguments, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			io := cmdutil.Streams(&b, &b, &b, !tt.noTTY)
			var got *Options
			cmd := NewCmdWatch(cmdutil.New(io, nil), func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DB != tt.want.DB || got.RunID != tt.want.RunID || got.LoopID != tt.want.LoopID || got.Every != tt.want.Every {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// newStore makes a database holding runs runs of a game nobody knows.
func newStore(t *testing.T, runs int) (path string, ids []string) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "watch.db")
	s, err := episodes.Open(ctx, path, episodes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range runs {
		r := &episodes.Run{Game: "watch-test-game", Judge: "j@1", Total: 1, Players: map[string]string{"a": "builtin"}}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return path, ids
}

func TestConfig(t *testing.T) {
	path, ids := newStore(t, 2)
	empty, _ := newStore(t, 0)
	tests := []struct {
		name    string
		opts    Options
		run     string
		wantErr string
	}{
		{name: "the latest run", opts: Options{DB: path}},
		{name: "a run", opts: Options{DB: path, RunID: ids[0]}, run: ids[0]},
		{name: "unknown run", opts: Options{DB: path, RunID: "nosuch"}, wantErr: `--db ` + path + ` has no run "nosuch" (spag runs --db ` + path + ` lists its runs)`},
		{name: "no runs", opts: Options{DB: empty}, wantErr: `--db ` + empty + ` has no run ""`},
		{name: "unknown loop", opts: Options{DB: path, LoopID: "nosuch"}, wantErr: "--loop nosuch: no such loop in " + path},
		{name: "no loop yet", opts: Options{DB: path, LoopID: "latest"}, wantErr: "--loop latest: no such loop"},
		{name: "no database", opts: Options{DB: filepath.Join(t.TempDir(), "nosuch.db")}, wantErr: "no such database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			tt.opts.IO, tt.opts.OpenReader, tt.opts.Every = io, cmdutil.OpenReader, time.Second
			cfg, store, err := Config(context.Background(), &tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if cfg.Start != tui.WatchView || cfg.Watch.RunID != tt.run || cfg.Watch.PollEvery != time.Second || cfg.Replay.Rejudge == nil {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}

// TestRunRefusesBeforeTheUI: what Config refuses, Run refuses before it
// takes the terminal.
func TestRunRefusesBeforeTheUI(t *testing.T) {
	path, _ := newStore(t, 1)
	io, _, out, _ := cmdutil.Test()
	err := Run(context.Background(), &Options{IO: io, OpenReader: cmdutil.OpenReader, DB: path, RunID: "nosuch", Every: time.Second})
	if !errors.As(err, new(cmdutil.UsageError)) || out.Len() > 0 {
		t.Errorf("err = %v, output %q; want a usage error and nothing drawn", err, out)
	}
}
