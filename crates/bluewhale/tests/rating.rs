//! Pricing through the whole product: a Paris office priced on carrier
//! Acme and compared with the PSTN tariff (fixtures in
//! `tests/fixtures/rating`). Every figure below is computed by hand from
//! `tariffs.toml`:
//!
//! | call | what | Acme | PSTN |
//! |---|---|---|---|
//! | Mon 10:00, 90 s, 2001 → 01 55 51 23 45 | local, peak, 2 × 60 s at 0.06 | 0.12 | 2 × 0.10 = 0.20 |
//! | Mon 20:00, 45 s, 2001 → 06 12 34 56 78 | mobile, 0.10 + 0.09 + 3 × 6 s at 0.02 | 0.25 | 60 s at 0.25 = 0.25 |
//! | Tue 09:00, 61 s, 2002 → 00 44 … | international, 2 × 60 s at 0.30 | 0.60 | 2 × 0.60 = 1.20 |
//! | Tue 09:30, 30 s, 2002 → 2001 | internal | 0 | 0 |
//! | Tue 11:00, 10 s, 2001 → 112 | emergency: free | 0 | 0 |
//! | Tue 12:00, 0 s, 2002 → 01 55 51 23 45 | not answered | 0 | 0 |

mod common;

use common::{Bw, fixture_arg};
use rust_decimal::Decimal;
use serde_json::Value;

/// A store with the directory, the tariffs and the six calls.
fn priced_store() -> Bw {
    let bw = Bw::with_directory_and_tariffs("rating/directory.toml", "rating/tariffs.toml");
    let out = bw.import_paris_calls("pipe_calls.toml", "rating/calls.txt");
    assert!(out.contains("6 stored"), "{out}");
    bw
}

/// The stored calls of April, when all six were made.
fn april_calls(bw: &Bw) -> Vec<Value> {
    bw.calls("2025-04-01", "2025-04-30")
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

#[test]
fn imported_calls_are_classified_and_priced_as_computed_by_hand() {
    let bw = priced_store();
    let calls = april_calls(&bw);
    let charge = |dialled: &str, start: &str| -> Value {
        let call = calls
            .iter()
            .find(|c| c["dialled"] == dialled && c["start"] == start)
            .unwrap_or_else(|| panic!("no call to {dialled} at {start}"));
        call["charge"].clone()
    };
    let local = charge("0155512345", "2025-04-14T08:00:00Z");
    assert_eq!(
        (&local["call_type"], &local["cost"], &local["reference"], &local["savings"]),
        (&"local".into(), &"0.12".into(), &"0.20".into(), &"0.08".into())
    );
    assert_eq!((&local["e164"], &local["carrier"]), (&"+33155512345".into(), &"Acme".into()));
    let mobile = charge("0612345678", "2025-04-14T18:00:00Z");
    assert_eq!((&mobile["call_type"], &mobile["cost"]), (&"mobile".into(), &"0.25".into()));
    let uk = charge("00441234567890", "2025-04-15T07:00:00Z");
    assert_eq!((&uk["call_type"], &uk["cost"]), (&"international".into(), &"0.60".into()));
    assert_eq!(uk["reference"], "1.20");
    let internal = charge("2001", "2025-04-15T07:30:00Z");
    assert_eq!((&internal["status"], &internal["call_type"]), (&"free".into(), &"internal".into()));
    let emergency = charge("112", "2025-04-15T09:00:00Z");
    assert_eq!((&emergency["call_type"], &emergency["cost"]), (&"free".into(), &"0.00".into()));
}

#[test]
fn the_department_report_adds_up_to_the_stored_calls() {
    let bw = priced_store();
    let report = bw.department_report("2025-04-01", "2025-04-30");
    assert_eq!(report["currency"], "EUR");
    let totals = &report["totals"];
    assert_eq!((&totals["calls"], &totals["duration_s"]), (&6.into(), &236.into()));
    assert_eq!((&totals["cost"], &totals["savings"]), (&"0.97".into(), &"0.68".into()));
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0]["department"], &rows[0]["user"], &rows[0]["extension"]),
        (&"Company\\Sales".into(), &"Alice Martin".into(), &"2001".into())
    );
    assert_eq!((&rows[0]["cost"], &rows[0]["savings"]), (&"0.37".into(), &"0.08".into()));
    assert_eq!(rows[0]["by_type"]["mobile"], "0.25");
    assert_eq!((&rows[1]["cost"], &rows[1]["calls"]), (&"0.60".into(), &3.into()));
    // Totals equal the sum of the stored calls' charges.
    let calls = april_calls(&bw);
    let cost: Decimal = calls.iter().map(|c| dec(&c["charge"]["cost"])).sum();
    let savings: Decimal = calls.iter().map(|c| dec(&c["charge"]["savings"])).sum();
    assert_eq!((cost, savings), (dec(&totals["cost"]), dec(&totals["savings"])));
    // One day only: the day rollups (the month rollup covers whole months).
    let monday = bw.department_report("2025-04-14", "2025-04-14");
    assert_eq!(monday["totals"]["calls"], 2);
    assert_eq!(monday["totals"]["cost"], "0.37");
    // A period of several months uses both.
    let spring = bw.department_report("2025-03-15", "2025-05-31");
    assert_eq!(spring["totals"], report["totals"]);
}

