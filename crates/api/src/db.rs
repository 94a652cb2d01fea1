//! Connections to the embedded store for the API's handlers. SQLite is
//! blocking, so every use runs on tokio's blocking pool; connections are
//! kept for reuse (opening one checks the schema and sets pragmas). WAL
//! lets them read while the pipeline's writer writes; a write of theirs
//! waits (`busy_timeout`) for the writer's transaction to end.

use crate::error::{ApiError, ApiResult};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use store::Store;

/// Connections kept idle at most.
const KEPT: usize = 4;
/// Page cache per connection, KiB: handlers read little at a time, and the
/// pipeline's writer has its own large one.
const CACHE_KIB: u32 = 8192;

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl Db {
    pub fn new(data_dir: &Path) -> Db {
        Db {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_path_buf(),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    fn take(&self) -> ApiResult<Store> {
        if let Some(store) = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(store);
        }
        let store = Store::open(&self.inner.data_dir)?;
        store
            .connection()
            .execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}"))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(store)
    }

    fn give_back(&self, store: Store) {
        if let Ok(mut idle) = self.inner.idle.lock()
            && idle.len() < KEPT
        {
            idle.push(store);
        }
    }

    /// Runs `f` with a connection, off the async threads.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let store = db.take()?;
            let result = f(&store);
            db.give_back(store);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("a database task failed: {e}")))?
    }
}
