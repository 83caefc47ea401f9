package scripted

// rng is a small splitmix64 generator. The players seed one per call from
// game.Request.Seed, so the same request always gets the same reply and no
// generator is shared between goroutines. It lives on the stack.
type rng struct{ state uint64 }

// mix64 is splitmix64's finaliser: a bijective hash of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func newRNG(seed, salt uint64) rng { return rng{state: mix64(seed ^ salt*0x9e3779b97f4a7c15)} }

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return mix64(r.state)
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }
