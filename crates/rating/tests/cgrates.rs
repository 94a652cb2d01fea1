//! Importing CGRateS tariff plans (tests/fixtures/cgrates, see its
//! README) and pricing calls as CGRateS's rater does. Every expected
//! cost is worked out by hand from CGRateS's algorithm in the comment
//! beside it: the call is cut into pieces where the timing or the
//! GroupIntervalStart slot changes, each piece is rounded up to its
//! slot's RateIncrement (overrunning the next piece), costs
//! duration × Rate / RateUnit, and connect fee + pieces are rounded once
//! with the DestinationRates' method and decimals.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use rating::{Call, CgratesOptions, TariffBook, import_cgrates, import_cgrates_with};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cgrates").join(name)
}

fn import(name: &str, subject: Option<&str>) -> TariffBook {
    import_cgrates(&fixture(name), subject).unwrap_or_else(|e| panic!("{e}"))
}

/// `cost billed_s/units` of one call on the book's only carrier.
fn price(book: &TariffBook, number: &str, start: &str, duration_s: u32) -> String {
    let carrier = &book.carriers()[0];
    let call = Call {
        carrier: book.carrier_id(carrier.name()).unwrap(),
        number,
        start: start.parse::<Timestamp>().unwrap(),
        duration_s,
        site_holidays: None,
    };
    let priced = book.price(&call).unwrap_or_else(|e| panic!("{e}"));
    format!("{} {}s/{}u", priced.cost, priced.billed_seconds, priced.units)
}

/// Band shares of one call: `band seconds/units` each.
fn bands(book: &TariffBook, number: &str, start: &str, duration_s: u32) -> String {
    let call = Call {
        carrier: book.carrier_id(book.carriers()[0].name()).unwrap(),
        number,
        start: start.parse::<Timestamp>().unwrap(),
        duration_s,
        site_holidays: None,
    };
    let priced = book.price(&call).unwrap();
    let parts: Vec<String> =
        priced.bands.iter().map(|s| format!("{} {}s/{}u", s.band, s.seconds, s.units)).collect();
    parts.join(", ")
}

// Monday 2025-03-03 etc. Every plan is imported in UTC unless a test
// says otherwise.
const MONDAY_10: &str = "2025-03-03T10:00:00Z";

// Numbers of the `acme` plan, one per destination.
const FR_MOBILE: &str = "33612345678";
const GERMANY: &str = "4930123456";
const NORTH_AMERICA: &str = "12125550100";
const JAPAN: &str = "81312345678";

// Numbers of the `peak_offpeak` plan: 33 (DST_FR) and the longer 336
// (DST_FR_MOBILE) and 3389 (DST_FR_PREMIUM).
const FR_FIXED: &str = "33123456789";
const FR_PREMIUM: &str = "338912345";

