//go:build !unix

package trainer

import "os/exec"

// setProcessGroup keeps exec's default: cancellation kills the shell.
func setProcessGroup(*exec.Cmd) {}
