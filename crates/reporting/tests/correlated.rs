//! Reports over correlated calls (`fixtures/correlated.tsv`): the legs of a
//! conference and of a transfer stored and billed as correlation decides,
//! then read back by the reports that read calls. Each owner's itemised
//! report lists the legs it pays for and counts a logical call once, and
//! the reports that read calls add up to what the rollups say.

use report::reports::ReportName;
use report::{Cell, Report, RowStyle};
use reporting::{Request, build};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use store::days::month_of_day;
use store::{Amount, CdrRow, Charge, ChargeStatus, LegBilling, Store};

const FIXTURE: &str = include_str!("fixtures/correlated.tsv");

/// 1 Company, 2 Company\Sales, 3 Company\Sales\EMEA, 4 Company\Finance;
/// extensions 1001 (Sales), 2001 (EMEA), 3001 (Finance).
const DIRECTORY: &str = "
    INSERT INTO site (id, name, time_zone) VALUES (1, 'HQ', 'UTC');
    INSERT INTO pbx (id, name, format, site_id) VALUES (1, 'pbx-hq', 'cucm', 1);
    INSERT INTO department (id, parent_id, name, path) VALUES
      (1, NULL, 'Company', 'Company'), (2, 1, 'Sales', 'Company\\Sales'),
      (3, 2, 'EMEA', 'Company\\Sales\\EMEA'), (4, 1, 'Finance', 'Company\\Finance');
    INSERT INTO person (id, key, name, department_id) VALUES
      (1, 'ann', 'Ann', 2), (2, 'bob', 'Bob', 3), (3, 'cid', 'Cid', 4);
    INSERT INTO extension (id, site_id, number, person_id, department_id, valid_from, site_key) VALUES
      (1, 1, '1001', 1, 2, 0, 1), (2, 1, '2001', 2, 3, 0, 1), (3, 1, '3001', 3, 4, 0, 1);
    INSERT INTO carrier (id, name, currency) VALUES (1, 'telco', 'EUR');
";

/// (extension id, department id) of each directory number.
fn owner_of(number: &str) -> (i64, i64) {
    match number {
        "1001" => (1, 2),
        "2001" => (2, 3),
        "3001" => (3, 4),
        other => panic!("fixture: {other} is not a directory extension"),
    }
}

/// 2026-12-01 (UTC), as a day number.
const DAY: i64 = 20_788;

/// Totals of a report, or of one owner's expectations: calls, seconds, cost.
type Totals = (u64, u64, Decimal);

/// What the fixture expects of the reports of one set of owners.
struct Expected {
    owners: String,
    listed: Vec<String>,
    totals: Totals,
}

/// The fixture's calls stored and its legs billed; the calls' names by
/// their ids, and the expectations.
fn stored() -> (tempfile::TempDir, Store, HashMap<String, String>, Vec<Expected>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.connection().execute_batch(DIRECTORY).unwrap();
    let mut keys: HashMap<String, (i64, i64)> = HashMap::new();
    let mut legs = Vec::new();
    let mut expected = Vec::new();
    let lines = FIXTURE.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    for (index, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["call", name, time, filed_under, dialled, duration, cost] => {
                let row = call(index as i64 + 1, time, filed_under, dialled, duration, cost);
                keys.insert(name.to_string(), (row.start_s, row.dedup));
                let mut batch = store.batch().unwrap();
                batch.insert_cdr(&row).unwrap();
                batch.commit().unwrap();
            }
            ["leg", name, call, part, payer, counted, reason] => {
                legs.push((name, call, part, payer, counted == "yes", reason));
            }
            ["expect", owners, listed, calls, duration, cost] => expected.push(Expected {
                owners: owners.to_string(),
                listed: listed.split(',').map(String::from).collect(),
                totals: (
                    calls.parse().unwrap(),
                    duration.parse().unwrap(),
                    Decimal::from_str(cost).unwrap(),
                ),
            }),
            _ => panic!("fixture line {line:?}"),
        }
    }
    let zone = store.reporting_zone().unwrap();
    let mut batch = store.batch().unwrap();
    for (name, call, part, payer, counted, reason) in legs {
        let (start_s, dedup) = keys[name];
        let billing = LegBilling {
            start_s,
            dedup,
            call: keys[call],
            part: part.into(),
            features: Default::default(),
            payer: (payer != "-").then(|| {
                let (extension, department) = owner_of(payer);
                (extension, Some(department))
            }),
            counted,
            reason: reason.into(),
        };
        batch.bill_leg(&billing, &zone).unwrap();
    }
    batch.commit().unwrap();
    let names = keys.into_iter().map(|(name, (s, d))| (store::call_id(s, d), name)).collect();
    (dir, store, names, expected)
}

/// Call `key` of the fixture: outgoing, international, rated on carrier 1.
fn call(
    key: i64,
    time: &str,
    filed_under: &str,
    dialled: &str,
    duration: &str,
    cost: &str,
) -> CdrRow {
    let at = jiff::civil::Time::from_str(time).unwrap();
    let start = DAY * 86_400 + i64::from(at.hour()) * 3600 + i64::from(at.minute()) * 60;
    let duration: u32 = duration.parse().unwrap();
    let cdr = cdr::Cdr {
        start: cdr::Timestamp::from_second(start).unwrap(),
        end: cdr::Timestamp::from_second(start + i64::from(duration)).unwrap(),
        duration_s: duration,
        direction: cdr::Direction::Outgoing,
        calling: filed_under.into(),
        dialled: dialled.into(),
        ..Default::default()
    };
    let (extension, department) = owner_of(filed_under);
    let attribution = directory::Attribution {
        extension: filed_under.into(),
        extension_id: Some(extension),
        department_id: Some(department),
        ..Default::default()
    };
    let mut row = CdrRow::new(&cdr, key, 1, 1, &attribution);
    row.set_day(DAY, month_of_day(DAY));
    let charge = Charge {
        status: ChargeStatus::Rated,
        call_type: 5,
        carrier_id: 1,
        cost: Amount::from_decimal(Decimal::from_str(cost).unwrap()).unwrap(),
        currency: "EUR".into(),
        ..Default::default()
    };
    row.set_charge(&charge, duration);
    row
}

