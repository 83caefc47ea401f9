package episodes

import (
	"context"
	"fmt"
	"sort"
)

// TurnCount is one row of [Store.TurnStats]: the Turn-th utterance of a
// role over a run's played episodes.
type TurnCount struct {
	Role string `json:"role"`
	// Turn counts the role's own utterances from 1: the defender's turn 2
	// is its second utterance, whatever the utterance number.
	Turn int `json:"turn"`
	// Utterances is the number of episodes in which the role spoke a
	// Turn-th time (the games that reached that turn).
	Utterances int `json:"utterances"`
	// Decided counts, by the rule that decided the episode, the
	// utterances of this row that ended their episode (a Taboo defender's
	// guess, right or wrong, or a slip; max_turns for the last utterance
	// of a tie). The rest of Utterances let the game go on.
	Decided map[string]int `json:"decided"`
}

// TurnStats breaks a run's played episodes (or, when runID is empty, the
// whole store's) down per role and per turn of that role: how many games
// reached each turn and which rule, if any, that utterance ended the game
// by. It answers "when does the defender guess, and how often wrongly?"
// from stored episodes, for any game whose judge names its rules. Rows come
// in order of the role's first utterance (the attacker's before the
// defender's in Taboo), then of Turn. Errored episodes are left out, as
// they have no verdict.
func (s *Store) TurnStats(ctx context.Context, runID string) ([]TurnCount, error) {
	if runID != "" {
		if err := s.checkRun(ctx, runID); err != nil {
			return nil, fmt.Errorf("episodes: turn stats: %w", err)
		}
	}
	wrap := func(err error) ([]TurnCount, error) {
		return nil, fmt.Errorf("episodes: turn stats of run %q: %w", runID, err)
	}
	where, args := s.where(Filter{RunID: runID})
	played := where + andOrWhere(where) + `e.err = ''`
	// The role's k-th utterance is numbered within its episode by a window,
	// so that games whose roles do not strictly alternate count right too.
	rows, err := s.rdb.QueryContext(ctx, `WITH u AS (
		SELECT t.role, t.n,
			row_number() OVER (PARTITION BY t.episode_id, t.role ORDER BY t.n) AS k,
			CASE WHEN t.n = e.decided_at THEN e.rule ELSE '' END AS rule
		FROM turns t JOIN episodes e ON e.id = t.episode_id`+played+`)
		SELECT role, k, rule, count(*), min(n) FROM u GROUP BY role, k, rule`, args...)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	type key struct {
		role string
		k    int
	}
	byKey := map[key]*TurnCount{}
	first := map[string]int{} // the role's earliest utterance number
	for rows.Next() {
		var (
			k   key
			r   string
			n   int
			min int
		)
		if err := rows.Scan(&k.role, &k.k, &r, &n, &min); err != nil {
			return wrap(err)
		}
		c := byKey[k]
		if c == nil {
			c = &TurnCount{Role: k.role, Turn: k.k, Decided: map[string]int{}}
			byKey[k] = c
		}
		c.Utterances += n
		if r != "" {
			c.Decided[r] += n
		}
		if f, ok := first[k.role]; !ok || min < f {
			first[k.role] = min
		}
	}
	if err := rows.Err(); err != nil {
		return wrap(err)
	}
	out := make([]TurnCount, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Role != b.Role {
			if first[a.Role] != first[b.Role] {
				return first[a.Role] < first[b.Role]
			}
			return a.Role < b.Role
		}
		return a.Turn < b.Turn
	})
	return out, nil
}