#[test]
fn acme_default_profile_multi_slot_rates() {
    // First profile: acme.example call *any → RP_ACME_STANDARD, *up 4.
    // Timings.csv holds a date timing (LABOUR_DAY) that no plan uses; it
    // does not stop the import.
    let book = import("acme", None);
    assert_eq!(book.carriers()[0].name(), "acme.example:*any");
    assert_eq!(book.carriers()[0].versions()[0].id(), "RP_ACME_STANDARD");
    // DST_FR_MOBILE (RT_FR_MOBILE: connect 0.15; 0.9 per 1m by 1m from
    // 0; 0.6 per 1m by 1 s from 1m). 30 s: one 60 s unit of slot 0 = 0.9;
    // 0.15 + 0.9 = 1.05.
    assert_eq!(price(&book, FR_MOBILE, MONDAY_10, 30), "1.0500 60s/1u");
    // 90 s: slot 0 up to 60 s (1 unit, 0.9), then 30 × 1 s of slot 1 =
    // 30 × 0.6 / 60 = 0.3; 0.15 + 0.9 + 0.3 = 1.35.
    assert_eq!(price(&book, FR_MOBILE, MONDAY_10, 90), "1.3500 90s/31u");
    // DST_DE (RT_DE: connect 0.05; 0.36 per 60 s by 30 s from 0; by 6 s
    // from 30 s). 61 s: [0, 30) one 30 s unit = 30 × 0.36 / 60 = 0.18;
    // [30, 61) in 6 s units starting at 30, 36, 42, 48, 54, 60 = 36 s =
    // 36 × 0.36 / 60 = 0.216; 0.05 + 0.18 + 0.216 = 0.446.
    assert_eq!(price(&book, GERMANY, MONDAY_10, 61), "0.4460 66s/7u");
    // 7 s: one 30 s unit: 0.05 + 0.18 = 0.23.
    assert_eq!(price(&book, GERMANY, MONDAY_10, 7), "0.2300 30s/1u");
    // DST_NANP (RT_NANP: 0.13 per 60 s by 1 s, no connect fee): 100 s =
    // 100 × 0.13 / 60 = 0.21666… → *up 4 → 0.2167.
    assert_eq!(price(&book, NORTH_AMERICA, MONDAY_10, 100), "0.2167 100s/100u");
    // *any (RT_REST_OF_WORLD: connect 0.25; 1.5 per 1m by 1m): 1 s bills
    // the first minute: 0.25 + 1.5 = 1.75.
    assert_eq!(price(&book, JAPAN, MONDAY_10, 1), "1.7500 60s/1u");
    // A call of 0 s: CGRateS returns cost 0 (no connect fee).
    assert_eq!(price(&book, FR_MOBILE, MONDAY_10, 0), "0.0000 0s/0u");
}

#[test]
fn any_destination_loses_to_every_real_prefix() {
    let book = import("acme", None);
    let version = &book.carriers()[0].versions()[0];
    let prefixes: Vec<String> =
        version.prefixes().map(|(p, d)| format!("{p}={}", d.name())).collect();
    // *any takes the one-digit prefixes that no destination holds (1 is
    // DST_NANP's); 336, 337 (written +336, +337) and 49 are longer.
    assert_eq!(
        prefixes.join(" "),
        "0=*any 1=DST_NANP 2=*any 3=*any 336=DST_FR_MOBILE 337=DST_FR_MOBILE 4=*any \
         49=DST_DE 5=*any 6=*any 7=*any 8=*any 9=*any"
    );
}

#[test]
fn subject_selection() {
    // By Subject alone.
    let flat = import("acme", Some("FLAT_FEE"));
    assert_eq!(flat.carriers()[0].name(), "acme.example:FLAT_FEE");
    // RT_FLAT_FEE: connect fee 0.35, Rate empty (0): any call costs 0.35
    // (120 s = 2 units of 60 s at 0).
    assert_eq!(price(&flat, GERMANY, MONDAY_10, 120), "0.3500 120s/2u");
    // By Tenant:Category:Subject: RP_ACME_WHOLESALE, per second.
    // DST_FR_MOBILE at 0.42 per 60 s: 100 s = 0.7; DST_DE at 0.18: 0.3.
    let wholesale = import("acme", Some("acme.example:wholesale:*any"));
    assert_eq!(price(&wholesale, FR_MOBILE, MONDAY_10, 100), "0.7000 100s/100u");
    assert_eq!(price(&wholesale, GERMANY, MONDAY_10, 100), "0.3000 100s/100u");
    // By Tenant:Subject, in the peak_offpeak plan.
    let bob = import("peak_offpeak", Some("acme.example:bob"));
    assert_eq!(bob.carriers()[0].name(), "acme.example:bob");
}

