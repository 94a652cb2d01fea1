//! Volume tiers and free-minute bundles on stored calls (fixtures in
//! `tests/fixtures/discounts`). Carrier Acme charges 0.10 a started
//! minute to French fixed numbers, gives each extension a three-minute
//! bundle a month ("fixed-3") and takes 50 % off once the organisation's
//! month reaches 4 billed minutes on Acme before the call. Computed by
//! hand, in start order:
//!
//! | call | ext | talk | bundle left before | tier minutes before | cost |
//! |---|---|---|---|---|---|
//! | Tue 1 Apr 10:00 | 2001 | 120 s | 180 s: both minutes free | 0 | 0.00 |
//! | Wed 2 Apr 10:00 | 2001 | 120 s | 60 s: first minute free, second 0.10 | 2 | 0.10 |
//! | Thu 3 Apr 10:00 | 2002 | 60 s | 180 s (Bob's own): free | 4 | 0.00 |
//! | Fri 4 Apr 10:00 | 2001 | 180 s | 0 s: 0.30, tier reached: −50 % | 5 | 0.15 |
//! | Thu 1 May 10:00 | 2001 | 120 s | 180 s (a new month): free | 0 | 0.00 |
//!
//! The calls arrive out of order: the 4 April call (with May's) in a first
//! import, the three before it in a second. The first import prices the 4
//! April call as the month's first (free in the bundle); the second must
//! price April again in start order.

mod common;

use common::{Bw, fixture_arg};
use serde_json::Value;

fn store_with_calls_arriving_late() -> Bw {
    let bw = Bw::with_directory_and_tariffs("rating/directory.toml", "discounts/tariffs.toml");
    for file in ["discounts/calls_late.txt", "discounts/calls_early.txt"] {
        bw.import_paris_calls("pipe_calls.toml", file);
    }
    bw
}

/// (start in UTC, extension, cost, reference) of every stored call.
fn costs(bw: &Bw) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    bw.calls("2025-04-01", "2025-05-31")
        .iter()
        .map(|c| {
            let charge = &c["charge"];
            (
                text(&c["start"]),
                text(&c["extension"]),
                text(&charge["cost"]),
                text(&charge["reference"]),
            )
        })
        .collect()
}

fn expected() -> Vec<(String, String, String, String)> {
    [
        ("2025-04-01T08:00:00Z", "2001", "0.00", "0.20"),
        ("2025-04-02T08:00:00Z", "2001", "0.10", "0.20"),
        ("2025-04-03T08:00:00Z", "2002", "0.00", "0.10"),
        ("2025-04-04T08:00:00Z", "2001", "0.15", "0.30"),
        ("2025-05-01T08:00:00Z", "2001", "0.00", "0.20"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect()
}

#[test]
fn bundles_and_tiers_price_each_month_in_start_order_whatever_the_arrival_order() {
    let bw = store_with_calls_arriving_late();
    assert_eq!(costs(&bw), expected());
    let april = |bw: &Bw| bw.department_report("2025-04-01", "2025-04-30");
    let report = april(&bw);
    assert_eq!(report["totals"]["cost"], "0.25");
    assert_eq!(report["totals"]["savings"], "0.55");
    let alice = report["rows"].as_array().unwrap().iter().find(|r| r["extension"] == "2001");
    assert_eq!(alice.unwrap()["cost"], "0.25");
    // The stored trace says what the bundle and the tier did.
    let trace = |day: &str| -> Value {
        let call = bw.calls(day, day).remove(0);
        bw.json(&["explain", call["id"].as_str().unwrap(), "--json"])["charge"]["price"].clone()
    };
    let second = trace("2025-04-02");
    assert_eq!(second["bundle"], serde_json::json!({ "name": "fixed-3", "seconds": 60 }));
    let fourth = trace("2025-04-04");
    assert_eq!((&fourth["discount"], &fourth["bundle"]), (&"0.15".into(), &Value::Null));

    // Re-rating part of April re-rates the whole month, and changes nothing.
    let note = bw.ok_stderr(&["rerate", "--from", "2025-04-03", "--to", "2025-04-04", "--quiet"]);
    assert!(note.contains("re-rating whole months, 2025-04-01 to 2025-04-30"), "{note}");
    let out = bw.ok(&["rerate", "--from", "2025-04-03", "--to", "2025-04-04", "--quiet"]);
    assert!(out.contains("re-rated 4 calls over 30 days: 0 changed"), "{out}");
    assert_eq!(costs(&bw), expected());
    assert_eq!(april(&bw)["totals"], report["totals"]);
}

#[test]
fn explain_prices_a_call_after_its_months_earlier_calls() {
    let bw = store_with_calls_arriving_late();
    let fourth = bw.calls("2025-04-04", "2025-04-04").remove(0);
    let id = fourth["id"].as_str().unwrap();
    let out = bw.ok(&["explain", id]);
    assert!(out.contains("priced after the month's 3 earlier call(s)"), "{out}");
    assert!(out.contains("5 billed minute(s) on it in all, 4 by the extension"), "{out}");
    assert!(out.contains("charge it exactly as stored"), "{out}");
}

#[test]
fn whatif_counts_the_months_earlier_calls_before_the_period() {
    let bw = store_with_calls_arriving_late();
    let report = bw.json(&[
        "whatif",
        "--from",
        "2025-04-04",
        "--to",
        "2025-04-30",
        "--tariff",
        &fixture_arg("discounts/acme_bigger_bundle.toml"),
        "--carrier",
        "Acme",
        "--json",
    ]);
    let totals = &report["totals"][0];
    // Only the 4 April call is counted; with five bundle minutes Alice has
    // 60 s left for it: one minute free, two at 0.10, the tier halves them.
    assert_eq!(totals["calls"], 1, "{report}");
    assert_eq!((&totals["current"], &totals["candidate"]), (&"0.15".into(), &"0.10".into()));
    // Nothing was written.
    assert_eq!(costs(&bw), expected());
}
