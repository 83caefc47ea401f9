//go:build unix

package episodes

import "syscall"

// writableDir reports whether the process may create files in dir: the
// permission bits, a read-only mount and the process's privileges all
// count, as access(2) sees them.
func writableDir(dir string) bool {
	const wOK = 0x2 // W_OK
	return syscall.Access(dir, wOK) == nil
}
