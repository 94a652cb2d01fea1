//! Trunk, carrier, site and destination reports.

use expect_test::expect_file;
use report::reports::{self, ByType, GroupKind, GroupRow};
use report::{Cell, Lang, RowStyle};

use crate::support::{context, money, renders_everywhere, tally, texts, total, total_row, txt};

fn row(name: &str, detail: &str, types: &[(&str, u64, u64, &str, &str)]) -> GroupRow {
    let mut by_type = ByType::new();
    for (call_type, calls, seconds, cost, reference) in types {
        by_type.insert((*call_type).to_owned(), tally(*calls, *seconds, cost, reference));
    }
    GroupRow { name: name.to_owned(), detail: detail.to_owned(), by_type }
}

/// Costs: T2 12.34, T1@pbx-bj 4.70, T1@pbx-sh 0.70, T0 and T3 nothing.
fn trunks() -> Vec<GroupRow> {
    vec![
        row(
            "T1",
            "pbx-bj",
            &[("local", 10, 600, "1.50", "1.50"), ("national", 2, 300, "3.20", "4.10")],
        ),
        row("T3", "pbx-sh", &[]),
        row("T2", "pbx-bj", &[("international", 1, 120, "12.34", "15")]),
        row("T1", "pbx-sh", &[("local", 5, 100, "0.70", "0.70")]),
        row("T0", "pbx-sh", &[("free", 3, 30, "0", "0")]),
    ]
}

#[test]
fn rows_sort_by_cost_then_name_and_total_exactly() {
    let report = reports::grouped(&context(), GroupKind::Trunk, &trunks()).unwrap();
    assert_eq!(texts(&report, 0, "trunk"), ["T2", "T1", "T1", "T0", "T3"]);
    assert_eq!(texts(&report, 0, "detail"), ["pbx-bj", "pbx-bj", "pbx-sh", "pbx-sh", "pbx-sh"]);
    // 1.50 + 3.20 + 12.34 + 0.70; 1.50 + 4.10 + 15 + 0.70.
    assert_eq!(total(&report, "calls"), &Cell::Integer(21));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(1150));
    assert_eq!(total(&report, "cost"), &money("17.74"));
    assert_eq!(total(&report, "reference"), &money("21.30"));
    assert_eq!(total(&report, "savings"), &money("3.56"));
    let last = total_row(&report, 0);
    assert_eq!(
        last.cells[..7],
        [
            Cell::Empty,
            Cell::Empty,
            Cell::Integer(21),
            Cell::Duration(1150),
            money("17.74"),
            money("21.30"),
            money("3.56"),
        ]
    );
    // Per type: internal onnet local national mobile international free inbound unknown.
    let expected = ["0", "0", "2.20", "3.20", "0", "12.34", "0", "0", "0"].map(money);
    assert_eq!(last.cells[7..], expected);
    assert_eq!(crate::support::money_sum(&report, 0, "cost"), rust_decimal::Decimal::new(1774, 2));
}

#[test]
fn first_row_values() {
    let report = reports::grouped(&context(), GroupKind::Trunk, &trunks()).unwrap();
    let first = &report.sections[0].rows[0];
    assert_eq!(first.style, RowStyle::Normal);
    assert_eq!(
        first.cells[..7],
        [
            Cell::text("T2"),
            Cell::text("pbx-bj"),
            Cell::Integer(1),
            Cell::Duration(120),
            money("12.34"),
            money("15"),
            money("2.66"),
        ]
    );
}

#[test]
fn kind_decides_title_and_first_columns() {
    let expectations = [
        (GroupKind::Trunk, "Trunk report", "中继统计", "trunk", "中继", "交换机"),
        (GroupKind::Carrier, "Carrier report", "运营商统计", "carrier", "运营商", "说明"),
        (GroupKind::Site, "Site report", "站点统计", "site", "站点", "说明"),
        (
            GroupKind::Destination,
            "Destination report",
            "目的地统计",
            "destination",
            "目的地",
            "国家代码",
        ),
    ];
    for (kind, en, zh, key, name_zh, detail_zh) in expectations {
        let report = reports::grouped(&context(), kind, &trunks()).unwrap();
        assert_eq!(report.title.en, en);
        assert_eq!(report.title.zh, zh);
        let columns = &report.sections[0].columns;
        assert_eq!(columns[0].key, key);
        assert_eq!(columns[0].header.zh, name_zh);
        assert_eq!(columns[1].key, "detail");
        assert_eq!(columns[1].header.zh, detail_zh);
        renders_everywhere(&report);
    }
}

#[test]
fn renders_in_text() {
    let destinations = vec![
        row("United Kingdom", "44", &[("international", 3, 400, "18.6075", "30")]),
        row("Beijing", "86", &[("national", 20, 2400, "9.60", "12.00")]),
        row("北京移动", "86", &[("mobile", 4, 100, "0.40", "0.40")]),
    ];
    let report = reports::grouped(&context(), GroupKind::Destination, &destinations).unwrap();
    expect_file!["../fixtures/snapshots/reports/destination.zh.txt"]
        .assert_eq(&txt(&report, Lang::Zh));
}

#[test]
fn unknown_call_type_names_the_group() {
    let mut rows = trunks();
    rows[3].by_type.insert("satellite".to_owned(), tally(1, 1, "1", "1"));
    let error = reports::grouped(&context(), GroupKind::Trunk, &rows).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: trunk row 4 (T1 / pbx-sh): unknown call type \"satellite\" (expected one \
         of internal, onnet, local, national, mobile, international, free, inbound, unknown)"
    );
}
