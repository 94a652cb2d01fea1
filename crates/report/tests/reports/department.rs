//! The department summary, from `fixtures/reports/owners.tsv`.
//!
//! Worked by hand from the fixture:
//!
//! | department | user | calls | s | cost | reference | savings |
//! |---|---|---|---|---|---|---|
//! | Company\Ops | Bob | 4 | 200 | 0.80 | 0.80 | 0.00 |
//! | Company\Sales | Alice | 6 | 1020 | 12.34 | 17.25 | 4.91 |
//! | Company\Sales | Wang Li | 12 | 900 | 4.705 | 5.60 | 0.895 |
//! | Company\Sales (subtotal) | | 18 | 1920 | 17.045 | 22.85 | 5.805 |
//! | Company\Sales\EMEA | Carl | 5 | 160 | 0.333 | 0.40 | 0.067 |
//! | total | | 27 | 2280 | 18.178 | 24.05 | 5.872 |

use expect_test::expect_file;
use report::reports::{self, ByType, OwnerTotals};
use report::{Cell, Lang, RowStyle};
use serde_json::json;

use crate::support::{
    context, dec, money, owners, renders_everywhere, tally, texts, total, total_row, txt,
};

#[test]
fn totals_are_the_exact_sums_of_the_input() {
    let input = owners();
    let report = reports::department(&context(), &input).unwrap();
    let mut calls = 0;
    let mut seconds = 0;
    let mut cost = dec("0");
    let mut reference = dec("0");
    for owner in &input {
        for tally in owner.by_type.values() {
            calls += tally.calls;
            seconds += tally.duration_s;
            cost += tally.cost;
            reference += tally.reference;
        }
    }
    assert_eq!(total(&report, "calls"), &Cell::Integer(calls as i64));
    assert_eq!(total(&report, "cost"), &Cell::Money(cost));
    assert_eq!(total(&report, "savings"), &Cell::Money(reference - cost));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(seconds));
    // And the hand-worked figures.
    assert_eq!(total(&report, "calls"), &Cell::Integer(27));
    assert_eq!(total(&report, "cost"), &money("18.178"));
    assert_eq!(total(&report, "savings"), &money("5.872"));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(2280));
    let keys: Vec<&str> = report.totals.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["calls", "cost", "savings", "duration_s"]);
}

#[test]
fn rows_are_grouped_by_department_path_then_user() {
    let report = reports::department(&context(), &owners()).unwrap();
    let rows = &report.sections[0].rows;
    let styles: Vec<RowStyle> = rows.iter().map(|r| r.style).collect();
    use RowStyle::{Normal, Subtotal, Total};
    assert_eq!(styles, [Normal, Subtotal, Normal, Normal, Subtotal, Normal, Subtotal, Total]);
    // A sub-department follows its parent.
    let departments: Vec<&Cell> = rows.iter().map(|r| &r.cells[0]).collect();
    assert_eq!(
        departments,
        [
            &Cell::text("Company\\Ops"),
            &Cell::text("Company\\Ops"),
            &Cell::text("Company\\Sales"),
            &Cell::text("Company\\Sales"),
            &Cell::text("Company\\Sales"),
            &Cell::text("Company\\Sales\\EMEA"),
            &Cell::text("Company\\Sales\\EMEA"),
            &Cell::Empty,
        ]
    );
    assert_eq!(texts(&report, 0, "user"), ["Bob", "Alice", "Wang Li", "Carl"]);
}

#[test]
fn department_subtotal_row_carries_the_department_sums() {
    let report = reports::department(&context(), &owners()).unwrap();
    let sales = &report.sections[0].rows[4];
    assert_eq!(sales.style, RowStyle::Subtotal);
    let zero = || money("0");
    assert_eq!(
        sales.cells,
        [
            Cell::text("Company\\Sales"),
            Cell::Empty,
            Cell::Empty,
            money("17.045"),
            money("5.805"),
            Cell::Integer(18),
            Cell::Duration(1920),
            money("17.045"),
            // internal onnet local national mobile international free inbound unknown
            zero(),
            zero(),
            money("1.50"),
            money("3.205"),
            zero(),
            money("12.34"),
            zero(),
            zero(),
            zero(),
        ]
    );
    // User rows leave the department column (the seed's 部门累计) empty.
    let alice = &report.sections[0].rows[2];
    assert_eq!(alice.cells[1], Cell::text("Alice"));
    assert_eq!(alice.cells[7], Cell::Empty);
    assert_eq!(alice.cells[4], money("4.91"));
}

#[test]
fn grand_total_row_and_per_type_columns_add_up() {
    let report = reports::department(&context(), &owners()).unwrap();
    let total = total_row(&report, 0);
    assert_eq!(total.cells[3], money("18.178"));
    assert_eq!(total.cells[5], Cell::Integer(27));
    assert_eq!(total.cells[6], Cell::Duration(2280));
    assert_eq!(total.cells[7], money("18.178"));
    let per_type: Vec<&Cell> = total.cells[8..].iter().collect();
    let expected = ["0", "0", "1.833", "3.205", "0.80", "12.34", "0", "0", "0"].map(money);
    assert_eq!(per_type, expected.iter().collect::<Vec<_>>());
    let headers: Vec<&str> =
        report.sections[0].columns[8..].iter().map(|c| c.header.zh.as_str()).collect();
    assert_eq!(
        headers,
        [
            "内部通话",
            "网内通话",
            "市内通话",
            "国内长途",
            "手机通话",
            "国际长途",
            "免费通话",
            "呼入通话",
            "未知通话"
        ]
    );
}

