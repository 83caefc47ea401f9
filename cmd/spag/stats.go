package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/internal/report"
)

func newStatsCmd() *cobra.Command {
	var db, runID string
	var all, asJSON, turns bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarise the outcomes of a run",
		Long: `stats prints the number of episodes, outcome counts, each role's win rate with
its 95% Wilson interval, tie and rule-break rates, the mean utterance at which
games were decided and the throughput. Without --run it reports the latest
run; --all reports every episode in the database (with --json, "runs" lists
each run with its game, judge and players). --turns adds, per role and per
turn of that role, how many games reached it and how many it ended, by rule
(in Taboo: when the defender guesses, and how often wrongly; "per_turn" in
--json).`,
		Example: `  spag stats
  spag stats --db runs.db --run r20261126-151200-3fa9 --json | jq .outcomes
  spag stats --turns`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && runID != "" {
				return usagef("--all and --run exclude each other")
			}
			store, err := openReader(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer store.Close()
			return writeStats(cmd.Context(), cmd.OutOrStdout(), store, runID, all, asJSON, turns)
		},
	}
	cmd.Flags().StringVar(&db, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&runID, "run", "", "run ID (default: the latest run)")
	cmd.Flags().BoolVar(&all, "all", false, "summarise every run in the database together")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&turns, "turns", false, "add the per-role, per-turn breakdown of how games ended")
	return cmd
}

// openExisting opens a database that must already exist: reading commands
// never create an empty one by mistake.
func openExisting(ctx context.Context, path string) (*episodes.Store, error) {
	if err := checkExists(path); err != nil {
		return nil, err
	}
	return episodes.Open(ctx, path, episodes.Options{})
}

// openReader opens an existing database for a command that only reads it,
// without writing anything: it works in a directory the user cannot write.
func openReader(ctx context.Context, path string) (*episodes.Store, error) {
	return cmdutil.OpenReader(ctx, path)
}

func checkExists(path string) error { return cmdutil.CheckDBExists(path) }

// statsJSON is the stable shape of `spag stats --json`: the run's keys,
// then the summary's (see report.Summary.AddTo).
type statsJSON struct {
	Run       string            `json:"run,omitempty"`
	Game      string            `json:"game,omitempty"`
	Judge     string            `json:"judge,omitempty"`
	Players   map[string]string `json:"players,omitempty"`
	Created   string            `json:"created,omitempty"`
	Turns     int               `json:"turns"`
	TokensIn  int64             `json:"prompt_tokens"`
	TokensOut int64             `json:"output_tokens"`
	// Runs lists, with --all, each run's own fields above.
	Runs []statsRunJSON `json:"runs,omitempty"`
	// PerTurn is, with --turns, the breakdown of episodes.Store.TurnStats.
	PerTurn []episodes.TurnCount `json:"per_turn,omitempty"`
	Summary report.Summary       `json:"-"`
}

// MarshalJSON writes the run's keys and the summary's in one object.
func (s statsJSON) MarshalJSON() ([]byte, error) {
	var o report.Object
	if s.Run != "" {
		o.Add("run", s.Run)
		o.Add("game", s.Game)
		o.Add("judge", s.Judge)
		o.Add("players", s.Players)
		o.Add("created", s.Created)
	}
	o.Add("turns", s.Turns)
	o.Add("prompt_tokens", s.TokensIn)
	o.Add("output_tokens", s.TokensOut)
	if len(s.Runs) > 0 {
		o.Add("runs", s.Runs)
	}
	s.Summary.AddTo(&o)
	if s.PerTurn != nil {
		o.Add("per_turn", s.PerTurn)
	}
	return o.MarshalJSON()
}

// statsRunJSON is one run of `spag stats --all --json`.
type statsRunJSON struct {
	Run     string            `json:"run"`
	Game    string            `json:"game"`
	Judge   string            `json:"judge"`
	Players map[string]string `json:"players"`
	Created string            `json:"created"`
}

func countsOf(st episodes.Stats) report.Counts {
	c := report.Counts{Outcomes: st.Outcomes, Rules: st.Rules, Errored: st.Errored, MeanDecidedAt: st.MeanDecidedAt}
	if !st.FirstStart.IsZero() && st.LastFinish.After(st.FirstStart) {
		c.Elapsed = st.LastFinish.Sub(st.FirstStart)
	}
	return c
}

func writeStats(ctx context.Context, w io.Writer, store *episodes.Store, runID string, all, asJSON, turns bool) error {
	var run *episodes.Run
	var err error
	switch {
	case all:
	case runID != "":
		run, err = store.RunInfo(ctx, runID)
		if errors.Is(err, episodes.ErrNotFound) {
			return usagef("--run %s: no such run in %s (%s)", runID, store.Path(), cmdutil.ListRunsHint(store.Path()))
		}
	default:
		run, err = store.LatestRunInfo(ctx)
		if errors.Is(err, episodes.ErrNotFound) {
			// As for a missing database (exit 2): --db names nothing to summarise.
			return usagef("--db %s holds no runs yet (play some with: spag selfplay --db %s)", store.Path(), store.Path())
		}
	}
	if err != nil {
		return err
	}
	id := ""
	var d *game.Description
	var runList []statsRunJSON
	if run != nil {
		id, d = run.ID, describeRun(run)
	} else {
		// One summary cannot mix the outcomes of different games.
		runs, err := store.RunInfos(ctx)
		if err != nil {
			return err
		}
		var titles []string
		for i, r := range runs {
			if t := gameTitle(&runs[i]); !slices.Contains(titles, t) {
				titles = append(titles, t)
			}
			d = describeRun(&runs[i])
			runList = append(runList, statsRunJSON{Run: r.ID, Game: r.Game, Judge: r.Judge, Players: r.Players,
				Created: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
		}
		if len(titles) > 1 {
			return usagef("--all: %s holds runs of different games (%s), whose outcomes do not add up; summarise one run at a time with --run",
				store.Path(), strings.Join(titles, ", "))
		}
	}
	st, err := store.Stats(ctx, id)
	if err != nil {
		return err
	}
	out := statsJSON{Turns: st.Turns, TokensIn: st.PromptTokens, TokensOut: st.OutputTokens, Runs: runList,
		Summary: report.Summarize(d, countsOf(st))}
	if run != nil {
		out.Run, out.Game, out.Judge, out.Players = run.ID, run.Game, run.Judge, run.Players
		out.Created = run.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	if turns {
		if out.PerTurn, err = store.TurnStats(ctx, id); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if run != nil {
		fmt.Fprintf(w, "run            %s (%s)\n", run.ID, out.Created)
		fmt.Fprintf(w, "game           %s\n", run.Game)
		fmt.Fprintf(w, "players        %s\n", d.Lineup(run.Players))
	} else {
		fmt.Fprintf(w, "all runs in    %s\n", store.Path())
	}
	if err := report.WriteText(w, out.Summary); err != nil || !turns {
		return err
	}
	return report.WriteTurns(w, out.PerTurn)
}
