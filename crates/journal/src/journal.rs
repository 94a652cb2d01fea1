//! The journal: a directory of sources.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use crate::compress::Compressor;
use crate::error::{Error, Result};
use crate::files::sync_dir;
use crate::format::to_micros;
use crate::position::Position;
use crate::reader::{Entry, SourceReader};
use crate::recovery::{Recovered, load_source};
use crate::replay::EntriesBetween;
use crate::retention::{RetentionReport, enforce_on_source};
use crate::source::{NAME_FILE, SourceShared, directory_name, read_source_name};
use crate::writer::{SourceWriter, create_segment};

/// Suffix of a source directory being created (removed at open if a crash
/// left it half-made).
const STAGING_SUFFIX: &str = ".new";

/// How the journal rotates, compresses and keeps segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalConfig {
    /// A segment is closed once it holds this many bytes (default 64 MiB).
    pub max_segment_bytes: u64,
    /// ... or has been open this long, checked by
    /// [`SourceWriter::rotate_if_due`] (default 1 hour).
    pub max_segment_age: Duration,
    /// Closed segments are deleted once their newest entry is older than
    /// this and they are wholly consumed (default 90 days).
    pub retention: Duration,
    /// Compress closed segments with zstd in the background (default true).
    pub compress: bool,
}

impl Default for JournalConfig {
    fn default() -> JournalConfig {
        JournalConfig {
            max_segment_bytes: 64 << 20,
            max_segment_age: Duration::from_secs(3600),
            retention: Duration::from_secs(90 * 86_400),
            compress: true,
        }
    }
}

/// What the journal shares with its writers.
pub(crate) struct Inner {
    pub dir: PathBuf,
    pub config: JournalConfig,
    sources: RwLock<BTreeMap<String, Arc<SourceShared>>>,
    recovered: Vec<Recovered>,
    /// Declared last: dropped (and joined) after everything else.
    compressor: Option<Compressor>,
}

impl Inner {
    /// Queues a closed segment for compression, if the journal compresses.
    pub fn compress_later(&self, source: &Arc<SourceShared>, number: u64) {
        if let Some(compressor) = &self.compressor {
            compressor.submit(source, number);
        }
    }
}

/// The raw journal of every source. Cheap to clone; all clones share the
/// same sources, and every method may be called from any thread.
///
/// One process at a time may open a journal directory.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

impl Journal {
    /// Opens (creating it if needed) the journal in `dir` and recovers
    /// every source (see the crate documentation): torn tails of open
    /// segments are cut, half-done compressions are undone, and closed
    /// segments not yet compressed are queued.
    pub fn open(dir: &Path, config: JournalConfig) -> Result<Journal> {
        fs::create_dir_all(dir).map_err(Error::io(dir, "create journal directory"))?;
        let mut sources = BTreeMap::new();
        let mut recovered = Vec::new();
        let mut uncompressed = Vec::new();
        for source_dir in source_directories(dir)? {
            let loaded = load_source(&source_dir)?;
            let shared = Arc::new(loaded.shared);
            recovered.extend(loaded.recovered);
            uncompressed.extend(loaded.uncompressed.into_iter().map(|n| (Arc::clone(&shared), n)));
            sources.insert(shared.name.clone(), shared);
        }
        let compressor = config.compress.then(Compressor::start).transpose()?;
        let inner = Inner {
            dir: dir.to_path_buf(),
            config,
            sources: RwLock::new(sources),
            recovered,
            compressor,
        };
        for (source, number) in &uncompressed {
            inner.compress_later(source, *number);
        }
        Ok(Journal { inner: Arc::new(inner) })
    }

    /// Names of every source in the journal, sorted.
    pub fn sources(&self) -> Vec<String> {
        self.sources_read().keys().cloned().collect()
    }

    /// What recovery cut when the journal was opened, one item per source
    /// whose open segment ended with a torn or damaged entry.
    pub fn recovered(&self) -> &[Recovered] {
        &self.inner.recovered
    }

    /// The writer of `source`, creating the source on first use. Only one
    /// writer per source may live at a time.
    pub fn writer(&self, source: &str) -> Result<SourceWriter> {
        let shared = self.source_or_create(source)?;
        if !shared.claim_writer() {
            return Err(Error::WriterTaken(source.to_owned()));
        }
        SourceWriter::new(Arc::clone(&self.inner), Arc::clone(&shared)).inspect_err(|_| {
            shared.release_writer();
        })
    }

    /// A reader of `source` from `from` (clamped to [`Journal::start`], so
    /// `Position::BEGIN` reads everything still on disk).
    pub fn reader(&self, source: &str, from: Position) -> Result<SourceReader> {
        SourceReader::new(self.source(source)?, from)
    }

    /// Position after the last durable entry of `source`.
    pub fn end(&self, source: &str) -> Result<Position> {
        Ok(self.source(source)?.durable_end())
    }

    /// Position of the oldest entry of `source` still on disk.
    pub fn start(&self, source: &str) -> Result<Position> {
        Ok(self.source(source)?.start())
    }

