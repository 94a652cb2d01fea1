//! Reports narrowed to the owners a reader may see, the progress they
//! tell, the catalogue and department references.

use report::reports::ReportName;
use reporting::catalogue::{Use, catalogue};
use reporting::departments::{DepartmentRef, resolve};
use reporting::{Request, Within, build, build_with};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;
use store::days::month_of_day;
use store::{Amount, CdrRow, Charge, ChargeStatus, Store};

/// 1 Company, 2 Company\Sales, 3 Company\Sales\EMEA, 4 Company\Finance;
/// extensions 1001 (Sales), 2001 (EMEA), 3001 (Finance).
const DIRECTORY: &str = "
    INSERT INTO site (id, name, time_zone) VALUES (1, 'HQ', 'UTC');
    INSERT INTO pbx (id, name, format, site_id) VALUES (1, 'pbx-hq', 'avaya', 1);
    INSERT INTO department (id, parent_id, name, path) VALUES
      (1, NULL, 'Company', 'Company'), (2, 1, 'Sales', 'Company\\Sales'),
      (3, 2, 'EMEA', 'Company\\Sales\\EMEA'), (4, 1, 'Finance', 'Company\\Finance');
    INSERT INTO person (id, key, name, department_id) VALUES
      (1, 'ann', 'Ann', 2), (2, 'bob', 'Bob', 3), (3, 'cid', 'Cid', 4);
    INSERT INTO extension (id, site_id, number, person_id, department_id, valid_from, site_key) VALUES
      (1, 1, '1001', 1, 2, 0, 1), (2, 1, '2001', 2, 3, 0, 1), (3, 1, '3001', 3, 4, 0, 1);
";

/// 2026-12-01, as a day number.
const FIRST_DAY: i64 = 20_788;
const DAYS: i64 = 4;
/// Calls per day, one per owner in turn.
const PER_DAY: i64 = 6;

const OWNERS: [(i64, &str, i64); 3] = [(1, "1001", 2), (2, "2001", 3), (3, "3001", 4)];

/// Call `n`: on day `n / PER_DAY` of the period, costing `n` × 0.01.
fn call(n: i64) -> CdrRow {
    let (ext_id, number, dept) = OWNERS[(n % 3) as usize];
    let day = FIRST_DAY + n / PER_DAY;
    let start = day * 86_400 + 3600 * (n % PER_DAY);
    let cdr = cdr::Cdr {
        start: cdr::Timestamp::from_second(start).unwrap(),
        end: cdr::Timestamp::from_second(start + 60).unwrap(),
        duration_s: 60,
        calling: number.into(),
        dialled: format!("00331{n:06}").as_str().into(),
        ..Default::default()
    };
    let a = directory::Attribution {
        extension: number.into(),
        extension_id: Some(ext_id),
        department_id: Some(dept),
        ..Default::default()
    };
    let mut row = CdrRow::new(&cdr, 1000 + n, 1, 1, &a);
    row.set_day(day, month_of_day(day));
    let charge = Charge {
        status: ChargeStatus::Rated,
        call_type: 5,
        carrier_id: 1,
        cost: Amount(n * 1_000_000),
        currency: "EUR".into(),
        ..Default::default()
    };
    row.set_charge(&charge, 60);
    row
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.connection().execute_batch(DIRECTORY).unwrap();
    store
        .connection()
        .execute("INSERT INTO carrier (id, name, currency) VALUES (1, 'telco', 'EUR')", [])
        .unwrap();
    let rows: Vec<CdrRow> = (0..DAYS * PER_DAY).map(call).collect();
    let refs: Vec<&CdrRow> = rows.iter().collect();
    let mut batch = store.batch().unwrap();
    batch.insert_new_cdrs(&refs).unwrap();
    batch.commit().unwrap();
    (dir, store)
}

fn request(name: ReportName) -> Request {
    Request {
        name,
        first_day: FIRST_DAY,
        last_day: FIRST_DAY + DAYS - 1,
        department: None,
        extension: None,
        created_by: "test".into(),
        top: 5,
        json: true,
    }
}

/// Sum of the costs of the calls whose owner index is in `owners`.
fn cost_of(owners: &[i64]) -> Decimal {
    (0..DAYS * PER_DAY).filter(|n| owners.contains(&(n % 3))).map(|n| Decimal::new(n, 2)).sum()
}

fn departments_of(json: &serde_json::Value) -> BTreeSet<String> {
    json["rows"].as_array().unwrap().iter().map(|r| r["department"].to_string()).collect()
}

