// Package stats is `spag stats`: the outcome counts, win rates with their
// intervals and throughput of a run, or of every run in a database.
package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/episodes"
	report "github.com/spag-go/spag/eval/summary"
	"github.com/spag-go/spag/game"
)

// Options are every input of `spag stats`.
type Options struct {
	IO         *cmdutil.IOStreams
	OpenReader func(ctx context.Context, path string) (*episodes.Store, error)

	DB    string
	RunID string
	All   bool
	JSON  bool
	Turns bool
}

// NewCmdStats returns the command. It only parses flags into [Options];
// runF does the work (nil: [Run]).
func NewCmdStats(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, OpenReader: f.OpenReader}
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarise the outcomes of a run",
		Long: `stats prints the number of episodes, outcome counts, each role's win rate with
its 95% Wilson interval, tie and rule-break rates, the mean utterance at which
games were decided and the throughput. Without --run it reports the latest
run; --all reports every episode in the database (with --json, "runs" lists
each run with its game, judge and players). A database holding runs of
several games is reported game by game (with --json, "games" holds one
summary for each game). --turns adds, per role and per turn of that role,
how many games reached it and how many it ended, by rule (in Taboo: when
the defender guesses, and how often wrongly; "per_turn" in --json).`,
		Example: `  spag stats
  spag stats --db runs.db --run r20261126-151200-3fa9 --json | jq .outcomes
  spag stats --turns`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.All && opts.RunID != "" {
				return cmdutil.Usagef("--all and --run exclude each other")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", "spag.db", "SQLite database")
	cmd.Flags().StringVar(&opts.RunID, "run", "", "run ID (default: the latest run)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "summarise every run in the database together")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON document")
	cmd.Flags().BoolVar(&opts.Turns, "turns", false, "add the per-role, per-turn breakdown of how games ended")
	return cmd
}

