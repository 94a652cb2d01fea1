//! `price_batch` gives exactly the results of `price`, call by call, for a
//! batch mixing every fixture carrier, good and bad numbers, calls before
//! any version, free, bundled, split and stepped calls.

use jiff::Timestamp;
use rating::{Call, PriceError, Priced, TariffBook};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tariffs.toml");

/// Everything a priced call reports, explanation included.
fn summary(result: &Result<Priced<'_>, PriceError>) -> String {
    match result {
        Ok(p) => format!(
            "{} {} {} {} {} {} {} {} {} {} {:?} {:?} {:?}\n{}",
            p.cost,
            p.gross,
            p.discount,
            p.currency,
            p.carrier,
            p.version_id,
            p.prefix,
            p.destination,
            p.billed_seconds,
            p.units,
            p.adjustment,
            &*p.bands,
            p.bundle,
            p.explanation().join("\n")
        ),
        Err(e) => format!("error {e:?}"),
    }
}

#[test]
fn batch_equals_one_by_one() {
    let book = TariffBook::load(FIXTURE).unwrap();
    let numbers = [
        "33142345678",
        "33612345678",
        "3389123",
        "1555",
        "2555",
        "4420",
        "41761234567",
        "34911234567",
        "4930123456",
        "33-1",
        "",
    ];
    let starts = [
        "2025-03-03T18:58:00+01:00",
        "2025-10-26T00:30:00Z",
        "2025-12-25T10:00:00+01:00",
        "2024-06-01T12:00:00Z",
    ];
    let mut calls = Vec::new();
    let mut seed = 7u32;
    for carrier in book.carriers() {
        for number in numbers {
            for start in starts {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                calls.push(Call {
                    carrier: book.carrier_id(carrier.name()).unwrap(),
                    number,
                    start: start.parse::<Timestamp>().unwrap(),
                    duration_s: (seed >> 8) % 2_000,
                    site_holidays: None,
                });
            }
        }
    }
    assert!(calls.len() > 500);
    let mut out = Vec::new();
    book.price_batch(&calls, &mut out);
    assert_eq!(out.len(), calls.len());
    let (mut ok, mut errors) = (0, 0);
    for (call, batched) in calls.iter().zip(&out) {
        let single = book.price(call);
        assert_eq!(summary(batched), summary(&single), "{call:?}");
        if single.is_ok() { ok += 1 } else { errors += 1 }
    }
    assert!(ok > 50 && errors > 50, "{ok} priced, {errors} errors");
    // Appends: a second batch adds after the first.
    book.price_batch(&calls[..3], &mut out);
    assert_eq!(out.len(), calls.len() + 3);
}
