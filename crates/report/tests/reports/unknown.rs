//! Unknown extensions.

use expect_test::expect_file;
use report::reports::{self, UnknownRow};
use report::{Cell, Lang};

use crate::support::{
    context, dec, money, renders_everywhere, shanghai, texts, total, total_row, txt,
};

fn rows() -> Vec<UnknownRow> {
    let row = |pbx: &str, number: &str, calls, duration_s, cost: &str, first, last| UnknownRow {
        pbx: pbx.to_owned(),
        number: number.to_owned(),
        calls,
        duration_s,
        cost: dec(cost),
        first_seen: first,
        last_seen: last,
    };
    vec![
        row(
            "pbx-bj",
            "2999",
            3,
            100,
            "0.50",
            shanghai(2024, 3, 2, 10, 0, 0),
            shanghai(2024, 3, 20, 11, 0, 0),
        ),
        row(
            "pbx-sh",
            "5123",
            7,
            400,
            "1.25",
            shanghai(2024, 3, 1, 8, 0, 0),
            shanghai(2024, 3, 15, 17, 45, 0),
        ),
        row(
            "pbx-bj",
            "2998",
            3,
            50,
            "0",
            shanghai(2024, 3, 5, 9, 0, 0),
            shanghai(2024, 3, 31, 23, 0, 0),
        ),
    ]
}

#[test]
fn sorted_by_calls_with_exact_totals() {
    let report = reports::unknown_extensions(&context(), &rows()).unwrap();
    assert_eq!(texts(&report, 0, "number"), ["5123", "2998", "2999"]);
    assert_eq!(total(&report, "numbers"), &Cell::Integer(3));
    assert_eq!(total(&report, "calls"), &Cell::Integer(13));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(550));
    assert_eq!(total(&report, "cost"), &money("1.75"));
    let last = total_row(&report, 0);
    assert_eq!(
        last.cells,
        [
            Cell::Empty,
            Cell::Empty,
            Cell::Integer(13),
            Cell::Duration(550),
            money("1.75"),
            Cell::DateTime(shanghai(2024, 3, 1, 8, 0, 0)),
            Cell::DateTime(shanghai(2024, 3, 31, 23, 0, 0)),
        ]
    );
}

#[test]
fn renders_everywhere_and_in_text() {
    let report = reports::unknown_extensions(&context(), &rows()).unwrap();
    renders_everywhere(&report);
    expect_file!["../fixtures/snapshots/reports/unknown_extensions.en.txt"]
        .assert_eq(&txt(&report, Lang::En));
    let empty = reports::unknown_extensions(&context(), &[]).unwrap();
    assert_eq!(total_row(&empty, 0).cells[5], Cell::Empty);
    renders_everywhere(&empty);
}

#[test]
fn last_seen_before_first_seen_is_refused() {
    let mut input = rows();
    input[1].last_seen = shanghai(2024, 2, 29, 0, 0, 0);
    let error = reports::unknown_extensions(&context(), &input).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: row 2 (pbx-sh / 5123): first seen 2024-03-01T08:00:00+08:00[Asia/Shanghai] \
         is after last seen 2024-02-29T00:00:00+08:00[Asia/Shanghai]"
    );
}
