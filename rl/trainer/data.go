package trainer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/rl"
	"github.com/spag-go/spag/rl/train"
)

// ReadData reads a job's training data for an objective: SPAG training
// JSON, or reward-model items for apo. units is what epochs count:
// samples, or items. Its errors name the file, not the command reading it
// (training, evaluation or a loop's check), which callers add.
func ReadData(path, objectiveName string) (examples []train.Example, units int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if objectiveName == train.ObjectiveAPO {
		return readRMItems(f, path)
	}
	samples, err := rl.ReadSPAGTraining(f, path)
	if err != nil {
		return nil, 0, err
	}
	for _, s := range samples {
		examples = append(examples, train.Example{Query: s.Query, Target: s.Target, Reward: s.Reward, Weight: s.Weight, SFT: s.Type == rl.TypeSFT})
	}
	if len(examples) == 0 {
		return nil, 0, fmt.Errorf("%s holds no samples", path)
	}
	return examples, len(examples), nil
}

// samplesPerQuery is APO's m for reward-model data: the most generated
// samples (responses besides the gold one) of an adversarial item, 1 when
// there is none.
func samplesPerQuery(examples []train.Example) int {
	per := map[int]int{}
	m := 1
	for _, e := range examples {
		if e.Adversarial {
			per[e.Item]++
			m = max(m, per[e.Item]-1)
		}
	}
	return m
}

// rmItemLine is one line of reward-model items, as 'spag apo items' writes
// them (the ratings it adds are not needed here).
type rmItemLine struct {
	Query       string    `json:"query"`
	Responses   []string  `json:"responses"`
	Prefs       []float64 `json:"prefs"`
	Adversarial bool      `json:"adversarial"`
}

func readRMItems(r io.Reader, name string) (examples []train.Example, items int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var it rmItemLine
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %v (want the items of 'spag apo items', one JSON object a line)", name, n, err)
		}
		switch {
		case strings.TrimSpace(it.Query) == "":
			return nil, 0, fmt.Errorf(`%s:%d: empty "query"`, name, n)
		case len(it.Responses) < 2 || len(it.Prefs) != len(it.Responses):
			return nil, 0, fmt.Errorf(`%s:%d: want at least two "responses" and one "prefs" entry each (got %d and %d)`, name, n, len(it.Responses), len(it.Prefs))
		}
		for k, y := range it.Responses {
			if math.IsNaN(it.Prefs[k]) || math.IsInf(it.Prefs[k], 0) {
				return nil, 0, fmt.Errorf("%s:%d: preference %d is not a finite number", name, n, k+1)
			}
			examples = append(examples, train.Example{Query: apo.ScoringText(it.Query), Target: y, Weight: 1,
				Item: items, Pref: it.Prefs[k], Adversarial: it.Adversarial})
		}
		items++
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	if items == 0 {
		return nil, 0, fmt.Errorf("%s holds no items", name)
	}
	return examples, items, nil
}
