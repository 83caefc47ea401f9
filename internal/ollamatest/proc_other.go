//go:build !unix

package ollamatest

import (
	"context"
	"os/exec"
	"syscall"
)

func lockFile(context.Context, string) (func(), error) { return nil, errUnsupported }
func setGroup(*exec.Cmd)                               {}
func signalGroup(int, syscall.Signal) error            { return errUnsupported }
