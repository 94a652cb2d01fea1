//! Parsers never panic: arbitrary bytes, and valid fixture records with
//! bytes flipped, inserted or cut, fed to every preset.

mod common;

use cdr::RecordParser;
use common::{ctx, fixture};
use format_custom::{preset, preset_names};
use proptest::prelude::*;

fn fixture_records() -> Vec<Vec<u8>> {
    ["avaya-ip-office-smdr.txt", "mitel-mivb-smdr.txt", "3cx-cdr.txt"]
        .iter()
        .flat_map(|name| {
            fixture(name)
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| l.as_bytes().to_vec())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn feed_all(bytes: &[u8]) {
    let context = ctx("Europe/Berlin", "2025-07-01T00:00:00Z");
    for name in preset_names() {
        let mut parser = preset(name).unwrap().parser(&context);
        let _ = parser.parse(bytes);
        let _ = parser.parse(bytes); // and again, after any header state
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        feed_all(&bytes);
    }

    #[test]
    fn mutated_records(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let records = fixture_records();
        let mut record = records[pick.index(records.len())].clone();
        for (at, byte, how) in edits {
            let i = at.index(record.len() + 1);
            match how {
                0 if i < record.len() => record[i] = byte,
                1 => record.insert(i, byte),
                _ => record.truncate(i),
            }
        }
        feed_all(&record);
    }

    #[test]
    fn digit_and_separator_soup(text in "[0-9:/ ,.'PT*-]{0,120}") {
        feed_all(text.as_bytes());
    }
}
