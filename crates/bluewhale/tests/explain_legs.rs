//! `bluewhale explain` of a call correlation made a leg of a logical call:
//! every leg of that call with who pays for it and which one counts it,
//! the explained one marked; and of a call on its own.

mod common;

use common::Bw;
use serde_json::{Value, json};
use store::{CdrRow, LegBilling, Store};

/// Departments 1 Company, 2 Company\Sales, 3 Company\Sales\EMEA;
/// extensions 1001 (Sales) and 2001 (EMEA).
const DIRECTORY: &str = "
    INSERT INTO site (id, name, time_zone) VALUES (1, 'HQ', 'UTC');
    INSERT INTO pbx (id, name, format, site_id) VALUES (1, 'pbx-hq', 'cucm', 1);
    INSERT INTO department (id, parent_id, name, path) VALUES
      (1, NULL, 'Company', 'Company'), (2, 1, 'Sales', 'Company\\Sales'),
      (3, 2, 'EMEA', 'Company\\Sales\\EMEA');
    INSERT INTO extension (id, site_id, number, department_id, valid_from, site_key) VALUES
      (1, 1, '1001', 2, 0, 1), (2, 1, '2001', 3, 0, 1);
";

/// 2026-12-01T09:00:00Z.
const NINE: i64 = 1_796_115_600;

/// A call of `number` (extension `id`, department `department`) to
/// `dialled`, `minutes` after nine.
fn call(
    key: i64,
    minutes: i64,
    (number, id, department): (&str, i64, i64),
    dialled: &str,
) -> CdrRow {
    let start = NINE + 60 * minutes;
    let cdr = cdr::Cdr {
        start: cdr::Timestamp::from_second(start).unwrap(),
        end: cdr::Timestamp::from_second(start + 30).unwrap(),
        duration_s: 30,
        direction: cdr::Direction::Outgoing,
        calling: number.into(),
        dialled: dialled.into(),
        ..Default::default()
    };
    let attribution = directory::Attribution {
        extension: number.into(),
        extension_id: Some(id),
        department_id: Some(department),
        ..Default::default()
    };
    CdrRow::new(&cdr, key, 1, 1, &attribution)
}

/// A conference 2001 set up: its call out, the leg of 1001 it pays for and
/// a recording leg nobody pays for; and a call of 1001 on its own. The ids
/// of the four calls.
fn stored(bw: &Bw) -> [String; 4] {
    let mut store: Store = bw.store();
    store.connection().execute_batch(DIRECTORY).unwrap();
    let calls = [
        call(1, 0, ("2001", 2, 3), "0033100000001"),
        call(2, 1, ("1001", 1, 2), "2001"),
        call(3, 1, ("2001", 2, 3), "7999"),
        call(4, 5, ("1001", 1, 2), "0033100000002"),
    ];
    let mut batch = store.batch().unwrap();
    for c in &calls {
        batch.insert_cdr(c).unwrap();
    }
    batch.commit().unwrap();
    let first = (calls[0].start_s, calls[0].dedup);
    let legs = [
        ("before_conference", Some((2, Some(3))), true, "the conference's controller"),
        ("conference_leg", Some((2, Some(3))), false, "the conference's controller"),
        ("recording", None, false, "a recording leg: nobody pays"),
    ];
    let zone = store.reporting_zone().unwrap();
    let mut batch = store.batch().unwrap();
    for (c, (part, payer, counted, reason)) in calls.iter().zip(legs) {
        let leg = LegBilling {
            start_s: c.start_s,
            dedup: c.dedup,
            call: first,
            part: part.into(),
            features: "conference,recording".into(),
            payer,
            counted,
            reason: reason.into(),
        };
        batch.bill_leg(&leg, &zone).unwrap();
    }
    batch.commit().unwrap();
    calls.each_ref().map(|c| store::call_id(c.start_s, c.dedup))
}

#[test]
fn explain_shows_the_logical_call_of_a_leg_with_every_leg_and_who_pays() {
    let bw = Bw::new();
    let ids = stored(&bw);
    let out = bw.ok(&["explain", &ids[1]]);
    let expected = format!(
        "  other party   2001
  logical call  {first} (conference, recording), 3 leg(s), * this call:
      {first}  2026-12-01 09:00:00 Tue +00:00  2001 → 0033100000001
        before_conference, paid by 2001 (Company\\Sales\\EMEA), counted: the conference's controller
  *   {second}  2026-12-01 09:01:00 Tue +00:00  1001 → 2001
        conference_leg, paid by 2001 (Company\\Sales\\EMEA), not counted: the conference's controller
      {third}  2026-12-01 09:01:00 Tue +00:00  2001 → 7999
        recording, paid by nobody, not counted: a recording leg: nobody pays
not classified or priced",
        first = ids[0],
        second = ids[1],
        third = ids[2],
    );
    assert!(out.contains(&expected), "{out}");

    let explained = bw.json(&["explain", &ids[1], "--json"]);
    let correlation = &explained["correlation"];
    assert_eq!(correlation["call"], ids[0].as_str());
    assert_eq!(correlation["features"], json!(["conference", "recording"]));
    assert_eq!(
        (&correlation["part"], &correlation["counted"]),
        (&json!("conference_leg"), &json!(false))
    );
    let legs = correlation["legs"].as_array().unwrap();
    let field = |name: &str| legs.iter().map(|l| l[name].clone()).collect::<Vec<Value>>();
    assert_eq!(field("id"), ids[..3].iter().map(|id| json!(id)).collect::<Vec<_>>());
    assert_eq!(field("this_call"), [json!(false), json!(true), json!(false)]);
    assert_eq!(field("counted"), [json!(true), json!(false), json!(false)]);
    let controller = json!({
        "extension_id": 2, "extension": "2001",
        "department_id": 3, "department": "Company\\Sales\\EMEA",
    });
    assert_eq!(field("payer"), [controller.clone(), controller, Value::Null]);
    assert_eq!((&legs[1]["calling"], &legs[1]["dialled"]), (&json!("1001"), &json!("2001")));
    assert_eq!(legs[0]["start"], "2026-12-01T09:00:00Z");
}

#[test]
fn explain_says_a_call_of_its_own_is_one() {
    let bw = Bw::new();
    let ids = stored(&bw);
    let out = bw.ok(&["explain", &ids[3]]);
    assert!(
        out.contains("  other party   0033100000002\n  logical call  none: a call on its own\n"),
        "{out}"
    );
    assert_eq!(bw.json(&["explain", &ids[3], "--json"])["correlation"], Value::Null);
}
