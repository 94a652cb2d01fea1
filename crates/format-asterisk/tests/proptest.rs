//! The parser must return, never panic, whatever bytes it is given.

use cdr::{ParserContext, RecordParser};
use format_asterisk::AsteriskParser;
use jiff::tz::TimeZone;
use proptest::prelude::*;

const LAYOUTS: &str = include_str!("fixtures/layouts.csv");

fn parser(utc: bool) -> AsteriskParser {
    let ctx = ParserContext {
        time_zone: TimeZone::get("Europe/Berlin").unwrap(),
        ..ParserContext::default()
    };
    AsteriskParser::new(ctx, utc)
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), utc: bool) {
        let _ = parser(utc).parse(&bytes);
    }

    #[test]
    fn mutated_records_never_panic(
        line in 0usize..6,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = LAYOUTS.lines().nth(line).unwrap().as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let mut p = parser(false);
        let _ = p.parse(&bytes);
        let _ = p.parse(&bytes[..cut.index(bytes.len() + 1)]);
    }
}
