// Package episodes is spag's SQLite store: the schema and its migrations,
// the batched writer the engine hands finished episodes to, the queries
// behind replay, stats and re-judging, the staged import of a whole run
// that a game's importer feeds ([Store.ImportRun]), and export as JSON
// Lines.
//
// It persists [game.Episode] values and knows nothing of how they were
// produced: it imports nothing from spag but package game, and all of its
// SQL stays inside it.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL. A transaction is
// in the write-ahead log once its commit returns, so every episode reported
// through [Options.OnCommit] survives the process being killed (kill -9
// included) and the database stays consistent. A power loss or an
// operating-system crash may lose the last few commits, never corrupt the
// file; that is the price of not calling fsync on every commit.
package episodes

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/spag-go/spag/game"
)

// Errors callers can branch on with [errors.Is].
var (
	// ErrNotFound means the run or episode asked for is not in the store.
	ErrNotFound = errors.New("episodes: not found")
	// ErrNewerSchema means the database was written by a newer spag; see
	// [SchemaError].
	ErrNewerSchema = errors.New("episodes: database schema is newer than this spag")
	// ErrCorrupt means the file is not a usable spag database: not SQLite
	// at all, damaged, or the SQLite database of another application.
	ErrCorrupt = errors.New("episodes: not a usable spag database")
	// ErrClosed is returned by methods called after [Store.Close].
	ErrClosed = errors.New("episodes: store is closed")
)

// SchemaError reports a database whose schema version is newer than the
// migrations this build knows. It unwraps to [ErrNewerSchema].
type SchemaError struct {
	Path      string
	Version   int // the database's schema version
	Supported int // the newest version this build knows
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("episodes: database %s has schema version %d, newer than this spag supports (%d); upgrade spag",
		e.Path, e.Version, e.Supported)
}

// Unwrap returns [ErrNewerSchema].
func (e *SchemaError) Unwrap() error { return ErrNewerSchema }

// kindError carries a complete message and unwraps both to a sentinel
// (its kind) and to the cause, so the message need not repeat the
// sentinel's text.
type kindError struct {
	msg   string
	kind  error
	cause error
}

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.cause} }

// applicationID marks a file as a spag store ("spag" in ASCII); migration
// 0001 sets it.
const applicationID = 0x73706167

// Defaults of [Options].
const (
	DefaultQueueSize     = 1024
	DefaultBatchSize     = 256
	DefaultFlushInterval = 50 * time.Millisecond
	DefaultBusyTimeout   = 5 * time.Second
)

// Options tunes a [Store]. The zero value gives the defaults.
type Options struct {
	// QueueSize bounds the episodes waiting for the writer; Write blocks
	// while it is full. Default [DefaultQueueSize].
	QueueSize int
	// BatchSize is the number of episodes committed per transaction at
	// most. Default [DefaultBatchSize].
	BatchSize int
	// FlushInterval is how long an episode may wait for its batch to fill
	// before it is committed anyway. Default [DefaultFlushInterval].
	FlushInterval time.Duration
	// BusyTimeout is how long a statement waits for a lock held by another
	// connection or process. Default [DefaultBusyTimeout].
	BusyTimeout time.Duration
	// OnCommit, when not nil, is called by the writer goroutine after each
	// commit with the episodes it made durable, in write order. This is the
	// moment an episode counts as stored. It must return quickly and must
	// not call Write or Flush, which wait for the writer it runs on. The
	// slice is the callee's to keep.
	OnCommit func([]game.Episode)
	// Now is the clock for run IDs and creation times; default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is an open episodes database. It is safe for concurrent use.
//
// Writes go through two paths that share one SQLite write connection: the
// writer goroutine (episodes from [Store.Write]) and the direct methods
// (CreateRun, AddVerdict, ImportRun). Reads use their own pool of
// read-only connections and, thanks to WAL, never wait for the writer.
type Store struct {
	path string
	opts Options
	wdb  *sql.DB // one connection: SQLite has one writer at a time anyway
	// afterMergePlan, when set (by tests), runs once a merge has made its
	// plan, before it writes.
	afterMergePlan func()
	rdb            *sql.DB // query-only connections

	w    *writer
	live *liveSet

	runsMu    sync.Mutex
	knownRuns map[string]bool // run IDs known to exist; runs are never deleted

	closeOnce sync.Once
	closeErr  error

	mode   openMode
	leases leases
	schema int // the schema version found at Open, before migrating

	// importChunk, when positive, replaces defaultImportChunk, and
	// afterImportChunk is called after each chunk an import commits with
	// the episodes committed so far: for tests.
	importChunk      int
	afterImportChunk func(committed int)
}

// Open opens the store at path, creating the file if needed, applies the
// migrations it lacks and starts the writer goroutine. Close releases it.
//
// Errors name the path: a database from a newer spag gives a [*SchemaError]
// (errors.Is [ErrNewerSchema]); a file that is not a spag database gives
// [ErrCorrupt].
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	return open(ctx, path, opts, modeReadWrite)
}

