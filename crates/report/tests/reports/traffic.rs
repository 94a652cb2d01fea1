//! Traffic by weekday and hour, and the busy hour.

use expect_test::expect_file;
use report::reports::{self, BusyHour, Tally, WeekHours};
use report::{Cell, Lang};

use crate::support::{
    cell, context, json, money, renders_everywhere, tally, total, total_row, txt,
};

const MON: usize = 0;
const TUE: usize = 1;
const WED: usize = 2;
const SUN: usize = 6;

/// 09h: Monday 3 + Tuesday 2 = 5 calls; 14h: Monday 5; Sunday 23h: 1.
/// 09h and 14h tie at 5, so the busy hour is the earlier, 09:00-10:00.
fn week() -> WeekHours {
    let mut week = [[Tally::default(); 24]; 7];
    week[MON][9] = tally(3, 300, "1.00", "1.20");
    week[TUE][9] = tally(2, 100, "0.505", "0.505");
    week[MON][14] = tally(5, 500, "2.25", "3");
    week[SUN][23] = tally(1, 3600, "0.0001", "0");
    week
}

#[test]
fn busy_hour_is_the_earliest_of_the_busiest() {
    assert_eq!(reports::busy_hour(&week()).unwrap(), Some(BusyHour { hour: 9, calls: 5 }));
    let mut busier_afternoon = week();
    busier_afternoon[WED][14] = tally(1, 10, "0", "0");
    let busy = reports::busy_hour(&busier_afternoon).unwrap().unwrap();
    assert_eq!(busy, BusyHour { hour: 14, calls: 6 });
    assert_eq!(busy.span(), "14:00-15:00");
    assert_eq!(reports::busy_hour(&[[Tally::default(); 24]; 7]).unwrap(), None);
}

#[test]
fn table_rows_are_hours_and_totals_are_exact() {
    let report = reports::traffic(&context(), &week()).unwrap();
    let rows = &report.sections[0].rows;
    assert_eq!(rows.len(), 25);
    let nine = &rows[9];
    assert_eq!(cell(&report, 0, nine, "hour"), &Cell::text("09:00-10:00"));
    assert_eq!(cell(&report, 0, nine, "mon"), &Cell::Integer(3));
    assert_eq!(cell(&report, 0, nine, "tue"), &Cell::Integer(2));
    assert_eq!(cell(&report, 0, nine, "sun"), &Cell::Integer(0));
    assert_eq!(cell(&report, 0, nine, "calls"), &Cell::Integer(5));
    assert_eq!(cell(&report, 0, nine, "duration_s"), &Cell::Duration(400));
    assert_eq!(cell(&report, 0, nine, "cost"), &money("1.505"));
    assert_eq!(cell(&report, 0, &rows[23], "hour"), &Cell::text("23:00-24:00"));

    let last = total_row(&report, 0);
    let weekdays: Vec<&Cell> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| cell(&report, 0, last, d)).into();
    let expected = [8, 2, 0, 0, 0, 0, 1].map(Cell::Integer);
    assert_eq!(weekdays, expected.iter().collect::<Vec<_>>());
    assert_eq!(cell(&report, 0, last, "calls"), &Cell::Integer(11));
    assert_eq!(cell(&report, 0, last, "duration_s"), &Cell::Duration(4500));
    assert_eq!(cell(&report, 0, last, "cost"), &money("3.7551"));

    assert_eq!(total(&report, "calls"), &Cell::Integer(11));
    assert_eq!(total(&report, "duration_s"), &Cell::Duration(4500));
    assert_eq!(total(&report, "cost"), &money("3.7551"));
    assert_eq!(total(&report, "busy_hour"), &Cell::text("09:00-10:00"));
    assert_eq!(total(&report, "busy_hour_calls"), &Cell::Integer(5));
}

#[test]
fn busy_hour_is_in_the_json_totals() {
    let report = reports::traffic(&context(), &week()).unwrap();
    let doc = json(&report, Lang::Zh);
    let busy = doc["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|total| total["key"] == "busy_hour")
        .unwrap()
        .clone();
    assert_eq!(
        busy,
        serde_json::json!({
            "key": "busy_hour", "label": "忙时", "kind": "text", "value": "09:00-10:00",
        })
    );
}

#[test]
fn a_silent_week_has_no_busy_hour() {
    let report = reports::traffic(&context(), &[[Tally::default(); 24]; 7]).unwrap();
    assert_eq!(total(&report, "busy_hour"), &Cell::Empty);
    assert_eq!(total(&report, "busy_hour_calls"), &Cell::Integer(0));
    renders_everywhere(&report);
}

#[test]
fn renders_everywhere_and_in_text() {
    let report = reports::traffic(&context(), &week()).unwrap();
    renders_everywhere(&report);
    expect_file!["../fixtures/snapshots/reports/traffic.zh.txt"].assert_eq(&txt(&report, Lang::Zh));
}

#[test]
fn overflow_is_refused() {
    let mut week = week();
    week[TUE][3] = tally(u64::MAX, 0, "0", "0");
    let error = reports::traffic(&context(), &week).unwrap_err();
    assert_eq!(error.to_string(), "report input: call count overflows: 18446744073709551615 + 2");
}
