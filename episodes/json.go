package episodes

import (
	"encoding/json"
	"time"

	"github.com/spag-go/spag/game"
)

// JSON is the one JSON form of a stored episode. Every export of spag
// writes it (episodes export --format jsonl, the episode browser's JSON
// export), and other JSON output that names an episode or its parts uses
// its key names: "id", "run_id", "index", "subject" (the Taboo target word
// or the APO query), and verdicts with evidence {"turn", "start", "end",
// "text"} (see [game.Verdict]). Only SPAG episodes JSON, an outside format,
// has its own keys (target_word, max_turns, history).
//
// The key names are a stable interface: change them only by adding keys.
type JSON struct {
	ID         int64  `json:"id"`
	RunID      string `json:"run_id"`
	Index      int    `json:"index"`
	Subject    string `json:"subject"`
	Seed       uint64 `json:"seed"`
	StartedAt  string `json:"started_at,omitempty"`  // RFC 3339; omitted when unknown
	FinishedAt string `json:"finished_at,omitempty"` // RFC 3339; omitted when unknown
	// Turns have n, player, role, text, thinking, usage {prompt_tokens,
	// output_tokens, latency_ns}, logprobs and extra.
	Turns []JSONTurn `json:"turns"`
	// Verdict has outcome, decided_at, rule, evidence and judge.
	Verdict game.Verdict `json:"verdict"`
	// OtherVerdicts are the episode's verdicts by other judges, where the
	// export includes them.
	OtherVerdicts []game.Verdict  `json:"other_verdicts,omitempty"`
	Err           string          `json:"err"`
	Extra         json.RawMessage `json:"extra,omitempty"`
}

// JSONTurn is a turn in [JSON], with the keys an import kept.
type JSONTurn struct {
	game.Turn
	Extra json.RawMessage `json:"extra,omitempty"`
}

// NewJSON is the JSON form of rec, with the turns rec has loaded.
func NewJSON(rec *Record) JSON {
	j := JSON{ID: rec.ID, RunID: rec.RunID, Index: rec.Index, Subject: rec.Subject, Seed: rec.Seed,
		Turns: make([]JSONTurn, len(rec.Turns)), Verdict: rec.Verdict, Err: rec.Err, Extra: rec.Extra}
	if !rec.StartedAt.IsZero() {
		j.StartedAt = rec.StartedAt.Format(time.RFC3339Nano)
	}
	if !rec.FinishedAt.IsZero() {
		j.FinishedAt = rec.FinishedAt.Format(time.RFC3339Nano)
	}
	for i, t := range rec.Turns {
		j.Turns[i].Turn = t
		if i < len(rec.TurnExtra) {
			j.Turns[i].Extra = rec.TurnExtra[i]
		}
	}
	return j
}
