//! Parser throughput on synthetic records (the end-to-end figure is
//! `bluewhale bench import`; this isolates the parsers).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parsers::{Format, RecordReader};
use std::hint::black_box;

const RECORDS: u64 = 20_000;

/// Records of a generated file, framed as the format frames them.
fn records(format: &Format, write: impl Fn(&std::path::Path)) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cdrs");
    write(&path);
    let parser = format.parser(&cdr::ParserContext::default());
    let mut reader = RecordReader::new(
        std::fs::File::open(&path).map(std::io::BufReader::new).unwrap(),
        parser.framing(),
    );
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while reader.next_record(&mut buf).unwrap().is_some() {
        out.push(buf.clone());
    }
    out
}

fn bench(c: &mut Criterion) {
    let org = synth::Org::new(10_000);
    let cases = [
        ("avaya-97", Format::by_name("avaya").unwrap(), 0),
        ("cucm", Format::by_name("cucm").unwrap(), 1),
    ];
    let mut group = c.benchmark_group("parse");
    for (name, format, kind) in cases {
        let recs = records(&format, |p| match kind {
            0 => synth::write_avaya(p, &org, RECORDS, 7).unwrap(),
            _ => synth::write_cucm(p, &org, RECORDS, 7).unwrap(),
        });
        group.throughput(Throughput::Elements(recs.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut parser = format.parser(&cdr::ParserContext::default());
                for r in &recs {
                    let _ = black_box(parser.parse(r));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
