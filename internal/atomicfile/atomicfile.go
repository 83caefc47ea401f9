// Package atomicfile writes output files so that readers (and a crash) see
// either the old file or the complete new one, never a partial write: the
// content goes to a temporary file in the same directory, which is synced
// and then renamed over the target.
//
// Only regular files are replaced that way. A symbolic link is followed and
// its target written (the link stays a link); a character device, a named
// pipe or a socket (/dev/null, /dev/stdout's terminal, a FIFO read by
// another process) is opened and written in place, since renaming a file
// over it would destroy it.
package atomicfile

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds how many symbolic links Write follows, as the kernel
// does (ELOOP), so a link cycle is an error rather than a hang.
const maxLinks = 40

// Write creates or replaces path with what fn writes. On any error a
// regular target is left as it was and the temporary file is removed.
// Errors name the path.
//
// A new file gets mode 0666 less the process umask, like a file made by
// the shell's redirection; a replaced regular file keeps its mode.
func Write(path string, fn func(w io.Writer) error) error {
	target, fi, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	switch {
	case fi == nil || fi.Mode().IsRegular():
		return replace(path, target, fi, fn)
	case fi.IsDir():
		return fmt.Errorf("write %s: is a directory; name a file", path)
	default:
		return writeInPlace(path, target, fn)
	}
}

// resolve follows symbolic links from path to the file they end at, which
// need not exist yet (a dangling link names the file to create). fi is nil
// when that file does not exist.
func resolve(path string) (target string, fi fs.FileInfo, err error) {
	target = path
	for range maxLinks {
		fi, err = os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			return target, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return target, fi, nil
		}
		link, err := os.Readlink(target)
		if err != nil {
			return "", nil, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(target), link)
		}
		target = link
	}
	return "", nil, fmt.Errorf("more than %d symbolic links to follow", maxLinks)
}

// writeInPlace writes to a file that must not be replaced: a device, a
// pipe or a socket. There is no old content to keep, so no temporary file.
func writeInPlace(path, target string, fn func(w io.Writer) error) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = fn(w)
	if err == nil {
		err = w.Flush()
		if err != nil {
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", path, cerr)
	}
	return err
}

// replace writes a temporary file beside target and renames it over
// target. old describes the file being replaced, nil when there is none.
func replace(path, target string, old fs.FileInfo, fn func(w io.Writer) error) (err error) {
	dir := filepath.Dir(target)
	f, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return dirError(path, dir, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if old != nil {
		// Replacing a file keeps its permissions, as editing it would.
		if err := f.Chmod(old.Mode().Perm()); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if err := fn(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Syncing the directory makes the rename itself durable; where the
	// file system cannot, the file is still complete.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// createTemp is os.CreateTemp with mode 0666 instead of 0600, so that the
// kernel applies the umask as it does to any new file: output meant for
// others to read is not made private by the way it was written.
func createTemp(dir, base string) (*os.File, error) {
	for try := 0; ; try++ {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+".tmp"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && try < 10 {
			continue
		}
		return f, err
	}
}

// dirError explains err, from creating a file in dir for path: a missing
// directory is named as such rather than through the temporary file's name.
func dirError(path, dir string, err error) error {
	if fi, serr := os.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
		return fmt.Errorf("write %s: directory %s does not exist; create it first", path, dir)
	} else if serr == nil && !fi.IsDir() {
		return fmt.Errorf("write %s: %s is not a directory", path, dir)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("write %s: %w", path, err)
}

// CheckWritable checks, before any work is done, that [Write] will be
// able to write path: it creates a temporary file in the directory the
// file will be in, which it removes. Like `go build -o` and `curl -o` it
// makes no directory: a missing one is an error naming it (a mistyped
// /nonexistent/x.ckpt made /nonexistent as root). A device, a pipe or a
// socket is left unopened (opening a pipe would wait for a reader).
// Errors name the path.
func CheckWritable(path string) error {
	target, fi, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	switch {
	case fi != nil && fi.IsDir():
		return fmt.Errorf("write %s: is a directory; name a file", path)
	case fi != nil && !fi.Mode().IsRegular():
		return nil
	}
	dir := filepath.Dir(target)
	f, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return dirError(path, dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Mkdir makes path, a directory that a command owns and fills (a loop's
// --out), or accepts it when it exists. Its parent must exist: like
// [CheckWritable], Mkdir makes no directory the user did not name. Errors
// name the path.
func Mkdir(path string) error {
	err := os.Mkdir(path, 0o777)
	if err == nil {
		return nil
	}
	if fi, serr := os.Stat(path); serr == nil {
		if fi.IsDir() {
			return nil
		}
		return fmt.Errorf("make directory %s: a file of that name exists; name a directory", path)
	}
	parent := filepath.Dir(filepath.Clean(path))
	if _, serr := os.Stat(parent); errors.Is(serr, fs.ErrNotExist) {
		return fmt.Errorf("make directory %s: directory %s does not exist; create it first", path, parent)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("make directory %s: %w", path, err)
}

// Append opens path for appending a stream that is written as it grows (a
// metrics file kept across resumed runs), creating it when missing. Like
// [Write], a new file gets 0666 less the umask and an existing one keeps
// its mode: nothing is ever chmodded, so no link's target is changed.
// Errors name the path.
func Append(path string) (*os.File, error) {
	return openStream(path, os.O_APPEND)
}

// Create opens path for a stream that replaces its old content (a log of
// one run), with the modes of [Append]. Unlike [Write] a reader may see the
// stream part-written: that is what a log is for.
func Create(path string) (*os.File, error) {
	return openStream(path, os.O_TRUNC)
}

func openStream(path string, flag int) (*os.File, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("write %s: is a directory; name a file", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, 0o666)
	if err != nil {
		return nil, dirError(path, filepath.Dir(path), err)
	}
	return f, nil
}
