//! Classification throughput on a mix of calls of four countries' sites,
//! with a hash-map directory lookup (as the pipeline would give).

use cdr::Direction;
use classify::{Classifier, DialPlan, SiteId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rustc_hash::FxHashMap;
use std::hint::black_box;

fn classifier() -> Classifier {
    let mut classifier = Classifier::new();
    let plans =
        [(1, "cn", "10", "0"), (2, "fr", "1", "0"), (3, "uk", "20", "9"), (4, "us", "212", "9")];
    for (site, preset, area, access) in plans {
        let mut plan = DialPlan::preset(preset, area).expect("preset");
        plan.access_codes = vec![access.to_owned()];
        classifier.add_site(site, &plan);
    }
    classifier
}

fn calls() -> Vec<(SiteId, Direction, &'static str)> {
    use Direction::*;
    vec![
        (1, Outgoing, "0 62345678"),
        (1, Outgoing, "0 021 62345678"),
        (1, Outgoing, "013912345678"),
        (1, Outgoing, "0 00 1 212 555 1234"),
        (1, Outgoing, "8001"),
        (1, Incoming, "13912345678"),
        (1, Outgoing, "0110"),
        (2, Outgoing, "00155512345"),
        (2, Outgoing, "00612345678"),
        (2, Outgoing, "0004930123456"),
        (2, Outgoing, "2001"),
        (3, Outgoing, "902079460000"),
        (3, Outgoing, "907700900123"),
        (3, Outgoing, "90033155512345"),
        (4, Outgoing, "914155551234"),
        (4, Outgoing, "95551234"),
        (4, Outgoing, "9011442079460000"),
        (4, Outgoing, "+8613912345678"),
    ]
}

fn bench(c: &mut Criterion) {
    let classifier = classifier();
    let calls = calls();
    let mut extensions: FxHashMap<String, SiteId> = FxHashMap::default();
    for (number, site) in [("8001", 1), ("2001", 2), ("3001", 3), ("5001", 4)] {
        extensions.insert(number.to_owned(), site);
    }
    let lookup = |n: &str| extensions.get(n).copied();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(calls.len() as u64));
    group.bench_function("mixed", |b| {
        b.iter(|| {
            for &(site, direction, number) in &calls {
                black_box(classifier.classify(Some(site), direction, black_box(number), &lookup));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
