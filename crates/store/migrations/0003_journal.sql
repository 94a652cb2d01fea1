-- How far the live server has read each PBX's raw journal: the position
-- after the last journal entry whose records are all stored. Written in
-- the same transaction as those records, so a restart resumes exactly
-- where the store ends (nothing stored twice, nothing skipped).
CREATE TABLE journal_position (
    source TEXT PRIMARY KEY,
    segment INTEGER NOT NULL,
    offset INTEGER NOT NULL
) WITHOUT ROWID;
