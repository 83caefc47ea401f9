package eval

// RoundRates is a loop's result for one round, opponent and role as the
// commands' JSON shows it, in the vocabulary of every rate they print (an
// arena's roles too): the policy's [Rate] and the baseline's, each with
// its 95% Wilson interval, and their difference with Newcombe's.
type RoundRates struct {
	Round      int    `json:"round"`
	Opponent   string `json:"opponent"`
	Role       string `json:"role"`
	Rate       Rate   `json:"win_rate"`
	Baseline   Rate   `json:"baseline_win_rate"`
	Difference Diff   `json:"difference"`
}

// Rates returns r as [RoundRates], at 95%.
func (r RoundResult) Rates() RoundRates {
	return RoundRates{Round: r.Round, Opponent: r.Opponent, Role: r.Role,
		Rate: r.Rate(0), Baseline: r.BaselineRate(0), Difference: r.Diff(0)}
}
