package ollamatest

import "syscall"

// setParentDeathSignal asks Linux to stop the server when the test process
// dies without stopping it (a panic, a killed go test): the server then
// shuts its runners down itself.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
