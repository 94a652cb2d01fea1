//! Free-minute bundles against the "Bundled" carrier of
//! tests/fixtures/tariffs.toml; every figure is worked out by hand beside
//! it. France fixed: connect 0.05, 30 s at 0.10 then 6 s at 0.02, minimum
//! 0.20. France mobile: 60/60 at 0.20. Both share "national-10" (600 s per
//! extension). Spain: stepped, first 60 s then 10 s units, 0.30 per
//! minute, in "spain-2" (120 s per department). UK: in no bundle.

use std::sync::OnceLock;

use expect_test::expect;
use jiff::Timestamp;
use rating::{Adjustment, BundleScope, Call, PeriodUsage, Priced, TariffBook, Usage};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tariffs.toml");
const MONDAY_NOON: &str = "2025-03-03T12:00:00+01:00";

fn book() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| TariffBook::load(FIXTURE).unwrap_or_else(|e| panic!("{e}")))
}

fn call(number: &str, duration_s: u32) -> Call<'_> {
    Call {
        carrier: book().carrier_id("Bundled").unwrap(),
        number,
        start: MONDAY_NOON.parse::<Timestamp>().unwrap(),
        duration_s,
        site_holidays: None,
    }
}

fn priced(number: &str, duration_s: u32, usage: &Usage) -> Priced<'static> {
    book().price_with_usage(&call(number, duration_s), usage).unwrap_or_else(|e| panic!("{e}"))
}

/// `bundle seconds / free units`, or `-` when the call met no bundle.
fn bundle(priced: &Priced<'_>) -> String {
    priced.bundle.map_or("-".into(), |b| format!("{} {}s/{}u", b.name, b.seconds, b.free_units))
}

#[test]
fn inside_straddling_and_after_the_bundle() {
    let mut usage = Usage::default();

    // Inside: France fixed 517 s → 30 s + ⌈487 / 6⌉ = 82 increments, 522 s
    // billed in 83 units; 522 ≤ 600 left → every unit free, no connect
    // fee, no minimum: 0.00.
    let inside = priced("33142345678", 517, &usage);
    assert_eq!(inside.cost.to_string(), "0.00");
    assert_eq!(inside.adjustment, Adjustment::Bundle);
    assert_eq!((inside.billed_seconds, inside.units), (522, 83));
    assert_eq!(bundle(&inside), "national-10 522s/83u");
    usage.record(&inside);
    assert_eq!(usage.bundle_seconds("national-10"), 522);

    // Straddling: 78 s left. France mobile 150 s → units [0,60) [60,120)
    // [120,180). The first ends by 78 → free; [60,120) straddles 78 →
    // charged in full, as is [120,180): 2 × 0.20 = 0.40. The bundle spends
    // its 78 s (exhausted).
    let straddling = priced("33612345678", 150, &usage);
    assert_eq!(straddling.cost.to_string(), "0.40");
    assert_eq!(straddling.adjustment, Adjustment::None);
    assert_eq!((straddling.billed_seconds, straddling.units), (180, 3));
    assert_eq!(bundle(&straddling), "national-10 78s/1u");
    let shares: Vec<_> = straddling.bands.iter().map(|s| (s.seconds, s.units)).collect();
    assert_eq!(shares, [(120, 2)]);
    usage.record(&straddling);
    assert_eq!(usage.bundle_seconds("national-10"), 600);

    // After: nothing left. France fixed 95 s → 0.05 + 0.10 + 11 × 0.02 =
    // 0.37, the price without a bundle; the bundle reports 0 s spent.
    let after = priced("33142345678", 95, &usage);
    assert_eq!(after.cost.to_string(), "0.37");
    assert_eq!(bundle(&after), "national-10 0s/0u");
    usage.record(&after);
    assert_eq!(usage.bundle_seconds("national-10"), 600);

    // Outside the bundle's destinations: UK 180 s = 3 × 0.50 = 1.50, with
    // a fresh bundle or a spent one alike.
    for usage in [&Usage::default(), &usage] {
        let uk = priced("4420", 180, usage);
        assert_eq!((uk.cost.to_string(), bundle(&uk)), ("1.50".into(), "-".into()));
    }
}