#[test]
fn subject_errors() {
    let error = |subject| {
        let e = import_cgrates(&fixture("acme"), Some(subject)).unwrap_err();
        e.to_string().replace(&format!("{}/", fixture("acme").display()), "")
    };
    assert_eq!(
        error("*any"),
        "RatingProfiles.csv: subject \"*any\" matches several rating profiles: \
         acme.example:call:*any, acme.example:sms:*any, acme.example:wholesale:*any \
         (name one as Tenant:Category:Subject)"
    );
    assert_eq!(
        error("9999"),
        "RatingProfiles.csv: no rating profile for subject \"9999\" (profiles: \
         acme.example:call:*any, acme.example:call:alice, acme.example:sms:*any, \
         acme.example:wholesale:*any, acme.example:call:FLAT_FEE)"
    );
    // Unsupported: rate fallback to another subject.
    assert_eq!(
        error("alice"),
        "RatingProfiles.csv:7: RatesFallbackSubject \"*any\" is not supported; \
         import that subject on its own"
    );
    // SMS rates count messages ("1" = 1 ns in CGRateS), not seconds.
    assert_eq!(
        error("acme.example:sms:*any"),
        "Rates.csv:25: RateUnit: duration \"1\" has no unit, which CGRateS reads as \
         nanoseconds; voice rates need whole seconds (e.g. \"1s\")"
    );
}

#[test]
fn peak_offpeak_timings_become_bands() {
    let book = import("peak_offpeak", None);
    let version = &book.carriers()[0].versions()[0];
    // DST_FR_MOBILE and DST_FR_PREMIUM are ALWAYS everywhere, so the bands
    // are named by DST_FR's timings; a timing runs from its Time to the
    // next start that day. WEEKEND is "6;0": Saturday and Sunday (0).
    let bands: Vec<String> = version
        .bands()
        .iter()
        .map(|b| {
            let ranges: Vec<String> = b
                .ranges
                .iter()
                .map(|r| format!("{} {}-{}", r.days, r.from / 3600, r.to / 3600))
                .collect();
            format!("{} [{}]", b.name, ranges.join(", "))
        })
        .collect();
    assert_eq!(
        bands,
        [
            "WORKDAY_NIGHT [mon-fri 0-9]",
            "WORKDAY_PEAK [mon-fri 9-18]",
            "WORKDAY_EVENING [mon-fri 18-24]",
            "WEEKEND [sat-sun 0-24]",
        ]
    );
}

#[test]
fn peak_slots_with_unit_unlike_increment() {
    // RP_ACME_RETAIL, *up 3. DST_FR at WORKDAY_PEAK: RT_PEAK = connect
    // 0.6; 0.45 per 60 s billed by 30 s from 0; 0.35 per 60 s billed by
    // 15 s from 60 s; 0.2 per 60 s billed by 60 s from 10m.
    let book = import("peak_offpeak", None);
    // 65 s: [0, 60) slot 0 = 2 × 30 s = 60 × 0.45 / 60 = 0.45; [60, 65)
    // slot 1, rounded up to 15 s: 15 × 0.35 / 60 = 0.0875;
    // 0.6 + 0.45 + 0.0875 = 1.1375 → *up → 1.138.
    assert_eq!(price(&book, FR_FIXED, MONDAY_10, 65), "1.138 75s/3u");
    // 45 s: 2 × 30 s of slot 0 = 0.45; 0.6 + 0.45 = 1.05.
    assert_eq!(price(&book, FR_FIXED, MONDAY_10, 45), "1.050 60s/2u");
    // 20 s: 1 × 30 s = 0.225; 0.6 + 0.225 = 0.825.
    assert_eq!(price(&book, FR_FIXED, MONDAY_10, 20), "0.825 30s/1u");
    // 601 s: slot 0 = 0.45 (2 units); [60, 600) = 36 × 15 s = 540 s =
    // 540 × 0.35 / 60 = 3.15; [600, 601) in slot 2 rounds up to 60 s =
    // 0.2; 0.6 + 0.45 + 3.15 + 0.2 = 4.4 (2 + 36 + 1 = 39 units).
    assert_eq!(price(&book, FR_FIXED, MONDAY_10, 601), "4.400 660s/39u");
}

