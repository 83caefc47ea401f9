-- Episodes in flight, so that another process (spag watch) can follow a
-- run turn by turn. Rows are best-effort progress, not data: a finished
-- episode's row is deleted in the transaction that stores the episode, and
-- rows left by a killed run are ignored once their episode is stored.
CREATE TABLE live_episodes (
	run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	subject    TEXT    NOT NULL,
	turns      TEXT    NOT NULL,           -- JSON array of turns so far
	updated_at INTEGER NOT NULL,           -- Unix ns, UTC
	PRIMARY KEY (run_id, idx)
) STRICT;
