//! A reader follows the writer: later syncs, rotation, compression.

mod common;

use std::thread;

use common::*;
use journal::{Journal, Position};

#[test]
fn tailing_reader_sees_later_syncs_across_rotation_and_compression() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), small(3_000, true)).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let first = append_range(&mut writer, 0..5);
    writer.sync().unwrap();
    let mut reader = journal.reader("a", Position::BEGIN).unwrap();
    let mut read = Vec::new();
    // Read part of segment 1, so the reader has the plain file open.
    read.push(reader.next().unwrap().unwrap());

    let rest = append_range(&mut writer, 5..200);
    writer.sync().unwrap();
    assert!(rest.last().unwrap().position.segment > 3);
    assert!(journal.wait_for_compression().is_empty());
    let sdir = source_dir(dir.path());
    assert!(!segment_file(&sdir, 1, ".seg").exists(), "segment 1 compressed and removed");
    assert!(segment_file(&sdir, 1, ".seg.zst").exists());

    while let Some(entry) = reader.next().unwrap() {
        read.push(entry);
    }
    let all = [first, rest].concat();
    assert_same(&all, &read);

    // Nothing more until the next sync, then exactly the new entries.
    assert!(reader.next().unwrap().is_none());
    let later = append_range(&mut writer, 200..210);
    assert!(reader.next().unwrap().is_none());
    writer.sync().unwrap();
    let mut tail = Vec::new();
    while let Some(entry) = reader.next().unwrap() {
        tail.push(entry);
    }
    assert_same(&later, &tail);

    // A new reader reads compressed segments from the start.
    assert_same(&[all, later].concat(), &read_all(&journal, "a"));
}

#[test]
fn reader_positioned_at_the_end_of_a_segment_moves_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), small(1_000, false)).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let appended = append_range(&mut writer, 0..40);
    writer.sync().unwrap();
    let boundary = appended
        .windows(2)
        .position(|pair| pair[0].position.segment != pair[1].position.segment)
        .unwrap();
    let entries = read_all(&journal, "a");
    let end_of_segment = entries[boundary].next;
    assert_eq!(end_of_segment.segment, appended[boundary].position.segment);
    let mut reader = journal.reader("a", end_of_segment).unwrap();
    let next = reader.next().unwrap().unwrap();
    assert_eq!(next.position, appended[boundary + 1].position);
}

#[test]
fn concurrent_writer_and_tailing_reader_agree() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), small(20_000, true)).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let mut reader = journal.reader("a", Position::BEGIN).unwrap();
    const TOTAL: usize = 3_000;
    let producer = thread::spawn(move || {
        let mut appended = Vec::new();
        for batch in (0..TOTAL).step_by(50) {
            appended.extend(append_range(&mut writer, batch..batch + 50));
            writer.sync().unwrap();
        }
        appended
    });
    let mut read = Vec::new();
    while read.len() < TOTAL {
        match reader.next().unwrap() {
            Some(entry) => read.push(entry),
            None => thread::yield_now(),
        }
    }
    let appended = producer.join().unwrap();
    assert_same(&appended, &read);
    assert!(reader.next().unwrap().is_none());
}

/// Bytes a writer handed to the OS without syncing may be replaced by the
/// next writer; a reader must never have read them.
#[test]
fn a_reader_never_sees_unsynced_bytes_replaced_by_the_next_writer() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), journal::JournalConfig::default()).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let synced = append_range(&mut writer, 0..10);
    writer.sync().unwrap();
    // More than the writer's 1 MiB buffer: written to the file, not synced.
    let big = vec![b'x'; 64 * 1024];
    for _ in 0..20 {
        writer.append(journal::EntryKind::Data, 9, at(0), &big).unwrap();
    }
    let mut reader = journal.reader("a", Position::BEGIN).unwrap();
    let mut read = Vec::new();
    while let Some(entry) = reader.next().unwrap() {
        read.push(entry);
    }
    assert_same(&synced, &read);
    drop(writer);
    let mut writer = journal.writer("a").unwrap();
    let replacement = append_range(&mut writer, 100..105);
    writer.sync().unwrap();
    let mut tail = Vec::new();
    while let Some(entry) = reader.next().unwrap() {
        tail.push(entry);
    }
    assert_same(&replacement, &tail);
}
