-- A logical call's key is its first leg's, so its first leg is found by
-- its own primary key: the index by call holds only the other legs. Most
-- logical calls are of two or three legs; this is one entry fewer to
-- write for each, in the transaction that stores the calls.
DROP INDEX call_leg_by_call;
CREATE INDEX call_leg_by_call ON call_leg(call_start_s, call_dedup)
    WHERE start_s != call_start_s OR dedup != call_dedup;
