//! `entries_between`: entries received in a period.

mod common;

use std::fs;

use common::*;
use journal::{EntryKind, Journal};

/// Receive times that mostly increase but jitter back (connections
/// interleave): entry i at about i * 10 s.
fn received_secs(i: usize) -> u64 {
    (i as u64) * 10 + (i as u64 * 37) % 50
}

fn build(dir: &std::path::Path) -> (Journal, Vec<Appended>) {
    let journal = Journal::open(dir, small(2_000, true)).unwrap();
    let mut writer = journal.writer("pbx").unwrap();
    let mut appended = Vec::new();
    for i in 0..300usize {
        let received = at(received_secs(i));
        let payload = payload(i);
        let position = writer.append(EntryKind::Data, 2, received, &payload).unwrap();
        appended.push(Appended {
            position,
            kind: EntryKind::Data,
            connection: 2,
            received,
            payload,
        });
        if i % 25 == 0 {
            writer.sync().unwrap();
        }
    }
    writer.sync().unwrap();
    assert!(journal.wait_for_compression().is_empty());
    (journal, appended)
}

#[test]
fn entries_between_returns_exactly_the_entries_of_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, appended) = build(dir.path());
    let windows = [
        (0, 1),
        (0, 100),
        (95, 400),
        (1000, 1500),
        (2990, 4000),
        (0, 10_000),
        (500, 500),
        (900, 100),
        (5000, 6000),
    ];
    for (from, to) in windows {
        let got: Vec<_> = journal
            .entries_between("pbx", at(from), at(to))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<Appended> = appended
            .iter()
            .filter(|a| at(from) <= a.received && a.received < at(to))
            .cloned()
            .collect();
        assert_same(&want, &got);
    }
}

#[test]
fn entries_between_reads_only_overlapping_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, appended) = build(dir.path());
    // Damage segment 1: a period after it must not need to read it.
    let zst = segment_file(&source_dir(dir.path()), 1, ".seg.zst");
    fs::write(&zst, b"not zstd").unwrap();
    let late = received_secs(250);
    let got: Vec<_> = journal
        .entries_between("pbx", at(late), at(late + 100))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!got.is_empty());
    assert!(got.iter().all(|e| e.position.segment > 1));
    // A period inside segment 1 reports the damage, with the file.
    let err = journal
        .entries_between("pbx", at(0), at(5))
        .unwrap()
        .find_map(Result::err)
        .expect("an error");
    assert!(err.to_string().contains("000000000001.seg.zst"), "{err}");
    assert!(appended[0].position.segment == 1);
}

#[test]
fn side_indexes_are_rebuilt_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, appended) = build(dir.path());
    drop(journal);
    let sdir = source_dir(dir.path());
    for name in file_names(&sdir) {
        if name.ends_with(".idx") {
            fs::remove_file(sdir.join(name)).unwrap();
        }
    }
    let journal = Journal::open(dir.path(), small(2_000, true)).unwrap();
    let got: Vec<_> = journal
        .entries_between("pbx", at(0), at(100_000))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_same(&appended, &got);
    assert!(file_names(&sdir).iter().any(|n| n.ends_with(".idx")));
}
