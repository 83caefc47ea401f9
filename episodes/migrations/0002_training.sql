-- Training runs and their per-step metrics, so a trained checkpoint can be
-- traced to its data and its learning curve read back.
CREATE TABLE trainings (
	id           TEXT    PRIMARY KEY,
	created_at   INTEGER NOT NULL,         -- Unix ns, UTC
	objective    TEXT    NOT NULL,
	config       TEXT    NOT NULL,         -- JSON, as given
	code_version TEXT    NOT NULL
) STRICT;

CREATE TABLE training_steps (
	training_id TEXT    NOT NULL REFERENCES trainings (id) ON DELETE CASCADE,
	step        INTEGER NOT NULL,
	metrics     TEXT    NOT NULL,          -- JSON object, at least step and loss
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (training_id, step)
) STRICT;
