package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/judge"
	"github.com/spag-go/spag/taboo"
)

// verdictLine is one line of `spag judge` output; field names are stable.
type verdictLine struct {
	Index      int          `json:"index"`
	TargetWord string       `json:"target_word"`
	Outcome    string       `json:"outcome"`
	DecidedAt  int          `json:"decided_at"`
	Rule       string       `json:"rule"`
	Evidence   evidenceJSON `json:"evidence"`
}

type evidenceJSON struct {
	Utterance int    `json:"utterance"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Text      string `json:"text"`
}

// readSPAGFile reads a SPAG episodes JSON file; "-" is standard input.
func readSPAGFile(name string, stdin io.Reader) ([]episodes.SPAGEpisode, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	} else {
		name = "<stdin>"
	}
	return episodes.ReadSPAG(bufio.NewReader(r), name)
}

// judgeHistory converts a SPAG history for the judge.
func judgeHistory(ep episodes.SPAGEpisode) []judge.Utterance {
	h := make([]judge.Utterance, len(ep.History))
	for i, m := range ep.History {
		h[i] = judge.Utterance{Role: m.Role, Text: m.Content}
	}
	return h
}

func maxTurnsOf(ep episodes.SPAGEpisode) int {
	if ep.MaxTurns > 0 {
		return ep.MaxTurns
	}
	return taboo.DefaultMaxTurns
}

func newJudgeCmd() *cobra.Command {
	var rules string
	var spagNames bool
	cmd := &cobra.Command{
		Use:   "judge FILE",
		Short: "Judge the episodes of a SPAG episodes JSON file",
		Long: `judge reads a SPAG episodes JSON file (a JSON array of {"target_word",
"max_turns", "history": [{"role", "content"}...]}; "-" reads standard input)
and prints one JSON line per episode, in input order:
{"index", "target_word", "outcome", "decided_at", "rule", "evidence"}.

--rules spag reproduces the SPAG reference code's verdicts, quirks included;
--rules strict is the project's recommended judge. An episode without
max_turns is judged with the default of 5.`,
		Example: `  spag judge --rules spag episodes.json
  spag judge --rules strict --spag-names - < episodes.json | jq -r .outcome | sort | uniq -c`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := judge.ByName(rules)
			if err != nil {
				return usageError{fmt.Errorf("--rules: %w", err)}
			}
			eps, err := readSPAGFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			enc := json.NewEncoder(w)
			for i, ep := range eps {
				h := judgeHistory(ep)
				v := j.Judge(ep.TargetWord, maxTurnsOf(ep), h)
				line := verdictLine{Index: i, TargetWord: ep.TargetWord, Outcome: string(v.Outcome),
					DecidedAt: v.DecidedAt, Rule: v.Rule,
					Evidence: evidenceJSON{Utterance: v.Evidence.Utterance, Start: v.Evidence.Start, End: v.Evidence.End}}
				if u := v.Evidence.Utterance; u > 0 && u <= len(h) {
					line.Evidence.Text = h[u-1].Text[v.Evidence.Start:v.Evidence.End]
				}
				if spagNames {
					line.Outcome = taboo.SPAGOutcome(line.Outcome)
				}
				if err := enc.Encode(line); err != nil {
					return err
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&rules, "rules", "strict", "judge: strict or spag")
	cmd.Flags().BoolVar(&spagNames, "spag-names", false, `print SPAG's outcome strings ("attacker wins", ...) instead of the project's`)
	return cmd
}
