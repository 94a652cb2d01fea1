//! Inconsistent reports are refused whole, with a message that locates the fault.

use report::{Cell, Column, CsvOptions, Kind, Label, Lang, Row, Table, Total, XlsxOptions};

use crate::fixture::{call_listing, report_with};

fn refusal(report: &report::Report) -> String {
    let message = report.validate().unwrap_err().to_string();
    // Every writer refuses the same way and writes nothing.
    let mut out = Vec::new();
    let csv = report::write_csv(report, Lang::En, &CsvOptions::default(), &mut out);
    assert_eq!(csv.unwrap_err().to_string(), message);
    let txt = report::write_txt(report, Lang::En, &mut out);
    assert_eq!(txt.unwrap_err().to_string(), message);
    let html = report::write_html(report, Lang::En, &mut out);
    assert_eq!(html.unwrap_err().to_string(), message);
    let json = report::write_json(report, Lang::En, &mut out);
    assert_eq!(json.unwrap_err().to_string(), message);
    let xlsx = report::write_xlsx(report, Lang::En, &XlsxOptions::default(), &mut out);
    assert_eq!(xlsx.unwrap_err().to_string(), message);
    assert!(out.is_empty());
    message
}

#[test]
fn row_with_too_few_cells() {
    let mut table = call_listing();
    table.rows[1].cells.pop();
    assert_eq!(
        refusal(&report_with(table)),
        "invalid report: table \"Calls\" row 2: 5 cells for 6 columns"
    );
}

#[test]
fn cell_of_the_wrong_kind() {
    let mut table = call_listing();
    table.rows[0].cells[3] = Cell::text("59");
    assert_eq!(
        refusal(&report_with(table)),
        "invalid report: table \"Calls\" row 1 column \"duration_s\": expected duration_s, found text \"59\""
    );
}

#[test]
fn repeated_column_key() {
    let mut table = call_listing();
    table.columns[1].key = "start".into();
    assert_eq!(
        refusal(&report_with(table)),
        "invalid report: table \"Calls\" column key \"start\" repeated"
    );
}

#[test]
fn currency_must_be_an_iso_code() {
    let table = Table {
        name: Label::same("t"),
        columns: vec![Column::new("cost", "Cost", "话费", Kind::money("yuan"))],
        rows: vec![Row::normal(vec![Cell::Empty])],
    };
    assert_eq!(
        refusal(&report_with(table)),
        "invalid report: table \"t\" column \"cost\": currency \"yuan\" is not an ISO 4217 code"
    );
}

#[test]
fn total_of_the_wrong_kind() {
    let mut report = report_with(call_listing());
    report.totals.push(Total {
        key: "calls".into(),
        label: Label::new("Calls", "呼叫总计"),
        kind: Kind::Integer,
        value: Cell::Duration(5),
    });
    assert_eq!(
        refusal(&report),
        "invalid report: total \"calls\": expected integer, found duration 5 s"
    );
}