#[test]
fn offpeak_and_weekend() {
    let book = import("peak_offpeak", None);
    // Monday 20:00 is WORKDAY_EVENING: RT_OFFPEAK = connect 0.2; 0.15 per
    // 60 s by 60 s from 0; 0.09 per 60 s by 1 s from 60 s. 125 s: 60 s =
    // 0.15, then 65 × 1 s = 65 × 0.09 / 60 = 0.0975;
    // 0.2 + 0.15 + 0.0975 = 0.4475 → *up → 0.448.
    assert_eq!(price(&book, FR_FIXED, "2025-03-03T20:00:00Z", 125), "0.448 125s/66u");
    // Saturday 10:00 is WEEKEND: RT_WEEKEND = 0.06 per 60 s by 60 s, no
    // connect fee. 150 s → 3 units = 180 × 0.06 / 60 = 0.18.
    assert_eq!(price(&book, FR_FIXED, "2025-03-08T10:00:00Z", 150), "0.180 180s/3u");
    // Sunday 23:59:30, 60 s: CGRateS cuts at midnight; the Sunday piece
    // (30 s) rounds up to its 60 s increment, overrunning the Monday
    // piece, which is dropped: one WEEKEND unit = 0.06 (Monday night
    // would have cost 0.2 + 0.15).
    assert_eq!(price(&book, FR_FIXED, "2025-03-09T23:59:30Z", 60), "0.060 60s/1u");
}

#[test]
fn calls_crossing_a_timing_change() {
    let book = import("peak_offpeak", None);
    // Monday 17:59:30, 90 s. CGRateS pieces: [17:59:30, 18:00)
    // WORKDAY_PEAK, call offset 0–30 → RT_PEAK slot 0 (30 s units):
    // 30 × 0.45 / 60 = 0.225. [18:00, 18:01) WORKDAY_EVENING, offset
    // 30–90, cut at 60 s (slot change): [30, 60) → RT_OFFPEAK slot 0 (60 s
    // units) rounds up to 60 s, overrunning [60, 90), which is dropped:
    // 60 × 0.15 / 60 = 0.15. Connect fee of the first piece (RT_PEAK, 0.6):
    // 0.6 + 0.225 + 0.15 = 0.975.
    assert_eq!(price(&book, FR_FIXED, "2025-03-03T17:59:30Z", 90), "0.975 90s/2u");
    assert_eq!(
        bands(&book, FR_FIXED, "2025-03-03T17:59:30Z", 90),
        "WORKDAY_PEAK 30s/1u, WORKDAY_EVENING 60s/1u"
    );
    // Tuesday 08:59, 120 s: [08:59, 09:00) WORKDAY_NIGHT offset 0–60 →
    // RT_OFFPEAK slot 0: 0.15; [09:00, 09:01) WORKDAY_PEAK offset 60–120 →
    // RT_PEAK slot 1 (15 s units, 0.35 per 60 s): 4 units = 60 × 0.35 / 60
    // = 0.35. Connect fee of the start band (RT_OFFPEAK, 0.2):
    // 0.2 + 0.15 + 0.35 = 0.7.
    assert_eq!(price(&book, FR_FIXED, "2025-03-04T08:59:00Z", 120), "0.700 120s/5u");
    assert_eq!(
        bands(&book, FR_FIXED, "2025-03-04T08:59:00Z", 120),
        "WORKDAY_NIGHT 60s/1u, WORKDAY_PEAK 60s/4u"
    );
    // Sunday 23:59:30, 120 s: [0, 60) one WEEKEND unit (the Sunday piece
    // overrunning to Monday 00:00:30) = 0.06; [60, 120) at Monday
    // 00:00:30 is WORKDAY_NIGHT, RT_OFFPEAK slot 1 (1 s units): 60 × 0.09
    // / 60 = 0.09. Connect fee of the start band (RT_WEEKEND, 0): 0.15.
    assert_eq!(price(&book, FR_FIXED, "2025-03-09T23:59:30Z", 120), "0.150 120s/61u");
    assert_eq!(
        bands(&book, FR_FIXED, "2025-03-09T23:59:30Z", 120),
        "WEEKEND 60s/1u, WORKDAY_NIGHT 60s/60u"
    );
}

