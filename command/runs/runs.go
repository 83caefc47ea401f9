// Package runs is `spag runs`: the runs a database holds, newest first,
// with their game, players, progress and state, so that a user can find
// the ID that --run and --resume take.
package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
)

// Options are every input of `spag runs`.
type Options struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)

	DB   string
	JSON bool
}

// NewCmdRuns returns the command. It only parses flags into [Options];
// runF does the work (nil: the real run), which lets tests check parsing
// alone.
func NewCmdRuns(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the runs in a database",
		Long: `runs lists every run in the database, newest first: its ID (what --run,
--resume and replay take), the game, who played each role, the episodes
stored of those planned, its state and when it was created.

States: complete (every planned episode is stored), playing (a live process
holds the run), stopped (interrupted or killed: resume it with the command
that started it and --resume ID).`,
		Example: `  spag runs
  spag runs --db runs.db --json | jq -r '.runs[0].run'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON document")
	return cmd
}

// JSON is the stable shape of `spag runs --json`.
type JSON struct {
	DB   string    `json:"db"`
	Runs []RunJSON `json:"runs"`
}

// RunJSON is one run of [JSON].
type RunJSON struct {
	Run     string            `json:"run"`
	Game    string            `json:"game"`
	Judge   string            `json:"judge"`
	Players map[string]string `json:"players"`
	Done    int               `json:"done"`
	Planned int               `json:"planned"`
	State   string            `json:"state"`
	Created string            `json:"created"`
	Shard   string            `json:"shard,omitempty"`
	Holder  *HolderJSON       `json:"holder,omitempty"`
}

// HolderJSON names the process playing a run.
type HolderJSON struct {
	Host  string `json:"host"`
	PID   int    `json:"pid"`
	Since string `json:"since"`
}

const timeLayout = "2006-01-02T15:04:05Z"

// Run lists the runs of opts.DB on opts.IO.Out.
func Run(ctx context.Context, opts *Options) error {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	sums, err := store.RunSummaries(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		doc := JSON{DB: opts.DB, Runs: make([]RunJSON, 0, len(sums))}
		for _, s := range sums {
			r := RunJSON{Run: s.ID, Game: s.Game, Judge: s.Judge, Players: s.Players, Done: s.Done,
				Planned: s.Total, State: string(s.State), Created: s.CreatedAt.UTC().Format(timeLayout), Shard: s.Shard}
			if h := s.Holder; h != nil {
				r.Holder = &HolderJSON{Host: h.Host, PID: h.PID, Since: h.Since.UTC().Format(timeLayout)}
			}
			doc.Runs = append(doc.Runs, r)
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	if len(sums) == 0 {
		fmt.Fprintf(opts.IO.Out, "%s holds no runs yet (play some with: spag selfplay --db %s)\n", opts.DB, opts.DB)
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tGAME\tPLAYERS\tEPISODES\tSTATE\tCREATED")
	for _, s := range sums {
		d, _ := game.Games.Lookup(game.NameOf(s.Game))
		title := game.NameOf(s.Game)
		if d != nil {
			title = d.Title
		}
		episodes := fmt.Sprintf("%d/%d", s.Done, s.Total)
		if s.Shard != "" {
			episodes += " (shard " + s.Shard + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, title, shortDigests.ReplaceAllString(d.Lineup(s.Players), "$1…"), episodes,
			state(s), s.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

// shortDigests finds the SHA-256 digests that name checkpoints in player
// specs; the table shows their first 12 digits, which tell models apart
// (--json keeps them whole).
var shortDigests = regexp.MustCompile(`(sha256:[0-9a-f]{12})[0-9a-f]{52}`)

// state is a run's state for people; a playing run names its process.
func state(s episodes.RunSummary) string {
	if h := s.Holder; h != nil {
		return fmt.Sprintf("playing (pid %d on %s)", h.PID, h.Host)
	}
	return string(s.State)
}
