//! `bluewhale tariff`, `explain` and `whatif`, end to end: each test runs
//! the binary against a fresh data directory holding the organisation of
//! `fixtures/tariff/` — one site in Paris whose calls go out on Orange
//! (trunk T1 on Free), with PSTN as reference and calendar FR as holidays.
//!
//! Expected costs are worked out by hand from `fixtures/tariff/*.toml`:
//! Orange France fixed is, in peak (Mon–Fri 08–19 in Paris), a 0.05
//! connect fee, the first 30 s at 0.06 and each 10 s after at 0.02;
//! off-peak, 30 s at 0.03 then 10 s at 0.01, no connect fee. Units are
//! 1 + ⌈(talk − 30) / 10⌉.

mod common;

use common::{Bw, arg, fixture_arg};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The Paris organisation with its tariffs and the calls of
/// `calls.txt` imported (and priced on import).
fn organisation() -> Bw {
    let bw = Bw::with_directory_and_tariffs("tariff/directory.toml", "tariff/tariffs.toml");
    let out = bw.import_paris_calls("tariff/calls.toml", "tariff/calls.txt");
    assert!(out.contains("8 records: 8 stored"), "{out}");
    bw
}

/// The id of the stored call to `dialled` starting at `start` (UTC).
fn call_id(bw: &Bw, start: &str, dialled: &str) -> String {
    bw.calls("2025-04-01", "2025-05-31")
        .into_iter()
        .find(|c| c["start"] == start && c["dialled"] == dialled)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no call to {dialled} at {start}"))
}

/// `tariff price --json` for Orange, to `number`, at `at`, `seconds` long.
fn price(bw: &Bw, number: &str, at: &str, seconds: u32, extra: &[&str]) -> Value {
    let seconds = seconds.to_string();
    let args = ["tariff", "price", "--carrier", "Orange", "--to", number, "--at", at];
    bw.json(&[&args[..], &["--duration", seconds.as_str(), "--json"], extra].concat())
}

