//! WAL checkpoints on a thread of their own during bulk writes.
//!
//! SQLite's automatic checkpoint runs in the committing thread: after each
//! large import transaction the writer stopped to copy the whole WAL into
//! the database and wait for two fsyncs. Here a commit only wakes a
//! background thread, which checkpoints through its own connection while
//! the writer goes on writing.
//!
//! A checkpoint that runs while the writer writes can never empty the WAL
//! (there are always newer frames), and only an emptied WAL is reused from
//! its start. So the WAL is bounded: once a commit leaves it above
//! [`HARD_LIMIT_BYTES`], the writer itself checkpoints before going on
//! (after waiting for a background pass to end), as SQLite's own hook
//! would; the background thread has by then copied most of it, so the
//! writer only copies the rest. The WAL thus stays below the hard limit
//! plus one transaction (readers that hold an old snapshot for long can
//! keep any checkpoint from finishing; that is SQLite's rule, not ours).

use rusqlite::{Connection, OpenFlags, ffi};
use std::ffi::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// WAL size past which a commit wakes the background thread.
pub const SOFT_LIMIT_BYTES: u64 = 8 << 20;
/// WAL size past which the writer checkpoints itself before going on.
pub const HARD_LIMIT_BYTES: u64 = 256 << 20;
/// SQLite's default automatic checkpoint, restored when background
/// checkpoints stop.
const DEFAULT_AUTOCHECKPOINT_PAGES: c_int = 1000;

#[derive(Default)]
struct Wake {
    pending: bool,
    stop: bool,
}

struct Shared {
    wake: Mutex<Wake>,
    signal: Condvar,
    /// Held by whoever is checkpointing, so the writer's own checkpoint
    /// waits for a background pass instead of failing busy.
    checkpointing: Mutex<()>,
    soft_frames: c_int,
    hard_frames: c_int,
    /// Checkpoints the writer had to run itself (for tests and tuning).
    writer_checkpoints: std::sync::atomic::AtomicU64,
}

