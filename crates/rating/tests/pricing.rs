//! Pricing against tests/fixtures/tariffs.toml; every expected figure is
//! worked out by hand in the comment beside it.

use std::sync::OnceLock;

use expect_test::expect;
use jiff::Timestamp;
use rating::{Adjustment, Call, HolidayCalendar, PriceError, Priced, TariffBook, Usage};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tariffs.toml");

fn book() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| TariffBook::load(FIXTURE).unwrap_or_else(|e| panic!("{e}")))
}

fn call<'a>(carrier: &str, number: &'a str, start: &str, duration_s: u32) -> Call<'a> {
    Call {
        carrier: book().carrier_id(carrier).unwrap(),
        number,
        start: start.parse::<Timestamp>().unwrap(),
        duration_s,
        site_holidays: None,
    }
}

fn price(carrier: &str, number: &str, start: &str, duration_s: u32) -> Priced<'static> {
    book().price(&call(carrier, number, start, duration_s)).unwrap_or_else(|e| panic!("{e}"))
}

fn cost(carrier: &str, number: &str, start: &str, duration_s: u32) -> String {
    let priced = price(carrier, number, start, duration_s);
    format!("{} {}", priced.cost, priced.currency)
}

/// `band seconds/units cost` per band used.
fn bands(priced: &Priced<'_>) -> String {
    let parts: Vec<String> = priced
        .bands
        .iter()
        .map(|s| format!("{} {}s/{}u {}", s.band, s.seconds, s.units, s.cost))
        .collect();
    parts.join(", ")
}

const MONDAY_NOON: &str = "2025-03-03T12:00:00+01:00";

#[test]
fn first_interval_then_increments_with_connect_fee() {
    // 30/6 billing, connect 0.05, first 0.10, increment 0.02.
    // 95 s: first 30 s, then 65 s → ceil(65 / 6) = 11 increments (66 s);
    // billed 96 s in 12 units; 0.05 + 0.10 + 11 × 0.02 = 0.37.
    let priced = price("Units", "33142345678", MONDAY_NOON, 95);
    assert_eq!(priced.cost.to_string(), "0.37");
    assert_eq!((priced.billed_seconds, priced.units), (96, 12));
    assert_eq!(priced.connect_fee.to_string(), "0.05");
    // Exactly the first interval: 0.05 + 0.10 = 0.15; one second more
    // starts an increment: 0.15 + 0.02 = 0.17.
    assert_eq!(cost("Units", "33142345678", MONDAY_NOON, 30), "0.15 EUR");
    assert_eq!(cost("Units", "33142345678", MONDAY_NOON, 31), "0.17 EUR");
    // One second: the whole first interval, 0.15.
    assert_eq!(cost("Units", "33142345678", MONDAY_NOON, 1), "0.15 EUR");
}

#[test]
fn minimum_charge() {
    // 60/60 at 0.20, minimum 0.50. 90 s → 2 units = 0.40 < 0.50 → 0.50.
    let priced = price("Units", "33622345678", MONDAY_NOON, 90);
    assert_eq!(priced.cost.to_string(), "0.50");
    assert_eq!(priced.adjustment, Adjustment::Minimum);
    // 150 s → 3 units = 0.60 ≥ 0.50 → 0.60.
    assert_eq!(cost("Units", "33712345678", MONDAY_NOON, 150), "0.60 EUR");
}

#[test]
fn free_seconds_and_maximum() {
    // 1/1 at 0.01, free ≤ 10 s, maximum 1.00.
    // 10 s: at the free limit → 0.00, nothing billed.
    let free = price("Units", "33891234", MONDAY_NOON, 10);
    assert_eq!((free.cost.to_string(), free.units, free.billed_seconds), ("0.00".into(), 0, 0));
    assert_eq!(free.adjustment, Adjustment::Free);
    // 11 s: over the limit, all 11 s billed → 11 × 0.01 = 0.11.
    assert_eq!(cost("Units", "33891234", MONDAY_NOON, 11), "0.11 EUR");
    // 200 s → 2.00, capped at 1.00.
    let capped = price("Units", "33891234", MONDAY_NOON, 200);
    assert_eq!(capped.cost.to_string(), "1.00");
    assert_eq!(capped.adjustment, Adjustment::Maximum);
    // A call of 0 s (never answered) costs nothing, even without free seconds.
    assert_eq!(cost("Units", "33142345678", MONDAY_NOON, 0), "0.00 EUR");
}

