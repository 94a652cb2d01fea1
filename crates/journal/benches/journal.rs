//! Journal throughput on the server's path: appending 1,000,000 entries of
//! 200 bytes with a `sync` (fdatasync) every 1,000 entries, and reading
//! them back with a `SourceReader`.
//!
//! Each sample is a whole million entries (about 228 MB on disk with the
//! 28-byte entry headers), in a fresh temporary directory. The default
//! configuration is used: 64 MiB segments, compressed by the background
//! thread while appends go on, so the read benchmark decompresses all but
//! the open segment. `read_uncompressed` reads the same entries with
//! compression off.
//!
//! `JOURNAL_BENCH_DIR` chooses where the temporary journals go (default:
//! the system's temporary directory). On a tmpfs (`/dev/shm`) fdatasync
//! costs nothing, which shows the CPU cost of the journal alone; on the
//! real disk the figure is usually bound by the 1,000 fdatasyncs.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use journal::{EntryKind, Journal, JournalConfig, Position};

const ENTRIES: u64 = 1_000_000;
const PAYLOAD: usize = 200;
const SYNC_EVERY: u64 = 1_000;

/// CDR-like text, so compression sees realistic bytes.
fn payload(i: u64) -> Vec<u8> {
    let line = format!(
        "{i:010},2026-11-22 10:{:02}:{:02},{},{:010},0033145678{:03},{}\r\n",
        i % 60,
        (i / 60) % 60,
        3000 + i % 5000,
        i * 7919 % 10_000_000_000,
        i % 1000,
        i % 3600
    );
    line.into_bytes().into_iter().cycle().take(PAYLOAD).collect()
}

fn append_all(dir: &Path, config: JournalConfig, payloads: &[Vec<u8>]) -> Journal {
    let journal = Journal::open(dir, config).expect("open journal");
    let mut writer = journal.writer("pbx-bench").expect("writer");
    let received = SystemTime::now();
    for i in 0..ENTRIES {
        let payload = &payloads[(i % payloads.len() as u64) as usize];
        writer.append(EntryKind::Data, i % 8, received, payload).expect("append");
        if (i + 1) % SYNC_EVERY == 0 {
            writer.sync().expect("sync");
        }
    }
    writer.sync().expect("sync");
    drop(writer);
    journal
}

fn read_all(journal: &Journal) -> u64 {
    let mut reader = journal.reader("pbx-bench", Position::BEGIN).expect("reader");
    let mut bytes = 0;
    while let Some(entry) = reader.next().expect("read") {
        bytes += entry.payload.len() as u64;
    }
    assert_eq!(bytes, ENTRIES * PAYLOAD as u64);
    bytes
}

fn temp_dir() -> tempfile::TempDir {
    match std::env::var_os("JOURNAL_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .expect("temp dir")
}

fn payloads() -> Vec<Vec<u8>> {
    (0..4096).map(payload).collect()
}

fn bench_append(c: &mut Criterion) {
    let payloads = payloads();
    let mut group = c.benchmark_group("journal");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(ENTRIES));
    group.bench_function("append_1m_x200B_sync_every_1000", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let dir = temp_dir();
                let started = Instant::now();
                let journal = append_all(dir.path(), JournalConfig::default(), &payloads);
                total += started.elapsed();
                journal.wait_for_compression();
            }
            total
        });
    });
    for (name, compress) in [("read_1m_compressed", true), ("read_1m_uncompressed", false)] {
        let dir = temp_dir();
        let config = JournalConfig { compress, ..JournalConfig::default() };
        let journal = append_all(dir.path(), config, &payloads);
        journal.wait_for_compression();
        group.bench_function(name, |b| b.iter(|| black_box(read_all(&journal))));
    }
    group.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
