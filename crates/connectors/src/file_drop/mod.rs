//! The file-drop connector: PBXs (Cisco UCM's CDR Repository Manager,
//! Asterisk, anything that writes CDR files) put files into a directory;
//! each file is read as one connection and moved to `done/` once all its
//! records are durable in the journal.
//!
//! - A file is taken once its size and modification time have not changed
//!   for the settle time (`scan`), oldest first; dotted names (uploads in
//!   progress, the connector's own `.bluewhale/`) and names not matching
//!   the pattern are left alone.
//! - Its records are handed on a chunk at a time (`send`) and the offset
//!   durably handed on is kept in `.bluewhale/file-drop.toml`
//!   (`progress`), so that after a crash or a stop a large file continues
//!   where it was, not from its start. The pipeline deduplicates, so the
//!   chunks in flight at a crash being sent again costs nothing.
//! - When a file is resumed mid-file its first records (`replay_lines`,
//!   two by default) are sent again first: some formats can only be read
//!   after their header (a CUCM file's column names and type line), and
//!   the resumed part is a new connection with a new parser. For formats
//!   without a header those are records already stored, which the
//!   pipeline counts as duplicates.
//! - `done/` never has a file replaced (`done`); a file that cannot be
//!   read stays where it is, is reported, and is tried again later.

mod done;
#[cfg(feature = "ftp")]
pub mod ftp;
mod progress;
mod scan;
mod send;

use crate::feed::Feed;
use glob::Pattern;
use progress::{Progress, ProgressFile};
use scan::{Candidate, Settling};
use send::{Outcome, Reading};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a file must stay unchanged before it is read.
pub const SETTLE: Duration = Duration::from_secs(2);
/// How often the directory is listed.
pub const POLL: Duration = Duration::from_secs(1);
/// How long a file that could not be read or moved waits before it is
/// tried again.
pub const RETRY: Duration = Duration::from_secs(30);
/// Bytes read from a file at a time.
pub const CHUNK: usize = 1024 * 1024;
/// Leading records sent again when a file is resumed mid-file.
pub const REPLAY_LINES: usize = 2;

/// A drop directory checked and ready to be served.
#[derive(Debug)]
pub struct Prepared {
    dir: PathBuf,
    done: PathBuf,
    pattern: Option<Pattern>,
    progress_file: ProgressFile,
    progress: Option<Progress>,
    /// Why recorded progress was ignored, reported once serving.
    progress_warning: Option<String>,
    settle: Duration,
    poll: Duration,
    retry: Duration,
    chunk: usize,
    replay_lines: usize,
}

impl Prepared {
    /// The drop directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Replaces [`SETTLE`].
    pub fn with_settle(mut self, settle: Duration) -> Prepared {
        self.settle = settle;
        self
    }

    /// Replaces [`POLL`].
    pub fn with_poll(mut self, poll: Duration) -> Prepared {
        self.poll = poll;
        self
    }

    /// Replaces [`RETRY`].
    pub fn with_retry(mut self, retry: Duration) -> Prepared {
        self.retry = retry;
        self
    }

    /// Replaces [`CHUNK`].
    pub fn with_chunk(mut self, chunk: usize) -> Prepared {
        self.chunk = chunk.max(1);
        self
    }

    /// Replaces [`REPLAY_LINES`] (0: send nothing again).
    pub fn with_replay_lines(mut self, lines: usize) -> Prepared {
        self.replay_lines = lines;
        self
    }
}

/// Checks the drop directory, creating it and its `done/` and
/// `.bluewhale/` subdirectories if need be, and reads the progress left by
/// a previous run. Errors name the path.
pub async fn prepare(dir: &Path, pattern: Option<&str>) -> Result<Prepared, String> {
    let pattern = pattern
        .map(|p| Pattern::new(p).map_err(|e| format!("file drop pattern {p:?}: {e}")))
        .transpose()?;
    let dir = dir.to_path_buf();
    blocking(move || prepare_directories(dir, pattern)).await?
}

fn prepare_directories(dir: PathBuf, pattern: Option<Pattern>) -> Result<Prepared, String> {
    let named =
        |path: &Path, e: std::io::Error| format!("file drop directory {}: {e}", path.display());
    std::fs::create_dir_all(&dir).map_err(|e| named(&dir, e))?;
    let meta = std::fs::metadata(&dir).map_err(|e| named(&dir, e))?;
    if !meta.is_dir() {
        return Err(format!("file drop directory {}: not a directory", dir.display()));
    }
    let done = dir.join("done");
    let state_dir = dir.join(".bluewhale");
    for sub in [&done, &state_dir] {
        std::fs::create_dir_all(sub).map_err(|e| named(sub, e))?;
    }
    probe_writable(&dir, &done, &state_dir)?;
    let progress_file = ProgressFile::new(&state_dir);
    let (progress, progress_warning) = match progress_file.load() {
        Ok(progress) => (progress, None),
        Err(e) => (None, Some(format!("progress ignored, the file in hand starts over: {e}"))),
    };
    Ok(Prepared {
        dir,
        done,
        pattern,
        progress_file,
        progress,
        progress_warning,
        settle: SETTLE,
        poll: POLL,
        retry: RETRY,
        chunk: CHUNK,
        replay_lines: REPLAY_LINES,
    })
}