#[test]
fn a_department_report_within_departments_holds_only_theirs() {
    let (_dir, store) = store();
    let sales: BTreeSet<i64> = [2, 3].into();
    let within = Within::Departments(sales);
    let built = build_with(&store, &request(ReportName::Department), &within, &mut |_| {}).unwrap();
    let json = built.json.unwrap();
    assert_eq!(
        departments_of(&json),
        ["\"Company\\\\Sales\"".to_string(), "\"Company\\\\Sales\\\\EMEA\"".to_string()].into()
    );
    let total = Decimal::from_str(json["totals"]["cost"].as_str().unwrap()).unwrap();
    assert_eq!(total, cost_of(&[0, 1]));

    // Everything, for comparison.
    let all = build(&store, &request(ReportName::Department)).unwrap().json.unwrap();
    let total = Decimal::from_str(all["totals"]["cost"].as_str().unwrap()).unwrap();
    assert_eq!(total, cost_of(&[0, 1, 2]));
}

#[test]
fn a_requested_department_is_narrowed_to_the_allowed_ones() {
    let (_dir, store) = store();
    let within = Within::Departments([3].into());
    // Sales asked, only EMEA allowed: EMEA's calls alone.
    let mut req = request(ReportName::Department);
    req.department = Some("Company\\Sales".into());
    let json = build_with(&store, &req, &within, &mut |_| {}).unwrap().json.unwrap();
    assert_eq!(departments_of(&json), ["\"Company\\\\Sales\\\\EMEA\"".to_string()].into());
    // Finance asked, only EMEA allowed: nothing.
    req.department = Some("Company\\Finance".into());
    let json = build_with(&store, &req, &within, &mut |_| {}).unwrap().json.unwrap();
    assert!(json["rows"].as_array().unwrap().is_empty());
    assert_eq!(json["totals"]["calls"], 0);
}

#[test]
fn an_itemised_report_within_departments_lists_only_their_calls_and_says_so() {
    let (_dir, store) = store();
    let within = Within::Departments([2, 3].into());
    let mut req = request(ReportName::Extension);
    req.json = false;
    let report = build_with(&store, &req, &within, &mut |_| {}).unwrap().report.unwrap();
    let rows = &report.sections[0].rows;
    // The calls of Sales and EMEA (two owners of three) and a total row.
    assert_eq!(rows.len() as i64, DAYS * PER_DAY * 2 / 3 + 1);
    let scope = report.header.filters.iter().find(|f| f.name.en == "Departments").unwrap();
    assert_eq!(scope.value, "Company\\Sales");

    let within = Within::Departments(BTreeSet::new());
    let report = build_with(&store, &req, &within, &mut |_| {}).unwrap().report.unwrap();
    assert_eq!(report.sections[0].rows.len(), 1, "only the total row");
}

#[test]
fn within_extensions_keeps_only_those_extensions() {
    let (_dir, store) = store();
    let within = Within::Extensions([3].into());
    let json = build_with(&store, &request(ReportName::Department), &within, &mut |_| {})
        .unwrap()
        .json
        .unwrap();
    assert_eq!(departments_of(&json), ["\"Company\\\\Finance\"".to_string()].into());
}

#[test]
fn reading_the_calls_tells_the_share_of_the_period_day_by_day() {
    let (_dir, store) = store();
    let mut seen = Vec::new();
    let mut req = request(ReportName::Extension);
    req.json = false;
    build_with(&store, &req, &Within::All, &mut |share| seen.push(share)).unwrap();
    // One report as each later day is reached, then the end.
    assert_eq!(seen, vec![0.25, 0.5, 0.75, 1.0]);

    let mut seen = Vec::new();
    build_with(&store, &request(ReportName::Department), &Within::All, &mut |s| seen.push(s))
        .unwrap();
    assert_eq!(seen, vec![1.0], "the rollups are read at once");
}

#[test]
fn the_catalogue_names_every_report_with_the_title_it_carries() {
    let (_dir, store) = store();
    let list = catalogue();
    assert_eq!(list.len(), ReportName::all().len());
    for info in &list {
        let mut req = request(info.name);
        req.json = false;
        let report = build(&store, &req).unwrap().report.unwrap();
        if info.name == ReportName::Extension {
            assert!(report.title.zh.ends_with(&info.title.zh), "{:?}", report.title);
        } else {
            assert_eq!(report.title, info.title, "{}", info.name);
        }
        assert_eq!(info.period, Use::Required);
        assert_eq!(info.top == Use::Optional, info.name == ReportName::Top);
    }
}

#[test]
fn departments_resolve_by_id_or_path() {
    let (_dir, store) = store();
    let by_id = resolve(&store, &DepartmentRef::Id(2)).unwrap().unwrap();
    assert_eq!((by_id.id, by_id.path.as_str()), (2, "Company\\Sales"));
    assert_eq!(by_id.subtree, [2, 3].into());
    let by_path = resolve(&store, &DepartmentRef::Path("Company\\Sales".into())).unwrap();
    assert_eq!(by_path, Some(by_id));
    assert_eq!(resolve(&store, &DepartmentRef::Id(99)).unwrap(), None);
    assert_eq!(resolve(&store, &DepartmentRef::Path("Nowhere".into())).unwrap(), None);
}
