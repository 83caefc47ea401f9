//go:build !amd64 || purego

package mat

// impls lists the implementations this CPU can run, best first: on this
// architecture only the portable one.
func impls() []*impl { return []*impl{generic} }
