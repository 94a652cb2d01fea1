//! Correlation where calls are stored, end to end: a Cisco UCM ad hoc
//! conference (six records) streamed to the server in two parts, the later
//! records first and the server killed in between, comes out as one
//! logical call billed to its controller and counted once; and the rules
//! are a store setting `bluewhale correlate --save` writes.

mod common;

use common::server::{free_port, send_lines, start, wait_for_calls};
use common::{Bw, fixture, fixture_arg};

/// The CUCM header lines and the records of the conference fixture.
fn header_and_records() -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(fixture("correlate/conference.csv")).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let records = lines[2..].iter().filter(|l| !l.trim().is_empty()).cloned().collect();
    (lines[..2].to_vec(), records)
}

#[test]
fn a_conference_streamed_out_of_order_across_a_kill_is_one_call_billed_to_its_controller() {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("correlate/directory.toml")]);
    let (port, http) = (free_port(), free_port());
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{http}\"\n\
         [[pbx]]\nname = \"cucm-hq\"\nformat = \"cucm\"\n\
         connector = {{ kind = \"tcp-listen\", listen = \"127.0.0.1:{port}\" }}\n"
    );
    std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
    let (header, records) = header_and_records();
    let part = |range: std::ops::Range<usize>| [&header[..], &records[range]].concat();

    let server = start(&bw);
    send_lines(port, &part(3..6));
    wait_for_calls(&bw, 3);
    // Killed: what it held in memory is gone; the stored calls are not.
    server.kill();
    let server = start(&bw);
    send_lines(port, &part(0..3));
    wait_for_calls(&bw, 6);
    server.stop();

    let store = bw.store();
    let mut legs = Vec::new();
    let q = store::CdrQuery { from_s: 0, to_s: i64::MAX, ..Default::default() };
    store
        .query_cdrs(&q, |c| {
            legs.push(store.leg_billing(c.record.start_s, c.record.dedup).unwrap());
            Ok(())
        })
        .unwrap();
    let legs: Vec<_> = legs.into_iter().map(|l| l.expect("every leg has an outcome")).collect();
    assert_eq!(legs.len(), 6);
    assert!(legs.iter().all(|l| l.call == legs[0].call), "{legs:#?}");
    assert_eq!(legs.iter().filter(|l| l.counted).count(), 1);
    let controller = store.extension_ids("2001").unwrap()[0];
    assert!(legs.iter().all(|l| l.payer.map(|p| p.0) == Some(controller)), "{legs:#?}");

    // The reports read the same: one call.
    let report = bw.department_report("2025-04-01", "2025-04-30");
    assert_eq!(report["totals"]["calls"], 1, "{report}");
}

#[test]
fn the_rules_stored_calls_are_billed_by_are_a_setting() {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("correlate/directory.toml")]);
    let setting = || bw.store().setting(store::settings::CORRELATION).unwrap();
    assert_eq!(setting(), None);
    let said = bw.ok_stderr(&["correlate", "--save", "--conference", "party"]);
    assert!(said.contains("conference = party"), "{said}");
    assert_eq!(
        setting().as_deref(),
        Some(r#"{"forward":"forwarding_party","transfer":"transferor","conference":"party"}"#)
    );
    // `correlate` shows what billing does: the party rule, unless told.
    let records = fixture_arg("correlate/conference.csv");
    let out = bw.ok(&["correlate", "--pbx", "cucm-hq", "--json", &records]);
    let call: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let legs = call["legs"].as_array().unwrap();
    assert!(legs.iter().any(|l| l["billed_to"] == "2309"), "{legs:?}");

    bw.ok(&["correlate", "--save", "--off"]);
    assert_eq!(setting().as_deref(), Some("off"));
    let imported = bw
        .import(&["--pbx", "cucm-hq", "--format", "cucm"], &[fixture("correlate/conference.csv")]);
    assert!(imported.contains("6 stored"), "{imported}");
    let report = bw.department_report("2025-04-01", "2025-04-30");
    assert_eq!(report["totals"]["calls"], 6, "{report}");
    let refused = bw.fails(&["correlate", "--save", "--off", "--transfer", "transferee"]);
    assert!(refused.contains("cannot be used with"), "{refused}");
}
