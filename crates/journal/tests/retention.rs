//! Retention deletes closed segments only when old AND consumed.

mod common;

use std::time::Duration;

use common::*;
use journal::{Journal, JournalConfig, Position, SEGMENT_HEADER_LEN};

const DAY: u64 = 86_400;

fn config() -> JournalConfig {
    JournalConfig {
        max_segment_bytes: 1_500,
        retention: Duration::from_secs(DAY),
        compress: true,
        ..JournalConfig::default()
    }
}

/// Entry i is received at(i * 600): ten minutes apart.
fn build(dir: &std::path::Path) -> (Journal, Vec<Appended>) {
    let journal = Journal::open(dir, config()).unwrap();
    let mut writer = journal.writer("pbx").unwrap();
    let mut appended = Vec::new();
    for i in 0..100usize {
        let received = at(i as u64 * 600);
        let payload = payload(i);
        let position = writer.append(journal::EntryKind::Data, 1, received, &payload).unwrap();
        appended.push(Appended {
            position,
            kind: journal::EntryKind::Data,
            connection: 1,
            received,
            payload,
        });
    }
    writer.sync().unwrap();
    assert!(journal.wait_for_compression().is_empty());
    (journal, appended)
}

/// The closed segments retention may delete, worked out from what was
/// appended: the longest prefix of segments whose newest entry is older
/// than `now - 1 day` and whose end is at or before `consumed`.
fn expected_deleted(
    appended: &[Appended],
    read: &[journal::Entry],
    consumed: Position,
    now: u64,
) -> u64 {
    let open = appended.last().unwrap().position.segment;
    let mut deleted = 0;
    for segment in 1..open {
        let in_segment: Vec<usize> =
            (0..appended.len()).filter(|&i| appended[i].position.segment == segment).collect();
        let newest = *in_segment.last().unwrap() as u64 * 600;
        let end = read[*in_segment.last().unwrap()].next;
        if newest + DAY < now && end <= consumed {
            deleted += 1;
        } else {
            break;
        }
    }
    deleted
}

#[test]
fn retention_deletes_only_segments_both_old_and_consumed() {
    // (what is consumed, now in seconds after at(0))
    enum Consumed {
        Nothing,
        Entry(usize),
        EndOfEntry(usize),
        All,
    }
    let cases = [
        (Consumed::Nothing, 100 * DAY),
        (Consumed::All, 0),
        (Consumed::All, DAY + 600 * 10),
        (Consumed::All, 100 * DAY),
        (Consumed::Entry(30), 100 * DAY),
        (Consumed::EndOfEntry(30), 100 * DAY),
        (Consumed::Entry(60), DAY + 600 * 40),
    ];
    let mut deleted_per_case = Vec::new();
    for (case, (consumed, now)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, appended) = build(dir.path());
        let read = read_all(&journal, "pbx");
        let consumed = match consumed {
            Consumed::Nothing => Position::BEGIN,
            Consumed::Entry(i) => appended[i].position,
            Consumed::EndOfEntry(i) => read[i].next,
            Consumed::All => journal.end("pbx").unwrap(),
        };
        journal.mark_consumed("pbx", consumed).unwrap();
        let usage_before = journal.disk_usage().unwrap();
        let want = expected_deleted(&appended, &read, consumed, now);
        deleted_per_case.push(want);

        let report = journal.enforce_retention(at(now)).unwrap();
        assert_eq!(report.segments_deleted, want, "case {case}");
        assert_eq!(journal.disk_usage().unwrap(), usage_before - report.bytes_freed, "case {case}");
        let start = journal.start("pbx").unwrap();
        assert_eq!(start, Position::new(want + 1, SEGMENT_HEADER_LEN), "case {case}");
        let sdir = source_dir(dir.path());
        for number in 1..=want {
            assert!(!segment_file(&sdir, number, ".seg.zst").exists(), "case {case}");
            assert!(!segment_file(&sdir, number, ".idx").exists(), "case {case}");
        }
        let kept: Vec<Appended> =
            appended.iter().filter(|a| a.position.segment > want).cloned().collect();
        assert_same(&kept, &read_all(&journal, "pbx"));
        assert_eq!(journal.enforce_retention(at(now)).unwrap().segments_deleted, 0);

        // What is left is still there after a reopen.
        drop(journal);
        let journal = Journal::open(dir.path(), config()).unwrap();
        assert_eq!(journal.start("pbx").unwrap(), start);
        assert_same(&kept, &read_all(&journal, "pbx"));
    }
    // The cases cover nothing, some and all closed segments deleted.
    let closed = deleted_per_case[3];
    assert!(closed > 5, "{deleted_per_case:?}");
    assert!(deleted_per_case.contains(&0), "{deleted_per_case:?}");
    assert!(deleted_per_case.iter().any(|&n| n > 0 && n < closed), "{deleted_per_case:?}");
}

#[test]
fn the_open_segment_is_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), config()).unwrap();
    let mut writer = journal.writer("pbx").unwrap();
    let appended = append_range(&mut writer, 0..2);
    let end = writer.sync().unwrap();
    journal.mark_consumed("pbx", end).unwrap();
    let report = journal.enforce_retention(at(1000 * DAY)).unwrap();
    assert_eq!(report.segments_deleted, 0);
    assert_same(&appended, &read_all(&journal, "pbx"));
}

#[test]
fn a_tailing_reader_survives_retention_of_the_segment_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, appended) = build(dir.path());
    let mut reader = journal.reader("pbx", Position::BEGIN).unwrap();
    let first = reader.next().unwrap().unwrap();
    journal.mark_consumed("pbx", journal.end("pbx").unwrap()).unwrap();
    assert!(journal.enforce_retention(at(100 * DAY)).unwrap().segments_deleted > 0);
    let mut read = vec![first];
    while let Some(entry) = reader.next().unwrap() {
        read.push(entry);
    }
    // The open segment file was read on; deleted segments after it are
    // skipped to the oldest one left.
    assert!(appended[0].matches(&read[0]));
    let last = appended.last().unwrap();
    assert!(last.matches(read.last().unwrap()));
}
