//! The embedded store: one SQLite database (WAL) holding the directory, the
//! calls, their quality records and the quarantine.
//!
//! Writes go through [`Batch`], one transaction per batch of records; the
//! clustered primary key `(start_s, dedup)` doubles as the exact duplicate
//! check behind the pipeline's Bloom filter.

pub mod accounts;
pub mod backup;
mod batch;
mod call_leg;
mod carriers;
mod charge;
mod checkpoint;
mod codec;
pub mod days;
mod directory;
pub mod directory_edit;
mod journal_position;
pub use directory::LoadSummary;
mod migrate;
mod money;
mod months;
mod quarantine;
mod query;
mod raw;
mod recent_calls;
mod rewrite;
mod rollup;
mod row;
pub mod settings;
mod settle;

pub use batch::{Batch, Insert, Moved};
pub use call_leg::LegBilling;
pub use call_leg::LegDetail;
pub use charge::{Charge, ChargeStatus, PriceTrace};
pub use money::{AMOUNT_DECIMALS, Amount};
pub use quarantine::{QuarantineEntry, QuarantineItem};
pub use query::{CdrQuery, QualityRow, StoredCall};
pub use rewrite::{DayRewrite, Recharge, RewriteOutcome, RowChange};
pub use rollup::{Agg, Bucket, Sums};
pub use row::{CallRecord, CdrRow, UNCLASSIFIED, call_id, parse_call_id, utc_month_of_day};
pub use settle::SETTLE_AFTER_SEQ;

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(
        "database schema version {found} is newer than this program knows ({known}); upgrade bluewhale"
    )]
    TooNew { found: i64, known: i64 },
    #[error("{0}")]
    Invalid(String),
    /// A unique name or key already in use.
    #[error("{0}")]
    Conflict(String),
    /// SQLite could not write the database, its WAL or a temporary file
    /// because the file system holding them is full (`SQLITE_FULL`, which
    /// SQLite reports without naming a file). The statement failed, and a
    /// [`Batch`] dropped without commit rolls back: what was committed
    /// before is intact, nothing of the failed batch is kept.
    #[error("database {path}: cannot write: the disk is full (no space left on device): {source}")]
    DiskFull { path: String, source: rusqlite::Error },
}

impl Error {
    /// A full disk said as such, with the file of `conn`'s database;
    /// other errors unchanged.
    pub(crate) fn naming_full_disk(self, conn: &Connection) -> Error {
        match self {
            Error::Sql(source)
                if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) =>
            {
                let path = conn.path().unwrap_or("(in memory)").to_string();
                Error::DiskFull { path, source }
            }
            other => other,
        }
    }
}

/// The database file inside a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("bluewhale.sqlite")
}

pub use checkpoint::{
    HARD_LIMIT_BYTES as WAL_HARD_LIMIT_BYTES, SOFT_LIMIT_BYTES as WAL_SOFT_LIMIT_BYTES,
};

/// Page size of new databases. Calls are appended in key order, so pages
/// fill front to back: large pages mean fewer page splits, fewer B-tree
/// levels and fewer WAL frames per call (measured: a 64 KiB page stores
/// calls about a quarter faster than 8 KiB).
const PAGE_SIZE: u32 = 65_536;

/// Page cache of a connection, in KiB. A bulk import needs the right
/// edge of the `cdr` B-tree and the day's `cdr_owner` rows cached (tens of
/// MiB); more only holds pages already written (a transaction larger than
/// the cache spills to the WAL early, which costs nothing extra in WAL
/// mode) and is resident memory.
const CACHE_KIB: u32 = 65_536;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    checkpointer: Option<checkpoint::Checkpointer>,
    /// Month sums of this connection's commits not folded yet.
    months: std::cell::RefCell<months::MonthBuffer>,
    /// Buffers reused by this connection's write transactions.
    scratch: std::cell::RefCell<batch::Scratch>,
}

