-- Run leases: the process playing a run holds its lease, so that a second
-- process (a second --resume of the same run) is refused with the holder's
-- name instead of playing every missing game again. A lease left by a
-- process that died is taken over by the next one on the same host.
CREATE TABLE leases (
	run_id      TEXT    PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	host        TEXT    NOT NULL,          -- os.Hostname of the holder
	pid         INTEGER NOT NULL,
	started     INTEGER NOT NULL,          -- the holder's start time as the system records it (Linux: ticks since boot), 0 when unknown
	acquired_at INTEGER NOT NULL           -- Unix ns, UTC
) STRICT;