#[test]
fn json_document_has_the_agreed_shape() {
    let doc = reports::department_json(&context(), &owners()).unwrap();
    assert_eq!(
        doc,
        json!({
            "period": {
                "from": "2024-03-01T00:00:00+08:00",
                "to": "2024-03-31T23:59:59+08:00",
                "time_zone": "Asia/Shanghai",
            },
            "generated_at": "2024-04-01T09:30:00+08:00",
            "currency": "CNY",
            "totals": {"calls": 27, "cost": "18.178", "savings": "5.872", "duration_s": 2280},
            "rows": [
                {
                    "department": "Company\\Ops", "user": "Bob", "extension": "3001",
                    "calls": 4, "duration_s": 200, "cost": "0.80", "savings": "0.00",
                    "by_type": {"mobile": "0.80"},
                },
                {
                    "department": "Company\\Sales", "user": "Alice", "extension": "2002",
                    "calls": 6, "duration_s": 1020, "cost": "12.34", "savings": "4.91",
                    "by_type": {"onnet": "0.00", "international": "12.34"},
                },
                {
                    "department": "Company\\Sales", "user": "Wang Li", "extension": "2001",
                    "calls": 12, "duration_s": 900, "cost": "4.705", "savings": "0.895",
                    "by_type": {"local": "1.50", "national": "3.205"},
                },
                {
                    "department": "Company\\Sales\\EMEA", "user": "Carl", "extension": "4001",
                    "calls": 5, "duration_s": 160, "cost": "0.333", "savings": "0.067",
                    "by_type": {"local": "0.333", "inbound": "0.00"},
                },
            ],
            "departments": [
                {"department": "Company\\Ops", "calls": 4, "cost": "0.80", "savings": "0.00"},
                {
                    "department": "Company\\Sales", "calls": 18,
                    "cost": "17.045", "savings": "5.805",
                },
                {
                    "department": "Company\\Sales\\EMEA", "calls": 5,
                    "cost": "0.333", "savings": "0.067",
                },
            ],
        })
    );
}

#[test]
fn json_rows_sum_exactly_to_the_totals() {
    let doc = reports::department_json(&context(), &owners()).unwrap();
    let amount = |value: &serde_json::Value| dec(value.as_str().unwrap());
    let rows = doc["rows"].as_array().unwrap();
    let cost: rust_decimal::Decimal = rows.iter().map(|row| amount(&row["cost"])).sum();
    assert_eq!(cost, amount(&doc["totals"]["cost"]));
    let by_type: rust_decimal::Decimal =
        rows.iter().flat_map(|row| row["by_type"].as_object().unwrap().values()).map(amount).sum();
    assert_eq!(by_type, cost);
}

#[test]
fn generic_json_keeps_money_exact() {
    let report = reports::department(&context(), &owners()).unwrap();
    let mut out = Vec::new();
    report::write_json(&report, Lang::En, &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["totals"][1]["value"], "18.178");
    let last = doc["sections"][0]["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["cells"]["cost"], "18.178");
    assert_eq!(last["cells"]["local"], "1.833");
}

#[test]
fn renders_in_every_format_and_language() {
    let report = reports::department(&context(), &owners()).unwrap();
    renders_everywhere(&report);
    expect_file!["../fixtures/snapshots/reports/department.zh.txt"]
        .assert_eq(&txt(&report, Lang::Zh));
    expect_file!["../fixtures/snapshots/reports/department.en.txt"]
        .assert_eq(&txt(&report, Lang::En));
}

#[test]
fn no_rows_still_give_a_zero_total() {
    let report = reports::department(&context(), &[]).unwrap();
    assert_eq!(report.sections[0].rows.len(), 1);
    assert_eq!(total(&report, "cost"), &money("0"));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(0));
    renders_everywhere(&report);
    let doc = reports::department_json(&context(), &[]).unwrap();
    assert_eq!(
        doc["totals"],
        json!({"calls": 0, "cost": "0.00", "savings": "0.00", "duration_s": 0})
    );
    assert_eq!(doc["rows"], json!([]));
}

#[test]
fn unknown_call_type_is_refused_with_its_row() {
    let mut input = owners();
    input[1].by_type.insert("premium".to_owned(), tally(1, 60, "9.99", "9.99"));
    let expected = "report input: row 2 (Company\\Sales / Alice / 2002): unknown call type \
                    \"premium\" (expected one of internal, onnet, local, national, mobile, \
                    international, free, inbound, unknown)";
    let error = reports::department(&context(), &input).unwrap_err();
    assert_eq!(error.to_string(), expected);
    let error = reports::department_json(&context(), &input).unwrap_err();
    assert_eq!(error.to_string(), expected);
}

#[test]
fn sums_past_the_range_are_refused_not_wrapped() {
    let mut by_type = ByType::new();
    by_type.insert("local".to_owned(), tally(u64::MAX, 1, "1", "1"));
    by_type.insert("national".to_owned(), tally(1, 1, "1", "1"));
    let input =
        [OwnerTotals { department: "D".into(), user: "U".into(), extension: "1".into(), by_type }];
    let error = reports::department(&context(), &input).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: row 1 (D / U / 1): call count overflows: 18446744073709551615 + 1"
    );
}

#[test]
fn a_bad_currency_is_refused_when_building() {
    let mut ctx = context();
    ctx.currency = "yuan".into();
    let error = reports::department(&ctx, &owners()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid report: total \"cost\": currency \"yuan\" is not an ISO 4217 code"
    );
}
