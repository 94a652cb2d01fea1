//! Properties over arbitrary calls: costs are never negative and never
//! fall when a call gets longer (on tariffs without a maximum or free
//! seconds, where that must hold).

use std::sync::OnceLock;

use jiff::Timestamp;
use proptest::prelude::*;
use rating::{Call, TariffBook};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tariffs.toml");

fn book() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| TariffBook::load(FIXTURE).unwrap())
}

/// (carrier, number) pairs whose rates have neither maximum nor free seconds.
const MONOTONE: &[(&str, &str)] = &[
    ("Units", "33142345678"),
    ("Units", "33622345678"),
    ("BandsSplit", "33142345678"),
    ("BandsStart", "33142345678"),
    ("Dst", "331"),
    ("Night", "331"),
    ("Versions", "331"),
    ("RoundHalfEven", "2555"),
    ("PerIncrement", "1555"),
    ("RoundUp", "1555"),
    ("Discounted", "4420"),
];

fn call(carrier: &str, number: &'static str, start: i64, duration_s: u32) -> Call<'static> {
    Call {
        carrier: book().carrier_id(carrier).unwrap(),
        number,
        start: Timestamp::from_second(start).unwrap(),
        duration_s,
        site_holidays: None,
    }
}

proptest! {
    #[test]
    fn cost_is_never_negative_and_grows_with_duration(
        which in 0..MONOTONE.len(),
        // 2025-01-01 … 2026-12-31, including both DST changes of each year.
        start in 1_735_689_600i64..1_798_761_600,
        duration in 0u32..20_000,
        extra in 1u32..4_000,
    ) {
        let (carrier, number) = MONOTONE[which];
        let shorter = book().price(&call(carrier, number, start, duration)).unwrap();
        let longer = book().price(&call(carrier, number, start, duration + extra)).unwrap();
        prop_assert!(shorter.cost >= rust_decimal::Decimal::ZERO);
        prop_assert!(longer.cost >= shorter.cost, "{} > {}", shorter.cost, longer.cost);
        let band_seconds: u32 = longer.bands.iter().map(|s| s.seconds).sum();
        prop_assert_eq!(band_seconds, longer.billed_seconds);
        let band_units: u32 = longer.bands.iter().map(|s| s.units).sum();
        prop_assert_eq!(band_units, longer.units);
        prop_assert!(longer.billed_seconds >= duration + extra);
    }

    #[test]
    fn any_priced_call_is_never_negative(
        carrier in 0usize..13,
        number in "[0-9]{1,18}",
        start in 1_735_689_600i64..1_798_761_600,
        duration in 0u32..100_000,
    ) {
        let carrier = &book().carriers()[carrier];
        let call = Call {
            carrier: book().carrier_id(carrier.name()).unwrap(),
            number: &number,
            start: Timestamp::from_second(start).unwrap(),
            duration_s: duration,
            site_holidays: None,
        };
        if let Ok(priced) = book().price(&call) {
            prop_assert!(priced.cost >= rust_decimal::Decimal::ZERO);
            prop_assert!(priced.cost <= priced.gross);
            prop_assert!(!priced.explanation().is_empty());
        }
    }
}
