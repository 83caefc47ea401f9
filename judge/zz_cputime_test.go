package judge

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPUTime(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	uni := nonASCIIEpisode()
	for _, c := range []struct {
		name string
		j    Judge
		h    []Utterance
	}{{"spag", NewSpag(), tieEpisode}, {"strict", NewStrict(), tieEpisode}, {"spag-unicode", NewSpag(), uni}, {"strict-unicode", NewStrict(), uni}} {
		best := time.Hour
		for rep := 0; rep < 5; rep++ {
			const n = 20000
			t0 := threadCPU()
			for i := 0; i < n; i++ {
				ep := c.j.Start("apple", 5)
				for _, u := range c.h {
					ep.Next(u)
				}
			}
			if d := (threadCPU() - t0) / n; d < best {
				best = d
			}
		}
		fmt.Printf("%s: %v CPU per episode\n", c.name, best)
	}
}
