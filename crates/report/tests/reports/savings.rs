//! Savings against the reference tariff, per department and carrier.

use expect_test::expect_file;
use report::reports::{self, SavingsRow};
use report::{Cell, Lang, RowStyle};

use crate::support::{context, dec, money, renders_everywhere, tally, total, total_row, txt};

fn row(department: &str, carrier: &str, tally: report::reports::Tally) -> SavingsRow {
    SavingsRow { department: department.to_owned(), carrier: carrier.to_owned(), tally }
}

/// Sales saves 1.00 of 6.50; Ops 2.50 of 2.50 (one carrier with no
/// reference at all); together 3.50 of 9.00.
fn rows() -> Vec<SavingsRow> {
    vec![
        row("Company\\Sales", "China Unicom", tally(2, 100, "1.50", "1.50")),
        row("Company\\Ops", "Internal", tally(1, 10, "0", "0")),
        row("Company\\Sales", "China Telecom", tally(10, 600, "4.00", "5.00")),
        row("Company\\Ops", "IP network", tally(5, 300, "0", "2.50")),
    ]
}

#[test]
fn subtotals_total_and_shares() {
    let report = reports::savings(&context(), &rows()).unwrap();
    let rows = &report.sections[0].rows;
    let lines: Vec<(RowStyle, &Cell, &Cell, &Cell, &Cell)> = rows
        .iter()
        .map(|r| (r.style, &r.cells[0], &r.cells[1], &r.cells[6], &r.cells[7]))
        .collect();
    let ops = Cell::text("Company\\Ops");
    let sales = Cell::text("Company\\Sales");
    let share = |text: &str| Cell::Percent(dec(text));
    assert_eq!(
        lines,
        [
            (RowStyle::Normal, &ops, &Cell::text("IP network"), &money("2.50"), &share("1")),
            (RowStyle::Normal, &ops, &Cell::text("Internal"), &money("0"), &Cell::Empty),
            (RowStyle::Subtotal, &ops, &Cell::Empty, &money("2.50"), &share("1")),
            (RowStyle::Normal, &sales, &Cell::text("China Telecom"), &money("1.00"), &share("0.2")),
            (RowStyle::Normal, &sales, &Cell::text("China Unicom"), &money("0"), &share("0")),
            (
                RowStyle::Subtotal,
                &sales,
                &Cell::Empty,
                &money("1.00"),
                &Cell::Percent(dec("1") / dec("6.5")),
            ),
            (
                RowStyle::Total,
                &Cell::Empty,
                &Cell::Empty,
                &money("3.50"),
                &Cell::Percent(dec("3.5") / dec("9"))
            ),
        ]
    );
    let sales_subtotal = &rows[5];
    assert_eq!(
        sales_subtotal.cells[2..6],
        [Cell::Integer(12), Cell::Duration(700), money("5.50"), money("6.50")]
    );
    let last = total_row(&report, 0);
    assert_eq!(
        last.cells[2..6],
        [Cell::Integer(18), Cell::Duration(1010), money("5.50"), money("9.00")]
    );
    assert_eq!(total(&report, "calls"), &Cell::Integer(18));
    assert_eq!(total(&report, "cost"), &money("5.50"));
    assert_eq!(total(&report, "reference"), &money("9.00"));
    assert_eq!(total(&report, "savings"), &money("3.50"));
    assert_eq!(total(&report, "savings_share"), &Cell::Percent(dec("3.5") / dec("9")));
}

#[test]
fn renders_everywhere_and_in_text() {
    let report = reports::savings(&context(), &rows()).unwrap();
    renders_everywhere(&report);
    expect_file!["../fixtures/snapshots/reports/savings.zh.txt"].assert_eq(&txt(&report, Lang::Zh));
    let empty = reports::savings(&context(), &[]).unwrap();
    assert_eq!(total(&empty, "savings_share"), &Cell::Empty);
    renders_everywhere(&empty);
}