#[test]
fn max_cost_free_caps_disconnect_does_not() {
    // DST_FR_PREMIUM: RT_PREMIUM, 0.9 per 60 s by 1 s; MaxCost 1.2.
    // RP_ACME_RETAIL (*disconnect): 100 s = 100 × 0.9 / 60 = 1.5, not
    // capped in GetCost.
    let retail = import("peak_offpeak", None);
    assert_eq!(price(&retail, FR_PREMIUM, MONDAY_10, 100), "1.500 100s/100u");
    // RP_ACME_BUSINESS (*free): 1.5 capped at 1.2; 60 s = 0.9 stays.
    let business = import("peak_offpeak", Some("bob"));
    assert_eq!(price(&business, FR_PREMIUM, MONDAY_10, 100), "1.200 100s/100u");
    assert_eq!(price(&business, FR_PREMIUM, MONDAY_10, 60), "0.900 60s/60u");
    // The longest prefix wins: 3389 and 336 over DST_FR's 33.
    // RP_ACME_BUSINESS, DST_FR_MOBILE at WORKDAY_PEAK: RT_MOBILE_PEAK =
    // connect 0.3; 0.24 per 1m by 20 s: 90 s → 5 units = 100 s =
    // 100 × 0.24 / 60 = 0.4; 0.3 + 0.4 = 0.7.
    assert_eq!(price(&business, FR_MOBILE, MONDAY_10, 90), "0.700 100s/5u");
    // DST_FR at the same time: RT_PEAK, 0.6 + 0.45 + 2 × 15 s × 0.35 / 60
    // (0.175) = 1.225.
    assert_eq!(price(&business, FR_FIXED, MONDAY_10, 90), "1.225 90s/4u");
}

#[test]
fn activation_times_become_versions() {
    let book = import("peak_offpeak", Some("carol"));
    let ids: Vec<&str> = book.carriers()[0].versions().iter().map(|v| v.id()).collect();
    assert_eq!(ids, ["RP_ACME_BUSINESS", "RP_ACME_PROMO"]);
    // Before 2025-07-01: RP_ACME_BUSINESS (Monday 2025-06-30,
    // WORKDAY_PEAK: 0.7 as above).
    assert_eq!(price(&book, FR_MOBILE, "2025-06-30T10:00:00Z", 90), "0.700 100s/5u");
    // From 2025-07-01: RP_ACME_PROMO, RT_PROMO = 0.02 per 60 s by 60 s:
    // 90 s → 120 s → 0.04.
    assert_eq!(price(&book, FR_MOBILE, "2025-07-01T10:00:00Z", 90), "0.040 120s/2u");
}

#[test]
fn time_zone_and_currency_options() {
    let options = CgratesOptions { subject: None, time_zone: "Europe/Paris", currency: "EUR" };
    let paris = import_cgrates_with(&fixture("peak_offpeak"), &options).unwrap();
    // 17:30 UTC is 18:30 in Paris (CET): WORKDAY_EVENING there, 0.2 + 0.15
    // = 0.35; WORKDAY_PEAK in UTC, 0.6 + 2 × 30 s × 0.45 / 60 = 1.05.
    assert_eq!(price(&paris, FR_FIXED, "2025-03-03T17:30:00Z", 60), "0.350 60s/1u");
    assert_eq!(
        price(&import("peak_offpeak", None), FR_FIXED, "2025-03-03T17:30:00Z", 60),
        "1.050 60s/2u"
    );
    assert_eq!(paris.carriers()[0].versions()[0].currency().as_str(), "EUR");
    assert_eq!(import("peak_offpeak", None).carriers()[0].versions()[0].currency().as_str(), "XXX");
}

