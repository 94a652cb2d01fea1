//! Whatever the bytes, the parser returns.

use cdr::{ParserContext, RecordParser};
use format_nec::NecParser;
use proptest::prelude::*;

const GOOD: &[u8] = include_bytes!("fixtures/KK-length-fixed.smdr");
/// A published record read with a repaired length: mutations exercise the
/// repair search.
const REPAIRED: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/nec/KMrecord.smdr"));

proptest! {
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = NecParser::new(ParserContext::default()).parse(&bytes);
    }

    #[test]
    fn mutated_valid_records(
        edits in proptest::collection::vec((0usize..GOOD.len(), any::<u8>()), 1..8),
        cut in 0usize..GOOD.len(),
    ) {
        let mut record = GOOD.to_vec();
        for (at, byte) in edits {
            record[at] = byte;
        }
        let mut parser = NecParser::new(ParserContext::default());
        let _ = parser.parse(&record);
        let _ = parser.parse(&record[..cut]);
    }

    #[test]
    fn mutated_repaired_records(
        edits in proptest::collection::vec((0usize..REPAIRED.len(), any::<u8>()), 1..8),
        cut in 0usize..REPAIRED.len(),
    ) {
        let mut record = REPAIRED.to_vec();
        for (at, byte) in edits {
            record[at] = byte;
        }
        let mut parser = NecParser::new(ParserContext::default());
        let _ = parser.parse(&record);
        let _ = parser.parse(&record[..cut]);
    }

    #[test]
    fn digit_soup_after_a_kind(digits in "[0-9 ]{0,120}", kind in "K[KLM]") {
        let record = format!("0!{kind}{digits}");
        let _ = NecParser::new(ParserContext::default()).parse(record.as_bytes());
    }
}
