//! Inbound calls per extension.

use expect_test::expect_file;
use report::reports::{self, InboundRow};
use report::{Cell, Lang};

use crate::support::{cell, context, dec, money, renders_everywhere, texts, total, total_row, txt};

fn row(
    department: &str,
    user: &str,
    extension: &str,
    [calls, answered, unanswered, duration_s, ring_s_total]: [u64; 5],
    cost: &str,
) -> InboundRow {
    InboundRow {
        department: department.to_owned(),
        user: user.to_owned(),
        extension: extension.to_owned(),
        calls,
        answered,
        unanswered,
        duration_s,
        ring_s_total,
        cost: dec(cost),
    }
}

/// Alice: 95 s of ringing over 10 calls, 9.5 s → 10 s. Bob: 30 s over 4,
/// 7.5 s → 8 s, one call busy (neither answered nor unanswered). Zed: none.
/// All: 125 s over 14 calls, 8.93 s → 9 s.
fn rows() -> Vec<InboundRow> {
    vec![
        row("Company\\Sales", "Alice", "2002", [10, 7, 3, 1200, 95], "0"),
        row("Company\\Ops", "Zed", "3002", [0, 0, 0, 0, 0], "0"),
        row("Company\\Ops", "Bob", "3001", [4, 2, 1, 300, 30], "1.20"),
    ]
}

#[test]
fn rows_totals_and_average_ring() {
    let report = reports::inbound(&context(), &rows()).unwrap();
    assert_eq!(texts(&report, 0, "user"), ["Bob", "Zed", "Alice"]);
    let table = &report.sections[0];
    let bob = &table.rows[0];
    assert_eq!(cell(&report, 0, bob, "ring_avg_s"), &Cell::Duration(8));
    assert_eq!(cell(&report, 0, bob, "answer_rate"), &Cell::Percent(dec("0.5")));
    let zed = &table.rows[1];
    assert_eq!(cell(&report, 0, zed, "ring_avg_s"), &Cell::Empty);
    assert_eq!(cell(&report, 0, zed, "answer_rate"), &Cell::Empty);
    let alice = &table.rows[2];
    assert_eq!(cell(&report, 0, alice, "ring_avg_s"), &Cell::Duration(10));
    assert_eq!(cell(&report, 0, alice, "answer_rate"), &Cell::Percent(dec("0.7")));

    let last = total_row(&report, 0);
    assert_eq!(
        last.cells,
        [
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Integer(14),
            Cell::Integer(9),
            Cell::Integer(4),
            Cell::Percent(dec("9") / dec("14")),
            Cell::Duration(1500),
            Cell::Duration(9),
            money("1.20"),
        ]
    );
    assert_eq!(total(&report, "calls"), &Cell::Integer(14));
    assert_eq!(total(&report, "answered"), &Cell::Integer(9));
    assert_eq!(total(&report, "unanswered"), &Cell::Integer(4));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(1500));
    assert_eq!(total(&report, "ring_avg_s"), &Cell::Duration(9));
    assert_eq!(total(&report, "cost"), &money("1.20"));
}

#[test]
fn renders_everywhere_and_in_text() {
    let report = reports::inbound(&context(), &rows()).unwrap();
    renders_everywhere(&report);
    expect_file!["../fixtures/snapshots/reports/inbound.en.txt"].assert_eq(&txt(&report, Lang::En));
}

#[test]
fn more_outcomes_than_calls_are_refused() {
    let mut input = rows();
    input[2].unanswered = 3;
    let error = reports::inbound(&context(), &input).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: row 3 (Company\\Ops / Bob / 3001): 2 answered + 3 unanswered is more \
         than 4 calls"
    );
}
