//! The department summary in every text format and both languages.

use expect_test::expect_file;
use report::{CsvOptions, Lang};

use crate::fixture::department_summary;

#[test]
fn txt_en_and_zh() {
    let report = department_summary();
    expect_file!["../fixtures/snapshots/department_summary.en.txt"]
        .assert_eq(&crate::txt(&report, Lang::En));
    expect_file!["../fixtures/snapshots/department_summary.zh.txt"]
        .assert_eq(&crate::txt(&report, Lang::Zh));
}

#[test]
fn html_en_and_zh() {
    let report = department_summary();
    expect_file!["../fixtures/snapshots/department_summary.en.html"]
        .assert_eq(&crate::html(&report, Lang::En));
    expect_file!["../fixtures/snapshots/department_summary.zh.html"]
        .assert_eq(&crate::html(&report, Lang::Zh));
}

#[test]
fn json_en_and_zh() {
    let report = department_summary();
    expect_file!["../fixtures/snapshots/department_summary.en.json"]
        .assert_eq(&crate::json(&report, Lang::En));
    expect_file!["../fixtures/snapshots/department_summary.zh.json"]
        .assert_eq(&crate::json(&report, Lang::Zh));
}

#[test]
fn csv_machine_en_and_zh() {
    let report = department_summary();
    let options = CsvOptions::default();
    expect_file!["../fixtures/snapshots/department_summary.en.csv"].assert_eq(&lf(crate::csv(
        &report,
        Lang::En,
        &options,
    )));
    expect_file!["../fixtures/snapshots/department_summary.zh.csv"].assert_eq(&lf(crate::csv(
        &report,
        Lang::Zh,
        &options,
    )));
}

#[test]
fn csv_for_excel_zh() {
    let report = department_summary();
    let text = crate::csv(&report, Lang::Zh, &CsvOptions::excel());
    // The BOM is checked in csv.rs; the snapshot shows the rest.
    let text = text.strip_prefix('\u{feff}').unwrap();
    expect_file!["../fixtures/snapshots/department_summary.zh.excel.csv"]
        .assert_eq(&lf(text.to_owned()));
}

/// Snapshot files are compared with LF line ends; CSV's CRLF is checked in csv.rs.
fn lf(text: String) -> String {
    text.replace("\r\n", "\n")
}
