//go:build unix

package trainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/spag-go/spag/episodes"
)

// lockFile locks path, a lock file it creates if needed, for what (named
// in errors). The file holds the holder's pid and host, which a refused
// locker reads to name it.
func lockFile(path, what string) (unlock func() error, err error) {
	for {
		// No link is followed: a planted link must not make spag create
		// or write a file elsewhere.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0o666)
		if err != nil {
			return nil, fmt.Errorf("train: lock %s: %w", what, err)
		}
		st, err := f.Stat()
		if err == nil && !st.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", path)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("train: lock %s: %w", what, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			defer f.Close()
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("train: lock %s: %w", what, err)
			}
			busy := &episodes.BusyError{What: what, Since: st.ModTime()}
			text, _ := io.ReadAll(io.LimitReader(f, 512))
			if _, err := fmt.Sscanf(string(text), "%d %s", &busy.PID, &busy.Host); err != nil {
				busy.Host = "this host"
			}
			return nil, busy
		}
		// A holder that let go may have removed the file after this one
		// opened it: the lock is then on a file no one else sees, and the
		// path's new file is the one to lock.
		now, err := os.Lstat(path)
		if err != nil || !os.SameFile(st, now) {
			f.Close()
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("train: lock %s: %w", what, err)
			}
			continue
		}
		host, _ := os.Hostname()
		host = strings.Join(strings.Fields(host), "_")
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt([]byte(fmt.Sprintf("%d %s\n", os.Getpid(), host)), 0)
		}
		if err != nil {
			os.Remove(path)
			f.Close()
			return nil, fmt.Errorf("train: lock %s: %w", what, err)
		}
		// Removed while still locked, so that a locker that opened it
		// meanwhile sees it is gone and locks the path's new file.
		return func() error {
			err := os.Remove(path)
			if errors.Is(err, os.ErrNotExist) {
				err = nil
			}
			return errors.Join(err, f.Close())
		}, nil
	}
}
