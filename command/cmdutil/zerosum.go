package cmdutil

import "github.com/spag-go/spag/rl/objective"

// ZeroSumParams are the zerosum objective's coefficients: its defaults,
// with those of --beta, --clip-range and --sft-coeff that were given
// (changed reports which), read into the spag objective's fields, which
// the flags share. spag train and spag iterate take them alike.
func ZeroSumParams(changed func(name string) bool, spag objective.SPAGParams, beta float64) *objective.ZeroSumParams {
	p := objective.DefaultZeroSum()
	if changed("beta") {
		p.Beta = beta
	}
	if changed("clip-range") {
		p.Eps = spag.Eps
	}
	if changed("sft-coeff") {
		p.Alpha = spag.Alpha
	}
	return &p
}