/// Fails at start, naming the directory, rather than on every file: the
/// state directory, the drop directory and `done/` must all be writable
/// (a probe file is created in the first and moved through the others).
fn probe_writable(dir: &Path, done: &Path, state_dir: &Path) -> Result<(), String> {
    const PROBE: &str = ".bluewhale-probe";
    let steps = [state_dir.join(PROBE), dir.join(PROBE), done.join(PROBE)];
    std::fs::write(&steps[0], b"")
        .map_err(|e| format!("file drop directory {} is not writable: {e}", state_dir.display()))?;
    for pair in steps.windows(2) {
        if let Err(e) = std::fs::rename(&pair[0], &pair[1]) {
            let _ = std::fs::remove_file(&pair[0]);
            let into = pair[1].parent().unwrap_or(dir);
            return Err(format!("file drop directory {} is not writable: {e}", into.display()));
        }
    }
    std::fs::remove_file(&steps[2])
        .map_err(|e| format!("file drop directory {} is not writable: {e}", done.display()))
}

/// Reads the files dropped into the directory until the server stops.
pub async fn serve(prepared: Prepared, feed: Feed) {
    let Prepared {
        dir,
        done,
        pattern,
        progress_file,
        mut progress,
        progress_warning,
        settle,
        poll,
        retry,
        chunk,
        replay_lines,
    } = prepared;
    let state = &feed.state;
    if let Some(warning) = progress_warning {
        state.error(warning);
    }
    let reading = Reading { feed: &feed, progress_file: &progress_file, chunk, replay_lines };
    let mut stop = feed.stop.clone();
    let mut settling = Settling::new(settle);
    // Files that could not be read or moved, and when to try again.
    let mut retry_at: HashMap<OsString, Instant> = HashMap::new();
    let mut scan_error: Option<String> = None;
    loop {
        if feed.stopping() {
            break;
        }
        let listed = {
            let (dir, pattern) = (dir.clone(), pattern.clone());
            blocking(move || scan::list(&dir, pattern.as_ref())).await.and_then(|r| r)
        };
        match listed {
            Err(e) => {
                // Reported when it starts, not on every poll.
                if scan_error.as_ref() != Some(&e) {
                    state.error(format!("cannot list the drop directory: {e}"));
                    scan_error = Some(e);
                }
            }
            Ok(listing) => {
                scan_error = None;
                let now = Instant::now();
                let present: HashSet<&OsString> = listing.iter().map(|f| &f.name).collect();
                retry_at.retain(|name, at| *at > now && present.contains(name));
                let ready = settling.update(listing, now);
                if let Some(file) = choose(ready, progress.as_ref(), &retry_at) {
                    match send::send_file(&reading, &file, &mut progress).await {
                        Outcome::Finished => {
                            let (path, done, name) =
                                (file.path.clone(), done.clone(), file.name.clone());
                            let moved =
                                blocking(move || done::move_to_done(&path, &done, &name)).await;
                            match moved.and_then(|r| r) {
                                Ok(_) => {
                                    settling.restart(&file.name);
                                    progress = None;
                                    let forget = progress_file.clone();
                                    let cleared =
                                        blocking(move || forget.clear()).await.and_then(|r| r);
                                    if let Err(e) = cleared {
                                        state.error(format!("cannot clear progress: {e}"));
                                    }
                                }
                                Err(e) => {
                                    state.error(e);
                                    retry_at.insert(file.name, Instant::now() + retry);
                                }
                            }
                        }
                        Outcome::Changed => settling.restart(&file.name),
                        Outcome::Failed(e) => {
                            state.error(e);
                            retry_at.insert(file.name, Instant::now() + retry);
                        }
                        Outcome::Stopped => break,
                    }
                    // Another file may be ready already.
                    continue;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
}

/// The next file to read: the one with recorded progress if it is ready
/// (so that another file does not replace its progress), else the oldest
/// ready one not waiting to be retried.
fn choose(
    ready: Vec<Candidate>,
    progress: Option<&Progress>,
    retry_at: &HashMap<OsString, Instant>,
) -> Option<Candidate> {
    let mut oldest = None;
    for file in ready.into_iter().filter(|f| !retry_at.contains_key(&f.name)) {
        if progress.is_some_and(|p| p.file == file.identity()) {
            return Some(file);
        }
        if oldest.is_none() {
            oldest = Some(file);
        }
    }
    oldest
}

/// Runs blocking file system work off the runtime's worker threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f).await.map_err(|e| format!("file drop task failed: {e}"))
}
