//! Spelling of single values, shared by every format.

use expect_test::expect;
use report::{Cell, value};

use crate::fixture::{money, shanghai};

#[test]
fn durations() {
    let cases = [0, 1, 59, 60, 3599, 3600, 86_399, 86_400, 145_675, 10 * 86_400 + 1];
    let spelled: Vec<String> =
        cases.iter().map(|s| format!("{s} -> {}", value::duration(*s))).collect();
    expect![[r#"
        0 -> 0D 00:00:00
        1 -> 0D 00:00:01
        59 -> 0D 00:00:59
        60 -> 0D 00:01:00
        3599 -> 0D 00:59:59
        3600 -> 0D 01:00:00
        86399 -> 0D 23:59:59
        86400 -> 1D 00:00:00
        145675 -> 1D 16:27:55
        864001 -> 10D 00:00:01"#]]
    .assert_eq(&spelled.join("\n"));
}

#[test]
fn largest_duration_still_spells() {
    assert_eq!(value::duration(u64::MAX), "213503982334601D 07:00:15");
}

#[test]
fn negative_duration_is_refused() {
    let error = Cell::duration(-1).unwrap_err();
    assert_eq!(error.to_string(), "invalid report: negative duration: -1 s");
    assert_eq!(Cell::duration(59).unwrap(), Cell::Duration(59));
}

#[test]
fn money_rounds_half_away_from_zero_to_two_places() {
    let cases = ["0", "2.5", "0.005", "-0.005", "0.0049", "87972.78", "1.999", "-12"];
    let spelled: Vec<String> =
        cases.iter().map(|m| format!("{m} -> {}", value::money(money(m)))).collect();
    expect![[r#"
        0 -> 0.00
        2.5 -> 2.50
        0.005 -> 0.01
        -0.005 -> -0.01
        0.0049 -> 0.00
        87972.78 -> 87972.78
        1.999 -> 2.00
        -12 -> -12.00"#]]
    .assert_eq(&spelled.join("\n"));
}

#[test]
fn percentages_and_times() {
    assert_eq!(value::percent(money("0.25")), "25.00%");
    assert_eq!(value::percent(money("0.123456")), "12.35%");
    assert_eq!(value::percent(money("1")), "100.00%");
    let at = shanghai(2012, 11, 9, 15, 49, 31);
    assert_eq!(value::datetime(&at), "2012-11-09 15:49:31 UTC+0800");
    assert_eq!(value::datetime_rfc3339(&at), "2012-11-09T15:49:31+08:00");
}