// ErrReadOnly is returned by [OpenReadOnly] for a database it cannot read
// without writing: one whose write-ahead log holds commits that a
// read-only directory keeps it from reading.
var ErrReadOnly = errors.New("episodes: database cannot be read without writing")

// OpenReadOnly opens an existing store for reading only, for commands
// that never write (stats, replay, export): nothing is created, migrated
// or written, so it works on a database in a directory the user cannot
// write, or on a read-only file system. Write methods fail.
//
// SQLite reads a database in WAL mode through its -shm index file, which
// it creates next to the database. When the directory is not writable,
// the database is opened as immutable instead, which is exact when the
// write-ahead log is empty (spag checkpoints it when the last writer
// closes); a non-empty log there gives an error wrapping [ErrReadOnly]
// that says what to do.
//
// A database written by an older spag is migrated first where it can be
// written, as [Open] would; where it cannot, it is read as it is: the
// reading queries use the tables every schema version has.
func OpenReadOnly(ctx context.Context, path string, opts Options) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("episodes: open %s: %w", path, err)
	}
	mode := modeReadOnly
	if !writableDir(filepath.Dir(path)) {
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
			return nil, &kindError{kind: ErrReadOnly, msg: fmt.Sprintf(
				"episodes: %s has commits in its write-ahead log %s-wal that cannot be read while its directory is not writable; "+
					"copy the database with its -wal file to a writable directory, or open it once where it can be written", path, path)}
		}
		mode = modeImmutable
	}
	s, err := open(ctx, path, opts, mode)
	if err != nil || mode == modeImmutable {
		return s, err
	}
	ms, err := migrations()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("episodes: %w", err)
	}
	if s.schema >= len(ms) {
		return s, nil
	}
	s.Close()
	if w, err := Open(ctx, path, opts); err == nil {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	// Where it could not be migrated (a read-only file), it is read as it
	// is; a damaged one gives its error here.
	return open(ctx, path, opts, mode)
}

// openMode is how [open] opens the database.
type openMode int

const (
	modeReadWrite openMode = iota
	modeReadOnly           // mode=ro: reads, through the WAL index
	modeImmutable          // immutable=1: reads the file alone, no locks
)

func open(ctx context.Context, path string, opts Options, mode openMode) (*Store, error) {
	if path == "" {
		return nil, errors.New("episodes: open: empty database path")
	}
	if err := checkRegular(path); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	s := &Store{path: path, opts: opts, knownRuns: make(map[string]bool), mode: mode}

	var err error
	s.wdb, err = sql.Open("sqlite3", dsn(path, opts, mode, false))
	if err != nil {
		return nil, fmt.Errorf("episodes: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)

	if err := s.migrate(ctx); err != nil {
		s.wdb.Close()
		return nil, err
	}

	s.rdb, err = sql.Open("sqlite3", dsn(path, opts, mode, true))
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("episodes: open %s: %w", path, err)
	}
	// No cap on open readers: an Iter loop holds a connection while its
	// body may query again, so a cap could deadlock concurrent loops.
	s.rdb.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))

	s.live = newLiveSet()
	s.w, err = startWriter(ctx, s)
	if err != nil {
		s.rdb.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("episodes: open %s: %w", path, err)
	}
	return s, nil
}

// checkRegular refuses a database path, or a file SQLite keeps beside it,
// that exists and is not a regular file (a link to one is fine). SQLite
// would open a named pipe and wait for a writer for good, ignoring every
// signal that does not kill the process; a directory or a device gives a
// puzzling I/O error, or worse an empty database. A missing file is for
// the caller to create or refuse.
func checkRegular(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().IsRegular() {
			continue // the open reports what Stat could not see
		}
		what := "a special file"
		switch {
		case fi.IsDir():
			what = "a directory"
		case fi.Mode()&fs.ModeNamedPipe != 0:
			what = "a named pipe"
		case fi.Mode()&fs.ModeDevice != 0:
			what = "a device"
		case fi.Mode()&fs.ModeSocket != 0:
			what = "a socket"
		}
		if p != path {
			return fmt.Errorf("episodes: open %s: %s is not a regular file (%s); SQLite keeps its journal there: remove it", path, p, what)
		}
		return fmt.Errorf("episodes: open %s: not a regular file (%s); name an SQLite database file", path, what)
	}
	return nil
}

