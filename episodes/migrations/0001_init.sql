-- 0001: the initial schema of the episodes store.
--
-- Conventions: times are Unix nanoseconds in UTC (NULL when unknown); seeds
-- are the bits of a uint64 stored as a signed INTEGER; JSON columns hold
-- compact JSON text. Tables are STRICT so a wrong type is an error rather
-- than silently stored.

-- "spag" in ASCII: marks the file as a spag episodes store.
PRAGMA application_id = 1936744807;

-- A run is one invocation that plays a list of episodes with one
-- configuration; everything needed to trace a number back to its cause.
CREATE TABLE runs (
	id           TEXT    PRIMARY KEY,
	created_at   INTEGER NOT NULL,
	game         TEXT    NOT NULL,
	judge        TEXT    NOT NULL,          -- name@version
	seed         INTEGER NOT NULL,
	max_turns    INTEGER NOT NULL,
	players      TEXT    NOT NULL,          -- JSON {role: player spec}
	config       TEXT,                      -- JSON, opaque to the store
	code_version TEXT    NOT NULL,
	subjects     TEXT    NOT NULL,          -- JSON [subject of episode 0, ...]
	shard        TEXT    NOT NULL,          -- "i/n", empty when unsharded
	total        INTEGER NOT NULL
) STRICT;

CREATE INDEX runs_by_created ON runs (created_at, id);

-- One row per played (or failed) episode; the verdict columns hold the
-- verdict of the run's own judge.
CREATE TABLE episodes (
	id             INTEGER PRIMARY KEY,
	run_id         TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx            INTEGER NOT NULL,
	subject        TEXT    NOT NULL,
	seed           INTEGER NOT NULL,
	outcome        TEXT    NOT NULL,
	decided_at     INTEGER NOT NULL,
	rule           TEXT    NOT NULL,
	evidence_turn  INTEGER NOT NULL,
	evidence_start INTEGER NOT NULL,
	evidence_end   INTEGER NOT NULL,
	evidence_text  TEXT    NOT NULL,
	judge          TEXT    NOT NULL,        -- name@version
	err            TEXT    NOT NULL,        -- empty unless the episode failed
	started_at     INTEGER,
	finished_at    INTEGER,
	extra          TEXT,                    -- JSON object of imported keys without a column
	UNIQUE (run_id, idx)
) STRICT;

CREATE INDEX episodes_by_outcome ON episodes (outcome, run_id, idx);
CREATE INDEX episodes_by_subject ON episodes (subject, run_id, idx);
-- Failed episodes are few; a partial index finds them without costing
-- every insert.
CREATE INDEX episodes_errored ON episodes (run_id, idx) WHERE err <> '';

CREATE TABLE turns (
	episode_id    INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
	n             INTEGER NOT NULL,         -- 1-based utterance number
	player        INTEGER NOT NULL,
	role          TEXT    NOT NULL,
	text          TEXT    NOT NULL,
	thinking      TEXT    NOT NULL,
	prompt_tokens INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	latency_ns    INTEGER NOT NULL,
	logprobs      TEXT,                     -- JSON [{token, logprob, top}], NULL when none
	extra         TEXT,                     -- JSON object of imported keys without a column
	PRIMARY KEY (episode_id, n)
) STRICT;

-- Verdicts given to stored episodes by other judges or judge versions, so
-- that a rule change can be measured on the same episodes.
CREATE TABLE verdicts (
	episode_id     INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
	judge          TEXT    NOT NULL,        -- name
	version        TEXT    NOT NULL,        -- empty when the judge had none
	outcome        TEXT    NOT NULL,
	decided_at     INTEGER NOT NULL,
	rule           TEXT    NOT NULL,
	evidence_turn  INTEGER NOT NULL,
	evidence_start INTEGER NOT NULL,
	evidence_end   INTEGER NOT NULL,
	evidence_text  TEXT    NOT NULL,
	created_at     INTEGER NOT NULL,
	PRIMARY KEY (episode_id, judge, version)
) STRICT;

CREATE INDEX verdicts_by_judge ON verdicts (judge, version, episode_id);
