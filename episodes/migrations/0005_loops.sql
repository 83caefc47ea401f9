-- Loops of self-play rounds (spag iterate): each round's stage and what it
-- made, so that a killed loop resumes at the stage it was in.
CREATE TABLE loops (
	id           TEXT    PRIMARY KEY,
	created_at   INTEGER NOT NULL,         -- Unix ns, UTC
	config       TEXT    NOT NULL,         -- JSON, as given
	code_version TEXT    NOT NULL
) STRICT;

CREATE TABLE loop_rounds (
	loop_id    TEXT    NOT NULL REFERENCES loops (id) ON DELETE CASCADE,
	round      INTEGER NOT NULL,           -- from 1
	stage      TEXT    NOT NULL,           -- the next stage to run
	state      TEXT    NOT NULL,           -- JSON: runs, files, results
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (loop_id, round)
) STRICT;