// Run summarises opts.DB on opts.IO.Out.
func Run(ctx context.Context, opts *Options) error {
	store, err := opts.OpenReader(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	if opts.Turns {
		return WriteTurns(ctx, opts.IO.Out, store, opts.RunID, opts.All, opts.JSON)
	}
	return Write(ctx, opts.IO.Out, store, opts.RunID, opts.All, opts.JSON)
}

// WriteTurns is [Write] followed by the per-role, per-turn breakdown of
// episodes.Store.TurnStats: in text after the summary, with asJSON as the
// document's "per_turn".
func WriteTurns(ctx context.Context, w io.Writer, store *episodes.Store, runID string, all, asJSON bool) error {
	id := runID
	if !all && id == "" {
		run, err := store.LatestPlayedRunInfo(ctx)
		if err != nil {
			return Write(ctx, w, store, runID, all, asJSON) // says what is wrong
		}
		id = run.ID
	}
	turns, err := store.TurnStats(ctx, id)
	if err != nil {
		return err
	}
	if !asJSON {
		if err := Write(ctx, w, store, runID, all, false); err != nil {
			return err
		}
		return report.WriteTurns(w, turns)
	}
	var doc bytes.Buffer
	if err := Write(ctx, &doc, store, runID, all, true); err != nil {
		return err
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(doc.Bytes(), &o); err != nil {
		return err
	}
	raw, err := json.Marshal(turns)
	if err != nil {
		return err
	}
	o["per_turn"] = raw
	return encode(w, o)
}

// JSON is the stable shape of `spag stats --json`: the run's keys, then
// the summary's (see report.Summary.AddTo).
type JSON struct {
	Run     string
	Game    string
	Judge   string
	Players map[string]string
	Created string
	Totals
	// Runs lists, with --all, each run's own fields above.
	Runs []RunJSON
	// Games holds, with --all on a database of several games, each game's
	// summary; Summary is then unused.
	Games   []GameJSON
	Summary report.Summary
}

// Totals are the counts of turns and tokens that every summary starts with.
type Totals struct {
	Turns     int
	TokensIn  int64
	TokensOut int64
}

func (t Totals) addTo(o *report.Object) {
	o.Add("turns", t.Turns)
	o.Add("prompt_tokens", t.TokensIn)
	o.Add("output_tokens", t.TokensOut)
}

// MarshalJSON writes the run's keys and the summary's in one object.
func (s JSON) MarshalJSON() ([]byte, error) {
	var o report.Object
	if s.Run != "" {
		o.Add("run", s.Run)
		o.Add("game", s.Game)
		o.Add("judge", s.Judge)
		o.Add("players", s.Players)
		o.Add("created", s.Created)
	}
	s.Totals.addTo(&o)
	if len(s.Runs) > 0 {
		o.Add("runs", s.Runs)
	}
	if len(s.Games) > 0 {
		o.Add("games", s.Games)
		return o.MarshalJSON()
	}
	s.Summary.AddTo(&o)
	return o.MarshalJSON()
}

// RunJSON is one run of `spag stats --all --json`.
type RunJSON struct {
	Run     string            `json:"run"`
	Game    string            `json:"game"`
	Judge   string            `json:"judge"`
	Players map[string]string `json:"players"`
	Created string            `json:"created"`
}

// GameJSON is one game's summary in `spag stats --all --json` of a
// database of several games: "game" (its name), "runs" (their IDs), then
// the keys of a summary.
type GameJSON struct {
	Game  string
	Title string
	Runs  []string
	Totals
	Summary report.Summary
}

// MarshalJSON writes the game's keys and its summary's in one object.
func (g GameJSON) MarshalJSON() ([]byte, error) {
	var o report.Object
	o.Add("game", g.Game)
	o.Add("runs", g.Runs)
	g.Totals.addTo(&o)
	g.Summary.AddTo(&o)
	return o.MarshalJSON()
}

const timeLayout = "2006-01-02T15:04:05Z"

// CountsOf turns a store's statistics into what a report is computed from.
func CountsOf(st episodes.Stats) report.Counts {
	c := report.Counts{Outcomes: st.Outcomes, Rules: st.Rules, Errored: st.Errored, MeanDecidedAt: st.MeanDecidedAt}
	if !st.FirstStart.IsZero() && st.LastFinish.After(st.FirstStart) {
		c.Elapsed = st.LastFinish.Sub(st.FirstStart)
	}
	return c
}

func totalsOf(st episodes.Stats) Totals {
	return Totals{Turns: st.Turns, TokensIn: st.PromptTokens, TokensOut: st.OutputTokens}
}

// Write summarises run runID of store (the latest run when runID is
// empty), or with all every run, as text or with asJSON as one JSON
// document, on w. selfplay, apo and arena print a run they played with it.
func Write(ctx context.Context, w io.Writer, store *episodes.Store, runID string, all, asJSON bool) error {
	if all {
		return writeAll(ctx, w, store, asJSON)
	}
	var run *episodes.Run
	var err error
	if runID != "" {
		run, err = store.RunInfo(ctx, runID)
		if errors.Is(err, episodes.ErrNotFound) {
			return cmdutil.Usagef("--run %s: no such run in %s (%s)", runID, store.Path(), cmdutil.ListRunsHint(store.Path()))
		}
	} else {
		run, err = store.LatestPlayedRunInfo(ctx)
		if errors.Is(err, episodes.ErrNotFound) {
			// As for a missing database (exit 2): --db names nothing to summarise.
			return cmdutil.Usagef("--db %s holds no runs yet (play some with: spag selfplay --db %s)", store.Path(), store.Path())
		}
	}
	if err != nil {
		return err
	}
	st, err := store.Stats(ctx, run.ID)
	if err != nil {
		return err
	}
	d := cmdutil.DescribeRun(run)
	out := JSON{Run: run.ID, Game: run.Game, Judge: run.Judge, Players: run.Players,
		Created: run.CreatedAt.UTC().Format(timeLayout), Totals: totalsOf(st), Summary: report.Summarize(d, CountsOf(st))}
	if asJSON {
		return encode(w, out)
	}
	fmt.Fprintf(w, "run            %s (%s)\n", run.ID, out.Created)
	fmt.Fprintf(w, "game           %s\n", run.Game)
	fmt.Fprintf(w, "players        %s\n", d.Lineup(run.Players))
	return report.WriteText(w, out.Summary)
}

// writeAll summarises every run of store. One summary cannot mix the
// outcomes of different games, so a database of several games gets one
// summary for each, its runs' together.
func writeAll(ctx context.Context, w io.Writer, store *episodes.Store, asJSON bool) error {
	runs, err := store.RunInfos(ctx)
	if err != nil {
		return err
	}
	st, err := store.Stats(ctx, "")
	if err != nil {
		return err
	}
	out := JSON{Totals: totalsOf(st)}
	var games []GameJSON // in the order of each game's first run
	for i, r := range runs {
		out.Runs = append(out.Runs, RunJSON{Run: r.ID, Game: r.Game, Judge: r.Judge, Players: r.Players,
			Created: r.CreatedAt.UTC().Format(timeLayout)})
		name := game.NameOf(r.Game)
		k := slices.IndexFunc(games, func(g GameJSON) bool { return g.Game == name })
		if k < 0 {
			games = append(games, GameJSON{Game: name, Title: cmdutil.GameTitle(&runs[i])})
			k = len(games) - 1
		}
		games[k].Runs = append(games[k].Runs, r.ID)
	}
	var d *game.Description
	if len(runs) > 0 {
		d = cmdutil.DescribeRun(&runs[len(runs)-1])
	}
	out.Summary = report.Summarize(d, CountsOf(st))
	if len(games) > 1 {
		for i := range games {
			gst, err := store.StatsOfRuns(ctx, games[i].Runs)
			if err != nil {
				return err
			}
			gd, _ := game.Games.Lookup(games[i].Game)
			games[i].Totals = totalsOf(gst)
			games[i].Summary = report.Summarize(gd, CountsOf(gst))
		}
		out.Games = games
	}
	if asJSON {
		return encode(w, out)
	}
	fmt.Fprintf(w, "all runs in    %s\n", store.Path())
	if len(out.Games) == 0 {
		return report.WriteText(w, out.Summary)
	}
	for i, g := range out.Games {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "game           %s (%d %s)\n", g.Title, len(g.Runs), plural(len(g.Runs), "run", "runs"))
		if err := report.WriteText(w, g.Summary); err != nil {
			return err
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