// Path returns the database file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close stops the writer after committing everything queued, then closes
// the database. It returns the writer's first error, if any, so a failed
// write is never silent. Calling Close again returns the same result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		errs := []error{s.w.close(), s.releaseAll()}
		if err := s.rdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("episodes: close %s: %w", s.path, err))
		}
		if err := s.wdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("episodes: close %s: %w", s.path, err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// dsn builds the go-sqlite3 data source name. The path goes through a file:
// URI so that characters such as '?' and '#' in it are not taken for
// parameters.
func dsn(path string, opts Options, mode openMode, readOnly bool) string {
	u := url.URL{Path: filepath.Clean(path)}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "1")
	switch mode {
	case modeReadOnly:
		q.Set("mode", "ro")
		readOnly = true
	case modeImmutable:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
		readOnly = true
	}
	if readOnly {
		// query_only makes a write through the read pool an error, not a
		// silent bypass of the single-writer rule.
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction
		// never fails half-way trying to upgrade a read lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. Their file
// names start with the version number, which must run 1, 2, 3...
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number and '_'", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate checks that the file is a spag database (or an empty one) and
// applies each missing migration once, in its own transaction together
// with the new PRAGMA user_version, so a crash leaves either the old or the
// new version, never half of one. Opening the same file from two processes
// at once is safe: the version is re-read inside the write transaction.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("episodes: %w", err)
	}
	latest := len(ms)

	// A read first, so that a file from a newer spag or of another
	// application is reported before anything is written to it.
	version, appID, tables, err := s.header(ctx, s.wdb)
	if err != nil {
		return s.openError(err)
	}
	if err := s.checkHeader(version, appID, tables, latest); err != nil {
		return err
	}
	s.schema = version
	if s.mode != modeReadWrite {
		return nil // OpenReadOnly decides what an older schema means
	}
	for _, m := range ms {
		if m.version <= version {
			continue
		}
		if err := s.apply(ctx, m, latest); err != nil {
			return err
		}
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// header reads the schema version, the application id and the number of
// schema objects in one statement, hence from one snapshot: read apart,
// they could straddle another process's migration.
func (s *Store) header(ctx context.Context, q querier) (version, appID, tables int, err error) {
	err = q.QueryRowContext(ctx, `SELECT
		(SELECT user_version FROM pragma_user_version),
		(SELECT application_id FROM pragma_application_id),
		(SELECT count(*) FROM sqlite_schema)`).Scan(&version, &appID, &tables)
	return
}

func (s *Store) checkHeader(version, appID, tables, latest int) error {
	if version > latest {
		return &SchemaError{Path: s.path, Version: version, Supported: latest}
	}
	if appID != 0 && appID != applicationID {
		return &kindError{kind: ErrCorrupt, msg: fmt.Sprintf(
			"episodes: %s is the SQLite database of another application (application_id %#x), not a spag store; choose another path",
			s.path, appID)}
	}
	if version == 0 && tables > 0 {
		return &kindError{kind: ErrCorrupt, msg: fmt.Sprintf(
			"episodes: %s is an SQLite database with tables but no spag schema; choose another path", s.path)}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m migration, latest int) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return s.openError(err)
	}
	defer tx.Rollback()
	version, appID, tables, err := s.header(ctx, tx)
	if err != nil {
		return s.openError(err)
	}
	if version >= m.version {
		return nil // another process applied it meanwhile
	}
	if err := s.checkHeader(version, appID, tables, latest); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("episodes: %s: migration %s: %w", s.path, m.name, err)
	}
	// PRAGMA takes no parameters; the version is an integer we control.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("episodes: %s: migration %s: %w", s.path, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return s.openError(fmt.Errorf("migration %s: %w", m.name, err))
	}
	return nil
}

// openError names the path and tells a damaged or foreign file apart from
// an unreachable one.
func (s *Store) openError(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt) {
		return &kindError{kind: ErrCorrupt, cause: err, msg: fmt.Sprintf(
			"episodes: %s is not a valid SQLite database or is damaged: %v", s.path, err)}
	}
	if errors.As(err, &se) && (se.Code == sqlite3.ErrCantOpen || se.Code == sqlite3.ErrReadonly || se.Code == sqlite3.ErrPerm) {
		return fmt.Errorf("episodes: cannot open %s for writing (check that its directory exists and is writable): %w", s.path, err)
	}
	return fmt.Errorf("episodes: open %s: %w", s.path, err)
}

// unixNano converts a time for storage; the zero time is NULL.
func unixNano(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// fromUnixNano is the inverse of unixNano; times come back in UTC.
func fromUnixNano(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// Check runs SQLite's full integrity check, which reads the whole file:
// Open only reads the header, so damage further in would otherwise show
// only when a query reaches it. It returns an error wrapping [ErrCorrupt]
// that lists the first problems found.
func (s *Store) Check(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx, "PRAGMA integrity_check(20)")
	if err != nil {
		return s.openError(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return s.openError(err)
		}
		if line == "ok" {
			continue
		}
		// A row may hold several lines, the first naming the database.
		for _, l := range strings.Split(line, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "*** in database") {
				problems = append(problems, l)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return s.openError(err)
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 3 {
			more = fmt.Sprintf("; and %d more", len(problems)-3)
			problems = problems[:3]
		}
		return &kindError{kind: ErrCorrupt, msg: fmt.Sprintf("episodes: %s is damaged: %s%s",
			s.path, strings.Join(problems, "; "), more)}
	}
	return nil
}