#[test]
fn rounding_methods() {
    // RT_7 = 0.07 per 60 s by 1 s; RT_9 = 0.09 per 1m by 1 s; 2 decimals.
    // 50 s of RT_7 = 0.0583…; 10 s = 0.01166…; 50 s of RT_9 = 0.075.
    let cases = [
        // *up: any remainder up.
        ("up", ["0.06 50s/50u", "0.02 10s/10u", "0.08 50s/50u"]),
        // *down: remainder dropped.
        ("down", ["0.05 50s/50u", "0.01 10s/10u", "0.07 50s/50u"]),
        // *middle: ≥ .5 up (0.0583 → 0.06, 0.0116 → 0.01, 0.075 → 0.08).
        ("middle", ["0.06 50s/50u", "0.01 10s/10u", "0.08 50s/50u"]),
    ];
    for (subject, expected) in cases {
        let book = import("rounding", Some(subject));
        let actual = [
            price(&book, "71", MONDAY_10, 50),
            price(&book, "71", MONDAY_10, 10),
            price(&book, "91", MONDAY_10, 50),
        ];
        assert_eq!(actual, expected, "{subject}");
    }
}

#[test]
fn first_slot_increment_overrunning_the_next_slot() {
    // RT_STEP45: 0.6 per 60 s by 45 s from 0; 0.3 per 60 s by 1 s from 60 s.
    let book = import("rounding", Some("up"));
    // 61 s: [0, 60) in slot 0 rounds up to 2 × 45 = 90 s, overrunning the
    // rest of the call: 90 × 0.6 / 60 = 0.9.
    assert_eq!(price(&book, "51", MONDAY_10, 61), "0.90 90s/2u");
    // 100 s: 90 s = 0.9, then [90, 100) in slot 1 (the slot of its start):
    // 10 × 0.3 / 60 = 0.05; 0.95.
    assert_eq!(price(&book, "51", MONDAY_10, 100), "0.95 100s/12u");
}

#[test]
fn imported_book_exports_and_reloads_the_same() {
    let book = import("peak_offpeak", Some("bob"));
    let text = book.to_toml_string();
    let reloaded = TariffBook::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reloaded.to_toml_string(), text);
    // DST_FR has the same rates in RP_ACME_BUSINESS as in RP_ACME_RETAIL.
    assert_eq!(price(&reloaded, FR_FIXED, "2025-03-03T17:59:30Z", 90), "0.975 90s/2u");
}

#[test]
fn stepped_explanation() {
    let book = import("peak_offpeak", None);
    let call = Call {
        carrier: book.carrier_id("acme.example:*any").unwrap(),
        number: FR_FIXED,
        start: "2025-03-03T17:59:30Z".parse().unwrap(),
        duration_s: 90,
        site_holidays: None,
    };
    let lines = book.price(&call).unwrap().explanation();
    // Exact decimals keep the scale of their product (30 × 0.45 / 60 is
    // written 0.2250); the values are those of calls_crossing_a_timing_change.
    assert_eq!(
        lines[3..],
        [
            "billing in steps (from 0 s: 30 s units at 0.45 per 60 s; from 60 s: 15 s units at 0.35 per 60 s; from 600 s: 60 s units at 0.2 per 60 s): 90 s billed, 2 unit(s)",
            "connect fee 0.6",
            "band WORKDAY_PEAK: 1 unit(s), 30 s = 0.2250",
            "band WORKDAY_EVENING: 1 unit(s), 60 s = 0.15",
            "sum 0.9750",
            "rounded up to 3 decimal(s) per call: 0.975",
            "cost 0.975 XXX",
        ]
    );
}

/// A copy of the `rounding` plan with files replaced, imported for
/// subject `up`; the error with the folder left out of its location.
fn broken(replacements: &[(&str, &str)]) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rating-cgrates-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixture("rounding")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    for (file, text) in replacements {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let error = import_cgrates(&dir, Some("up")).map(|_| ()).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    error.to_string().replace(&format!("{}/", dir.display()), "")
}