#[test]
fn straddling_keeps_connect_fee_and_minimum() {
    // 550 s spent → 50 s left. France fixed 95 s: 96 s billed in 12 units
    // ending at 30, 36, 42, 48, 54, …, 96. Units ending by 50: 30, 36, 42,
    // 48 → 4 free; 8 increments charged: 8 × 0.02 = 0.16 + connect 0.05 =
    // 0.21 ≥ minimum 0.20 → 0.21.
    let usage = Usage { bundles: vec![("national-10".into(), 550)], ..Usage::default() };
    let p = priced("33142345678", 95, &usage);
    assert_eq!((p.cost.to_string(), p.connect_fee.to_string()), ("0.21".into(), "0.05".into()));
    assert_eq!(bundle(&p), "national-10 50s/4u");
    // 560 s spent → 40 s left: units ending by 40 are 30 and 36 → 2 free;
    // 10 increments = 0.20 + 0.05 = 0.25. 590 spent → 10 s left: the first
    // unit (30 s) straddles → nothing free; full price 0.37, 10 s spent.
    let usage = Usage { bundles: vec![("national-10".into(), 560)], ..Usage::default() };
    assert_eq!(priced("33142345678", 95, &usage).cost.to_string(), "0.25");
    let usage = Usage { bundles: vec![("national-10".into(), 590)], ..Usage::default() };
    let p = priced("33142345678", 95, &usage);
    assert_eq!((p.cost.to_string(), bundle(&p)), ("0.37".into(), "national-10 10s/0u".into()));
    // 8 s of 6 s increments charged alone would be 0.05 + 0.02 = 0.07:
    // 585 spent → 15 s left: France fixed 31 s → units [0,30) [30,36):
    // nothing ends by 15 → full price 0.17 < minimum → 0.20.
    let usage = Usage { bundles: vec![("national-10".into(), 585)], ..Usage::default() };
    let p = priced("33142345678", 31, &usage);
    assert_eq!((p.cost.to_string(), p.adjustment), ("0.20".into(), Adjustment::Minimum));
}

#[test]
fn stepped_rate_in_a_department_bundle() {
    // Spain 200 s: a 60 s unit, then 14 × 10 s (60 … 200); 15 units, 200 s.
    // 120 s left: the 60 s unit and the six 10 s units ending by 120 are
    // free; 8 × 10 s = 80 s at 0.30 / 60 s = 0.40.
    let empty = Usage::default();
    let mut department = Usage::default();
    let mut extension = Usage::default();
    let period = PeriodUsage { discount: &empty, extension: &extension, department: &department };
    let p = book().price_in_period(&call("34911234567", 200), &period).unwrap();
    assert_eq!(p.cost.to_string(), "0.40");
    assert_eq!((p.billed_seconds, p.units), (200, 15));
    assert_eq!(p.bundle.map(|b| b.scope), Some(BundleScope::Department));
    assert_eq!(bundle(&p), "spain-2 120s/7u");
    department.record(&p);
    extension.record(&p);
    // The department's bundle is spent: Spain 60 s = 0.30.
    let period = PeriodUsage { discount: &empty, extension: &empty, department: &department };
    assert_eq!(book().price_in_period(&call("341", 60), &period).unwrap().cost.to_string(), "0.30");
    // Another department (fresh usage) still has it, whatever the
    // extension spent: free.
    let period = PeriodUsage { discount: &empty, extension: &extension, department: &empty };
    let p = book().price_in_period(&call("341", 60), &period).unwrap();
    assert_eq!((p.cost.to_string(), p.adjustment), ("0.00".into(), Adjustment::Bundle));
}