#[test]
fn price_follows_units_bands_connect_fee_and_minimum() {
    let bw = organisation();
    // Friday 10:00 in Paris, peak, 95 s: 8 units (100 s billed);
    // 0.05 + 0.06 + 7 × 0.02 = 0.25.
    let p = price(&bw, "+33155512345", "2025-04-18T10:00:00+02:00", 95, &[]);
    assert_eq!(p["cost"], "0.25");
    assert_eq!(p["currency"], "EUR");
    assert_eq!((p["carrier"].as_str(), p["version"].as_str()), (Some("Orange"), Some("2025")));
    assert_eq!(
        (p["prefix"].as_str(), p["destination"].as_str()),
        (Some("331"), Some("France fixed"))
    );
    assert_eq!((p["billed_s"].as_u64(), p["units"].as_u64()), (Some(100), Some(8)));
    assert_eq!(p["bands"], json!([{ "band": "peak", "seconds": 100, "units": 8, "cost": "0.20" }]));
    let explanation: Vec<&str> =
        p["explanation"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(
        explanation[3..],
        [
            "billing 30/10: first interval 30 s + 7 increment(s) of 10 s = 100 s billed, 8 unit(s)",
            "connect fee 0.05",
            "band peak: first 30 s at 0.06 + 7 × 10 s at 0.02 = 0.20",
            "sum 0.25",
            "rounded half up to 2 decimal(s) per call: 0.25",
            "cost 0.25 EUR",
        ]
    );
    // The same instant written as Paris local time.
    assert_eq!(price(&bw, "33155512345", "2025-04-18T10:00:00", 95, &[])["cost"], "0.25");
    // 18:59:30, 65 s, split crossing: the first 30 s in peak (with the
    // peak connect fee), the 4 increments from 19:00 off-peak:
    // 0.05 + 0.06 + 4 × 0.01 = 0.15.
    let p = price(&bw, "33155512345", "2025-04-18T18:59:30", 65, &[]);
    assert_eq!(p["cost"], "0.15");
    assert_eq!(
        p["bands"],
        json!([
            { "band": "peak", "seconds": 30, "units": 1, "cost": "0.06" },
            { "band": "offpeak", "seconds": 40, "units": 4, "cost": "0.04" },
        ])
    );
    // A 20 s mobile call: one 60 s unit at 0.12, raised to the 0.15 minimum.
    let p = price(&bw, "33612345678", "2025-04-18T10:00:00", 20, &[]);
    assert_eq!(
        (p["cost"].as_str(), p["destination"].as_str()),
        (Some("0.15"), Some("France mobile"))
    );
    assert!(
        p["explanation"]
            .as_array()
            .unwrap()
            .contains(&json!("below minimum charge 0.15: raised to it"))
    );
    // 1 May is a holiday of the Paris site: off-peak all day,
    // 0.03 + 7 × 0.01 = 0.10; without the site, a Thursday peak.
    let at = "2025-05-01T10:00:00+02:00";
    assert_eq!(price(&bw, "33155512345", at, 95, &["--site", "Paris"])["cost"], "0.10");
    assert_eq!(price(&bw, "33155512345", at, 95, &[])["cost"], "0.25");
}

#[test]
fn price_text_and_errors() {
    let bw = organisation();
    let args = ["tariff", "price", "--carrier", "Orange", "--at", "2025-04-18T10:00:00Z"];
    let out = bw.ok(&[&args[..], &["--to", "+442071234567", "--duration", "61"]].concat());
    // 61 s to the UK: 60 s at 0.20 + one 6 s increment at 0.02.
    assert!(
        out.starts_with(
            "cost 0.22 EUR\ndestination United Kingdom (prefix 44)\nbilled 66 s, 2 unit(s)\n"
        ),
        "{out}"
    );
    assert!(out.contains("\n  band peak: first 60 s at 0.20 + 1 × 6 s at 0.02 = 0.22\n"), "{out}");
    let err = bw.fails(&[
        "tariff",
        "price",
        "--carrier",
        "Nope",
        "--to",
        "331",
        "--at",
        "2025-04-18T10:00:00Z",
        "--duration",
        "5",
    ]);
    assert_eq!(
        err,
        "error: no carrier \"Nope\" in the stored tariffs (carriers: Orange, Free, PSTN)\n"
    );
    let err = bw.fails(&[&args[..], &["--to", "49301234567", "--duration", "5"]].concat());
    assert_eq!(err, "error: no rate for \"49301234567\" in carrier \"Orange\" version \"2025\"\n");
    let err = bw.fails(&[&args[..], &["--to", "01-55", "--duration", "5"]].concat());
    assert_eq!(err, "error: --to: not a number (digits, a leading + allowed): \"01-55\"\n");
    let err = bw.fails(&[
        "tariff",
        "price",
        "--carrier",
        "Orange",
        "--to",
        "331",
        "--at",
        "18/04/2025",
        "--duration",
        "5",
    ]);
    assert!(
        err.starts_with(
            "error: --at: not an RFC 3339 time or a local YYYY-MM-DDTHH:MM:SS: \"18/04/2025\": "
        ),
        "{err}"
    );
}

#[test]
fn list_shows_carriers_and_versions() {
    let bw = Bw::new();
    bw.ok(&["tariff", "import", &fixture_arg("tariff/tariffs.toml")]);
    assert_eq!(
        bw.ok(&["tariff", "list"]),
        "carrier  version  valid_from                 currency  zone          prefixes\n\
         Orange   2025     2025-01-01T00:00:00+01:00  EUR       Europe/Paris  9\n\
         Free     2025-01  2025-01-01T00:00:00+01:00  EUR       Europe/Paris  1\n\
         PSTN     2025     2025-01-01T00:00:00+01:00  EUR       Europe/Paris  1\n\
         3 carrier(s), 3 version(s)\n"
    );
    let first: Value =
        serde_json::from_str(bw.ok(&["tariff", "list", "--json"]).lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        json!({ "carrier": "Orange", "versions": [{ "id": "2025", "valid_from": "2025-01-01T00:00:00+01:00",
            "currency": "EUR", "time_zone": "Europe/Paris", "prefixes": 9 }] })
    );
}

#[test]
fn import_replaces_carriers_by_name_and_picks_one_of_several() {
    let bw = Bw::new();
    let out = bw.ok(&["tariff", "import", &fixture_arg("tariff/tariffs.toml")]);
    assert!(out.starts_with("imported 3 carrier(s): Orange (new), Free (new), PSTN (new); the book now has 3 carrier(s) and 11 prefix(es) ("), "{out}");
    // The one-carrier candidate stored under the name Orange replaces it.
    let out =
        bw.ok(&["tariff", "import", &fixture_arg("tariff/candidate.toml"), "--carrier", "Orange"]);
    assert!(out.starts_with("imported 1 carrier(s): Orange (replaced); the book now has 3 carrier(s) and 11 prefix(es) ("), "{out}");
    assert!(bw.ok(&["tariff", "list"]).contains("\nOrange   offer-2025  "));
    // From a file of several, --carrier takes one.
    let out =
        bw.ok(&["tariff", "import", &fixture_arg("tariff/tariffs.toml"), "--carrier", "Free"]);
    assert!(out.starts_with("imported 1 carrier(s): Free (replaced);"), "{out}");
    assert!(
        bw.ok(&["tariff", "list"]).contains("\nOrange   offer-2025  "),
        "Orange stays as it was"
    );
    let err =
        bw.fails(&["tariff", "import", &fixture_arg("tariff/tariffs.toml"), "--carrier", "SFR"]);
    assert_eq!(err, "error: no carrier \"SFR\" in the tariff file (it has Orange, Free, PSTN)\n");
    // A folder stands for its tariffs.toml.
    let out = bw.ok(&["tariff", "import", &fixture_arg("tariff/"), "--carrier", "PSTN"]);
    assert!(out.starts_with("imported 1 carrier(s): PSTN (replaced);"), "{out}");
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn export_then_import_of_the_export_gives_the_same_files() {
    let out = tempfile::tempdir().unwrap();
    let (first, second) = (out.path().join("first"), out.path().join("second"));
    let bw = Bw::new();
    bw.ok(&["tariff", "import", &fixture_arg("tariff/tariffs.toml")]);
    assert_eq!(
        bw.ok(&["tariff", "export", "-o", &arg(&first)]).trim(),
        arg(&first.join("tariffs.toml"))
    );
    let again = Bw::new();
    again.ok(&["tariff", "import", &arg(&first)]);
    again.ok(&["tariff", "export", "--output", &arg(&second)]);
    let (a, b) = (files(&first), files(&second));
    assert_eq!(a.keys().collect::<Vec<_>>(), ["tariffs.toml"]);
    assert_eq!(a, b);
    let text = String::from_utf8(a["tariffs.toml"].clone()).unwrap();
    assert!(text.contains("name = \"FR\""), "calendars travel with the book: {text}");
}

/// The plan in `fixtures/tariff/cgrates/`, imported in Paris time and
/// euros. Hand computation, as CGRateS's rater computes `GetCost` (cost =
/// ConnectFee of the first time span + each span's time rounded up to its
/// slot's RateIncrement × Rate / RateUnit, the total rounded `*up` to 4
/// decimals):
/// - Wed 10:00, 150 s to 331…: timing TM_WORKDAY (08:00, latest start
///   among weight 10), rate RT_FIXED_DAY: 0.02 + 60 s in 30 s units at
///   0.06/min (0.06) + 90 s in 10 s units at 0.03/min (0.045) = 0.1250.
/// - Wed 18:59:00, 125 s: CGRateS splits at 19:00 (TM_EVENING): 60 s of
///   RT_FIXED_DAY = 0.06; 65 s of RT_FIXED_NIGHT rounded up to 120 s at
///   0.03/min = 0.06; + 0.02 = 0.1400, 180 s billed.
/// - Sat 11:00, 61 s to 336…: `*any`, RT_MOBILE, per second at
///   0.12/min: 0.05 + 61 × 0.002 = 0.1720.
#[test]
fn cgrates_plan_is_priced_as_cgrates_prices_it() {
    let bw = Bw::new();
    let plan = fixture_arg("tariff/cgrates");
    let err = bw.fails(&["tariff", "import", "--cgrates", &plan]);
    assert_eq!(
        err,
        "error: --cgrates needs --currency: CGRateS tariff plans do not say which currency their amounts are in\n"
    );
    let err = bw.fails(&[
        "tariff",
        "import",
        "--cgrates",
        &plan,
        "--currency",
        "EUR",
        "--subject",
        "nobody",
    ]);
    assert!(err.contains("no rating profile for subject \"nobody\" (profiles: tel.example:call:pbx, tel.example:call:fax)"), "{err}");
    let out = bw.ok(&[
        "tariff",
        "import",
        "--cgrates",
        &plan,
        "--subject",
        "pbx",
        "--time-zone",
        "Europe/Paris",
        "--currency",
        "EUR",
    ]);
    assert!(out.starts_with("imported 1 carrier(s): tel.example:pbx (new);"), "{out}");
    let cg = |number: &str, at: &str, seconds: &str| {
        let args = ["tariff", "price", "--carrier", "tel.example:pbx", "--to", number, "--at", at];
        bw.json(&[&args[..], &["--duration", seconds, "--json"]].concat())
    };
    let p = cg("33155512345", "2025-04-16T10:00:00", "150");
    assert_eq!((p["cost"].as_str(), p["currency"].as_str()), (Some("0.1250"), Some("EUR")));
    assert_eq!(
        (p["destination"].as_str(), p["billed_s"].as_u64()),
        (Some("DST_FR_FIXED"), Some(150))
    );
    let p = cg("33155512345", "2025-04-16T18:59:00", "125");
    assert_eq!((p["cost"].as_str(), p["billed_s"].as_u64()), (Some("0.1400"), Some(180)));
    assert_eq!(
        p["bands"],
        json!([
            { "band": "TM_WORKDAY", "seconds": 60, "units": 2, "cost": "0.06" },
            { "band": "TM_EVENING", "seconds": 120, "units": 2, "cost": "0.06" },
        ])
    );
    assert_eq!(cg("33612345678", "2025-04-19T11:00:00+02:00", "61")["cost"], "0.1720");
}

#[test]
fn explain_shows_the_stored_charge_and_today_s_price() {
    let bw = organisation();
    let id = call_id(&bw, "2025-04-18T08:00:00Z", "0155512345");
    let out = bw.ok(&["explain", &id]);
    let expected_head = format!(
        "call {id} from PBX pbx-paris at site Paris
  start         2025-04-18 10:00:00 Fri +02:00
  answered      2025-04-18 10:00:00 Fri +02:00
  talk          95 s, answered
  direction     outgoing
  extension     2001 (Alice Martin, Company\\Sales)
  other party   0155512345
  logical call  none: a call on its own
classified as local (ordinary), E.164 +33155512345, destination France / Île-de-France
status rated
  carrier       Orange
  cost          0.25 EUR
  reference     0.40 EUR
  savings       0.15 EUR
  priced on     Orange version 2025, prefix 331 → France fixed: 100 s billed, 8 unit(s); bands peak 100 s 8 unit(s)
  reference on  PSTN version 2025, prefix 33 → France: 120 s billed, 2 unit(s); bands any 120 s 2 unit(s)

cost priced now on Orange for 33155512345, with the stored tariffs:
"
    );
    assert!(out.starts_with(&expected_head), "{out}");
    // The reference: 0.10 connect fee + two 60 s units at 0.15.
    for line in [
        "  band peak: first 30 s at 0.06 + 7 × 10 s at 0.02 = 0.20\n",
        "reference priced now on PSTN for 33155512345, with the stored tariffs:\n",
        "  band any: first 60 s at 0.15 + 1 × 60 s at 0.15 = 0.30\n",
    ] {
        assert!(out.contains(line), "{line:?} missing from {out}");
    }
    assert!(
        out.ends_with("\n\ntoday's tariffs and dial plans charge it exactly as stored\n"),
        "{out}"
    );

    // On the candidate tariff (60 s units at 0.05), the call costs 0.10.
    bw.ok(&["tariff", "import", &fixture_arg("tariff/candidate.toml"), "--carrier", "Orange"]);
    let out = bw.ok(&["explain", &id]);
    assert!(out.contains("  band any: first 60 s at 0.05 + 1 × 60 s at 0.05 = 0.10\n"), "{out}");
    assert!(
        out.ends_with("\ntariffs changed since the call was rated: stored 0.25 EUR, now 0.10 EUR; run bluewhale rerate\n"),
        "{out}"
    );
    let json = bw.json(&["explain", &id, "--json"]);
    assert_eq!(json["charge"]["cost"], "0.25");
    assert_eq!(
        json["charge"]["price"]["bands"],
        json!([{ "band": "peak", "seconds": 100, "units": 8 }])
    );
    assert_eq!(json["now"]["cost"]["cost"], "0.10");
    assert_eq!(json["now"]["reference"]["cost"], "0.40");
    assert_eq!(
        json["now"]["notes"],
        json!([
            "tariffs changed since the call was rated: stored 0.25 EUR, now 0.10 EUR; run bluewhale rerate"
        ])
    );
}

#[test]
fn explain_says_why_a_call_is_unrated_or_free() {
    let bw = organisation();
    let id = call_id(&bw, "2025-05-02T08:00:00Z", "0049301234567");
    let out = bw.ok(&["explain", &id]);
    let reason = "no rate for \"49301234567\" in carrier \"Orange\" version \"2025\"";
    assert!(
        out.contains(&format!(
            "\nstatus unrated: {reason}\n  carrier       Orange\n  cost          0.00\n"
        )),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "cost priced now on Orange for 49301234567, with the stored tariffs:\n  no price: {reason}\n\n\
             today's tariffs and dial plans charge it exactly as stored\n"
        )),
        "{out}"
    );
    let id = call_id(&bw, "2025-04-22T07:00:00Z", "2002");
    let out = bw.ok(&["explain", &id]);
    assert!(
        out.ends_with(
            "classified as internal (ordinary), E.164 -, destination -\nstatus free: internal call\n  \
             carrier       none\n  cost          0.00\n  reference     0.00\n  savings       0.00\n\n\
             today's tariffs and dial plans charge it exactly as stored\n"
        ),
        "{out}"
    );
    // On-net to Lyon: free, but saves what PSTN charges for a call to
    // Lyon's area (+33 4): 0.10 + two 60 s units at 0.15 = 0.40; today's
    // price is taken for the prefix the stored reference matched.
    let id = call_id(&bw, "2025-04-22T07:30:00Z", "3001");
    let out = bw.ok(&["explain", &id]);
    let expected = "classified as onnet (ordinary), E.164 -, destination -
status free: on-net call
  carrier       none
  cost          0.00 EUR
  reference     0.40 EUR
  savings       0.40 EUR
  reference on  PSTN version 2025, prefix 33 → France: 120 s billed, 2 unit(s); bands any 120 s 2 unit(s)

reference priced now on PSTN for 33, with the stored tariffs:
";
    assert!(out.contains(expected), "{out}");
    assert!(
        out.ends_with(
            "\n  cost 0.40 EUR\n\ntoday's tariffs and dial plans charge it exactly as stored\n"
        ),
        "{out}"
    );
    assert_eq!(
        bw.fails(&["explain", "42"]),
        "error: not a call id (START-KEY, as bluewhale cdrs prints it): \"42\"\n"
    );
    assert_eq!(
        bw.fails(&["explain", "1746172800-00000000000000aa"]),
        "error: no stored call 1746172800-00000000000000aa\n"
    );
}