const RATES_HEADER: &str = "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n";
const PLANS_HEADER: &str = "#Id,DestinationRatesId,TimingTag,Weight\n";
const TIMINGS_HEADER: &str = "#Tag,Years,Months,MonthDays,WeekDays,Time\n";

#[test]
fn malformed_csvs_are_located_errors() {
    let rest_of_rates =
        "RT_9,0,0.09,1m,1s,0s\nRT_STEP45,0,0.6,60s,45s,0s\nRT_STEP45,0,0.3,60s,1s,60s\n";
    let rates = |first: &str| format!("{RATES_HEADER}{first}\n{rest_of_rates}");
    assert_eq!(
        broken(&[("Rates.csv", &rates("RT_7,0,0.0x7,60s,1s,0s"))]),
        "Rates.csv:2: Rate is not a number: \"0.0x7\""
    );
    assert_eq!(
        broken(&[("Rates.csv", &rates("RT_7,0,0.07,60,1s,0s"))]),
        "Rates.csv:2: RateUnit: duration \"60\" has no unit, which CGRateS reads as \
         nanoseconds; voice rates need whole seconds (e.g. \"60s\")"
    );
    assert_eq!(
        broken(&[("Rates.csv", &rates("RT_7,0,0.07,60s,500ms,0s"))]),
        "Rates.csv:2: RateIncrement: duration \"500ms\" is not a whole number of seconds"
    );
    assert_eq!(
        broken(&[("Rates.csv", &rates("RT_7,0,0.07"))]),
        "Rates.csv:2: expected 6 columns (ID,ConnectFee,Rate,RateUnit,RateIncrement,\
         GroupIntervalStart), found 3"
    );
    assert_eq!(
        broken(&[(
            "Rates.csv",
            &format!(
                "{RATES_HEADER}RT_7,0,0.07,60s,1s,0s\nRT_9,0,0.09,1m,1s,0s\nRT_STEP45,0,0.6,60s,45s,10s\n"
            )
        )]),
        "Rates.csv:4: rate \"RT_STEP45\" has no slot at GroupIntervalStart 0s"
    );
    assert_eq!(
        broken(&[("Destinations.csv", "#Id,Prefix\nDST_SEVEN,7a\nDST_NINE,9\nDST_STEP,5\n")]),
        "Destinations.csv:2: Prefix is not 1 to 16 digits (after an optional +): \"7a\""
    );
    assert_eq!(
        broken(&[("Destinations.csv", "#Id,Prefix\nDST_SEVEN,7\nDST_NINE,+7\nDST_STEP,5\n")]),
        "Destinations.csv:3: prefix 7 is also in destination \"DST_SEVEN\" (line 2), used by \
         the same rating plan"
    );
    assert_eq!(
        broken(&[("RatingPlans.csv", &format!("{PLANS_HEADER}RP_UP,DR_UP,NOPE,10\n"))]),
        "RatingPlans.csv:2: timing \"NOPE\" is not in Timings.csv"
    );
    assert_eq!(
        broken(&[("RatingPlans.csv", &format!("{PLANS_HEADER}RP_UP,DR_NONE,*any,10\n"))]),
        "RatingPlans.csv:2: destination rates \"DR_NONE\" are not in DestinationRates.csv"
    );
    assert_eq!(
        broken(&[("RatingPlans.csv", &format!("{PLANS_HEADER}RP_UP,DR_UP,*any,ten\n"))]),
        "RatingPlans.csv:2: Weight is not a number: \"ten\""
    );
    assert_eq!(
        broken(&[(
            "RatingProfiles.csv",
            "#Tenant,Category,Subject,ActivationTime,RatingPlanId,RatesFallbackSubject\n\
             example.org,call,up,yesterday,RP_UP,\n"
        )]),
        "RatingProfiles.csv:2: ActivationTime is not a date-time: \"yesterday\" (e.g. \
         2014-01-14T00:00:00Z)"
    );
    assert_eq!(
        broken(&[("Rates.csv", RATES_HEADER)]),
        "DestinationRates.csv:2: rate \"RT_7\" is not in Rates.csv"
    );
}