#[test]
fn rerating_after_a_tariff_change_is_idempotent_and_keeps_rollups_consistent() {
    let bw = priced_store();
    let out = bw.ok(&["tariff", "import", &fixture_arg("rating/acme_dearer.toml")]);
    assert!(out.contains("Acme (replaced)"), "{out}");
    // Stored prices stay until re-rated.
    assert_eq!(bw.department_report("2025-04-01", "2025-04-30")["totals"]["cost"], "0.97");
    let first = bw.ok(&["rerate", "--from", "2025-04-01", "--to", "2025-04-30", "--quiet"]);
    assert!(first.contains("re-rated 6 calls over 30 days: 1 changed"), "{first}");
    let again = bw.ok(&["rerate", "--from", "2025-04-01", "--to", "2025-04-30", "--quiet"]);
    assert!(again.contains(": 0 changed"), "{again}");
    // The peak local call now costs 2 × 0.08.
    for (from, to) in [("2025-04-01", "2025-04-30"), ("2025-04-14", "2025-04-15")] {
        let totals = bw.department_report(from, to)["totals"].clone();
        assert_eq!((&totals["cost"], &totals["savings"]), (&"1.01".into(), &"0.64".into()));
    }
    let calls = april_calls(&bw);
    let cost: Decimal = calls.iter().map(|c| dec(&c["charge"]["cost"])).sum();
    assert_eq!(cost, "1.01".parse().unwrap());
}

#[test]
fn every_report_renders_in_every_format_and_language() {
    let bw = priced_store();
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "department",
        "extension",
        "trunk",
        "carrier",
        "site",
        "destination",
        "top",
        "traffic",
        "inbound",
        "savings",
        "unknown-extensions",
    ];
    for name in names {
        for format in ["xlsx", "html", "csv", "txt", "json"] {
            for lang in ["en", "zh"] {
                let file = dir.path().join(format!("{name}-{lang}.{format}"));
                let file = file.display().to_string();
                bw.ok(&[
                    "report",
                    name,
                    "--from",
                    "2025-04-01",
                    "--to",
                    "2025-04-30",
                    "--format",
                    format,
                    "--lang",
                    lang,
                    "-o",
                    &file,
                ]);
                let written = std::fs::metadata(&file).unwrap().len();
                assert!(written > 40, "{name} {format} {lang}: {written} bytes");
            }
        }
    }
    // The carrier report's total row is the sum of the calls.
    let csv = bw.ok(&[
        "report",
        "carrier",
        "--from",
        "2025-04-01",
        "--to",
        "2025-04-30",
        "--format",
        "csv",
    ]);
    let total = csv.lines().last().unwrap();
    assert!(total.starts_with(",,6,236,0.97,1.65,0.68,"), "{csv}");
    let zh = bw.ok(&[
        "report",
        "department",
        "--from",
        "2025-04-01",
        "--to",
        "2025-04-30",
        "--lang",
        "zh",
    ]);
    assert!(zh.contains("部门综合统计"), "{zh}");
}
