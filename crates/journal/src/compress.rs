//! Background compression of closed segments.
//!
//! One thread per journal takes closed segments from a queue and, for each:
//! compresses `N.seg` into `N.seg.zst.tmp`, fsyncs it, renames it to
//! `N.seg.zst`, fsyncs the directory, then removes `N.seg`. A crash at any
//! step leaves a state recovery repairs (a `.tmp` is removed; a `.seg` next
//! to a `.seg.zst` wins). Readers that have the `.seg` open keep reading
//! it after its removal (the file lives on while open); readers that open
//! the segment later find the `.zst`. Appends never wait for this thread.

use std::fs::{self, File};
use std::io::{self, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::files::{SegmentFile, segment_path, sync_dir, tmp_path};
use crate::source::SourceShared;

/// zstd level: the fastest, because compression shares the cores with the
/// whole pipeline (at level 3 it took about 7 % of the server's CPU); CDR
/// text still compresses well at it.
const ZSTD_LEVEL: i32 = 1;

struct Job {
    source: Arc<SourceShared>,
    number: u64,
}

/// Jobs submitted and not yet done, and errors of those that failed.
#[derive(Default)]
struct Progress {
    pending: usize,
    errors: Vec<Error>,
}

#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    idle: Condvar,
    stop: AtomicBool,
}

/// The compression thread and its queue. Dropping it lets the segment being
/// compressed finish, leaves the rest (recovery queues them again at the
/// next open) and joins the thread.
pub(crate) struct Compressor {
    queue: Option<Sender<Job>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Compressor {
    pub fn start() -> Result<Compressor> {
        let (queue, jobs) = channel();
        let shared = Arc::new(Shared::default());
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("journal-compress".to_owned())
            .spawn(move || run(&jobs, &worker_shared))
            .map_err(Error::io("journal-compress", "spawn thread"))?;
        Ok(Compressor { queue: Some(queue), shared, thread: Some(thread) })
    }

    pub fn submit(&self, source: &Arc<SourceShared>, number: u64) {
        let Some(queue) = &self.queue else { return };
        self.progress().pending += 1;
        let job = Job { source: Arc::clone(source), number };
        if queue.send(job).is_err() {
            // The thread is gone; the segment stays uncompressed until the
            // next open queues it again.
            self.progress().pending -= 1;
        }
    }

    /// Waits until every submitted segment is compressed (or failed), and
    /// returns the errors of those that failed since the last call.
    pub fn wait_idle(&self) -> Vec<Error> {
        let mut progress = self.progress();
        while progress.pending > 0 {
            progress = self.shared.idle.wait(progress).unwrap_or_else(PoisonError::into_inner);
        }
        std::mem::take(&mut progress.errors)
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.shared.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            // A panic in the thread has nothing left to clean up here.
            let _ = thread.join();
        }
    }
}

fn run(jobs: &Receiver<Job>, shared: &Shared) {
    while let Ok(job) = jobs.recv() {
        let outcome = if shared.stop.load(Ordering::Acquire) {
            Ok(())
        } else {
            compress_segment(&job.source, job.number)
        };
        let mut progress = shared.progress.lock().unwrap_or_else(PoisonError::into_inner);
        progress.pending -= 1;
        if let Err(err) = outcome {
            progress.errors.push(err);
        }
        shared.idle.notify_all();
    }
}

/// Compresses one closed segment (see the module documentation).
pub(crate) fn compress_segment(source: &SourceShared, number: u64) -> Result<()> {
    let plain = segment_path(&source.dir, number, SegmentFile::Plain);
    let compressed = segment_path(&source.dir, number, SegmentFile::Compressed);
    let tmp = tmp_path(&compressed);
    let input = match File::open(&plain) {
        Ok(file) => file,
        // Already compressed, or removed by retention.
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(Error::io(&plain, "open")(err)),
    };
    if let Err(err) = write_compressed(input, &plain, &tmp) {
        // Most often the disk is full: a partial `.zst.tmp` would hold on to
        // space the writer needs until the next open removes it. The
        // segment stays as it was, uncompressed.
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    let _files = source.files_lock();
    if !plain.exists() {
        // Retention removed the segment meanwhile.
        fs::remove_file(&tmp).map_err(Error::io(&tmp, "remove"))?;
        return Ok(());
    }
    fs::rename(&tmp, &compressed).map_err(Error::io(&compressed, "rename into place"))?;
    sync_dir(&source.dir)?;
    fs::remove_file(&plain).map_err(Error::io(&plain, "remove after compression"))
}

fn write_compressed(input: File, plain: &std::path::Path, tmp: &std::path::Path) -> Result<()> {
    let output = File::create(tmp).map_err(Error::io(tmp, "create"))?;
    let mut encoder = zstd::stream::write::Encoder::new(output, ZSTD_LEVEL)
        .map_err(Error::io(tmp, "start compression"))?;
    encoder.include_checksum(true).map_err(Error::io(tmp, "configure compression"))?;
    io::copy(&mut BufReader::with_capacity(1 << 20, input), &mut encoder)
        .map_err(Error::io(plain, "compress"))?;
    let output = encoder.finish().map_err(Error::io(tmp, "finish compression"))?;
    output.sync_all().map_err(Error::io(tmp, "fsync"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::SEGMENT_HEADER_LEN;
    use crate::source::{OpenSegment, SourceState};

    #[test]
    fn a_failed_compression_keeps_the_segment_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A segment that cannot be read (a directory): compression fails
        // after it has created its temporary file.
        let plain = segment_path(dir.path(), 1, SegmentFile::Plain);
        fs::create_dir(&plain).unwrap();
        let open = OpenSegment {
            number: 2,
            created_us: 0,
            length: SEGMENT_HEADER_LEN,
            entries: 0,
            span: None,
        };
        let state =
            SourceState { closed: [(1, None)].into(), open, consumed: crate::Position::BEGIN };
        let source = SourceShared::new("pbx".into(), dir.path().to_path_buf(), state);
        assert!(compress_segment(&source, 1).is_err());
        let compressed = segment_path(dir.path(), 1, SegmentFile::Compressed);
        assert!(!tmp_path(&compressed).exists());
        assert!(!compressed.exists());
        assert!(plain.exists());
    }
}
