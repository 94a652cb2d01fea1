//! Whatever the bytes, the parser returns.

use cdr::{ParserContext, RecordParser};
use format_avaya::{AvayaParser, DateOrder, Layout};
use proptest::prelude::*;

const GOOD: &str = "031525 1402 00125 4711            900441234567890         12345                 9    101 003 7 ";

fn parser() -> AvayaParser {
    AvayaParser::new(
        Layout::preset("avaya-97").unwrap(),
        DateOrder::MonthDay,
        ParserContext::default(),
    )
}

proptest! {
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parser().parse(&bytes);
    }

    #[test]
    fn mutated_valid_lines(edits in proptest::collection::vec((0usize..95, any::<u8>()), 1..8)) {
        let mut line = GOOD.as_bytes().to_vec();
        for (at, byte) in edits {
            line[at] = byte;
        }
        let _ = parser().parse(&line);
    }

    #[test]
    fn arbitrary_layout_specs(spec in "[a-z/_ ,0-9-]{0,80}") {
        if let Ok(layout) = Layout::parse(&spec) {
            let len = layout.record_len();
            let _ = AvayaParser::new(layout, DateOrder::DayMonth, ParserContext::default())
                .parse(&vec![b'1'; len]);
        }
    }
}