/// Every call's charge, the tariff files, the carriers.
type StoredState = (Vec<Option<store::Charge>>, Vec<(String, Vec<u8>)>, BTreeMap<i64, String>);

/// The stored state whatif must not touch.
fn stored_state(store: &store::Store) -> StoredState {
    let mut charges = Vec::new();
    let q = store::CdrQuery { from_s: 0, to_s: i64::MAX, ..Default::default() };
    store
        .query_cdrs(&q, |c| {
            charges.push(c.record.charge);
            Ok(())
        })
        .unwrap();
    (charges, store.tariff_files().unwrap(), store.carrier_names().unwrap())
}

/// On the candidate (fixtures/tariff/candidate.toml: one band, 60 s
/// units; France fixed 0.05, UK 0.30 then 6 s at 0.03), per call, stored
/// → candidate:
/// - Sales: 10:00 95 s fixed 0.25 → 0.10; the Free mobile call 0.15 →
///   0.15 (another carrier); the internal call and the on-net call to
///   Lyon 0 → 0 (no carrier); the 1 May fixed call 0.10 (holiday) →
///   0.10. Total 0.50 → 0.35.
/// - Support: 18:59:30 65 s fixed 0.15 → 0.10; UK 30 s 0.20 → 0.30;
///   Germany unrated → unrated (no rate in either). Total 0.35 → 0.40.
#[test]
fn whatif_totals_per_department_and_carrier_and_writes_nothing() {
    let bw = organisation();
    let store = bw.store();
    let version = store.data_version().unwrap();
    let before = stored_state(&store);
    let candidate = fixture_arg("tariff/candidate.toml");
    let args = ["whatif", "--from", "2025-04-01", "--to", "2025-05-31", "--tariff", &candidate];
    let report = bw.json(&[&args[..], &["--carrier", "Orange", "--json"]].concat());
    let row = |calls: u64,
               changed: u64,
               unrated: u64,
               current: &str,
               candidate: &str,
               difference: &str| {
        json!({ "currency": "EUR", "calls": calls, "changed": changed, "unrated_now": unrated,
            "unrated_candidate": unrated, "current": current, "candidate": candidate,
            "difference": difference })
    };
    let named = |key: &str, name: &str, mut row: Value| {
        row[key] = json!(name);
        row
    };
    assert_eq!(
        report["departments"],
        json!([
            named("department", "Company\\Sales", row(5, 1, 0, "0.50", "0.35", "-0.15")),
            named("department", "Company\\Support", row(3, 2, 1, "0.35", "0.40", "+0.05")),
        ])
    );
    assert_eq!(
        report["carriers"],
        json!([
            named("carrier", "(no carrier)", row(2, 0, 0, "0.00", "0.00", "0.00")),
            named("carrier", "Free", row(1, 0, 0, "0.15", "0.15", "0.00")),
            named("carrier", "Orange", row(5, 3, 1, "0.70", "0.60", "-0.10")),
        ])
    );
    assert_eq!(report["totals"], json!([row(8, 3, 1, "0.85", "0.75", "-0.10")]));
    let text = bw.ok(&[&args[..], &["--carrier", "Orange"]].concat());
    assert!(
        text.ends_with("\ntotal            EUR       8      3        1            1                  0.85     0.75       -0.10\n"),
        "{text}"
    );
    // A carrier nobody uses yet changes no call, and gets no store id.
    let report = bw.json(&[&args[..], &["--carrier", "Bouygues", "--json"]].concat());
    assert_eq!(report["totals"], json!([row(8, 0, 1, "0.85", "0.85", "0.00")]));
    assert_eq!(store.data_version().unwrap(), version, "another connection committed");
    assert_eq!(stored_state(&store), before);
    // The period is in the reporting zone's days (UTC here): April only.
    let report = bw.json(&[
        "whatif",
        "--from",
        "2025-04-01",
        "--to",
        "2025-04-30",
        "--tariff",
        &candidate,
        "--carrier",
        "Orange",
        "--json",
    ]);
    assert_eq!(report["totals"], json!([row(6, 3, 0, "0.75", "0.65", "-0.10")]));
    let err = bw.fails(&[
        "whatif",
        "--from",
        "2025-04-01",
        "--to",
        "2025-03-01",
        "--tariff",
        &candidate,
        "--carrier",
        "Orange",
    ]);
    assert!(err.contains("is before --from"), "{err}");
}
