//! Rows per second on the 133-column layout. Run in release:
//! `cargo test -p format-cucm --release --test throughput -- --ignored --nocapture`.

use cdr::{Parsed, RecordParser};
use format_cucm::CucmParser;
use std::time::Instant;

#[test]
#[ignore = "a measurement; run in release"]
fn rows_per_second() {
    let path = format!("{}/tests/fixtures/cdr_calls.txt", env!("CARGO_MANIFEST_DIR"));
    let contents = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = contents.lines().collect();
    let (head, rows) = lines.split_at(2);
    let mut parser = CucmParser::new();
    for line in head {
        parser.parse(line.as_bytes()).unwrap();
    }
    let total = 400_000;
    let started = Instant::now();
    let mut records = 0usize;
    for i in 0..total {
        if let Ok(Parsed::Cdr(cdr)) = parser.parse(rows[i % rows.len()].as_bytes()) {
            records += usize::from(cdr.duration_s < u32::MAX);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = total as f64 / seconds;
    println!("{records} CDRs, {rate:.0} rows/s");
    assert_eq!(records, total);
    if !cfg!(debug_assertions) {
        assert!(rate >= 300_000.0, "{rate:.0} rows/s");
    }
}
