package train

import (
	"math"
)

// Adam is Adam with decoupled weight decay (AdamW, Loshchilov & Hutter) and
// global-norm gradient clipping, written here because gorgonia's AdamW never
// applies its decay and its solvers keep their moments unexported (so they
// could not be checkpointed). It updates float32 weights in place.
type Adam struct {
	Beta1, Beta2, Eps float64
	// WeightDecay is applied as w -= lr·wd·w to the tensors marked in Decay.
	WeightDecay float64
	// ClipNorm rescales the gradient so its global L2 norm is at most this;
	// 0 disables clipping.
	ClipNorm float64
	Decay    []bool // per tensor; norm gains and embeddings may be excluded

	Step int // updates applied
	M, V [][]float32
}

// NewAdam makes an optimizer for tensors of the given sizes.
func NewAdam(sizes []int, decay []bool) *Adam {
	a := &Adam{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, ClipNorm: 1, Decay: decay}
	for _, n := range sizes {
		a.M = append(a.M, make([]float32, n))
		a.V = append(a.V, make([]float32, n))
	}
	return a
}

// GlobalNorm is the L2 norm of all gradients together.
func GlobalNorm(grads [][]float32) float64 {
	s := 0.0
	for _, g := range grads {
		for _, v := range g {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// Update applies one step with learning rate lr to weights given grads
// (both in tensor order) and returns the gradient's global norm before
// clipping. grads are left unchanged.
func (a *Adam) Update(weights, grads [][]float32, lr float64) (norm float64) {
	norm = GlobalNorm(grads)
	scale := 1.0
	if a.ClipNorm > 0 && norm > a.ClipNorm {
		scale = a.ClipNorm / norm
	}
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	for i, w := range weights {
		g, m, v := grads[i], a.M[i], a.V[i]
		decay := float32(0)
		if a.WeightDecay > 0 && (a.Decay == nil || a.Decay[i]) {
			decay = float32(lr * a.WeightDecay)
		}
		stepSize := float32(lr / c1)
		invC2 := float32(1 / c2)
		eps := float32(a.Eps)
		sc := float32(scale)
		for j := range w {
			gj := g[j] * sc
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			w[j] -= decay*w[j] + stepSize*m[j]/(float32(math.Sqrt(float64(v[j]*invC2)))+eps)
		}
	}
	return norm
}

// Schedule is a cosine learning-rate schedule with linear warm-up.
type Schedule struct {
	Peak   float64 // learning rate after warm-up
	Min    float64 // learning rate at the last step
	Warmup int     // warm-up steps
	Total  int     // total steps
}

// LR returns the learning rate of step (0-based): linear from Peak/Warmup
// up to Peak over the warm-up, then a half cosine down to Min at Total-1.
func (s Schedule) LR(step int) float64 {
	if step < s.Warmup {
		return s.Peak * float64(step+1) / float64(s.Warmup)
	}
	span := s.Total - 1 - s.Warmup
	if span <= 0 {
		return s.Peak
	}
	progress := math.Min(1, float64(step-s.Warmup)/float64(span))
	return s.Min + (s.Peak-s.Min)*0.5*(1+math.Cos(math.Pi*progress))
}
