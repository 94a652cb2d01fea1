//! Round trip, writers, sources, consumed marker, rotation by age.

mod common;

use std::time::Duration;

use common::*;
use journal::{EntryKind, Error, Journal, JournalConfig, Position, SEGMENT_HEADER_LEN};

#[test]
fn entries_read_back_as_appended_also_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    let mut writer = journal.writer("pbx-paris").unwrap();
    let open = writer.append(EntryKind::Open, 7, at(0), b"10.0.0.1:40000").unwrap();
    let data = append_range(&mut writer, 0..500);
    let close = writer.append(EntryKind::Close, 7, at(999), b"").unwrap();
    let end = writer.sync().unwrap();
    assert_eq!(open, Position::new(1, SEGMENT_HEADER_LEN));
    assert_eq!(journal.end("pbx-paris").unwrap(), end);

    let read = read_all(&journal, "pbx-paris");
    assert_eq!(read.len(), 502);
    assert_eq!(
        (read[0].kind, read[0].payload.as_slice()),
        (EntryKind::Open, &b"10.0.0.1:40000"[..])
    );
    assert_same(&data, &read[1..501]);
    assert_eq!((read[501].position, read[501].kind), (close, EntryKind::Close));
    for pair in read.windows(2) {
        assert_eq!(pair[0].next, pair[1].position);
    }
    assert_eq!(read[501].next, end);

    drop(writer);
    drop(journal);
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    assert!(journal.recovered().is_empty());
    assert_eq!(journal.sources(), vec!["pbx-paris".to_owned()]);
    assert_eq!(journal.end("pbx-paris").unwrap(), end);
    assert_eq!(read_all(&journal, "pbx-paris"), read);
}

#[test]
fn entries_are_visible_only_once_synced() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let mut reader = journal.reader("a", Position::BEGIN).unwrap();
    let appended = append_range(&mut writer, 0..3);
    assert!(reader.next().unwrap().is_none());
    writer.sync().unwrap();
    for want in &appended {
        assert!(want.matches(&reader.next().unwrap().unwrap()));
    }
    assert!(reader.next().unwrap().is_none());
    assert_eq!(reader.position(), journal.end("a").unwrap());
}

#[test]
fn a_reader_can_start_at_any_entry_position() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), small(2_000, true)).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let appended = append_range(&mut writer, 0..120);
    writer.sync().unwrap();
    journal.wait_for_compression();
    for start in [0, 1, 17, 60, 119] {
        let mut reader = journal.reader("a", appended[start].position).unwrap();
        let mut read = Vec::new();
        while let Some(entry) = reader.next().unwrap() {
            read.push(entry);
        }
        assert_same(&appended[start..], &read);
    }
}

#[test]
fn one_writer_per_source_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    let first = journal.writer("pbx").unwrap();
    assert!(matches!(journal.writer("pbx"), Err(Error::WriterTaken(name)) if name == "pbx"));
    let other_clone = journal.clone();
    assert!(other_clone.writer("pbx").is_err());
    let _other_source = journal.writer("pbx-2").unwrap();
    drop(first);
    journal.writer("pbx").unwrap();
}

#[test]
fn entries_appended_after_the_last_sync_go_with_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let kept = append_range(&mut writer, 0..2);
    let end = writer.sync().unwrap();
    append_range(&mut writer, 2..5);
    drop(writer);
    let mut writer = journal.writer("a").unwrap();
    assert_eq!(writer.sync().unwrap(), end);
    let more = append_range(&mut writer, 5..6);
    assert_eq!(more[0].position, end);
    writer.sync().unwrap();
    assert_same(&[kept, more].concat(), &read_all(&journal, "a"));
}

#[test]
fn unknown_sources_and_bad_names_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    assert!(matches!(journal.reader("nope", Position::BEGIN), Err(Error::UnknownSource(_))));
    assert!(matches!(journal.end("nope"), Err(Error::UnknownSource(_))));
    assert!(matches!(journal.writer(""), Err(Error::InvalidSourceName { .. })));
    assert!(matches!(journal.writer("a\u{0}b"), Err(Error::InvalidSourceName { .. })));
}

#[test]
fn source_names_of_any_text_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["Zürich PBX #2", "../../etc", "a/b", "a_b", "北京-1"];
    {
        let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        for name in names {
            let mut writer = journal.writer(name).unwrap();
            writer.append(EntryKind::Data, 1, at(0), name.as_bytes()).unwrap();
            writer.sync().unwrap();
        }
    }
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(journal.sources(), want);
    for name in names {
        assert_eq!(read_all(&journal, name)[0].payload, name.as_bytes());
    }
    assert_eq!(common::file_names(dir.path()).len(), names.len());
}

#[test]
fn consumed_marker_survives_reopen_and_cannot_pass_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let position;
    {
        let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        let mut writer = journal.writer("a").unwrap();
        let appended = append_range(&mut writer, 0..10);
        let end = writer.sync().unwrap();
        assert_eq!(journal.consumed("a").unwrap(), Position::BEGIN);
        position = appended[4].position;
        journal.mark_consumed("a", position).unwrap();
        let beyond = Position::new(end.segment, end.offset + 1);
        assert!(matches!(journal.mark_consumed("a", beyond), Err(Error::BeyondEnd { .. })));
        assert!(journal.reader("a", beyond).is_err());
    }
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    assert_eq!(journal.consumed("a").unwrap(), position);
}

#[test]
fn rotation_by_age_and_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig {
        max_segment_bytes: 10_000,
        max_segment_age: Duration::from_secs(3600),
        compress: false,
        ..JournalConfig::default()
    };
    let journal = Journal::open(dir.path(), config).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let now = std::time::SystemTime::now();
    assert!(!writer.rotate_if_due(now + Duration::from_secs(7200)).unwrap(), "empty segment");
    append_range(&mut writer, 0..1);
    assert!(!writer.rotate_if_due(now).unwrap());
    assert!(writer.rotate_if_due(now + Duration::from_secs(3601)).unwrap());
    assert_eq!(journal.end("a").unwrap(), Position::new(2, SEGMENT_HEADER_LEN));
    let appended = append_range(&mut writer, 1..200);
    writer.sync().unwrap();
    let segments: Vec<u64> = appended.iter().map(|a| a.position.segment).collect();
    assert!(segments.last().unwrap() > &3, "size rotation: {segments:?}");
    let sdir = source_dir(dir.path());
    for number in 1..*segments.last().unwrap() {
        let len = std::fs::metadata(segment_file(&sdir, number, ".seg")).unwrap().len();
        assert!(len <= 10_000, "segment {number}: {len} bytes");
        assert!(segment_file(&sdir, number, ".idx").exists());
    }
}

#[test]
fn oversized_payloads_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    let mut writer = journal.writer("a").unwrap();
    let big = vec![0u8; journal::MAX_PAYLOAD + 1];
    assert!(matches!(
        writer.append(EntryKind::Data, 1, at(0), &big),
        Err(Error::PayloadTooLarge { .. })
    ));
}

#[test]
fn journal_types_are_send_and_sync_where_needed() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Journal>();
    sync::<Journal>();
    send::<journal::SourceWriter>();
    send::<journal::SourceReader>();
}

#[test]
fn foreign_directories_in_the_journal_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lost+found")).unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    assert!(journal.sources().is_empty());
    assert!(dir.path().join("lost+found").exists());
}