    /// Records durably that everything before `upto` has been processed,
    /// which lets retention delete it. `upto` may not be past the durable
    /// end. Any position may be recorded, also an earlier one, but
    /// segments already deleted do not come back.
    pub fn mark_consumed(&self, source: &str, upto: Position) -> Result<()> {
        let shared = self.source(source)?;
        let end = shared.durable_end();
        if upto > end {
            return Err(Error::BeyondEnd { source_name: source.to_owned(), position: upto, end });
        }
        shared.set_consumed(upto)
    }

    /// The last position given to [`Journal::mark_consumed`]
    /// (`Position::BEGIN` if none).
    pub fn consumed(&self, source: &str) -> Result<Position> {
        Ok(self.source(source)?.consumed())
    }

    /// Deletes, oldest first, the closed segments whose newest entry was
    /// received more than `retention` before `now` and that lie wholly
    /// before the consumed position. Stops at the first segment of a source
    /// that must stay, so what remains is always contiguous.
    pub fn enforce_retention(&self, now: SystemTime) -> Result<RetentionReport> {
        let mut report = RetentionReport::default();
        let Some(cutoff) = now.checked_sub(self.inner.config.retention) else {
            return Ok(report);
        };
        let cutoff_us = to_micros(cutoff)?;
        for source in self.all_sources() {
            report.add(enforce_on_source(&source, cutoff_us)?);
        }
        Ok(report)
    }

    /// Bytes taken on disk by every file of the journal.
    pub fn disk_usage(&self) -> Result<u64> {
        let mut total = 0;
        for source_dir in source_directories(&self.inner.dir)? {
            total += directory_size(&source_dir)?;
        }
        Ok(total)
    }

    /// Entries of `source` received in `[from, to)`, in journal order.
    /// Only segments whose receive-time range (from their side index)
    /// overlaps the period are read.
    pub fn entries_between(
        &self,
        source: &str,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<impl Iterator<Item = Result<Entry>> + Send + use<>> {
        EntriesBetween::new(self.source(source)?, from, to)
    }

    /// Waits until the segments queued for compression are done; returns
    /// the errors of compressions that failed (those segments stay
    /// uncompressed and are queued again at the next open).
    pub fn wait_for_compression(&self) -> Vec<Error> {
        self.inner.compressor.as_ref().map_or_else(Vec::new, Compressor::wait_idle)
    }

    fn sources_read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<SourceShared>>> {
        self.inner.sources.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn all_sources(&self) -> Vec<Arc<SourceShared>> {
        self.sources_read().values().cloned().collect()
    }

    fn source(&self, name: &str) -> Result<Arc<SourceShared>> {
        self.sources_read().get(name).cloned().ok_or_else(|| Error::UnknownSource(name.to_owned()))
    }

    fn source_or_create(&self, name: &str) -> Result<Arc<SourceShared>> {
        if let Ok(source) = self.source(name) {
            return Ok(source);
        }
        let mut sources = self.inner.sources.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(source) = sources.get(name) {
            return Ok(Arc::clone(source));
        }
        let dir = create_source_directory(&self.inner.dir, name)?;
        let source = Arc::new(load_source(&dir)?.shared);
        sources.insert(name.to_owned(), Arc::clone(&source));
        Ok(source)
    }
}

/// Creates the directory of a new source with its name file and first
/// segment, atomically: everything is made in a staging directory renamed
/// into place, so a crash never leaves a source without its name.
fn create_source_directory(journal_dir: &Path, name: &str) -> Result<PathBuf> {
    let dir_name = directory_name(name)?;
    let dir = journal_dir.join(&dir_name);
    if dir.exists() {
        let existing = read_source_name(&dir)?;
        if existing != name {
            return Err(Error::SourceCollision { path: dir, existing, wanted: name.to_owned() });
        }
        return Ok(dir);
    }
    let staging = journal_dir.join(format!("{dir_name}{STAGING_SUFFIX}"));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(Error::io(&staging, "remove stale staging"))?;
    }
    fs::create_dir(&staging).map_err(Error::io(&staging, "create source directory"))?;
    crate::files::write_atomically(&staging.join(NAME_FILE), name.as_bytes(), true)?;
    create_segment(&staging, 1, to_micros(SystemTime::now())?)?;
    fs::rename(&staging, &dir).map_err(Error::io(&dir, "rename source directory into place"))?;
    sync_dir(journal_dir)?;
    Ok(dir)
}

/// The source directories of the journal; half-made ones are removed, and
/// directories without a source name file (not made by the journal, like
/// `lost+found` at the root of a file system) are left alone.
fn source_directories(journal_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(journal_dir).map_err(Error::io(journal_dir, "list"))? {
        let entry = entry.map_err(Error::io(journal_dir, "list"))?;
        let path = entry.path();
        if !entry.file_type().map_err(Error::io(&path, "stat"))?.is_dir() {
            continue;
        }
        if path.to_string_lossy().ends_with(STAGING_SUFFIX) {
            fs::remove_dir_all(&path).map_err(Error::io(&path, "remove half-made source"))?;
            continue;
        }
        if path.join(NAME_FILE).exists() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn directory_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir).map_err(Error::io(dir, "list"))? {
        let entry = entry.map_err(Error::io(dir, "list"))?;
        match entry.metadata() {
            Ok(meta) => total += meta.len(),
            // Removed meanwhile (compression, retention): counts nothing.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io(entry.path(), "stat")(err)),
        }
    }
    Ok(total)
}
