//! The parser must return, never panic, whatever follows a valid header.

use cdr::RecordParser;
use format_cucm::CucmParser;
use proptest::prelude::*;

fn sample(name: &str) -> String {
    let path = format!("{}/../../samples/cucm/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A parser that has read the header and type line of a sample file, and
/// that file's data rows.
fn primed(name: &str) -> (CucmParser, Vec<String>) {
    let contents = sample(name);
    let mut lines = contents.split('\n').filter(|l| !l.is_empty());
    let mut parser = CucmParser::new();
    for line in lines.by_ref().take(2) {
        parser.parse(line.as_bytes()).expect("header and type line");
    }
    (parser, lines.map(str::to_string).collect())
}

/// Bytes that matter to a CSV splitter and to number parsing.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'-'),
        Just(b'0'),
        Just(b'9'),
        Just(0xff),
        any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_after_a_cdr_header(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..8)) {
        let (mut parser, _) = primed("cdr_example.txt");
        for line in &lines {
            let _ = parser.parse(line);
        }
    }

    #[test]
    fn arbitrary_bytes_after_a_cmr_header(line in prop::collection::vec(any::<u8>(), 0..400)) {
        let (mut parser, _) = primed("cmr_example.txt");
        let _ = parser.parse(&line);
    }

    #[test]
    fn arbitrary_bytes_as_a_header(header in prop::collection::vec(any::<u8>(), 0..300), line in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut parser = CucmParser::new();
        let _ = parser.parse(&header);
        let _ = parser.parse(&line);
    }

    #[test]
    fn mutated_cdr_rows(
        row in 0usize..3,
        edits in prop::collection::vec((any::<prop::sample::Index>(), interesting_byte(), 0u8..3), 1..12),
    ) {
        let (mut parser, rows) = primed("cdr_example.txt");
        let mut bytes = rows[row % rows.len()].clone().into_bytes();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        let _ = parser.parse(&bytes);
    }

    #[test]
    fn mutated_cmr_rows(
        row in 0usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), interesting_byte()), 1..12),
    ) {
        let (mut parser, rows) = primed("cmr_example.txt");
        let mut bytes = rows[row % rows.len()].clone().into_bytes();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = parser.parse(&bytes);
    }

    /// Any field of the answered call replaced by a number-like value.
    #[test]
    fn any_field_replaced(column in 0usize..133, value in "(-?[0-9]{0,12}|[a-z.]{0,5}|\"[^\"]{0,5}\")") {
        let (mut parser, rows) = primed("cdr_example.txt");
        let mut fields: Vec<String> = rows[2].split(',').map(str::to_string).collect();
        if let Some(field) = fields.get_mut(column) {
            *field = value;
        }
        let _ = parser.parse(fields.join(",").as_bytes());
    }
}
