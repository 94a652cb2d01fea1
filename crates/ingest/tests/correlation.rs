//! Correlation applied where calls are stored: an import of a CUCM ad hoc
//! conference (six records: Cisco's documented example, as the
//! `bluewhale correlate` fixture has it) bills every leg to the
//! conference's controller and counts the conference once, in the same
//! rollups reports read; importing it again, or in two parts in reverse
//! order (the second import resuming from the stored calls), gives the
//! same outcome; with correlation off each record is a call of its own.

use directory::DirectoryFile;
use ingest::{Request, Silent, import, save_correlation_setting};
use std::path::{Path, PathBuf};
use store::{Store, Sums};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bluewhale/tests/fixtures/correlate").join(name)
}

fn store_with_directory(dir: &Path) -> Store {
    let mut store = Store::open(&dir.join("data")).unwrap();
    let path = fixture("directory.toml");
    let file = DirectoryFile::read(&path).unwrap();
    store.load_directory(&file, &path).unwrap();
    store
}

fn import_files(store: &mut Store, files: &[PathBuf]) -> ingest::Counts {
    let req = Request { pbx: Some("cucm-hq".into()), format: Some("cucm".into()), time_zone: None };
    let summary = import(store, files, &req, &mut Silent).unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    summary.counts
}

/// The CUCM header lines and the records of the conference fixture.
fn header_and_records() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(fixture("conference.csv")).unwrap();
    let mut lines = text.lines();
    let header = format!("{}\n{}\n", lines.next().unwrap(), lines.next().unwrap());
    (header, lines.filter(|l| !l.trim().is_empty()).map(str::to_string).collect())
}

/// Every owner's sums over the whole of 2025, by extension number.
fn sums_by_extension(store: &Store) -> Vec<(String, Sums)> {
    let first = store::days::day_number("2025-01-01".parse().unwrap());
    let last = store::days::day_number("2025-12-31".parse().unwrap());
    let mut by_id: std::collections::BTreeMap<i64, Sums> = Default::default();
    store
        .rollups(first, last, |_, extension, agg| {
            by_id.entry(extension).or_default().add(&agg.total());
            Ok(())
        })
        .unwrap();
    let number = |id: i64| -> String {
        for n in ["2001", "2002", "2309"] {
            if store.extension_ids(n).unwrap().contains(&id) {
                return n.into();
            }
        }
        format!("#{id}")
    };
    by_id
        .into_iter()
        .filter(|(_, s)| *s != Sums::default())
        .map(|(id, s)| (number(id), s))
        .collect()
}

fn calls_and_seconds(sums: &[(String, Sums)]) -> Vec<(&str, i64, i64)> {
    sums.iter().map(|(n, s)| (n.as_str(), s.calls, s.seconds)).collect()
}

#[test]
fn a_conference_imported_is_billed_to_its_controller_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(dir.path());
    let counts = import_files(&mut store, &[fixture("conference.csv")]);
    assert_eq!((counts.stored, counts.quarantined), (6, 0));

    let sums = sums_by_extension(&store);
    let total_seconds: i64 = sums.iter().map(|(_, s)| s.seconds).sum();
    assert_eq!(calls_and_seconds(&sums), [("2001", 1, total_seconds)], "{sums:?}");

    // Every leg has its outcome, in one logical call.
    let mut legs = Vec::new();
    let q = store::CdrQuery { from_s: 0, to_s: i64::MAX, ..Default::default() };
    store
        .query_cdrs(&q, |c| {
            legs.push(store.leg_billing(c.record.start_s, c.record.dedup).unwrap().unwrap());
            Ok(())
        })
        .unwrap();
    assert_eq!(legs.len(), 6);
    assert!(legs.iter().all(|l| l.call == legs[0].call), "{legs:?}");
    assert_eq!(legs.iter().filter(|l| l.counted).count(), 1);
    assert!(legs.iter().all(|l| l.features.contains("conference")), "{legs:?}");
    let of_call = store.legs_of_call(legs[0].call).unwrap();
    assert_eq!(of_call.len(), 6);

    // The same records again: all duplicates, nothing moves.
    let again = import_files(&mut store, &[fixture("conference.csv")]);
    assert_eq!((again.stored, again.duplicates), (0, 6));
    assert_eq!(sums_by_extension(&store), sums);
}

#[test]
fn legs_imported_apart_and_out_of_order_make_the_same_call() {
    let whole = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(whole.path());
    import_files(&mut store, &[fixture("conference.csv")]);
    let expected = sums_by_extension(&store);

    let dir = tempfile::tempdir().unwrap();
    let (header, records) = header_and_records();
    let (first, second) = records.split_at(3);
    let write = |name: &str, lines: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{header}{}\n", lines.join("\n"))).unwrap();
        path
    };
    let (first, second) = (write("first.csv", first), write("second.csv", second));
    let mut store = store_with_directory(dir.path());
    // The later records first; the earlier ones in an import of their own,
    // which resumes correlation from the calls stored by the first.
    assert_eq!(import_files(&mut store, &[second]).stored, 3);
    assert_eq!(import_files(&mut store, &[first]).stored, 3);
    assert_eq!(sums_by_extension(&store), expected);
}

#[test]
fn with_correlation_off_each_record_is_a_call_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(dir.path());
    save_correlation_setting(&store, None).unwrap();
    assert_eq!(ingest::correlation_setting(&store).unwrap(), None);
    import_files(&mut store, &[fixture("conference.csv")]);
    let calls: i64 = sums_by_extension(&store).iter().map(|(_, s)| s.calls).sum();
    assert_eq!(calls, 6);
    let q = store::CdrQuery { from_s: 0, to_s: i64::MAX, ..Default::default() };
    store
        .query_cdrs(&q, |c| {
            assert_eq!(store.leg_billing(c.record.start_s, c.record.dedup).unwrap(), None);
            Ok(())
        })
        .unwrap();
}
