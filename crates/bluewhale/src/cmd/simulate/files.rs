//! A directory target: files dropped as Cisco UCM and Asterisk push CDR
//! files. A file holds `--rate` records, but at least 1000: at 1000
//! records a second or more, one file about every second; below, one
//! 1000-record file every 1000/rate seconds (at 100 a second, one every
//! ten seconds), the first after that long too; unpaced (`--rate 0`),
//! 1000-record files as fast as they are written. The last file of a
//! `--count` run holds what is left. Each file is written under a hidden
//! temporary name in the same directory (`.NAME.tmp`) and renamed when
//! complete, so a watcher never sees a partial file.

use super::faults::Faults;
use super::rate::{Clock, MonotonicClock, TokenBucket};
use super::stats::Stats;
use super::target::{Run, RunFuture, Target};
use anyhow::{Context, Result, anyhow};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use synth::{RecordChunk, RecordFormat};
use tokio::time::Instant;

/// Records in a file when the rate is lower (or unpaced).
const MIN_FILE_RECORDS: u64 = 1000;

pub struct DirTarget {
    dir: PathBuf,
}

impl DirTarget {
    pub fn new(dir: PathBuf) -> Self {
        DirTarget { dir }
    }
}

impl Target for DirTarget {
    fn connections(&self) -> Option<usize> {
        None
    }

    fn chunk_records(&self, _count: Option<u64>, rate: u64) -> usize {
        usize::try_from(rate.max(MIN_FILE_RECORDS)).unwrap_or(usize::MAX)
    }

    fn run(self: Box<Self>, run: Run) -> RunFuture {
        Box::pin(async move {
            std::fs::create_dir_all(&self.dir)
                .with_context(|| format!("cannot create {}", self.dir.display()))?;
            let names = FileNames::new(&self.dir, run.format)?;
            drop_files(self.dir, names, run).await
        })
    }
}

async fn drop_files(dir: PathBuf, mut names: FileNames, run: Run) -> Result<()> {
    let clock = MonotonicClock::new();
    let file_records = MIN_FILE_RECORDS.max(run.rate);
    // A file's worth of tokens at a time: one file every file_records / rate seconds.
    let mut bucket = (run.rate > 0)
        .then(|| TokenBucket::new(run.rate, Duration::from_secs(1), file_records, clock.now()));
    let header = run.format.file_header();
    loop {
        if run.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
        let Some(chunk) = run.source.next(0).await else {
            break;
        };
        if let Some(bucket) = bucket.as_mut() {
            let wake = Instant::now() + bucket.wait_for(clock.now(), chunk.len() as u64);
            tokio::time::sleep_until(run.deadline.map_or(wake, |d| d.min(wake))).await;
            if run.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break;
            }
            bucket.take(clock.now(), chunk.len() as u64);
        }
        let path = dir.join(names.next());
        let (header, faults) = (header.clone(), run.faults);
        let records = chunk.len() as u64;
        let garbage =
            tokio::task::spawn_blocking(move || write_file(&path, &header, &chunk, &faults))
                .await
                .map_err(|e| anyhow!("a file writer failed: {e}"))??;
        Stats::add(&run.stats.records, records);
        Stats::add(&run.stats.garbage_lines, garbage);
        Stats::add(&run.stats.files, 1);
    }
    Ok(())
}

/// Writes one file under its temporary name and renames it into place;
/// returns the garbage lines it holds.
fn write_file(path: &Path, header: &[u8], chunk: &RecordChunk, faults: &Faults) -> Result<u64> {
    let mut bytes = Vec::with_capacity(header.len() + chunk.bytes.len() + 4096);
    bytes.extend_from_slice(header);
    let mut garbage = 0;
    for k in 0..chunk.len() {
        let index = chunk.first + k as u64;
        if faults.garbage_before(index) {
            faults.garbage_line(index, &mut bytes);
            garbage += 1;
        }
        bytes.extend_from_slice(chunk.record(k));
    }
    write_whole(path, &bytes)?;
    Ok(garbage)
}

/// Writes `bytes` as `path`: under a dotted temporary name first, renamed
/// when complete, so that a watched directory never shows a partial file.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", temporary.display()))?;
    drop(file);
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot rename {} to {}", temporary.display(), path.display()))
}

/// File names as each vendor writes them, numbered on from the files
/// already in the directory and its `done/` (where a file drop moves them)
/// so that a second run adds files rather than reusing names.
pub(crate) struct FileNames {
    format: RecordFormat,
    next: u64,
}

impl FileNames {
    pub(crate) fn new(dir: &Path, format: RecordFormat) -> Result<Self> {
        let mut last = 0;
        for listed in [dir.to_path_buf(), dir.join("done")] {
            let entries = match std::fs::read_dir(&listed) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && listed != dir => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot list {}", listed.display()));
                }
            };
            for entry in entries {
                let name = entry.with_context(|| format!("cannot list {}", listed.display()))?;
                if let Some(n) = sequence_of(format, &name.file_name().to_string_lossy()) {
                    last = last.max(n);
                }
            }
        }
        Ok(FileNames { format, next: last + 1 })
    }

    pub(crate) fn next(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        file_name(self.format, n, jiff::Timestamp::now())
    }
}

/// The name of file number `n` written at `now`. CUCM names carry the
/// cluster, the node and the UTC minute the file was closed.
fn file_name(format: RecordFormat, n: u64, now: jiff::Timestamp) -> String {
    match format {
        RecordFormat::Cucm => {
            format!("cdr_StandAloneCluster_01_{}_{n:06}", now.strftime("%Y%m%d%H%M"))
        }
        RecordFormat::Asterisk => format!("Master-{n:06}.csv"),
        RecordFormat::Avaya => format!("avaya-{n:06}.txt"),
        RecordFormat::Nec => format!("nec-{n:06}.smdr"),
    }
}

/// The number of a file named by [`file_name`], if `name` is one.
fn sequence_of(format: RecordFormat, name: &str) -> Option<u64> {
    let digits = match format {
        RecordFormat::Cucm => name.strip_prefix("cdr_StandAloneCluster_01_")?.rsplit('_').next(),
        RecordFormat::Asterisk => name.strip_prefix("Master-")?.strip_suffix(".csv"),
        RecordFormat::Avaya => name.strip_prefix("avaya-")?.strip_suffix(".txt"),
        RecordFormat::Nec => name.strip_prefix("nec-")?.strip_suffix(".smdr"),
    }?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_as_the_vendors_do_and_reads_their_numbers_back() {
        let now: jiff::Timestamp = "2026-11-22T05:48:18Z".parse().unwrap();
        let cases = [
            (RecordFormat::Cucm, "cdr_StandAloneCluster_01_202611220548_000012"),
            (RecordFormat::Asterisk, "Master-000012.csv"),
            (RecordFormat::Avaya, "avaya-000012.txt"),
            (RecordFormat::Nec, "nec-000012.smdr"),
        ];
        for (format, name) in cases {
            assert_eq!(file_name(format, 12, now), name);
            assert_eq!(sequence_of(format, name), Some(12));
            assert_eq!(sequence_of(format, &format!(".{name}.tmp")), None);
        }
        assert_eq!(sequence_of(RecordFormat::Avaya, "Master-000001.csv"), None);
    }
}
