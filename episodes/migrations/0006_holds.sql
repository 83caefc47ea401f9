-- Leases of loops and of training outputs, as runs have theirs (leases):
-- the process running a loop (spag iterate) or training into a checkpoint
-- (spag train --out) holds one, so that a second --resume is refused with
-- the holder's name instead of running the same rounds or writing the same
-- file again. A lease left by a process that died is taken over by the
-- next one on the same host. No foreign key: an output is a file.
CREATE TABLE holds (
	kind        TEXT    NOT NULL,          -- loop or output
	key         TEXT    NOT NULL,          -- the loop's ID, the output's absolute path
	host        TEXT    NOT NULL,
	pid         INTEGER NOT NULL,
	started     INTEGER NOT NULL,          -- as in leases
	acquired_at INTEGER NOT NULL,          -- Unix ns, UTC
	PRIMARY KEY (kind, key)
) STRICT;