/// The background checkpointer of one writing connection; the [`Store`]
/// that owns it uninstalls it (see [`Checkpointer::stop`]) before its
/// connection closes.
///
/// [`Store`]: crate::Store
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Called by SQLite in the writing thread after each commit, with the
/// number of frames in the WAL.
unsafe extern "C" fn on_commit(
    ctx: *mut c_void,
    db: *mut ffi::sqlite3,
    name: *const c_char,
    frames: c_int,
) -> c_int {
    // SAFETY: `ctx` is the `Shared` the checkpointer keeps alive until it
    // uninstalls this hook.
    let shared = unsafe { &*(ctx as *const Shared) };
    if frames >= shared.hard_frames {
        let _turn = shared.checkpointing.lock().unwrap_or_else(|e| e.into_inner());
        shared.writer_checkpoints.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: called by SQLite on this connection, outside any
        // transaction, as its own automatic checkpoint is. A busy result
        // (a reader in the way) leaves the WAL for the next commit.
        unsafe {
            ffi::sqlite3_wal_checkpoint_v2(
                db,
                name,
                ffi::SQLITE_CHECKPOINT_PASSIVE,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
    } else if frames >= shared.soft_frames {
        let mut wake = shared.wake.lock().unwrap_or_else(|e| e.into_inner());
        wake.pending = true;
        shared.signal.notify_one();
    }
    ffi::SQLITE_OK
}

fn run(shared: &Shared, conn: &Connection) {
    loop {
        {
            let mut wake = shared.wake.lock().unwrap_or_else(|e| e.into_inner());
            while !wake.pending && !wake.stop {
                wake = shared.signal.wait(wake).unwrap_or_else(|e| e.into_inner());
            }
            if wake.stop {
                return;
            }
            wake.pending = false;
        }
        let _turn = shared.checkpointing.lock().unwrap_or_else(|e| e.into_inner());
        // Busy (a reader or another checkpoint in the way) is fine: the
        // next commit wakes us again.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

impl Checkpointer {
    /// Installs itself on `writer` (a connection to the database at
    /// `path`) and starts the background thread.
    pub(crate) fn start(writer: &Connection, path: &Path) -> crate::Result<Checkpointer> {
        Self::start_with(writer, path, SOFT_LIMIT_BYTES, HARD_LIMIT_BYTES)
    }

    /// [`Checkpointer::start`] with other limits (tests use small ones).
    pub(crate) fn start_with(
        writer: &Connection,
        path: &Path,
        soft_bytes: u64,
        hard_bytes: u64,
    ) -> crate::Result<Checkpointer> {
        let open_err = |source| crate::Error::Open { path: path.display().to_string(), source };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.execute_batch("PRAGMA busy_timeout = 10000;").map_err(open_err)?;
        let page_size: i64 = writer.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let frames =
            |bytes: u64| c_int::try_from(bytes / page_size.max(512) as u64).unwrap_or(c_int::MAX);
        let shared = Arc::new(Shared {
            wake: Mutex::default(),
            signal: Condvar::new(),
            checkpointing: Mutex::new(()),
            soft_frames: frames(soft_bytes),
            hard_frames: frames(hard_bytes),
            writer_checkpoints: Default::default(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("checkpoint".into())
                .spawn(move || run(&shared, &conn))
                .map_err(|e| {
                    crate::Error::Invalid(format!("cannot start checkpoint thread: {e}"))
                })?
        };
        // SAFETY: `shared` lives in this value, which uninstalls the hook
        // (in `stop`) before dropping it.
        unsafe {
            ffi::sqlite3_wal_hook(
                writer.handle(),
                Some(on_commit),
                Arc::as_ptr(&shared) as *mut c_void,
            );
        }
        Ok(Checkpointer { shared, thread: Some(thread) })
    }

    /// Checkpoints the writer ran itself because the WAL reached the hard
    /// limit.
    pub(crate) fn writer_checkpoints(&self) -> u64 {
        self.shared.writer_checkpoints.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Gives `writer` back SQLite's automatic checkpoints and ends the
    /// background thread (after its current pass).
    pub(crate) fn stop(mut self, writer: &Connection) {
        // SAFETY: replaces our hook with SQLite's default one; after this
        // SQLite holds no pointer to `shared`.
        unsafe { ffi::sqlite3_wal_autocheckpoint(writer.handle(), DEFAULT_AUTOCHECKPOINT_PAGES) };
        self.shared.wake.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        self.shared.signal.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    fn wal_bytes(dir: &std::path::Path) -> u64 {
        std::fs::metadata(dir.join("bluewhale.sqlite-wal")).map_or(0, |m| m.len())
    }

    /// Writes `n` transactions of about 1 MiB each.
    fn write(store: &Store, from: i64, n: i64) {
        let blob = vec![7u8; 4000];
        for t in from..from + n {
            let conn = store.connection();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            for i in 0..256 {
                conn.execute(
                    "INSERT INTO cdr (start_s, dedup, pbx_id, rec) VALUES (?1, ?2, 1, ?3)",
                    rusqlite::params![t * 1000 + i, i, blob],
                )
                .unwrap();
            }
            conn.execute_batch("COMMIT").unwrap();
        }
    }

    #[test]
    fn the_wal_stays_bounded_and_automatic_checkpoints_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let (soft, hard) = (1 << 20, 4 << 20);
        let c = super::Checkpointer::start_with(&store.conn, &store.path, soft, hard).unwrap();
        store.checkpointer = Some(c);
        let mut largest = 0;
        for round in 0..40 {
            write(&store, round, 1);
            largest = largest.max(wal_bytes(dir.path()));
        }
        // The hard limit, plus the transaction that crossed it (and its
        // B-tree pages).
        assert!(largest < hard + (3 << 20), "WAL reached {largest} bytes");
        assert!(store.stop_background_checkpoints() > 0, "the writer had to step in");
        let pages: i64 =
            store.connection().query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap();
        assert_eq!(pages, 1000);
        assert_eq!(store.cdr_count().unwrap(), 40 * 256);
    }

    #[test]
    fn only_other_connections_change_the_data_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.start_background_checkpoints().unwrap();
        let before = store.data_version().unwrap();
        write(&store, 0, 12);
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(store.data_version().unwrap(), before, "own commits and checkpoints");
        let other = Store::open(dir.path()).unwrap();
        write(&other, 100, 1);
        assert_ne!(store.data_version().unwrap(), before);
    }
}