impl Drop for Store {
    fn drop(&mut self) {
        if !self.months.borrow().seqs.is_empty() {
            // Failing here loses nothing: readers add the unfolded rows,
            // and the next fold reads them back.
            let _ = self.fold_months();
        }
        self.stop_background_checkpoints();
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and upgrades its
    /// schema to this program's version.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::Invalid(format!("cannot create data directory {}: {e}", data_dir.display()))
        })?;
        let path = database_path(data_dir);
        let open_err = |source| Error::Open { path: path.display().to_string(), source };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        // Larger pages hold more of a day's index per page (fewer splits);
        // only effective on a new database.
        conn.execute_batch(&format!(
            "PRAGMA page_size = {PAGE_SIZE};
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -{CACHE_KIB};
             PRAGMA foreign_keys = OFF;
             PRAGMA busy_timeout = 10000;"
        ))
        .map_err(open_err)?;
        rollup::register_functions(&conn).map_err(open_err)?;
        migrate::upgrade(&conn)?;
        // Writes of the tariff book on this connection bump the reference
        // generation, whoever makes them (see `settings`).
        settings::watch_tariff_files(&conn).map_err(open_err)?;
        Ok(Store {
            conn,
            path,
            checkpointer: None,
            months: Default::default(),
            scratch: Default::default(),
        })
    }

    /// Moves WAL checkpoints off this connection to a background thread,
    /// for a bulk write (see `checkpoint`): commits no longer stop to copy
    /// the WAL into the database, and the WAL stays bounded. Until
    /// [`Store::stop_background_checkpoints`] (or drop).
    pub fn start_background_checkpoints(&mut self) -> Result<()> {
        if self.checkpointer.is_none() {
            self.checkpointer = Some(checkpoint::Checkpointer::start(&self.conn, &self.path)?);
        }
        Ok(())
    }

    /// Gives this connection back SQLite's automatic checkpoints. Returns
    /// how many times the writer had to checkpoint itself because the WAL
    /// reached its hard limit.
    pub fn stop_background_checkpoints(&mut self) -> u64 {
        match self.checkpointer.take() {
            Some(c) => {
                let n = c.writer_checkpoints();
                c.stop(&self.conn);
                n
            }
            None => 0,
        }
    }

    /// Changes when another connection (another process) commits to the
    /// database; this connection's own commits leave it alone. Read it
    /// inside a transaction to know whether what was cached about the
    /// database since the last reading still holds.
    pub fn data_version(&self) -> Result<i64> {
        data_version(&self.conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the few callers (tests, tools) that need SQL.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Schema version the database is at.
    pub fn schema_version(&self) -> Result<i64> {
        migrate::version(&self.conn)
    }

    /// Id of a named source (file path, stream), created on first use.
    pub fn source_id(&self, name: &str) -> Result<i64> {
        source_id(&self.conn, name)
    }

    pub fn source_name(&self, id: i64) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT name FROM source WHERE id = ?1", [id], |r| r.get(0))
            .optional()?)
    }

    /// Number of stored calls.
    pub fn cdr_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM cdr", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Starts a write transaction for a batch of records.
    /// Brings the month rollups up to date (see `months`): imports call
    /// it when they end; it is also done, best effort, when the store is
    /// dropped.
    pub fn fold_months(&mut self) -> Result<()> {
        let mut fold = || -> Result<()> {
            let behavior = rusqlite::TransactionBehavior::Immediate;
            let tx = self.conn.transaction_with_behavior(behavior)?;
            months::fold(&tx, &mut self.months.borrow_mut())?;
            tx.commit()?;
            Ok(())
        };
        fold().map_err(|e| e.naming_full_disk(&self.conn))
    }

    pub fn batch(&mut self) -> Result<Batch<'_>> {
        Batch::begin(&self.conn, &self.months, &self.scratch)
    }

    /// Records an import run; returns its id.
    pub fn start_import_run(&self, sources: &str, started_at: i64) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO import_run(started_at, sources) VALUES (?1, ?2)",
            rusqlite::params![started_at, sources],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_import_run(&self, id: i64, finished_at: i64, counts: [u64; 4]) -> Result<()> {
        self.conn.execute(
            "UPDATE import_run SET finished_at = ?2, records = ?3, stored = ?4, duplicates = ?5,
             quarantined = ?6 WHERE id = ?1",
            rusqlite::params![
                id,
                finished_at,
                counts[0] as i64,
                counts[1] as i64,
                counts[2] as i64,
                counts[3] as i64
            ],
        )?;
        Ok(())
    }
}

fn dedup_keys_of_day(conn: &Connection, day: i64, each: &mut dyn FnMut(i64, i64)) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("SELECT start_s, dedup FROM cdr WHERE start_s >= ?1 AND start_s < ?2")?;
    let mut rows = stmt.query([day * 86_400, (day + 1) * 86_400])?;
    while let Some(r) = rows.next()? {
        each(r.get(0)?, r.get(1)?);
    }
    Ok(())
}

fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

fn source_id(conn: &Connection, name: &str) -> Result<i64> {
    conn.execute("INSERT OR IGNORE INTO source(name) VALUES (?1)", [name])?;
    Ok(conn.query_row("SELECT id FROM source WHERE name = ?1", [name], |r| r.get(0))?)
}
