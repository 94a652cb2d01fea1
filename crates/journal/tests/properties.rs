//! Property test: random appends, syncs, rotations and reopens (with torn
//! tails) never lose a synced entry and never invent one.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, SystemTime};

use common::*;
use journal::{EntryKind, Journal, JournalConfig, Position};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Append {
        kind: u8,
        connection: u64,
        len: usize,
        secs: u64,
    },
    Sync,
    RotateIfDue {
        hours: u64,
    },
    /// Drop everything unsynced-on-purpose and reopen; `garbage` bytes are
    /// appended to the open segment first, as a torn write would leave.
    Reopen {
        garbage: Vec<u8>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..3, 0u64..4, 0usize..300, 0u64..100_000)
            .prop_map(|(kind, connection, len, secs)| Op::Append { kind, connection, len, secs }),
        3 => Just(Op::Sync),
        1 => (0u64..3).prop_map(|hours| Op::RotateIfDue { hours }),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(|garbage| Op::Reopen { garbage }),
    ]
}

fn kind(code: u8) -> EntryKind {
    [EntryKind::Data, EntryKind::Open, EntryKind::Close][code as usize % 3]
}

struct Model {
    /// Entries `sync` returned for: must all be read back.
    synced: Vec<Appended>,
    /// Appended since: may or may not survive a reopen, in order.
    pending: Vec<Appended>,
}

fn config(compress: bool) -> JournalConfig {
    JournalConfig {
        max_segment_bytes: 700,
        max_segment_age: Duration::from_secs(3600),
        compress,
        ..JournalConfig::default()
    }
}

/// After a reopen, what is read must be the synced entries followed by a
/// prefix of the pending ones (those the OS had been given).
fn check_after_reopen(model: &mut Model, read: &[journal::Entry]) {
    assert!(read.len() >= model.synced.len(), "a synced entry was lost");
    assert_same(&model.synced, &read[..model.synced.len()]);
    let survivors = &read[model.synced.len()..];
    assert!(survivors.len() <= model.pending.len());
    assert_same(&model.pending[..survivors.len()], survivors);
    let kept = survivors.len();
    model.synced.extend(model.pending.drain(..).take(kept));
}

fn run(ops: Vec<Op>, compress: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::open(dir.path(), config(compress)).unwrap();
    let mut writer = journal.writer("pbx").unwrap();
    let mut model = Model { synced: Vec::new(), pending: Vec::new() };
    let mut last_sync = Position::BEGIN;
    for op in ops {
        match op {
            Op::Append { kind: code, connection, len, secs } => {
                let payload: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
                let received = at(secs);
                let position = writer.append(kind(code), connection, received, &payload).unwrap();
                assert!(position >= last_sync);
                if position.segment > last_sync.segment {
                    // The append rotated, which syncs the segment it closes.
                    model.synced.append(&mut model.pending);
                    last_sync = Position::new(position.segment, journal::SEGMENT_HEADER_LEN);
                }
                model.pending.push(Appended {
                    position,
                    kind: kind(code),
                    connection,
                    received,
                    payload,
                });
            }
            Op::Sync => {
                last_sync = writer.sync().unwrap();
                model.synced.append(&mut model.pending);
                assert_eq!(journal.end("pbx").unwrap(), last_sync);
            }
            Op::RotateIfDue { hours } => {
                let now = SystemTime::now() + Duration::from_secs(hours * 3600 + 1);
                if writer.rotate_if_due(now).unwrap() {
                    // Rotation syncs first.
                    model.synced.append(&mut model.pending);
                    last_sync = journal.end("pbx").unwrap();
                }
            }
            Op::Reopen { garbage } => {
                drop(writer);
                drop(journal);
                let sdir = source_dir(dir.path());
                let last_segment =
                    file_names(&sdir).into_iter().filter(|n| n.ends_with(".seg")).max().unwrap();
                OpenOptions::new()
                    .append(true)
                    .open(sdir.join(last_segment))
                    .unwrap()
                    .write_all(&garbage)
                    .unwrap();
                journal = Journal::open(dir.path(), config(compress)).unwrap();
                check_after_reopen(&mut model, &read_all(&journal, "pbx"));
                writer = journal.writer("pbx").unwrap();
                last_sync = journal.end("pbx").unwrap();
            }
        }
        // A tailing reader sees exactly the synced entries.
        let read = read_all(&journal, "pbx");
        assert_same(&model.synced, &read);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn synced_entries_survive_any_sequence(ops in proptest::collection::vec(op(), 1..60), compress in any::<bool>()) {
        run(ops, compress);
    }
}
