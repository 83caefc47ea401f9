-- 0007: a run being imported is staged: its episodes are committed in
-- chunks, so that other writers are not locked out for the length of the
-- import, while readers leave the run and its episodes out; one short
-- transaction at the end clears the flag. An import that dies leaves a
-- staged run that the next import removes (see Store.ImportSPAGRun).
ALTER TABLE runs ADD COLUMN staging INTEGER NOT NULL DEFAULT 0;
