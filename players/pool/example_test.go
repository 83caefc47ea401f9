package pool_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/spag-go/spag/players/pool"
)

// A call that fails on a dead host with a refused connection moves to the
// other host; a fatal error is returned at once.
func ExamplePool_Do() {
	p, err := pool.New([]string{"http://gpu1:11434", "http://gpu2:11434"}, pool.Config{
		PerHost: 4,
		Classify: func(err error) pool.Class {
			if pool.TransientNet(err) {
				return pool.Transient
			}
			return pool.Fatal
		},
		Sleep: func(ctx context.Context, d time.Duration) error { return nil }, // no backoff in the example
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = p.Do(context.Background(), func(ctx context.Context, host string) error {
		fmt.Println("trying", host)
		if host == "http://gpu1:11434" {
			return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		}
		return nil
	})
	fmt.Println("error:", err, "capacity:", p.Capacity())

	err = p.Do(context.Background(), func(ctx context.Context, host string) error {
		return errors.New(`model "x" not found`)
	})
	fmt.Println("error:", err)
	// Output:
	// trying http://gpu1:11434
	// trying http://gpu2:11434
	// error: <nil> capacity: 8
	// error: http://gpu1:11434: model "x" not found
}
