package apo

import (
	"context"
	"fmt"
	"math"

	"github.com/spag-go/spag/game"
)

// ResponseScorer scores a response after a prompt, higher for better: a
// language model's mean log-likelihood of the response (the native model's
// ResponseScore).
type ResponseScorer interface {
	ResponseScore(prompt, response string) (float64, error)
}

// LikelihoodRewardModel plays the reward model with a scorer instead of
// generated text: an answer's rating is 10·exp(s), where s is its score
// after [ScoringText](query) (what spag train --objective apo trains): the
// geometric-mean token probability on the 0 to 10 scale, in the same order
// as the scores. Ratings are written with twelve decimals, so that only
// (nearly) equal scores tie.
type LikelihoodRewardModel struct {
	Scorer ResponseScorer
}

// Play rates the two answers of the reward model's turn.
func (r LikelihoodRewardModel) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	return rateAnswers(ctx, req, "likelihood", r.Scorer, func(s float64) float64 { return MaxRating * math.Exp(min(s, 0)) })
}

// ScalarRewardModel plays the reward model with a scalar score, such as the
// scalar head of a native model trained with spag train --objective apo
// --score scalar: an answer's rating is 10·sigmoid(s), where s is its
// score after [ScoringText](query). The map is strictly increasing, so the
// ratings order the answers as the scores do, and the difference of two
// scores, the Bradley–Terry log-odds the model was trained on, is
// logit(rating_A/10) − logit(rating_B/10).
type ScalarRewardModel struct {
	Scorer ResponseScorer
}

// Play rates the two answers of the reward model's turn.
func (r ScalarRewardModel) Play(ctx context.Context, req game.Request) (game.Reply, error) {
	return rateAnswers(ctx, req, "scalar", r.Scorer, func(s float64) float64 { return MaxRating / (1 + math.Exp(-s)) })
}

// rateAnswers scores the turn's two answers and writes rating(score) of
// each with twelve decimals, so that only (nearly) equal scores tie.
func rateAnswers(ctx context.Context, req game.Request, kind string, scorer ResponseScorer, rating func(float64) float64) (game.Reply, error) {
	a, b, ok := ResponsesOf(req.Observation)
	if req.Role != RewardModel || !ok {
		return game.Reply{}, fmt.Errorf("apo: the %s reward model cannot play %q (turn %d)", kind, req.Role, req.Turn)
	}
	prompt := ScoringText(QueryOf(req.Observation))
	var ratings [2]float64
	for i, answer := range []string{a, b} {
		if err := ctx.Err(); err != nil {
			return game.Reply{}, err
		}
		s, err := scorer.ResponseScore(prompt, answer)
		if err != nil {
			return game.Reply{}, fmt.Errorf("apo: score answer %c: %w", 'A'+i, err)
		}
		ratings[i] = rating(s)
	}
	return game.Reply{Text: fmt.Sprintf("A: %.12f\nB: %.12f", ratings[0], ratings[1])}, nil
}
