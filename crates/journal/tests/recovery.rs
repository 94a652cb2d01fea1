//! Recovery after a crash: torn tails, half-done compression, damaged
//! closed segments.

mod common;

use std::fs::{self, OpenOptions};
use std::path::Path;

use common::*;
use journal::{EntryKind, Error, Journal, JournalConfig, Position};

/// Builds a journal with `earlier` synced entries and one last entry, and
/// returns the entries and the last entry's start offset.
fn journal_with_last_entry(dir: &Path, earlier: usize) -> (Vec<Appended>, u64) {
    let journal = Journal::open(dir, JournalConfig::default()).unwrap();
    let mut writer = journal.writer("pbx").unwrap();
    let appended = append_range(&mut writer, 0..earlier + 1);
    writer.sync().unwrap();
    let last = appended.last().unwrap().position.offset;
    (appended, last)
}

#[test]
fn a_tail_cut_at_any_byte_of_the_last_entry_loses_only_that_entry() {
    let template = tempfile::tempdir().unwrap();
    let (appended, last_start) = journal_with_last_entry(template.path(), 20);
    let segment = segment_file(&source_dir(template.path()), 1, ".seg");
    let full_len = fs::metadata(&segment).unwrap().len();
    for cut in last_start..full_len {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(template.path(), dir.path());
        let seg = segment_file(&source_dir(dir.path()), 1, ".seg");
        OpenOptions::new().write(true).open(&seg).unwrap().set_len(cut).unwrap();

        let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        let recovered = journal.recovered();
        let bytes_cut = cut - last_start;
        if bytes_cut == 0 {
            assert!(recovered.is_empty(), "cut {cut}");
        } else {
            assert_eq!(recovered.len(), 1, "cut {cut}");
            assert_eq!((recovered[0].valid_end, recovered[0].bytes_cut), (last_start, bytes_cut));
        }
        assert_eq!(fs::metadata(&seg).unwrap().len(), last_start);
        let earlier = &appended[..appended.len() - 1];
        assert_same(earlier, &read_all(&journal, "pbx"));

        let mut writer = journal.writer("pbx").unwrap();
        let more = append_range(&mut writer, 100..102);
        assert_eq!(more[0].position, Position::new(1, last_start));
        writer.sync().unwrap();
        drop(writer);
        drop(journal);
        let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        assert!(journal.recovered().is_empty());
        assert_same(&[earlier.to_vec(), more].concat(), &read_all(&journal, "pbx"));
    }
}

/// Damage to the tail of the open segment, each cut back to the entries before it.
#[test]
fn damaged_tails_are_cut_back_to_the_last_valid_entry() {
    struct Case {
        name: &'static str,
        damage: fn(&Path, u64),
        reason: &'static str,
    }
    let cases = [
        Case {
            name: "flipped payload byte in the last entry",
            damage: |seg, last| flip_byte(seg, last + 30),
            reason: "CRC",
        },
        Case {
            name: "garbage after the last entry",
            damage: |seg, _| append_bytes(seg, &[0xAB; 40]),
            reason: "magic",
        },
        Case {
            name: "zeros after the last entry (file extended, data never written)",
            damage: |seg, _| append_bytes(seg, &[0; 4096]),
            reason: "magic",
        },
        Case {
            name: "length field of the last entry made huge",
            damage: |seg, last| flip_byte(seg, last + 7),
            reason: "length",
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let (appended, last_start) = journal_with_last_entry(dir.path(), 5);
        let seg = segment_file(&source_dir(dir.path()), 1, ".seg");
        (case.damage)(&seg, last_start);
        let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        let recovered = &journal.recovered()[0];
        assert!(recovered.reason.contains(case.reason), "{}: {recovered:?}", case.name);
        let read = read_all(&journal, "pbx");
        let kept = if recovered.valid_end == last_start { 5 } else { 6 };
        assert_same(&appended[..kept], &read);
        assert_eq!(journal.end("pbx").unwrap(), Position::new(1, recovered.valid_end));
    }
}

#[test]
fn a_torn_segment_header_is_written_anew() {
    let dir = tempfile::tempdir().unwrap();
    written(dir.path(), small(500, false), 0..20);
    let sdir = source_dir(dir.path());
    let last = file_names(&sdir).iter().filter(|n| n.ends_with(".seg")).count() as u64;
    let appended_before = {
        let journal = Journal::open(dir.path(), small(500, false)).unwrap();
        read_all(&journal, "pbx").into_iter().filter(|e| e.position.segment < last).count()
    };
    let seg = segment_file(&sdir, last, ".seg");
    OpenOptions::new().write(true).open(&seg).unwrap().set_len(10).unwrap();
    let journal = Journal::open(dir.path(), small(500, false)).unwrap();
    assert_eq!(journal.recovered()[0].bytes_cut, 10);
    assert_eq!(read_all(&journal, "pbx").len(), appended_before);
    let mut writer = journal.writer("pbx").unwrap();
    let more = append_range(&mut writer, 50..51);
    assert_eq!(more[0].position.segment, last);
    writer.sync().unwrap();
    assert_eq!(read_all(&journal, "pbx").len(), appended_before + 1);
}

#[test]
fn a_crash_during_compression_keeps_the_plain_segment() {
    let dir = tempfile::tempdir().unwrap();
    let appended = written(dir.path(), small(1_000, false), 0..30);
    let sdir = source_dir(dir.path());
    // A partial .zst next to the .seg, and a compression's temporary file.
    fs::write(segment_file(&sdir, 1, ".seg.zst"), b"\x28\xb5\x2f\xfd partial").unwrap();
    fs::write(segment_file(&sdir, 2, ".seg.zst.tmp"), b"partial").unwrap();
    let journal = Journal::open(dir.path(), small(1_000, false)).unwrap();
    let names = file_names(&sdir);
    assert!(!names.iter().any(|n| n.ends_with(".zst") || n.ends_with(".tmp")), "{names:?}");
    assert_same(&appended, &read_all(&journal, "pbx"));
}

#[test]
fn uncompressed_closed_segments_are_compressed_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let appended = written(dir.path(), small(1_000, false), 0..30);
    let journal = Journal::open(dir.path(), small(1_000, true)).unwrap();
    assert!(journal.wait_for_compression().is_empty());
    let names = file_names(&source_dir(dir.path()));
    let plain = names.iter().filter(|n| n.ends_with(".seg")).count();
    assert_eq!(plain, 1, "only the open segment stays plain: {names:?}");
    assert_same(&appended, &read_all(&journal, "pbx"));
}

