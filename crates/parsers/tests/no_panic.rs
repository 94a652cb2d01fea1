//! Recognition and framing never panic, whatever the bytes.

use cdr::Framing;
use parsers::{RecordReader, detect};
use proptest::prelude::*;

proptest! {
    #[test]
    fn detect_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = detect(&bytes);
    }

    #[test]
    fn detect_never_panics_on_csv_like_text(text in "[\"0-9A-Z ,:\\-!{}\n]{0,400}") {
        let _ = detect(text.as_bytes());
    }

    #[test]
    fn framing_never_panics_and_lines_only_grow(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        framing in prop_oneof![Just(Framing::Lines), Just(Framing::QuotedLines), Just(Framing::Document)],
    ) {
        let mut reader = RecordReader::new(&bytes[..], framing);
        let mut buf = Vec::new();
        let mut last_line = 0;
        while let Some(line) = reader.next_record(&mut buf).unwrap() {
            prop_assert!(line > last_line, "line numbers grow");
            last_line = line;
        }
    }
}
