-- The live server's tables, as in the embedded store (crates/store/migrations):
-- the same names and columns, in MySQL/MariaDB's types. The directory, tariffs
-- and rollups stay in the embedded store for now. MySQL commits each DDL
-- statement on its own, so every statement here can run again: a migration
-- cut short is completed by the next run.
-- Texts compare byte for byte (utf8mb4_bin), as in SQLite.

-- Where records came from: files and streams, named once.
CREATE TABLE IF NOT EXISTS source (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(700) NOT NULL,
    UNIQUE KEY source_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Calls. The primary key is the exact duplicate check: a call written twice
-- (a replayed batch) is skipped. The row is narrow on purpose: the fields
-- queries filter on are columns, everything else is packed in `rec` (and how
-- the call was priced in `charge`), in the same layouts as the embedded store.
CREATE TABLE IF NOT EXISTS cdr (
    start_s BIGINT NOT NULL,
    dedup BIGINT NOT NULL,
    pbx_id BIGINT NOT NULL,
    extension_id BIGINT,
    department_id BIGINT,
    calling TEXT,
    dialled TEXT,
    rec MEDIUMBLOB NOT NULL,
    charge MEDIUMBLOB,
    PRIMARY KEY (start_s, dedup)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Records that could not be stored, with their bytes and the reason. The
-- same bytes from the same place are kept once; InnoDB keys hold at most
-- 3072 bytes, so the place is compared on its first 100 (PBX) and 500
-- (source) characters.
CREATE TABLE IF NOT EXISTS quarantine (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    pbx TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    position BIGINT NOT NULL,
    is_offset BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    raw MEDIUMBLOB NOT NULL,
    header MEDIUMBLOB,
    raw_hash BIGINT NOT NULL,
    released_at BIGINT,
    UNIQUE KEY quarantine_place (raw_hash, position, pbx(100), source(500))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- How far the live server has read each PBX's raw journal: the position
-- after the last journal entry whose records are all stored, written in the
-- same transaction as those records.
CREATE TABLE IF NOT EXISTS journal_position (
    source VARCHAR(700) NOT NULL PRIMARY KEY,
    segment BIGINT NOT NULL,
    `offset` BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