#[test]
fn a_flipped_byte_in_a_closed_segment_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let appended = written(dir.path(), small(2_000, false), 0..60);
    let damaged = &appended[3];
    assert_eq!(damaged.position.segment, 1);
    let seg = segment_file(&source_dir(dir.path()), 1, ".seg");
    flip_byte(&seg, damaged.position.offset + 30);

    let journal = Journal::open(dir.path(), small(2_000, false)).unwrap();
    assert!(journal.recovered().is_empty(), "closed segments are not scanned at open");
    let mut reader = journal.reader("pbx", Position::BEGIN).unwrap();
    for want in &appended[..3] {
        assert!(want.matches(&reader.next().unwrap().unwrap()));
    }
    let err = reader.next().unwrap_err();
    match &err {
        Error::Corrupt { path, offset, reason } => {
            assert_eq!(path, &seg);
            assert_eq!(*offset, damaged.position.offset);
            assert!(reason.contains("CRC"), "{reason}");
        }
        other => panic!("expected a corrupt-journal error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("000000000001.seg"), "{message}");
    assert!(message.contains(&format!("offset {}", damaged.position.offset)), "{message}");
    // The reader stays before the damaged entry and says so again.
    assert!(reader.next().is_err());
    assert_eq!(reader.position(), damaged.position);
    // Entries after it can still be read from the next position on.
    let mut after = journal.reader("pbx", appended[4].position).unwrap();
    assert!(appended[4].matches(&after.next().unwrap().unwrap()));
}

#[test]
fn a_damaged_compressed_segment_is_an_error_not_silence() {
    let dir = tempfile::tempdir().unwrap();
    {
        let journal = Journal::open(dir.path(), small(2_000, true)).unwrap();
        let mut writer = journal.writer("pbx").unwrap();
        append_range(&mut writer, 0..60);
        writer.sync().unwrap();
        assert!(journal.wait_for_compression().is_empty());
    }
    let zst = segment_file(&source_dir(dir.path()), 1, ".seg.zst");
    let len = fs::metadata(&zst).unwrap().len();
    flip_byte(&zst, len / 2);
    let journal = Journal::open(dir.path(), small(2_000, true)).unwrap();
    let mut reader = journal.reader("pbx", Position::BEGIN).unwrap();
    let outcome = std::iter::from_fn(|| reader.next().transpose()).find(Result::is_err);
    let message = outcome.expect("an error").unwrap_err().to_string();
    assert!(message.contains("000000000001.seg.zst"), "{message}");
}

#[test]
fn a_source_written_then_reopened_many_times_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for round in 0..5 {
        let journal = Journal::open(dir.path(), small(3_000, true)).unwrap();
        let mut writer = journal.writer("pbx").unwrap();
        writer.append(EntryKind::Open, round, at(round), b"peer").unwrap();
        writer.sync().unwrap();
        all.extend(append_range(&mut writer, (round as usize * 40)..(round as usize * 40 + 40)));
        writer.sync().unwrap();
    }
    let journal = Journal::open(dir.path(), small(3_000, true)).unwrap();
    let data: Vec<_> =
        read_all(&journal, "pbx").into_iter().filter(|e| e.kind == EntryKind::Data).collect();
    assert_same(&all, &data);
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x40;
    fs::write(path, bytes).unwrap();
}

fn append_bytes(path: &Path, extra: &[u8]) {
    use std::io::Write;
    OpenOptions::new().append(true).open(path).unwrap().write_all(extra).unwrap();
}
