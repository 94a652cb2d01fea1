-- Rating: carriers, tariffs, dial plans, per-call charges and rollups.

-- Organisation-wide settings (reporting zone, dial plans, default carriers).
CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Where a site's calls go out and what they are compared with.
ALTER TABLE site ADD COLUMN carrier TEXT NOT NULL DEFAULT '';
ALTER TABLE site ADD COLUMN reference_carrier TEXT NOT NULL DEFAULT '';
-- A holiday calendar of the tariff book that applies to the site's calls.
ALTER TABLE site ADD COLUMN holidays TEXT NOT NULL DEFAULT '';

-- Numbers the organisation pays for when they are called (400/800-style
-- numbers): inbound calls to them are priced on `carrier`.
CREATE TABLE paid_number (
    number TEXT PRIMARY KEY,
    carrier TEXT NOT NULL
);

-- Carriers named by tariffs, trunks or sites: a stable small id for the
-- rollups, whatever the tariff book holds today.
CREATE TABLE carrier (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL DEFAULT ''  -- of its tariffs, once it has some
);

-- The tariff book as imported, in its own file format (TOML plus the CSV
-- prefix lists it names), so that it can be exported and reloaded exactly.
-- One row per file; `tariffs.toml` is the book.
CREATE TABLE tariff_file (
    name TEXT PRIMARY KEY,
    content BLOB NOT NULL
);

-- How each call was priced (packed, see `charge.rs`); NULL before rating.
ALTER TABLE cdr ADD COLUMN charge BLOB;

-- The day rollup: what the calls of each `cdr_owner` row add up to, per
-- call type and carrier (packed, see `rollup.rs`). `day` counts local days
-- in the organisation's reporting zone.
ALTER TABLE cdr_owner ADD COLUMN agg BLOB;

-- Which commits the month rollup includes: every `cdr_owner` row with
-- `seq` ≤ `months_seq`. Imports file day rows only; their sums are folded
-- into `rollup_month` in bulk (every few commits and at the end), and a
-- reader adds the rows not folded yet, found through the index on `seq`.
ALTER TABLE cdr_owner_seq ADD COLUMN months_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cdr_owner_by_seq ON cdr_owner(seq);

-- The month rollup: per local month (year × 12 + month − 1) and owner, the
-- same sums as `cdr_owner.agg`.
CREATE TABLE rollup_month (
    month INTEGER NOT NULL,
    department_id INTEGER NOT NULL,  -- 0: none
    extension_id INTEGER NOT NULL,
    agg BLOB NOT NULL,
    PRIMARY KEY (month, department_id, extension_id)
) WITHOUT ROWID;

-- What each discount or bundle scope has used in a month, so that calls
-- stored later in the month continue its volume tiers and bundles.
CREATE TABLE rating_usage (
    carrier TEXT NOT NULL,
    scope TEXT NOT NULL,             -- 'e:<extension id>' or 'd:<department id>'
    month INTEGER NOT NULL,
    usage BLOB NOT NULL,
    PRIMARY KEY (carrier, scope, month)
) WITHOUT ROWID;
