//! Report names, call types and tallies: the small shared vocabulary.

use std::str::FromStr;

use report::reports::{CALL_TYPES, GroupKind, ReportName, Tally, call_type_label};
use report::value;

use crate::support::{dec, tally};

#[test]
fn report_names_round_trip() {
    let names: Vec<&str> = ReportName::all().iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "department",
            "extension",
            "trunk",
            "carrier",
            "site",
            "destination",
            "top",
            "traffic",
            "inbound",
            "savings",
            "unknown-extensions",
        ]
    );
    for name in ReportName::all() {
        assert_eq!(ReportName::from_str(name.as_str()), Ok(*name));
        assert_eq!(name.to_string(), name.as_str());
    }
    assert_eq!(ReportName::from_str("Unknown_Extensions"), Ok(ReportName::UnknownExtensions));
    assert_eq!(ReportName::Carrier.group_kind(), Some(GroupKind::Carrier));
    assert_eq!(ReportName::Top.group_kind(), None);
    assert_eq!(
        ReportName::from_str("cost").unwrap_err(),
        "unknown report: \"cost\" (expected one of department, extension, trunk, carrier, site, \
         destination, top, traffic, inbound, savings, unknown-extensions)"
    );
}

#[test]
fn every_call_type_has_both_labels() {
    assert_eq!(
        CALL_TYPES,
        [
            "internal",
            "onnet",
            "local",
            "national",
            "mobile",
            "international",
            "free",
            "inbound",
            "unknown"
        ]
    );
    let labels: Vec<(String, String)> =
        CALL_TYPES.iter().map(|t| call_type_label(t).map(|l| (l.en, l.zh)).unwrap()).collect();
    assert_eq!(labels[2], ("Local".to_owned(), "市内通话".to_owned()));
    assert_eq!(labels[5], ("International".to_owned(), "国际长途".to_owned()));
    assert_eq!(call_type_label("premium"), None);
}

#[test]
fn tally_adds_exactly_and_refuses_overflow() {
    let mut sum = tally(2, 60, "0.105", "0.2");
    sum.add(&tally(1, 30, "0.0050", "0.10")).unwrap();
    assert_eq!(sum, tally(3, 90, "0.11", "0.30"));
    assert_eq!(sum.savings().unwrap(), dec("0.19"));

    let before = sum;
    let error = sum.add(&tally(0, u64::MAX, "0", "0")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "report input: duration overflows: 90 s + 18446744073709551615 s"
    );
    assert_eq!(sum, before, "a failed add changes nothing");

    let huge = Tally { reference: rust_decimal::Decimal::MAX, ..Tally::default() };
    let mut big = huge;
    assert!(
        big.add(&huge)
            .unwrap_err()
            .to_string()
            .starts_with("report input: reference cost overflows: ")
    );
    let owing = Tally {
        cost: rust_decimal::Decimal::MAX,
        reference: rust_decimal::Decimal::MIN,
        ..Tally::default()
    };
    assert!(
        owing.savings().unwrap_err().to_string().starts_with("report input: savings overflow: ")
    );
}

#[test]
fn exact_money_spelling() {
    let cases = ["12.3400", "12.345", "7", "0", "-0.000", "-2.5", "0.0049", "87972.78"];
    let spelled: Vec<String> =
        cases.iter().map(|m| format!("{m} -> {}", value::money_exact(dec(m)))).collect();
    assert_eq!(
        spelled,
        [
            "12.3400 -> 12.34",
            "12.345 -> 12.345",
            "7 -> 7.00",
            "0 -> 0.00",
            "-0.000 -> 0.00",
            "-2.5 -> -2.50",
            "0.0049 -> 0.0049",
            "87972.78 -> 87972.78",
        ]
    );
}
