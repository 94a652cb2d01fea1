//! The parsers must return, never panic, whatever bytes they are given.

use cdr::{ParserContext, RecordParser};
use format_freeswitch::{CsvTemplate, FreeswitchCsvParser, FreeswitchJsonParser};
use jiff::tz::TimeZone;
use proptest::prelude::*;

const CSV_LINES: &[&str] = &[
    include_str!("fixtures/csv/example.csv"),
    include_str!("fixtures/csv/opencdrrate.csv"),
    include_str!("fixtures/csv/asterisk.csv"),
];
const JSON_DOCS: &[&str] = &[
    include_str!("fixtures/json/answered.json"),
    include_str!("fixtures/json/unanswered_encoded.json"),
    include_str!("fixtures/json/legacy_busy.json"),
];

fn ctx() -> ParserContext {
    ParserContext { time_zone: TimeZone::get("Europe/Berlin").unwrap(), ..ParserContext::default() }
}

fn mutate(mut bytes: Vec<u8>, edits: Vec<(prop::sample::Index, u8)>) -> Vec<u8> {
    for (at, byte) in edits {
        let i = at.index(bytes.len());
        bytes[i] = byte;
    }
    bytes
}

proptest! {
    #[test]
    fn csv_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), preset in 0usize..7) {
        let name = CsvTemplate::preset_names().nth(preset).unwrap();
        let mut parser = FreeswitchCsvParser::new(CsvTemplate::preset(name).unwrap(), ctx());
        let _ = parser.parse(&bytes);
    }

    #[test]
    fn csv_mutated_records_never_panic(
        file in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let template = ["example", "opencdrrate", "asterisk"][file];
        let mut parser = FreeswitchCsvParser::new(CsvTemplate::preset(template).unwrap(), ctx());
        let line = CSV_LINES[file].lines().next().unwrap();
        let bytes = mutate(line.as_bytes().to_vec(), edits);
        let _ = parser.parse(&bytes);
        let _ = parser.parse(&bytes[..cut.index(bytes.len() + 1)]);
    }

    #[test]
    fn json_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = FreeswitchJsonParser::new(ctx()).parse(&bytes);
    }

    #[test]
    fn json_mutated_documents_never_panic(
        doc in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let bytes = mutate(JSON_DOCS[doc].as_bytes().to_vec(), edits);
        let _ = FreeswitchJsonParser::new(ctx()).parse(&bytes);
    }

    #[test]
    fn json_with_arbitrary_variable_values_never_panics(
        values in proptest::collection::vec("[ -~%]{0,24}", 6),
    ) {
        let names = ["start_uepoch", "answer_epoch", "end_stamp", "billsec", "duration", "hangup_cause"];
        let vars: serde_json::Map<String, serde_json::Value> = names
            .iter()
            .zip(values)
            .map(|(n, v)| (n.to_string(), serde_json::Value::String(v)))
            .collect();
        let doc = serde_json::json!({ "variables": vars }).to_string();
        let _ = FreeswitchJsonParser::new(ctx()).parse(doc.as_bytes());
    }
}
