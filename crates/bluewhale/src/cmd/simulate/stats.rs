//! What a run has done so far, counted by every connection or file writer
//! at once, printed each second and summed up at the end.

use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Stats {
    /// Records written whole (a record cut by `--drop-every` counts once,
    /// when it is sent whole).
    pub records: AtomicU64,
    /// Connections made after a connection's first.
    pub reconnects: AtomicU64,
    /// Links closed on purpose in the middle of a record.
    pub cuts: AtomicU64,
    pub garbage_lines: AtomicU64,
    pub connections_up: AtomicU64,
    pub files: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }
}

/// What the run was, for the progress lines and the summary.
pub struct Describe<'a> {
    pub target: &'a str,
    pub format: &'a str,
    /// Connections opened (TCP), or `None` for a file drop.
    pub connections: Option<usize>,
}

/// One progress line: records so far, the rate over the last interval.
pub fn progress_line(
    d: &Describe<'_>,
    stats: &Stats,
    records_before: u64,
    interval: Duration,
) -> String {
    let records = Stats::get(&stats.records);
    let rate = per_second(records - records_before.min(records), interval);
    let place = match d.connections {
        Some(total) => format!("{}/{total} connections up", Stats::get(&stats.connections_up)),
        None => format!("{} files written", Stats::get(&stats.files)),
    };
    format!("simulate: {records} records sent, {rate} records/s, {place}")
}

fn per_second(records: u64, elapsed: Duration) -> u64 {
    let nanos = elapsed.as_nanos().max(1);
    u64::try_from(u128::from(records) * 1_000_000_000 / nanos).unwrap_or(u64::MAX)
}

/// The summary as one JSON object.
pub fn summary_json(d: &Describe<'_>, stats: &Stats, elapsed: Duration) -> Value {
    let records = Stats::get(&stats.records);
    json!({
        "target": d.target,
        "format": d.format,
        "records": records,
        "seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "rate": per_second(records, elapsed),
        "connections": d.connections,
        "reconnects": Stats::get(&stats.reconnects),
        "cuts": Stats::get(&stats.cuts),
        "garbage_lines": Stats::get(&stats.garbage_lines),
        "files": d.connections.is_none().then(|| Stats::get(&stats.files)),
    })
}

/// The summary as text.
pub fn summary_text(d: &Describe<'_>, stats: &Stats, elapsed: Duration) -> String {
    let records = Stats::get(&stats.records);
    let mut text = format!(
        "{records} records sent to {} ({}) in {:.2} s: {} records/s",
        d.target,
        d.format,
        elapsed.as_secs_f64(),
        per_second(records, elapsed)
    );
    match d.connections {
        Some(connections) => text.push_str(&format!(
            "; {connections} connections, {} reconnects ({} links cut mid-record)",
            Stats::get(&stats.reconnects),
            Stats::get(&stats.cuts)
        )),
        None => text.push_str(&format!("; {} files written", Stats::get(&stats.files))),
    }
    text.push_str(&format!("; {} garbage lines", Stats::get(&stats.garbage_lines)));
    text
}
