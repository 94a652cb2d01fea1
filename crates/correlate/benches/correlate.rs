//! Correlation's cost per record, on Cisco UCM records from the documented
//! examples (`tests/scenarios/cucm`), repeated with fresh ids and times in
//! a realistic mix: per 100 calls, 83 plain outgoing calls (one record),
//! 10 consultation transfers (3 records), 5 forwards (1) and 2 ad hoc
//! conferences (6): 130 records. Measured: making each record's leg
//! (`leg_of`) and joining it (`Correlator::join`), the clock advanced every
//! 1,000 records, each call touched attributed once per 1,000 records, as
//! a writer storing batches would.

use cdr::{Cdr, Parsed, ParserContext, Text, Timestamp};
use correlate::{Config, Correlator, Joined, Rules, Vendor, leg_of};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

// As in the `bluewhale` binary: correlation allocates per leg.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn records(scenario: &str) -> Vec<Cdr> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/cucm").join(scenario);
    let text = std::fs::read_to_string(path).unwrap();
    let records = text.split("records = '''").nth(1).unwrap().split("'''").next().unwrap();
    let format = parsers::Format::by_name("cucm").unwrap();
    let mut parser = format.parser(&ParserContext::default());
    let mut out = Vec::new();
    for line in records.lines().filter(|l| !l.trim().is_empty()) {
        if let Ok(Parsed::Cdr(cdr)) = parser.parse(line.as_bytes()) {
            out.push(*cdr);
        }
    }
    out
}

/// `template`'s records as call number `n`: ids and times of their own.
fn instance(template: &[Cdr], n: u64) -> Vec<Cdr> {
    let shift = |id: &Text| -> Text {
        match id.parse::<u64>() {
            Ok(v) => Text::from((v + n * 1_000_000).to_string()),
            Err(_) => id.clone(),
        }
    };
    template
        .iter()
        .map(|cdr| {
            let mut cdr = cdr.clone();
            cdr.pbx = "cucm".into();
            let ids = &mut cdr.correlation;
            ids.global_call_id = Text::from(format!("{}#{n}", ids.global_call_id));
            ids.orig_leg_id = shift(&ids.orig_leg_id);
            ids.dest_leg_id = shift(&ids.dest_leg_id);
            ids.orig_conversation_id = shift(&ids.orig_conversation_id);
            ids.dest_conversation_id = shift(&ids.dest_conversation_id);
            let later = |t: Timestamp| t + jiff::SignedDuration::from_secs(n as i64 / 50);
            cdr.start = later(cdr.start);
            cdr.end = later(cdr.end);
            cdr
        })
        .collect()
}

/// Calls `from..from + calls` of the mix.
fn mix(from: u64, calls: u64) -> Vec<Cdr> {
    let plain = records("normal_outgoing_pstn.toml");
    let transfer = records("transfer_consult_outgoing_pstn.toml");
    let forward = records("forward_incoming_to_pstn.toml");
    let conference = records("conference_adhoc_pstn.toml");
    let mut out = Vec::new();
    for n in from..from + calls {
        let template = match n % 100 {
            0..10 => &transfer,
            10..15 => &forward,
            15..17 => &conference,
            _ => &plain,
        };
        out.extend(instance(template, n));
    }
    out
}

fn bench(c: &mut Criterion) {
    let calls = 100_000;
    let records = mix(0, calls);
    let extensions = |n: &str| n.len() == 4 && n.starts_with('2');
    let mut group = c.benchmark_group("correlate");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(10);
    group.bench_function("leg of each record", |b| {
        b.iter(|| {
            for (i, cdr) in records.iter().enumerate() {
                black_box(leg_of(cdr, Vendor::Cucm, i as u64, &extensions));
            }
        })
    });
    // One correlator for every round, as in a server that has run a while:
    // its memory is in use and reused, its clock forgets what is due.
    let mut correlator = Correlator::new(Rules::default(), Config::default());
    let mut round = 0u64;
    group.bench_function("joining each leg", |b| {
        b.iter_custom(|rounds| {
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..rounds {
                round += 1;
                // Fresh calls, later: ids and times of their own.
                let legs: Vec<_> = mix(round * calls, calls)
                    .iter()
                    .enumerate()
                    .map(|(i, cdr)| {
                        let id = round * 10_000_000 + i as u64;
                        (leg_of(cdr, Vendor::Cucm, id, &extensions), cdr.end)
                    })
                    .collect();
                let started = std::time::Instant::now();
                // As a writer would: a batch of 1,000 legs joined, each call
                // they touched attributed once, the clock moved on.
                let mut touched = Vec::new();
                for (i, (leg, end)) in legs.into_iter().enumerate() {
                    if let Joined::Call(call) = correlator.join(leg) {
                        touched.push(call);
                    }
                    if i % 1000 == 999 {
                        touched.sort_unstable();
                        touched.dedup();
                        for call in touched.drain(..) {
                            black_box(correlator.attribution(call));
                        }
                        black_box(correlator.advance(end));
                    }
                }
                spent += started.elapsed();
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