#[test]
fn unsupported_features_are_errors() {
    // Date-dependent timings (Months / MonthDays / Years).
    assert_eq!(
        broken(&[
            ("Timings.csv", &format!("{TIMINGS_HEADER}XMAS,*any,12,25,*any,00:00:00\n")),
            ("RatingPlans.csv", &format!("{PLANS_HEADER}RP_UP,DR_UP,XMAS,10\n")),
        ]),
        "Timings.csv:2: timing \"XMAS\": Months \"12\" is not supported (only weekdays and a \
         start time can become bands)"
    );
    // A time of the week without a rate.
    assert_eq!(
        broken(&[
            ("Timings.csv", &format!("{TIMINGS_HEADER}DAY,*any,*any,*any,1;2;3;4;5,08:00:00\n")),
            ("RatingPlans.csv", &format!("{PLANS_HEADER}RP_UP,DR_UP,DAY,10\n")),
        ]),
        "RatingPlans.csv:2: rating plan \"RP_UP\" has no rate for destination \"DST_SEVEN\" on \
         Monday from 00:00 to 08:00"
    );
    // Two rates for one destination at one time with one weight.
    assert_eq!(
        broken(&[(
            "RatingPlans.csv",
            &format!("{PLANS_HEADER}RP_UP,DR_UP,*any,10\nRP_UP,DR_UP,*any,10\n")
        )]),
        "RatingPlans.csv:3: destination \"DST_SEVEN\" gets two rates at the same time with the \
         same weight: timing \"*any\" here and timing \"*any\" (line 2); give one a higher Weight"
    );
    // Several roundings in one plan.
    assert_eq!(
        broken(&[(
            "RatingPlans.csv",
            &format!("{PLANS_HEADER}RP_UP,DR_UP,*any,10\nRP_UP,DR_DOWN,*any,20\n")
        )]),
        "DestinationRates.csv:5: rounding *down/2 differs from *up/2 (line 2) in rating plan \
         \"RP_UP\"; one rounding per rating plan is supported"
    );
    assert_eq!(
        broken(&[(
            "DestinationRates.csv",
            "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy\n\
             DR_UP,DST_SEVEN,RT_7,*ceil,2,0,\n"
        )]),
        "DestinationRates.csv:2: RoundingMethod \"*ceil\" is not one of *up, *down, *middle"
    );
}

#[test]
fn higher_weight_wins_over_a_later_start() {
    // DR_UP (*any, weight 20) against a 08:00 timing of weight 10 on the
    // same DR: the heavier *any holds all day, so there is one band.
    let dir_error_free = {
        let timings = format!("{TIMINGS_HEADER}DAY,*any,*any,*any,*any,08:00:00\n");
        let plans = format!("{PLANS_HEADER}RP_UP,DR_UP,*any,20\nRP_UP,DR_UP,DAY,10\n");
        (timings, plans)
    };
    let dir = std::env::temp_dir().join(format!("rating-cgrates-weight-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixture("rounding")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    std::fs::write(dir.join("Timings.csv"), &dir_error_free.0).unwrap();
    std::fs::write(dir.join("RatingPlans.csv"), &dir_error_free.1).unwrap();
    let book = import_cgrates(&dir, Some("up")).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let names: Vec<&str> =
        book.carriers()[0].versions()[0].bands().iter().map(|b| &*b.name).collect();
    assert_eq!(names, ["*any"]);
}

#[test]
fn missing_file_is_named() {
    let error = import_cgrates(Path::new("/nonexistent/plan"), None).unwrap_err();
    assert_eq!(error.location, "/nonexistent/plan/Destinations.csv");
    assert!(error.message.starts_with("cannot read: "), "{}", error.message);
}
