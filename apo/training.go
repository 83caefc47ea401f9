package apo

import "fmt"

// Rated is one stored episode as the reward-model data needs it.
type Rated struct {
	Index  int
	Seed   uint64
	Query  string
	Sample string // the generator's response
	Reply  string // the reward model's ratings
}

// TrainingItem is one query's reward-model training item in APO's
// adversarial form: the gold response preferred over each of the
// generator's samples, as the reward model saw them (cut to the game's
// limit). Responses and Prefs line up (gold first, with preference 1;
// samples 0), as rl/objective.RMItem expects; the ratings are what the
// reward model said in each episode (null where its reply could not be
// read: those samples are kept, since they are where it failed), so that
// its accuracy and calibration can be measured on the same data.
type TrainingItem struct {
	Query       string    `json:"query"`
	Responses   []string  `json:"responses"`
	Prefs       []float64 `json:"prefs"`
	Adversarial bool      `json:"adversarial"`
	// GoldRatings[i] and SampleRatings[i] are the ratings of the gold
	// response and of sample i in the episode that played sample i.
	GoldRatings   []*float64 `json:"gold_ratings"`
	SampleRatings []*float64 `json:"sample_ratings"`
	// Episodes are the run indices of the episodes, parallel to the samples.
	Episodes []int `json:"episodes"`
}

// EpisodeRatings reads the gold and sample ratings from a stored episode's
// reward-model reply; the episode's seed tells which one was shown as A.
func EpisodeRatings(seed uint64, reply string) (gold, sample float64, err error) {
	s, err := ParseScores(reply)
	if err != nil {
		return 0, 0, err
	}
	gold, sample = orient(GoldFirst(seed), s.A, s.B)
	return gold, sample, nil
}

// TrainingItems groups rated episodes by query, in order of first
// appearance, into one item each; unrated counts the episodes whose
// ratings could not be read. Every query must be one of g's.
func (g *Game) TrainingItems(eps []Rated) (items []TrainingItem, unrated int, err error) {
	byQuery := map[string]int{}
	for _, ep := range eps {
		gold, ok := g.gold[ep.Query]
		if !ok {
			return nil, 0, fmt.Errorf("apo: episode %d: query %q is not one of the game's items", ep.Index, ep.Query)
		}
		var gr, sr *float64
		if gold, sample, err := EpisodeRatings(ep.Seed, ep.Reply); err == nil {
			gr, sr = &gold, &sample
		} else {
			unrated++
		}
		i, seen := byQuery[ep.Query]
		if !seen {
			i = len(items)
			byQuery[ep.Query] = i
			items = append(items, TrainingItem{Query: ep.Query, Responses: []string{g.Shown(gold)}, Prefs: []float64{1}, Adversarial: true})
		}
		it := &items[i]
		it.Responses = append(it.Responses, g.Shown(ep.Sample))
		it.Prefs = append(it.Prefs, 0)
		it.GoldRatings = append(it.GoldRatings, gr)
		it.SampleRatings = append(it.SampleRatings, sr)
		it.Episodes = append(it.Episodes, ep.Index)
	}
	return items, unrated, nil
}

// ScoringText is what a likelihood reward model conditions a response on:
// its score s(x, y) is the model's mean log-likelihood of the response
// after this text (spag train --objective apo trains that score, and the
// native reward model plays with it).
func ScoringText(query string) string { return "Question: " + query + "\nAnswer:" }