/// A request for `name` over `days` (first, last), narrowed to `owners` as
/// the fixture names them.
fn request(name: ReportName, owners: &str, days: (i64, i64)) -> Request {
    let (department, extension) = match owners {
        "*" => (None, None),
        owners => match owners.strip_prefix("department:") {
            Some(path) => (Some(path.to_string()), None),
            None => (None, Some(owners.to_string())),
        },
    };
    Request {
        name,
        first_day: days.0,
        last_day: days.1,
        department,
        extension,
        created_by: "test".into(),
        top: 20,
        json: false,
    }
}

fn report(store: &Store, name: ReportName, owners: &str, days: (i64, i64)) -> Report {
    build(store, &request(name, owners, days)).unwrap().report.unwrap()
}

fn totals(report: &Report) -> Totals {
    let total = |key: &str| &report.totals.iter().find(|t| t.key == key).unwrap().value;
    let (Cell::Integer(calls), Cell::Duration(seconds), Cell::Money(cost)) =
        (total("calls"), total("duration_s"), total("cost"))
    else {
        panic!("totals of {:?}: {:?}", report.title.en, report.totals)
    };
    (u64::try_from(*calls).unwrap(), *seconds, *cost)
}

/// The ids the first table lists, as the fixture names the calls.
fn listed(report: &Report, names: &HashMap<String, String>) -> Vec<String> {
    let table = &report.sections[0];
    let column = table.columns.iter().position(|c| c.key == "id").unwrap();
    table
        .rows
        .iter()
        .filter(|row| row.style == RowStyle::Normal)
        .map(|row| match &row.cells[column] {
            Cell::Text(id) => names[id].clone(),
            other => panic!("id cell {other:?}"),
        })
        .collect()
}

/// A day, and the whole month (read from the month rollup).
const PERIODS: [(i64, i64); 2] = [(DAY, DAY), (DAY, DAY + 30)];

#[test]
fn an_itemised_report_lists_the_legs_its_owner_pays_for_and_counts_each_logical_call_once() {
    let (_dir, store, names, expected) = stored();
    assert!(!expected.is_empty());
    for period in PERIODS {
        for e in &expected {
            let itemised = report(&store, ReportName::Extension, &e.owners, period);
            assert_eq!(listed(&itemised, &names), e.listed, "{} over {period:?}", e.owners);
            assert_eq!(totals(&itemised), e.totals, "{} over {period:?}", e.owners);
            // The rollups' figures for the same owners.
            let summary = report(&store, ReportName::Department, &e.owners, period);
            assert_eq!(totals(&summary), e.totals, "department summary of {}", e.owners);
        }
    }
}

#[test]
fn the_reports_that_read_calls_add_up_to_the_rollups() {
    let (_dir, store, _, expected) = stored();
    let everyone = expected.iter().find(|e| e.owners == "*").unwrap();
    for period in PERIODS {
        let rollups = totals(&report(&store, ReportName::Department, "*", period));
        assert_eq!(rollups, everyone.totals);
        for name in
            [ReportName::Trunk, ReportName::Site, ReportName::Destination, ReportName::Traffic]
        {
            let from_calls = totals(&report(&store, name, "*", period));
            assert_eq!(from_calls, rollups, "{name:?} over {period:?}");
        }
        for e in &expected {
            let carrier = totals(&report(&store, ReportName::Carrier, &e.owners, period));
            let destination = totals(&report(&store, ReportName::Destination, &e.owners, period));
            assert_eq!(destination, carrier, "{} over {period:?}", e.owners);
        }
    }
}

#[test]
fn the_top_lists_rank_legs_and_callers_by_who_pays() {
    let (_dir, store, names, _) = stored();
    let top = report(&store, ReportName::Top, "*", (DAY, DAY));
    // The most expensive call is the leg after the transfer, shown as the
    // transferor's.
    let first = &top.sections[0].rows[0];
    let cell = |key: &str| {
        let column = top.sections[0].columns.iter().position(|c| c.key == key).unwrap();
        first.cells[column].clone()
    };
    let Cell::Text(id) = cell("id") else { panic!("id") };
    assert_eq!(names[&id], "t2");
    assert_eq!(cell("extension"), Cell::text("3001"));
    assert_eq!(cell("department"), Cell::text("Company\\Finance"));
    assert_eq!(cell("leg"), Cell::text("transferred"));
    assert_eq!(cell("calls"), Cell::Integer(0));
    // Top callers come from the rollups: 3001 pays most.
    let callers = &top.sections[2];
    let extension = callers.columns.iter().position(|c| c.key == "extension").unwrap();
    let calls = callers.columns.iter().position(|c| c.key == "calls").unwrap();
    let ranked: Vec<(Cell, Cell)> =
        callers.rows.iter().map(|r| (r.cells[extension].clone(), r.cells[calls].clone())).collect();
    assert_eq!(
        ranked,
        [
            (Cell::text("3001"), Cell::Integer(2)),
            (Cell::text("2001"), Cell::Integer(2)),
            (Cell::text("1001"), Cell::Integer(1)),
            (Cell::text(""), Cell::Integer(0)),
        ]
    );
}
