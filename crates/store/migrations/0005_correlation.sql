-- Correlation: what each stored call is as a leg of a logical call (a
-- transfer's, a forward's, a conference's…), who pays for it and whether
-- it is the leg the call is counted by. A call with no row here is a call
-- of its own, paid by its owner and counted. The rollups follow the row:
-- writing one moves the leg's sums from what was in force to it.
CREATE TABLE call_leg (
    start_s INTEGER NOT NULL,
    dedup INTEGER NOT NULL,
    -- The logical call: the key of its first leg.
    call_start_s INTEGER NOT NULL,
    call_dedup INTEGER NOT NULL,
    part TEXT NOT NULL,
    features TEXT NOT NULL,             -- the call's, comma-separated
    payer_extension_id INTEGER,          -- NULL: nobody pays
    payer_department_id INTEGER,
    counted INTEGER NOT NULL,            -- 0 or 1
    reason TEXT NOT NULL,
    PRIMARY KEY (start_s, dedup)
) WITHOUT ROWID;
CREATE INDEX call_leg_by_call ON call_leg(call_start_s, call_dedup);
