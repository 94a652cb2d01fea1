-- Directory ----------------------------------------------------------------
CREATE TABLE site (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    country_code TEXT NOT NULL DEFAULT '',
    area_code TEXT NOT NULL DEFAULT ''
);

CREATE TABLE pbx (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL,
    site_id INTEGER REFERENCES site(id),
    time_zone TEXT
);

CREATE TABLE trunk (
    id INTEGER PRIMARY KEY,
    pbx_id INTEGER NOT NULL REFERENCES pbx(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    carrier TEXT NOT NULL DEFAULT '',
    UNIQUE (pbx_id, code)
);

CREATE TABLE department (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES department(id),
    name TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE
);

CREATE TABLE person (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department_id INTEGER REFERENCES department(id)
);

CREATE TABLE extension (
    id INTEGER PRIMARY KEY,
    site_id INTEGER REFERENCES site(id),
    number TEXT NOT NULL,
    person_id INTEGER REFERENCES person(id),
    department_id INTEGER REFERENCES department(id),
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    -- site_id 0 stands for "no site" so that the key is unique.
    site_key INTEGER NOT NULL,
    UNIQUE (site_key, number, valid_from)
);

-- Where records came from: files and streams, named once.
CREATE TABLE source (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Calls --------------------------------------------------------------------
-- Clustered on (start second, dedup key): calls arrive roughly in time
-- order, so inserts append to the B-tree instead of landing at random
-- pages, and the primary key is also the exact duplicate check. The row is
-- narrow on purpose (every bound column costs insert time): the fields
-- queries filter on are columns, everything else is packed in `rec`.
CREATE TABLE cdr (
    start_s INTEGER NOT NULL,
    dedup INTEGER NOT NULL,
    pbx_id INTEGER NOT NULL,
    extension_id INTEGER,
    department_id INTEGER,
    calling TEXT,
    dialled TEXT,
    rec BLOB NOT NULL,
    PRIMARY KEY (start_s, dedup)
) WITHOUT ROWID;

-- Which calls each extension made on each day: the keys of its calls,
-- written in bulk when a write transaction commits, one row per owner and
-- day for each commit (`seq` numbers the commit, from `cdr_owner_seq`), so
-- a commit only inserts and never rewrites a growing blob. It replaces a
-- secondary index, whose random-order inserts would cost more than the
-- call rows themselves; a query for one extension or department over a
-- period seeks once per day and reads that owner's rows of the day.
CREATE TABLE cdr_owner (
    day INTEGER NOT NULL,            -- start_s / 86400 (UTC days)
    department_id INTEGER NOT NULL,  -- 0: none
    extension_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,            -- the commit that wrote the row
    keys BLOB NOT NULL,              -- (start_s, dedup) pairs, 2 × 8 bytes little-endian
    PRIMARY KEY (day, department_id, extension_id, seq)
) WITHOUT ROWID;

-- The last commit number used in `cdr_owner` (one row).
CREATE TABLE cdr_owner_seq (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO cdr_owner_seq (id, seq) VALUES (1, 0);

-- Voice quality (Cisco CMR), attached to the leg it measures.
CREATE TABLE quality (
    global_call_id TEXT NOT NULL,
    leg_id TEXT NOT NULL,
    identity INTEGER NOT NULL,
    pbx_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    directory_number TEXT,
    device_name TEXT,
    packets_sent INTEGER,
    packets_received INTEGER,
    packets_lost INTEGER,
    jitter_ms INTEGER,
    latency_ms INTEGER,
    metrics TEXT,
    extras BLOB,                     -- other vendor fields, packed as in cdr.rec
    source_id INTEGER NOT NULL,
    source_pos INTEGER NOT NULL,
    PRIMARY KEY (global_call_id, leg_id, identity)
) WITHOUT ROWID;

-- Records that could not be stored, with their bytes and the reason.
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    pbx TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    header BLOB,
    raw_hash INTEGER NOT NULL,
    released_at INTEGER,
    UNIQUE (pbx, raw_hash, source, position)
);

-- One row per import run, for the record.
CREATE TABLE import_run (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    sources TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0
);