#[test]
fn explanation_names_the_bundle() {
    let usage = Usage { bundles: vec![("national-10".into(), 550)], ..Usage::default() };
    let p = priced("33142345678", 95, &usage);
    expect![[r#"
        tariff Bundled version 2025 (valid from 2025-01-01 00:00:00 Wed +01:00), EUR, zone Europe/Paris, band crossing start
        prefix 33 → destination "France fixed"
        start 2025-03-03 12:00:00 Mon +01:00, talk 95 s, start band all
        bundle national-10 (per extension): 50 s left, 4 leading unit(s) free, 50 s spent
        billing 30/6: first interval 30 s + 11 increment(s) of 6 s = 96 s billed, 12 unit(s)
        connect fee 0.05
        band all: 8 × 6 s at 0.02 = 0.16
        sum 0.21
        rounded half up to 2 decimal(s) per call: 0.21
        cost 0.21 EUR"#]]
    .assert_eq(&p.explanation().join("\n"));
    let inside = priced("33142345678", 95, &Usage::default());
    expect![[r#"
        tariff Bundled version 2025 (valid from 2025-01-01 00:00:00 Wed +01:00), EUR, zone Europe/Paris, band crossing start
        prefix 33 → destination "France fixed"
        start 2025-03-03 12:00:00 Mon +01:00, talk 95 s, start band all
        bundle national-10 (per extension): 600 s left, 12 leading unit(s) free, 96 s spent
        96 s billed, every unit free in the bundle: cost 0.00 EUR"#]]
    .assert_eq(&inside.explanation().join("\n"));
}

/// Split crossing, 60/60: peak (mon-fri 08:00–19:00) 0.60, offpeak 0.30;
/// `bundles` goes into the version table.
fn split_book(bundles: &str) -> Result<TariffBook, String> {
    TariffBook::from_toml_str(&format!(
        r#"format = 1
[[carrier]]
name = "S"
[[carrier.version]]
id = "v1"
valid_from = 2025-01-01
currency = "EUR"
time_zone = "Europe/Paris"
crossing = "split"
rounding = {{ at = "per_call", mode = "half_up", decimals = 2 }}
default_band = "offpeak"
{bundles}
[[carrier.version.band]]
name = "peak"
when = [{{ days = "mon-fri", from = "08:00", to = "19:00" }}]
[[carrier.version.band]]
name = "offpeak"
[[carrier.version.destination]]
name = "France"
prefixes = ["33"]
rates.peak = {{ first_seconds = 60, first_price = "0.60", increment_seconds = 60, increment_price = "0.60" }}
rates.offpeak = {{ first_seconds = 60, first_price = "0.30", increment_seconds = 60, increment_price = "0.30" }}
"#
    ))
    .map_err(|e| e.to_string())
}

#[test]
fn split_crossing_frees_the_leading_units_whatever_their_band() {
    let book = split_book(
        r#"bundles = [{ name = "b", minutes = 5, destinations = ["France"], scope = "department" }]"#,
    )
    .unwrap();
    let price = |spent: u64| {
        let usage = Usage { bundles: vec![("b".into(), spent)], ..Usage::default() };
        let call = Call {
            carrier: book.carrier_id("S").unwrap(),
            number: "331",
            start: "2025-03-03T18:58:00+01:00".parse().unwrap(),
            duration_s: 240,
            site_holidays: None,
        };
        let p = book.price_with_usage(&call, &usage).unwrap();
        let shares: Vec<String> = p
            .bands
            .iter()
            .map(|s| format!("{} {}s/{}u {}", s.band, s.seconds, s.units, s.cost))
            .collect();
        format!("{} [{}]", p.cost, shares.join(", "))
    };
    // Units at 18:58, 18:59 (peak) and 19:00, 19:01 (offpeak).
    // 300 s − 210 = 90 s left: the 18:58 unit is free, 18:59 straddles 90
    // → 0.60 + 2 × 0.30 = 1.20.
    assert_eq!(price(210), "1.20 [peak 60s/1u 0.60, offpeak 120s/2u 0.60]");
    // 150 s left: both peak units free → 2 × 0.30 = 0.60; the start band
    // stays first with nothing charged.
    assert_eq!(price(150), "0.60 [peak 0s/0u 0, offpeak 120s/2u 0.60]");
    // 300 s left: all four free.
    assert_eq!(price(0), "0.00 [peak 0s/0u 0]");
    // Nothing left: 2 × 0.60 + 2 × 0.30 = 1.80, as without a bundle.
    assert_eq!(price(300), "1.80 [peak 120s/2u 1.20, offpeak 120s/2u 0.60]");
}

#[test]
fn bundle_errors_are_located() {
    let error = |bundles: &str| split_book(bundles).unwrap_err();
    assert_eq!(
        error(
            r#"bundles = [{ name = "b", minutes = 5, destinations = ["Spain"], scope = "extension" }]"#
        ),
        r#"<tariffs>:5: carrier "S" version "v1": bundle "b": destination "Spain" is not declared"#
    );
    assert_eq!(
        error(
            r#"bundles = [{ name = "a", minutes = 5, destinations = ["France"], scope = "extension" }, { name = "b", minutes = 5, destinations = ["France"], scope = "department" }]"#
        ),
        r#"<tariffs>:5: carrier "S" version "v1": bundle "b": destination "France" is already in bundle "a""#
    );
    assert_eq!(
        error(
            r#"bundles = [{ name = "b", minutes = 0, destinations = ["France"], scope = "extension" }]"#
        ),
        r#"<tariffs>:5: carrier "S" version "v1": bundle "b": minutes must be at least 1"#
    );
    assert!(
        error(
            r#"bundles = [{ name = "b", minutes = 5, destinations = ["France"], scope = "site" }]"#
        )
        .contains("unknown variant `site`, expected `extension` or `department`"),
    );
}

#[test]
fn bundles_survive_export_and_load() {
    let text = book().to_toml_string();
    let again = TariffBook::from_toml_str(&text).unwrap();
    assert_eq!(again.to_toml_string(), text);
    let carrier = again.carrier(again.carrier_id("Bundled").unwrap()).unwrap();
    let bundles = carrier.versions()[0].bundles();
    let summary: Vec<String> = bundles
        .iter()
        .map(|b| format!("{} {} min {:?} {:?}", b.name, b.minutes, b.scope, b.destinations))
        .collect();
    assert_eq!(
        summary,
        [
            r#"national-10 10 min Extension ["France fixed", "France mobile"]"#,
            r#"spain-2 2 min Department ["Spain"]"#,
        ]
    );
    let start = text.find("name = \"Bundled\"").unwrap();
    let exported = &text[start..];
    // Written as an array of tables: the same TOML value as the inline list.
    assert!(
        exported.contains(
            "[[carrier.version.bundles]]\nname = \"spain-2\"\nminutes = 2\ndestinations = [\"Spain\"]\nscope = \"department\"\n"
        ),
        "{exported}"
    );
}
