//! Lines per second through the parser, single-threaded:
//! `cargo run --release -p format-avaya --example throughput`.

use cdr::{ParserContext, RecordParser};
use format_avaya::{AvayaParser, DateOrder, Layout};
use std::time::Instant;

fn main() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/avaya-97.txt");
    let text = std::fs::read_to_string(fixture).expect("fixture");
    let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
    let ctx = ParserContext {
        time_zone: jiff::tz::TimeZone::get("America/New_York").expect("zone"),
        received: "2025-03-20T12:00:00Z".parse().expect("time"),
    };
    let mut parser =
        AvayaParser::new(Layout::preset("avaya-97").expect("preset"), DateOrder::MonthDay, ctx);
    let rounds = 300_000;
    let started = Instant::now();
    let mut parsed = 0usize;
    for _ in 0..rounds {
        for line in &lines {
            parsed += usize::from(parser.parse(line).is_ok());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{parsed} lines in {seconds:.2} s: {:.0} lines/s", parsed as f64 / seconds);
}