#[test]
fn longest_prefix_wins() {
    let destination = |number| price("Units", number, MONDAY_NOON, 60);
    // 3361 beats 336 beats 33.
    let special = destination("33612345678");
    assert_eq!(
        (special.prefix.to_string(), special.destination),
        ("3361".into(), "France mobile special")
    );
    let mobile = destination("33622345678");
    assert_eq!((mobile.prefix.to_string(), mobile.destination), ("336".into(), "France mobile"));
    let fixed = destination("+33142345678");
    assert_eq!((fixed.prefix.to_string(), fixed.destination), ("33".into(), "France fixed"));
}

#[test]
fn no_rate_is_an_error_not_a_zero() {
    let error = book().price(&call("Units", "4930123456", MONDAY_NOON, 60)).unwrap_err();
    assert_eq!(
        error,
        PriceError::NoRate {
            number: "4930123456".into(),
            carrier: "Units".into(),
            version: "2025".into()
        }
    );
    assert_eq!(error.to_string(), r#"no rate for "4930123456" in carrier "Units" version "2025""#);
    let bad = book().price(&call("Units", "33-1", MONDAY_NOON, 60)).unwrap_err();
    assert_eq!(bad.to_string(), r#"not a dialled number: "33-1""#);
    let early = book().price(&call("Units", "331", "2024-12-31T22:59:59Z", 60)).unwrap_err();
    assert_eq!(
        early.to_string(),
        r#"carrier "Units" has no tariff version valid at 2024-12-31T22:59:59Z"#
    );
}

#[test]
fn band_crossing_split_prices_each_unit_at_its_band() {
    // Monday 18:58 CET, 240 s on 60/60: units start 18:58, 18:59 (peak
    // 0.60) and 19:00, 19:01 (offpeak 0.30) → 2 × 0.60 + 2 × 0.30 = 1.80.
    let priced = price("BandsSplit", "331", "2025-03-03T18:58:00+01:00", 240);
    assert_eq!(priced.cost.to_string(), "1.80");
    assert_eq!(bands(&priced), "peak 120s/2u 1.20, offpeak 120s/2u 0.60");
    // A unit that begins before 19:00 is peak even if it ends after:
    // 18:58:30 + 120 s → units at 18:58:30 and 18:59:30 → 2 × 0.60 = 1.20.
    assert_eq!(cost("BandsSplit", "331", "2025-03-03T18:58:30+01:00", 120), "1.20 EUR");
}

#[test]
fn band_crossing_start_prices_the_whole_call_at_the_start_band() {
    // Same call as above under `start`: 4 units × 0.60 (peak) = 2.40.
    let priced = price("BandsStart", "331", "2025-03-03T18:58:00+01:00", 240);
    assert_eq!(priced.cost.to_string(), "2.40");
    assert_eq!(bands(&priced), "peak 240s/4u 2.40");
}

#[test]
fn weekend_and_midnight_into_saturday() {
    // Friday 23:59 CET, 120 s: 23:59 offpeak 0.30, Saturday 00:00 weekend
    // 0.10 → 0.40.
    let priced = price("BandsSplit", "331", "2025-03-07T23:59:00+01:00", 120);
    assert_eq!(bands(&priced), "offpeak 60s/1u 0.30, weekend 60s/1u 0.10");
    assert_eq!(priced.cost.to_string(), "0.40");
}

#[test]
fn holidays_use_the_holiday_band() {
    // Thursday 2025-12-25 10:00 (yearly 12-25) → weekend 0.10 per minute.
    assert_eq!(cost("BandsSplit", "331", "2025-12-25T10:00:00+01:00", 60), "0.10 EUR");
    // Monday 2025-04-21 10:00 (fixed date, Easter Monday) → weekend 0.10.
    assert_eq!(cost("BandsSplit", "331", "2025-04-21T10:00:00+02:00", 60), "0.10 EUR");
    // Tuesday 2026-04-21 10:00: the fixed date was 2025 only → peak 0.60.
    assert_eq!(cost("BandsSplit", "331", "2026-04-21T10:00:00+02:00", 60), "0.60 EUR");
    // Wednesday 2025-12-24 23:59 → 2025-12-25 00:00: offpeak 0.30, then
    // holiday 0.10 → 0.40.
    let eve = price("BandsSplit", "331", "2025-12-24T23:59:00+01:00", 120);
    assert_eq!(bands(&eve), "offpeak 60s/1u 0.30, weekend 60s/1u 0.10");
}

#[test]
fn site_holidays_add_to_the_tariffs() {
    // Monday 2025-03-03 12:00 is peak (0.60) unless the site says holiday.
    let site = HolidayCalendar::new("Lyon", ["2025-03-03".parse().unwrap()]);
    let mut with_site = call("BandsSplit", "331", MONDAY_NOON, 60);
    with_site.site_holidays = Some(&site);
    assert_eq!(book().price(&with_site).unwrap().cost.to_string(), "0.10");
    assert_eq!(cost("BandsSplit", "331", MONDAY_NOON, 60), "0.60 EUR");
}

#[test]
fn spring_forward_gap() {
    // Europe/Paris 2025-03-30: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    // Start 01:50 CET (00:50 UTC), 20 min: units at 01:50 … 01:59 CET are
    // "early" (00:00–03:00), the next at 03:00 … 03:09 CEST are "day".
    // 10 × 0.01 + 10 × 0.10 = 1.10. (Adding 10 min to 01:50 on the wall
    // clock would wrongly stay in "early" until 03:00.)
    let priced = price("Dst", "331", "2025-03-30T00:50:00Z", 1200);
    assert_eq!(bands(&priced), "early 600s/10u 0.10, day 600s/10u 1.00");
    assert_eq!(priced.cost.to_string(), "1.10");
}

#[test]
fn fall_back_repeated_hour() {
    // Europe/Paris 2025-10-26: 03:00 CEST goes back to 02:00 CET (01:00 UTC).
    // Start 02:30 CEST (00:30 UTC), 60 min: 02:30–02:59 CEST, then
    // 02:00–02:29 CET: every unit starts before local 03:00, all "early":
    // 60 × 0.01 = 0.60. (Wall-clock arithmetic would put 30 min in "day".)
    let priced = price("Dst", "331", "2025-10-26T00:30:00Z", 3600);
    assert_eq!(bands(&priced), "early 3600s/60u 0.60");
    assert_eq!(priced.cost.to_string(), "0.60");
    // The second 02:30 (CET, 01:30 UTC) is also "early": 30 min to 03:00
    // CET, then "day": 30 × 0.01 + 30 × 0.10 = 3.30.
    let second = price("Dst", "331", "2025-10-26T01:30:00Z", 3600);
    assert_eq!(bands(&second), "early 1800s/30u 0.30, day 1800s/30u 3.00");
}

#[test]
fn night_band_wrapping_midnight_belongs_to_its_start_day() {
    // fri 22:00–06:00: Saturday 2025-03-08 05:59 CET is night (0.01), 06:00 day.
    let priced = price("Night", "331", "2025-03-08T05:59:00+01:00", 120);
    assert_eq!(bands(&priced), "night 60s/1u 0.01, day 60s/1u 0.10");
    // Friday 05:00 is Thursday's night, which is not declared → day.
    assert_eq!(cost("Night", "331", "2025-03-07T05:00:00+01:00", 60), "0.10 EUR");
}

#[test]
fn tariff_version_change_at_valid_from() {
    // 2025-H2 starts at local midnight 2025-07-01 (22:00 UTC June 30).
    // One second before: 2025-H1, 0.10 per minute; at it: 2025-H2, 0.20.
    let before = price("Versions", "331", "2025-06-30T23:59:59+02:00", 60);
    assert_eq!((before.version_id, before.cost.to_string()), ("2025-H1", "0.10".into()));
    let after = price("Versions", "331", "2025-07-01T00:00:00+02:00", 60);
    assert_eq!((after.version_id, after.cost.to_string()), ("2025-H2", "0.20".into()));
    assert_eq!(after.valid_from.to_string(), "2025-06-30T22:00:00Z");
    // A call that crosses valid_from keeps the version it started in.
    assert_eq!(cost("Versions", "331", "2025-06-30T23:59:00+02:00", 600), "1.00 EUR");
}

#[test]
fn rounding_modes_at_the_half() {
    // 10 s at 0.0125/s = 0.125 exactly: half up 0.13, half even 0.12, up 0.13.
    assert_eq!(cost("RoundHalfUp", "1555", MONDAY_NOON, 10), "0.13 USD");
    assert_eq!(cost("RoundHalfEven", "1555", MONDAY_NOON, 10), "0.12 USD");
    assert_eq!(cost("RoundUp", "1555", MONDAY_NOON, 10), "0.13 USD");
    // 10 s at 0.0135/s = 0.135: half even goes to the even 0.14.
    assert_eq!(cost("RoundHalfEven", "2555", MONDAY_NOON, 10), "0.14 USD");
    // 8 s at 0.0125 = 0.100 exactly: every mode keeps 0.10.
    assert_eq!(cost("RoundUp", "1555", MONDAY_NOON, 8), "0.10 USD");
    // 9 s at 0.0125 = 0.1125: half up 0.11, up 0.12.
    assert_eq!(cost("RoundHalfUp", "1555", MONDAY_NOON, 9), "0.11 USD");
    assert_eq!(cost("RoundUp", "1555", MONDAY_NOON, 9), "0.12 USD");
}

#[test]
fn per_increment_versus_per_call_rounding() {
    // Per increment (half up): each second's 0.0125 → 0.01; 10 × 0.01 = 0.10.
    // Per call (half up): 10 × 0.0125 = 0.125 → 0.13.
    assert_eq!(cost("PerIncrement", "1555", MONDAY_NOON, 10), "0.10 USD");
    assert_eq!(cost("RoundHalfUp", "1555", MONDAY_NOON, 10), "0.13 USD");
    // 0.0135 → 0.01 per second: 10 × 0.01 = 0.10 (per call 0.135 → 0.14).
    assert_eq!(cost("PerIncrement", "2555", MONDAY_NOON, 10), "0.10 USD");
}

#[test]
fn currency_is_the_tariffs() {
    assert_eq!(price("RoundUp", "1555", MONDAY_NOON, 10).currency.as_str(), "USD");
    assert_eq!(price("Units", "331", MONDAY_NOON, 10).currency.as_str(), "EUR");
    assert_eq!(price("FromCsv", "41441234567", MONDAY_NOON, 10).currency.as_str(), "CHF");
}

#[test]
fn prefixes_from_csv_and_inline_together() {
    // 4179 inline (0.30), 4176 from CSV (0.30), 41 from CSV (0.08).
    assert_eq!(cost("FromCsv", "41791234567", MONDAY_NOON, 60), "0.30 CHF");
    assert_eq!(price("FromCsv", "41761234567", MONDAY_NOON, 60).destination, "Switzerland mobile");
    assert_eq!(cost("FromCsv", "41441234567", MONDAY_NOON, 60), "0.08 CHF");
}

#[test]
fn percentage_discount_and_volume_tier() {
    // 3 min at 0.50 = 1.50; 10 % off → 0.15 → 1.35.
    let first = book().price(&call("Discounted", "4420", MONDAY_NOON, 180)).unwrap();
    assert_eq!(
        (first.gross.to_string(), first.discount.to_string()),
        ("1.50".into(), "0.15".into())
    );
    assert_eq!(first.cost.to_string(), "1.35");
    // After 100 billed minutes in the period: 15 % of 1.50 = 0.225 → 0.23
    // (half up) → 1.27.
    let mut usage = Usage::default();
    for _ in 0..33 {
        usage.record(&first); // 33 × 180 s = 99 min: tier not reached yet
    }
    let still = book().price_with_usage(&call("Discounted", "4420", MONDAY_NOON, 180), &usage);
    assert_eq!(still.unwrap().cost.to_string(), "1.35");
    usage.record(&first); // 102 min
    let tiered = book().price_with_usage(&call("Discounted", "4420", MONDAY_NOON, 180), &usage);
    assert_eq!(tiered.unwrap().cost.to_string(), "1.27");
}

#[test]
fn explanation_of_a_split_call() {
    let priced = price("BandsSplit", "33142345678", "2025-03-03T18:58:00+01:00", 200);
    expect![[r#"
        tariff BandsSplit version 2025 (valid from 2025-01-01 00:00:00 Wed +01:00), EUR, zone Europe/Paris, band crossing split
        prefix 33 → destination "France"
        start 2025-03-03 18:58:00 Mon +01:00, talk 200 s, start band peak
        billing 60/60: first interval 60 s + 3 increment(s) of 60 s = 240 s billed, 4 unit(s)
        band peak: first 60 s at 0.60 + 1 × 60 s at 0.60 = 1.20
        band offpeak: 2 × 60 s at 0.30 = 0.60
        sum 1.80
        rounded half up to 2 decimal(s) per call: 1.80
        cost 1.80 EUR"#]]
    .assert_eq(&priced.explanation().join("\n"));
}

#[test]
fn explanation_with_connect_fee_minimum_and_discount() {
    let connect = price("Units", "33142345678", MONDAY_NOON, 95);
    expect![[r#"
        tariff Units version 2025 (valid from 2025-01-01 00:00:00 Wed +01:00), EUR, zone Europe/Paris, band crossing start
        prefix 33 → destination "France fixed"
        start 2025-03-03 12:00:00 Mon +01:00, talk 95 s, start band all
        billing 30/6: first interval 30 s + 11 increment(s) of 6 s = 96 s billed, 12 unit(s)
        connect fee 0.05
        band all: first 30 s at 0.10 + 11 × 6 s at 0.02 = 0.32
        sum 0.37
        rounded half up to 2 decimal(s) per call: 0.37
        cost 0.37 EUR"#]].assert_eq(&connect.explanation().join("\n"));
    let raised = price("Units", "33622345678", MONDAY_NOON, 30);
    expect![[r#"
        tariff Units version 2025 (valid from 2025-01-01 00:00:00 Wed +01:00), EUR, zone Europe/Paris, band crossing start
        prefix 336 → destination "France mobile"
        start 2025-03-03 12:00:00 Mon +01:00, talk 30 s, start band all
        billing 60/60: first interval 60 s + 0 increment(s) of 60 s = 60 s billed, 1 unit(s)
        band all: first 60 s at 0.20 = 0.20
        sum 0.20
        below minimum charge 0.50: raised to it
        rounded half up to 2 decimal(s) per call: 0.50
        cost 0.50 EUR"#]]
    .assert_eq(&raised.explanation().join("\n"));
    let discounted = price("Discounted", "4420", MONDAY_NOON, 180);
    expect![[r#"
        tariff Discounted version 2025 (valid from 2025-01-01 00:00:00 Wed +00:00), GBP, zone Europe/London, band crossing start
        prefix 44 → destination "UK"
        start 2025-03-03 11:00:00 Mon +00:00, talk 180 s, start band all
        billing 60/60: first interval 60 s + 2 increment(s) of 60 s = 180 s billed, 3 unit(s)
        band all: first 60 s at 0.50 + 2 × 60 s at 0.50 = 1.50
        sum 1.50
        rounded half up to 2 decimal(s) per call: 1.50
        discount 10%: −0.15
        cost 1.35 GBP"#]].assert_eq(&discounted.explanation().join("\n"));
    let free = price("Units", "33891234", MONDAY_NOON, 5);
    expect![[r#"
        tariff Units version 2025 (valid from 2025-01-01 00:00:00 Wed +01:00), EUR, zone Europe/Paris, band crossing start
        prefix 3389 → destination "France premium"
        start 2025-03-03 12:00:00 Mon +01:00, talk 5 s, start band all
        talk 5 s ≤ free seconds 10: free, cost 0.00 EUR"#]].assert_eq(&free.explanation().join("\n"));
}
